import { inflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../../test/helpers/test-app.ts';

/** Reads the entries of a ZIP (stored or deflated) by its central directory. */
function unzip(buffer: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  for (let i = 0; i < count; i += 1) {
    const method = buffer.readUInt16LE(at + 10);
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extra = buffer.readUInt16LE(at + 30);
    const comment = buffer.readUInt16LE(at + 32);
    const offset = buffer.readUInt32LE(at + 42);
    const name = buffer.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const localStart = offset + 30 + buffer.readUInt16LE(offset + 26) + buffer.readUInt16LE(offset + 28);
    const body = buffer.subarray(localStart, localStart + size);
    files.set(name, (method === 0 ? body : inflateRawSync(body)).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

const BASE = '/api/enterprise/governance/data-requests';

describe.each(dialects())('data subject requests on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };
  let subject: { id: string; username: string; token: string };

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'dpo');
    subject = await app.userWithToken('staff', 'pia.subject');
  });
  afterEach(async () => {
    await app.close();
  });

  const call = (
    method: 'GET' | 'POST',
    url: string,
    payload?: Record<string, unknown>,
    token = admin.token,
  ) => app.server.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  async function create(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
    const response = await call('POST', BASE, body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  it('walks the states, with a due date 30 days out, and refuses illegal steps', async () => {
    const received = app.clock.now().getTime();
    const request = await create({
      request_type: 'access',
      subject_id: subject.username,
      subject_email: 'pia@example.org',
    });
    expect(request).toMatchObject({
      status: 'received',
      subject_user_id: subject.id,
      subject_username: 'pia.subject',
      subject_id: 'pia.subject',
      subject_email: 'pia@example.org',
      overdue: false,
      export_available: false,
      due_at: new Date(received + 30 * 86_400_000).toISOString(),
    });
    const illegal = await call('POST', `${BASE}/${request.id}/process`, { action: 'process' });
    expect(illegal.statusCode).toBe(409);
    expect(illegal.json().error.code).toBe('INVALID_TRANSITION');
    const early = await call('GET', `${BASE}/${request.id}/export`);
    expect(early.statusCode).toBe(409);

    // No body: the next step, as in the guide.
    expect((await call('POST', `${BASE}/${request.id}/process`)).json().status).toBe('verified');
    const done = await call('POST', `${BASE}/${request.id}/process`);
    expect(done.json()).toMatchObject({ status: 'completed', export_available: true });
    expect(done.json().result.export.users).toBe(1);
    expect(
      (await call('POST', `${BASE}/${request.id}/process`, { action: 'reject', reason: 'x' })).statusCode,
    ).toBe(409);
    const actions = (
      await app.database.db
        .selectFrom('enterprise_audit_logs')
        .select('action')
        .where('resource_id', '=', request.id)
        .orderBy('seq')
        .execute()
    ).map((row) => row.action);
    expect(actions).toEqual([
      'data_request.create',
      'data_request.verify',
      'data_request.process',
      'data_request.access',
    ]);
    // The e-mail is sealed in the entry, never in its plain details.
    const entries = await app.auditEntries('data_request.create');
    expect(JSON.stringify(entries[0]!.details)).not.toContain('pia@example.org');
    expect(entries[0]!.personal).not.toContain('pia@example.org');
  });

  it('lists open requests by default, filters by type and overdue, and extends up to 60 days', async () => {
    const first = await create({ request_type: 'portability', subject_id: subject.id });
    const second = await create({
      request_type: 'rectification',
      subject_id: subject.id,
      corrections: { display_name: 'Pia S.' },
    });
    const third = await create({ request_type: 'access', subject_id: subject.id });
    await call('POST', `${BASE}/${third.id}/process`, { action: 'reject', reason: 'identity not confirmed' });

    const open = (await call('GET', BASE)).json();
    expect(open.items.map((item: { id: string }) => item.id)).toEqual([second.id, first.id]);
    const all = (await call('GET', `${BASE}?status=all`)).json();
    expect(all.items).toHaveLength(3);
    const paged = (await call('GET', `${BASE}?status=all&limit=2`)).json();
    expect(paged.items).toHaveLength(2);
    const rest = (await call('GET', `${BASE}?status=all&limit=2&cursor=${paged.next_cursor}`)).json();
    expect(rest.items.map((item: { id: string }) => item.id)).toEqual([first.id]);
    expect((await call('GET', `${BASE}?type=rectification`)).json().items).toHaveLength(1);
    expect((await call('GET', `${BASE}?status=rejected`)).json().items[0].rejection_reason).toBe(
      'identity not confirmed',
    );

    const extended = await call('POST', `${BASE}/${first.id}/process`, {
      action: 'extend',
      extend_days: 40,
      reason: 'complex request',
    });
    expect(extended.json()).toMatchObject({ extended_days: 40, extension_reason: 'complex request' });
    const tooLong = await call('POST', `${BASE}/${first.id}/process`, {
      action: 'extend',
      extend_days: 21,
      reason: 'more',
    });
    expect(tooLong.statusCode).toBe(409);
    expect(tooLong.json().error.code).toBe('EXTENSION_LIMIT');
    const noReason = await call('POST', `${BASE}/${first.id}/process`, { action: 'extend', extend_days: 5 });
    expect(noReason.statusCode).toBe(400);

    app.clock.advance(31 * 86_400_000);
    // A month later the session is long gone: sign in again.
    admin.token = await app.login('dpo', STRONG_PASSWORD);
    const overdue = (await call('GET', `${BASE}?overdue=true`)).json();
    expect(overdue.items.map((item: { id: string }) => item.id)).toEqual([second.id]);
    expect(overdue.items[0].overdue).toBe(true);
    expect((await call('GET', `${BASE}/${first.id}`)).json().overdue).toBe(false);
  });

  it('hands over the data as JSON, CSV and a ZIP, never a secret', async () => {
    const request = await create({ request_type: 'portability', subject_id: subject.id });
    await call('POST', `${BASE}/${request.id}/process`);
    await call('POST', `${BASE}/${request.id}/process`);

    const zip = await call('GET', `${BASE}/${request.id}/export`);
    expect(zip.statusCode, zip.body).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['content-disposition']).toContain(`data-request-${request.id}.zip`);
    const files = unzip(zip.rawPayload);
    expect([...files.keys()]).toEqual(
      expect.arrayContaining(['subject-data.json', 'users.csv', 'security_sessions.csv']),
    );
    const json = JSON.parse(files.get('subject-data.json')!);
    expect(json.tables.users.rows[0]).toMatchObject({
      id: subject.id,
      username: 'pia.subject',
      password_hash: '[withheld: secret]',
    });
    expect(files.get('users.csv')).toContain('pia.subject');
    expect(files.get('security_sessions.csv')).toContain('[withheld: secret]');

    const csv = await call('GET', `${BASE}/${request.id}/export?format=csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('table,row,column,value');
    expect(csv.body).toContain('users,1,username,pia.subject');

    const asJson = await call('GET', `${BASE}/${request.id}/export?format=json`);
    expect(asJson.json().subject).toEqual({ user_id: subject.id });
    // Their own audit entries, with their personal fields opened (their sign-in address).
    const audit = asJson.json().tables.enterprise_audit_logs.rows as {
      action: string;
      personal: Record<string, unknown>;
    }[];
    expect(audit.some((row) => row.action === 'auth.login')).toBe(true);
    expect(audit.find((row) => row.action === 'user.create')?.personal[subject.id]).toMatchObject({
      username: 'pia.subject',
    });
    for (const body of [zip.rawPayload.toString('latin1'), csv.body, asJson.body])
      expect(body).not.toContain('$argon2');
    expect((await app.auditEntries('data_request.export')).length).toBe(3);
  });

  it('applies corrections, and refuses a taken username', async () => {
    await app.userWithToken('staff', 'taken.name');
    const clash = await create({
      request_type: 'rectification',
      subject_id: subject.id,
      corrections: { username: 'Taken.Name' },
    });
    await call('POST', `${BASE}/${clash.id}/process`);
    const refused = await call('POST', `${BASE}/${clash.id}/process`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('USERNAME_TAKEN');
    const bad = await call('POST', BASE, { request_type: 'rectification', subject_id: subject.id });
    expect(bad.statusCode).toBe(400);
    const notHere = await call('POST', BASE, {
      request_type: 'access',
      subject_id: subject.id,
      corrections: { display_name: 'x' },
    });
    expect(notHere.statusCode).toBe(400);
    const unknown = await call('POST', BASE, { request_type: 'access', subject_id: 'nobody-at-all' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('SUBJECT_NOT_FOUND');

    const fix = await create({
      request_type: 'rectification',
      subject_id: subject.id,
      corrections: { display_name: 'Pia Subject-Smith', username: 'pia.smith' },
    });
    await call('POST', `${BASE}/${fix.id}/process`);
    const done = await call('POST', `${BASE}/${fix.id}/process`);
    expect(done.json()).toMatchObject({ status: 'completed', subject_username: 'pia.smith' });
    const user = await call('GET', `/api/users/${subject.id}`);
    expect(user.json()).toMatchObject({ username: 'pia.smith', display_name: 'Pia Subject-Smith' });
    const [entry] = await app.auditEntries('data_request.rectify');
    expect(JSON.stringify(entry)).not.toContain('Pia Subject-Smith');
  });

  it('is for admins (auditors read), behind the data_governance flag', async () => {
    const auditor = await app.userWithToken('auditor', 'aud');
    // Auditors read the queue; only admins act on it or export.
    const request = await create({ request_type: 'access', subject_id: subject.id });
    expect((await call('GET', BASE, undefined, auditor.token)).statusCode).toBe(200);
    expect((await call('GET', `${BASE}/${request.id}`, undefined, auditor.token)).statusCode).toBe(200);
    expect((await call('POST', `${BASE}/${request.id}/process`, {}, auditor.token)).statusCode).toBe(403);
    expect(
      (await call('POST', BASE, { request_type: 'access', subject_id: subject.id }, auditor.token))
        .statusCode,
    ).toBe(403);
    expect((await call('GET', BASE, undefined, subject.token)).statusCode).toBe(403);
    const off = await call('POST', '/api/enterprise/features/data_governance/disable');
    expect(off.statusCode, off.body).toBe(200);
    const gated = await call('GET', BASE);
    expect(gated.statusCode).toBe(403);
    expect(gated.json().error.code).toBe('FEATURE_DISABLED');
  });
});

describe('data subject requests with GDPR_COMPLIANCE_MODE=false', () => {
  it('answers 404 GDPR_MODE_OFF', async () => {
    const app = await createTestApp({ dialect: dialects()[0]!, env: { GDPR_COMPLIANCE_MODE: 'false' } });
    try {
      const admin = await app.userWithToken('admin', 'dpo');
      const response = await app.server.inject({ method: 'GET', url: BASE, headers: bearer(admin.token) });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('GDPR_MODE_OFF');
    } finally {
      await app.close();
    }
  });
});
