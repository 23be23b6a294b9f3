import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../../test/helpers/test-app.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  EAN_SINGLE,
} from '../../counting/entries/test-fixtures.ts';

/**
 * GDPR erasure end to end (issue 9, points 3 and 4): a person who signed in (and failed once),
 * counted, was audited and had their name corrected is erased through a request's states. Then
 * the audit chain still verifies, no text column of any table — enumerated from the database's
 * own catalogue, so tables added later are covered too — holds their name, e-mail, addresses,
 * user agent or device, their counts stay under the same (now pseudonymous) user id, and they
 * can no longer sign in.
 */

const USERNAME = 'zebulon.quarterfield';
const DISPLAY_NAME = 'Zebulon Quarterfield';
const CORRECTED_NAME = 'Zebulon Q. Quarterfield-Marsh';
const EMAIL = 'zebulon.private@example.org';
const IP = '203.0.113.77';
const USER_AGENT = 'ZebulonHandheld/9.7 (QuarterfieldOS)';
const DEVICE = 'HH-ZEBULON-42';

/** Every text column of every table, from the catalogue (not the data registry). */
async function textColumns(app: TestApp): Promise<{ table: string; column: string }[]> {
  const db = app.database.db;
  if (app.database.dialect === 'postgres') {
    const { rows } = await sql<{ table: string; column: string }>`
      select c.table_name as "table", c.column_name as "column"
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
        and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb')`.execute(db);
    return rows;
  }
  const { rows } = await sql<{ table: string; column: string }>`
    select m.name as "table", p.name as "column"
    from sqlite_master m, pragma_table_info(m.name) p
    where m.type = 'table' and (p.type = '' or upper(p.type) like '%TEXT%' or upper(p.type) like '%CHAR%'
      or upper(p.type) like '%CLOB%' or upper(p.type) = 'JSON')`.execute(db);
  return rows;
}

/** Where any of the strings still appears, as "table.column: needle". */
async function findEverywhere(app: TestApp, needles: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const columns = await textColumns(app);
  expect(columns.length).toBeGreaterThan(100);
  for (const { table, column } of columns)
    for (const needle of needles) {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
        where lower(cast(${sql.ref(column)} as text)) like ${`%${needle.toLowerCase()}%`}`.execute(
        app.database.db,
      );
      if (Number(rows[0]!.n) > 0) found.push(`${table}.${column}: ${needle}`);
    }
  return found;
}

describe.each(dialects())('GDPR erasure on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'gdpr-admin');
  });
  afterEach(async () => {
    await app.close();
  });

  const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    app.server.inject({
      method,
      url,
      headers: bearer(admin.token),
      ...(payload ? { payload } : {}),
    });

  async function runRequest(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const created = await api('POST', '/api/enterprise/governance/data-requests', body);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ status: 'received' });
    const verified = await api('POST', `/api/enterprise/governance/data-requests/${id}/process`, {
      action: 'verify',
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json().status).toBe('verified');
    const done = await api('POST', `/api/enterprise/governance/data-requests/${id}/process`, {
      action: 'process',
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().status).toBe('completed');
    return done.json();
  }

  it('erases a person who signed in, counted and was audited, and leaves the chain verifiable', async () => {
    // The person: created through the API (audited, with their name sealed in the entry).
    const createdUser = await api('POST', '/api/users', {
      username: USERNAME,
      display_name: DISPLAY_NAME,
      role: 'staff',
      password: STRONG_PASSWORD,
    });
    expect(createdUser.statusCode, createdUser.body).toBe(201);
    const userId = createdUser.json().id as string;
    const from = { remoteAddress: IP, headers: { 'user-agent': USER_AGENT } };

    // A failed sign-in, then a good one, from their own address and device.
    const failed = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      ...from,
      payload: { username: USERNAME, password: 'not-the-password-at-all' },
    });
    expect(failed.statusCode).toBe(401);
    const login = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      ...from,
      payload: { username: USERNAME, password: STRONG_PASSWORD },
    });
    expect(login.statusCode, login.body).toBe(200);
    const token = login.json().access_token as string;

    // They count.
    const data = await createMasterData(app);
    const session = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: admin.id,
      snapshot: [{ location_id: data.binA, item_id: data.widget, book_qty_e3: 10_000, unit_cost_e4: 25_000 }],
      assignments: [{ location_id: data.binA, user_id: userId }],
    });
    const entry = await app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${session}/entries`,
      remoteAddress: IP,
      headers: { ...bearer(token), 'user-agent': USER_AGENT },
      payload: {
        client_id: clientId(),
        location_id: data.binA,
        barcode: EAN_SINGLE,
        quantity: 4,
        device_id: DEVICE,
      },
    });
    expect(entry.statusCode, entry.body).toBe(201);
    const entryId = entry.json().entry.id as string;

    // Rows archived by retention: one about their session (goes), one count session (stays).
    const now = app.clock.now().toISOString();
    await app.database.db
      .insertInto('data_archive')
      .values([
        {
          id: clientId(),
          source: 'security_sessions',
          record_id: clientId(),
          payload: JSON.stringify({ user_id: userId, ip_address: IP, user_agent: USER_AGENT }),
          archived_at: now,
        },
        {
          id: clientId(),
          source: 'count_sessions',
          record_id: session,
          payload: JSON.stringify({ id: session, created_by: userId }),
          archived_at: now,
        },
      ])
      .execute();

    // Their address in a per-address lockout counter and in someone else's event naming them.
    await app.database.db
      .insertInto('security_lockout_addresses')
      .values({ ip_address: IP, recent_lockouts: '[]', updated_at: now })
      .execute();
    await app.database.db
      .insertInto('security_events')
      .values({
        id: clientId(),
        timestamp: now,
        event_type: 'RATE_LIMITED',
        severity: 'medium',
        user_id: null,
        ip_address: IP,
        details: JSON.stringify({ route: '/api/auth/login', note: `tries for ${USERNAME}` }),
        request_id: null,
      })
      .execute();

    // Their name corrected first (a rectification request), then their data handed over.
    const rectified = await runRequest({
      request_type: 'rectification',
      subject_id: USERNAME,
      subject_email: EMAIL,
      corrections: { display_name: CORRECTED_NAME },
    });
    expect(rectified.result).toEqual({ corrected: ['display_name'] });
    const user = await app.server.inject({
      method: 'GET',
      url: `/api/users/${userId}`,
      headers: bearer(admin.token),
    });
    expect(user.json().display_name).toBe(CORRECTED_NAME);

    const access = await runRequest({ request_type: 'access', subject_id: userId, subject_email: EMAIL });
    const exported = await api('GET', `/api/enterprise/governance/data-requests/${access.id}/export`);
    expect(exported.statusCode, exported.body).toBe(200);
    expect(exported.body).toContain(CORRECTED_NAME);
    expect(exported.body).toContain(DEVICE);
    expect(exported.body).toContain(IP);
    expect(exported.body).not.toContain('$argon2');

    // The erasure.
    const erased = await runRequest({ request_type: 'erasure', subject_id: USERNAME, subject_email: EMAIL });
    expect(erased).toMatchObject({ subject_id: null, subject_email: null, subject_user_id: userId });
    expect((erased.result as { erased: Record<string, number> }).erased).toMatchObject({
      sessions: 1,
      count_entries: 1,
      archive_rows: 1,
    });

    // (a) The audit chain still verifies.
    const integrity = await api('GET', '/api/enterprise/audit/verify-integrity');
    expect(integrity.statusCode).toBe(200);
    expect(integrity.json()).toMatchObject({ valid: true, first_bad: null });
    expect(integrity.json().checked).toBeGreaterThan(10);

    // (b) Nothing anywhere holds their name, e-mail, address, user agent or device.
    expect(
      await findEverywhere(app, [USERNAME, DISPLAY_NAME, CORRECTED_NAME, EMAIL, IP, USER_AGENT, DEVICE]),
    ).toEqual([]);
    // Their audit entries are still there, their personal fields unreadable.
    const entries = await api('GET', `/api/enterprise/audit/logs?user_id=${userId}&limit=200`);
    expect(entries.statusCode, entries.body).toBe(200);
    const items = entries.json().items as { personal: Record<string, unknown> }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.personal[userId] === undefined || item.personal[userId] === null)).toBe(
      true,
    );
    expect(entries.body).not.toContain(USERNAME);

    // (c) Operational records stay, attributed to the same (now pseudonymous) id.
    const counted = await app.database.db
      .selectFrom('count_entries')
      .select(['id', 'counted_by', 'quantity_e3', 'device_id'])
      .where('id', '=', entryId)
      .executeTakeFirstOrThrow();
    expect(counted).toMatchObject({ counted_by: userId, device_id: null });
    expect(Number(counted.quantity_e3)).toBe(4000);
    const line = await app.database.db
      .selectFrom('count_lines')
      .select(['counted_qty_e3'])
      .where('session_id', '=', session)
      .executeTakeFirstOrThrow();
    expect(Number(line.counted_qty_e3)).toBe(4000);
    const kept = await app.database.db
      .selectFrom('data_archive')
      .select('source')
      .where('record_id', '=', session)
      .execute();
    expect(kept).toEqual([{ source: 'count_sessions' }]);
    const profile = await app.server.inject({
      method: 'GET',
      url: `/api/users/${userId}`,
      headers: bearer(admin.token),
    });
    expect(profile.json()).toMatchObject({ display_name: 'Erased user', active: false });
    expect(profile.json().username).toMatch(/^erased-[0-9a-f]{16}$/);

    // (d) They cannot sign in, nor use the session they had.
    const again = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: USERNAME, password: STRONG_PASSWORD },
    });
    expect(again.statusCode).toBe(401);
    const me = await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    expect(me.statusCode).toBe(401);

    // The erasure's own audit entry names no one.
    const [erasure] = await app.auditEntries('data_request.erase');
    expect(JSON.stringify(erasure)).not.toContain(USERNAME);
    expect(erasure!.details).toMatchObject({ subject_user_id: userId });
  });

  it('refuses to erase the caller or the last admin', async () => {
    const created = await api('POST', '/api/enterprise/governance/data-requests', {
      request_type: 'erasure',
      subject_id: admin.id,
    });
    const id = created.json().id as string;
    await api('POST', `/api/enterprise/governance/data-requests/${id}/process`);
    const self = await api('POST', `/api/enterprise/governance/data-requests/${id}/process`);
    expect(self.statusCode).toBe(409);
    expect(self.json().error.code).toBe('SELF_ERASURE');
    // The request stays processing and can be rejected.
    const rejected = await api('POST', `/api/enterprise/governance/data-requests/${id}/process`, {
      action: 'reject',
      reason: 'the only administrator',
    });
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejection_reason: 'the only administrator' });
  });
});
