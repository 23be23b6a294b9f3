import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totpAt } from '../src/modules/security/mfa/totp.ts';
import { bearer, createTestApp, dialects, STRONG_PASSWORD, type TestApp } from './helpers/test-app.ts';

/**
 * "Every state-changing request is recorded": each write route of the API, called successfully,
 * leaves at least one audit entry carrying that request's id. The list below must name every
 * write route there is, so a new route without an entry fails here until it records one.
 */
/** Reads that the protocol they implement makes POSTs (OFREP evaluation): they change nothing. */
const READS_BY_POST = new Set(['POST /ofrep/v1/evaluate/flags/:key', 'POST /ofrep/v1/evaluate/flags']);

describe.each(dialects())('every write is audited on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; username: string; token: string };
  const covered = new Map<string, LightMyRequestResponse>();

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'root');
  });
  afterAll(async () => {
    await app.close();
  });

  async function call(
    route: string,
    url: string,
    options: { payload?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ) {
    const [method] = route.split(' ') as ['POST' | 'PATCH' | 'DELETE'];
    const response = await app.server.inject({
      method,
      url,
      headers: {
        ...(options.token === null ? {} : bearer(options.token ?? admin.token)),
        ...options.headers,
      },
      ...(options.payload !== undefined ? { payload: options.payload as string } : {}),
    });
    expect(response.statusCode, `${route}: ${response.body}`).toBeLessThan(300);
    covered.set(route, response);
    return response;
  }

  it('records an entry for each write route, with the request id', async () => {
    const user = (
      await call('POST /api/users', '/api/users', {
        payload: {
          username: 'kim',
          display_name: 'Kim',
          role: 'staff',
          password: STRONG_PASSWORD,
          pin: '483920',
        },
      })
    ).json();
    await call('PATCH /api/users/:id', `/api/users/${user.id}`, { payload: { display_name: 'Kim L' } });
    await call('POST /api/users/:id/reset-password', `/api/users/${user.id}/reset-password`, {
      payload: { new_password: 'Fresh-password-2026' },
    });
    const kim = (
      await call('POST /api/auth/login', '/api/auth/login', {
        token: null,
        payload: { username: 'kim', password: 'Fresh-password-2026' },
      })
    ).json().access_token as string;
    await call('POST /api/auth/pin-login', '/api/auth/pin-login', {
      token: null,
      payload: { username: 'kim', pin: '483920' },
    });
    await call('POST /api/auth/change-password', '/api/auth/change-password', {
      token: kim,
      payload: { current_password: 'Fresh-password-2026', new_password: 'Newer-password-2027' },
    });
    // Two-factor set-up, switch-off with a recovery code, set-up again, and an admin's reset.
    const codeNow = (secret: string) => totpAt(base32Decode(secret), app.clock.now().getTime() / 1000);
    const enableMfa = async () => {
      const { secret } = (
        await call('POST /api/auth/mfa/setup', '/api/auth/mfa/setup', { token: kim })
      ).json();
      await call('POST /api/auth/mfa/enable', '/api/auth/mfa/enable', {
        token: kim,
        payload: { otp_code: codeNow(secret) },
      });
      return secret as string;
    };
    const secret = await enableMfa();
    app.clock.advance(30_000); // the next code: the last one is used up
    const [recoveryCode] = (
      await call('POST /api/auth/mfa/recovery-codes', '/api/auth/mfa/recovery-codes', {
        token: kim,
        payload: { otp_code: codeNow(secret) },
      })
    ).json().recovery_codes as string[];
    await call('POST /api/auth/mfa/disable', '/api/auth/mfa/disable', {
      token: kim,
      payload: { password: 'Newer-password-2027', recovery_code: recoveryCode },
    });
    await enableMfa();
    await call('POST /api/auth/logout', '/api/auth/logout', { token: kim });
    // An admin's reset (a lost phone) ends the user's sessions: after the sign-out above.
    await call('DELETE /api/users/:id/mfa', `/api/users/${user.id}/mfa`);
    await call(
      'DELETE /api/enterprise/security/sessions/:user_id',
      `/api/enterprise/security/sessions/${user.id}`,
    );
    await call('POST /api/enterprise/security/ip-list', '/api/enterprise/security/ip-list', {
      payload: { ip_address: '203.0.113.0/24', list_type: 'blacklist', reason: 'scanner' },
    });
    await call(
      'DELETE /api/enterprise/security/ip-list/:ip',
      '/api/enterprise/security/ip-list/203.0.113.0%2F24',
    );
    await call('POST /api/enterprise/security/unlock-account', '/api/enterprise/security/unlock-account', {
      payload: { username: 'kim' },
    });

    const warehouse = (
      await call('POST /api/warehouses', '/api/warehouses', { payload: { code: 'MAIN', name: 'Main' } })
    ).json();
    await call('PATCH /api/warehouses/:id', `/api/warehouses/${warehouse.id}`, {
      payload: { name: 'Main DC' },
    });
    const location = (
      await call('POST /api/locations', '/api/locations', {
        payload: { warehouse_id: warehouse.id, code: 'A1', kind: 'aisle' },
      })
    ).json();
    await call('PATCH /api/locations/:id', `/api/locations/${location.id}`, { payload: { name: 'Aisle 1' } });
    const item = (
      await call('POST /api/items', '/api/items', {
        payload: { item_code: 'BOLT-8', name: 'Bolt M8', base_uom: 'EA', unit_cost: '0.25' },
      })
    ).json();
    await call('PATCH /api/items/:id', `/api/items/${item.id}`, { payload: { unit_cost: '0.30' } });
    await call('POST /api/items/:id/barcodes', `/api/items/${item.id}/barcodes`, {
      payload: { barcode: '4006381333931' },
    });
    const barcode = (
      await app.server.inject({ method: 'GET', url: `/api/items/${item.id}`, headers: bearer(admin.token) })
    ).json().barcodes[0].barcode as string;
    await call('DELETE /api/items/:id/barcodes/:barcode', `/api/items/${item.id}/barcodes/${barcode}`);

    // Counting: plan, assign, start, claim, count (online, offline, void), complete, submit.
    await call('POST /api/items/:id/barcodes', `/api/items/${item.id}/barcodes`, {
      payload: { barcode: '4006381333931' },
    });
    const counter = await app.userWithToken('staff', 'counter-cov');
    const session = (
      await call('POST /api/count-sessions', '/api/count-sessions', {
        payload: { name: 'Cycle count A1', warehouse_id: warehouse.id, mode: 'standard' },
      })
    ).json();
    await call('PATCH /api/count-sessions/:id', `/api/count-sessions/${session.id}`, {
      payload: { notes: 'Aisle 1 only' },
    });
    const assign = (userId: string) =>
      call('POST /api/count-sessions/:id/assignments', `/api/count-sessions/${session.id}/assignments`, {
        payload: { assignments: [{ location_id: location.id, user_ids: [userId] }] },
      });
    await assign(user.id);
    await call(
      'DELETE /api/count-sessions/:id/assignments/:location_id/:user_id',
      `/api/count-sessions/${session.id}/assignments/${location.id}/${user.id}`,
    );
    await assign(counter.id);
    await call('POST /api/count-sessions/:id/start', `/api/count-sessions/${session.id}/start`);
    await call('POST /api/locations/:id/claim', `/api/locations/${location.id}/claim`, {
      token: counter.token,
      payload: { session_id: session.id },
    });
    await call('POST /api/locations/:id/release', `/api/locations/${location.id}/release`, {
      token: counter.token,
      payload: { session_id: session.id },
    });
    const entry = (
      await call('POST /api/count-sessions/:id/entries', `/api/count-sessions/${session.id}/entries`, {
        token: counter.token,
        payload: {
          client_id: '0190f0e4-0000-7000-8000-00000000c001',
          location_id: location.id,
          barcode: '4006381333931',
          quantity: 3,
        },
      })
    ).json().entry;
    await call('POST /api/count-entries/:id/void', `/api/count-entries/${entry.id}/void`, {
      token: counter.token,
      payload: { reason: 'scanned the wrong shelf' },
    });
    await call('POST /api/sync/batch', '/api/sync/batch', {
      token: counter.token,
      payload: {
        entries: [
          {
            session_id: session.id,
            client_id: '0190f0e4-0000-7000-8000-00000000c002',
            location_id: location.id,
            barcode: '4006381333931',
            quantity: 2,
          },
        ],
      },
    });
    await call(
      'POST /api/count-sessions/:id/locations/:location_id/complete',
      `/api/count-sessions/${session.id}/locations/${location.id}/complete`,
      { token: counter.token },
    );
    await call('POST /api/count-sessions/:id/submit', `/api/count-sessions/${session.id}/submit`);
    // Review: the line (2 found, none expected) is outside the empty tolerance → recount.
    const reviewer = await app.userWithToken('supervisor', 'reviewer-cov');
    const recounter = await app.userWithToken('supervisor', 'recounter-cov');
    const recount = (token: string, id: string) =>
      app.server.inject({
        method: 'POST',
        url: `/api/count-sessions/${session.id}/entries`,
        headers: bearer(token),
        payload: { client_id: id, location_id: location.id, barcode: '4006381333931', quantity: 2 },
      });
    expect((await recount(admin.token, '0190f0e4-0000-7000-8000-00000000c003')).statusCode).toBe(201);
    await call(
      'POST /api/count-sessions/:id/recounts/close',
      `/api/count-sessions/${session.id}/recounts/close`,
    );
    const line = (
      await app.server.inject({
        method: 'GET',
        url: `/api/count-sessions/${session.id}/lines`,
        headers: bearer(admin.token),
      })
    ).json().items[0];
    await call('POST /api/count-lines/:id/reject', `/api/count-lines/${line.id}/reject`, {
      token: reviewer.token,
      payload: { note: 'again please' },
    });
    expect((await recount(recounter.token, '0190f0e4-0000-7000-8000-00000000c004')).statusCode).toBe(201);
    await app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${session.id}/recounts/close`,
      headers: bearer(admin.token),
    });
    await call('POST /api/count-lines/:id/approve', `/api/count-lines/${line.id}/approve`, {
      token: reviewer.token,
      payload: { reason_code: 'misplaced' },
    });
    await call(
      'POST /api/count-sessions/:id/lines/approve',
      `/api/count-sessions/${session.id}/lines/approve`,
      // A bulk operation: the bulk_operations flag is on for admins only by default.
      { token: admin.token, payload: { reason_code: 'other' } },
    );
    // A session whose scope holds no stock has no line to review: approve and post go through.
    const empty = (
      await app.server.inject({
        method: 'POST',
        url: '/api/count-sessions',
        headers: bearer(admin.token),
        payload: { name: 'Empty', warehouse_id: warehouse.id, mode: 'blind', scope: { item_ids: [item.id] } },
      })
    ).json();
    for (const step of ['start', 'submit'])
      await app.server.inject({
        method: 'POST',
        url: `/api/count-sessions/${empty.id}/${step}`,
        headers: bearer(admin.token),
      });
    await call('POST /api/count-sessions/:id/approve', `/api/count-sessions/${empty.id}/approve`);
    await call('POST /api/count-sessions/:id/post', `/api/count-sessions/${empty.id}/post`);
    const dropped = (
      await app.server.inject({
        method: 'POST',
        url: '/api/count-sessions',
        headers: bearer(admin.token),
        payload: { name: 'Dropped', warehouse_id: warehouse.id, mode: 'standard' },
      })
    ).json();
    await call('POST /api/count-sessions/:id/cancel', `/api/count-sessions/${dropped.id}/cancel`, {
      payload: { reason: 'planned twice' },
    });
    // The book moves during a count (an ERP sync): the line is resolved, keeping the count.
    const stockAt = app.clock.now().toISOString();
    await app.database.db
      .insertInto('stock_levels')
      .values({
        id: '0190f0e4-0000-7000-8000-00000000c010',
        item_id: item.id,
        location_id: location.id,
        lot: '',
        quantity_e3: 5_000,
        source: 'erp',
        as_of: stockAt,
        updated_at: stockAt,
      })
      .execute();
    const inject = (url: string, payload: object = {}) =>
      app.server.inject({ method: 'POST', url, headers: bearer(admin.token), payload });
    const moved = (
      await inject('/api/count-sessions', {
        name: 'Moved',
        warehouse_id: warehouse.id,
        mode: 'standard',
        scope: { item_ids: [item.id] },
      })
    ).json();
    expect((await inject(`/api/count-sessions/${moved.id}/start`)).statusCode).toBe(200);
    const movedEntry = await inject(`/api/count-sessions/${moved.id}/entries`, {
      client_id: '0190f0e4-0000-7000-8000-00000000c011',
      location_id: location.id,
      item_id: item.id,
      quantity: 5,
    });
    expect(movedEntry.statusCode, movedEntry.body).toBe(201);
    await app.database.db
      .updateTable('stock_levels')
      .set({ quantity_e3: 4_000 })
      .where('id', '=', '0190f0e4-0000-7000-8000-00000000c010')
      .execute();
    expect((await inject(`/api/count-sessions/${moved.id}/submit`)).statusCode).toBe(200);
    const movedLine = (
      await app.server.inject({
        method: 'GET',
        url: `/api/count-sessions/${moved.id}/lines`,
        headers: bearer(admin.token),
      })
    ).json().items[0];
    await call('POST /api/count-lines/:id/resolve', `/api/count-lines/${movedLine.id}/resolve`, {
      token: reviewer.token,
      payload: { keep: 'counted', reason_code: 'unrecorded_movement' },
    });

    const features = '/api/enterprise/features';
    await call('POST /api/enterprise/features', features, {
      payload: { key: 'new_dashboard', name: 'New Dashboard', state: 'disabled', percentage: 20 },
    });
    await call('PATCH /api/enterprise/features/:key', `${features}/new_dashboard`, {
      payload: { percentage: 50, allowed_roles: ['admin'] },
    });
    await call('POST /api/enterprise/features/:key/enable', `${features}/new_dashboard/enable`);
    await call('POST /api/enterprise/features/:key/disable', `${features}/new_dashboard/disable`);
    await call('DELETE /api/enterprise/features/:key', `${features}/new_dashboard`);

    const form = new FormData();
    form.append('kind', 'items');
    form.append('file', new Blob(['item_code,name,base_uom,unit_cost\nNUT-8,Nut M8,EA,0.10\n']), 'items.csv');
    const body = new Response(form);
    await call('POST /api/imports', '/api/imports', {
      payload: Buffer.from(await body.arrayBuffer()),
      headers: { 'content-type': body.headers.get('content-type')! },
    });

    // A manual job run (the test registers a job of its own: no real job is registered yet).
    app.server.jobs.register('audit.probe', { everyMs: 3_600_000, run: async () => ({ rows: 0 }) });
    await call('POST /api/integrations/jobs/:name/run', '/api/integrations/jobs/audit.probe/run');
    await app.server.jobs.idle();

    // ERP connectors: a file drop on a temporary directory (no peer needed), tested, changed, removed.
    const dropDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-cov-drop-'));
    const connector = (
      await call('POST /api/integrations/connectors', '/api/integrations/connectors', {
        payload: { name: 'Drop', kind: 'file_drop', settings: { directory: dropDir, kind: 'items' } },
      })
    ).json();
    await call(
      'POST /api/integrations/connectors/:id/test',
      `/api/integrations/connectors/${connector.id}/test`,
    );
    await call('PATCH /api/integrations/connectors/:id', `/api/integrations/connectors/${connector.id}`, {
      payload: { enabled: false },
    });
    await call('DELETE /api/integrations/connectors/:id', `/api/integrations/connectors/${connector.id}`);
    fs.rmSync(dropDir, { recursive: true, force: true });

    // Adjustment delivery: the target set, tested (nothing listens there: a failed test is still
    // recorded), removed; a failed outbox message put back to pending.
    const target = '/api/integrations/delivery-target';
    await call('PUT /api/integrations/delivery-target', target, {
      payload: {
        kind: 'webhook',
        settings: { url: 'http://127.0.0.1:9/adjustments', timeout_ms: 1000 },
        secret: 'cov-signing-key-0123456789',
      },
    });
    await call('POST /api/integrations/delivery-target/test', `${target}/test`);
    await call('DELETE /api/integrations/delivery-target', target);
    const failedAt = app.clock.now().toISOString();
    await app.database.db
      .insertInto('erp_outbox')
      .values({
        id: '0190f0e4-0000-7000-8000-00000000c020',
        topic: 'stock_adjustment',
        idempotency_key: 'count-adjustment:coverage',
        payload: '{}',
        status: 'failed',
        attempts: 1,
        next_attempt_at: failedAt,
        created_at: failedAt,
        delivered_at: null,
        last_error: 'HTTP 422',
      })
      .execute();
    await call(
      'POST /api/integrations/outbox/:id/retry',
      '/api/integrations/outbox/0190f0e4-0000-7000-8000-00000000c020/retry',
    );

    // A data subject request (governance): recorded, verified, processed (an access request).
    const dsr = (
      await call(
        'POST /api/enterprise/governance/data-requests',
        '/api/enterprise/governance/data-requests',
        {
          payload: { request_type: 'access', subject_id: user.id, subject_email: 'kim@example.org' },
        },
      )
    ).json();
    for (let step = 0; step < 2; step += 1)
      await call(
        'POST /api/enterprise/governance/data-requests/:id/process',
        `/api/enterprise/governance/data-requests/${dsr.id}/process`,
        { payload: {} },
      );

    // Retention (governance): a policy set, removed, and applied now (waiting for its report).
    const policies = '/api/enterprise/governance/retention-policies';
    await call('POST /api/enterprise/governance/retention-policies', policies, {
      payload: { collection_name: 'security_events', retention_days: 400 },
    });
    await call('DELETE /api/enterprise/governance/retention-policies/:table', `${policies}/security_events`);
    await call(
      'POST /api/enterprise/governance/apply-retention',
      '/api/enterprise/governance/apply-retention?wait=true',
    );

    for (const [route, response] of covered) {
      const requestId = response.headers['x-request-id'] as string;
      const rows = await app.database.db
        .selectFrom('enterprise_audit_logs')
        .select(['event_type', 'outcome'])
        .where('request_id', '=', requestId)
        .execute();
      expect(rows.length, `${route} left no audit entry`).toBeGreaterThan(0);
      expect(
        rows.every((row) => row.outcome === 'success'),
        route,
      ).toBe(true);
    }
  });

  it('covers every write route the API has', () => {
    const writes = [...app.server.routeAccess.keys()].filter(
      (key) =>
        !key.startsWith('GET ') &&
        !key.startsWith('HEAD ') &&
        !key.startsWith('OPTIONS ') &&
        !READS_BY_POST.has(key),
    );
    expect(writes.filter((route) => !covered.has(route))).toEqual([]);
    expect([...covered.keys()].sort()).toEqual(writes.sort());
  });
});
