import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { type CountingFixture, countingFixture } from '../../counting/sessions/sessions-test-support.ts';
import { backoffMs, DEFAULT_DELIVERY_POLICY } from './delivery.service.ts';
import { postedSession, put, SIGNING_KEY, startWebhookErp } from './delivery.test-support.ts';
import { signatureOf } from './webhook-channel.ts';

/**
 * The delivery API on both dialects: the target (admins set it, auditors read it, the secret is
 * write-only and sealed), its test, the outbox list, and a session's delivery status.
 */
describe.each(dialects())('delivery API on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  const TARGET = '/api/integrations/delivery-target';

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
  });
  afterEach(async () => {
    await app.close();
  });

  const webhook = (url = 'https://erp.example.com/hooks/adjustments') => ({
    kind: 'webhook',
    settings: { url },
    secret: SIGNING_KEY,
  });

  it('lets admins set the target and auditors read it; the secret is never returned, logged or audited', async () => {
    expect((await f.call('GET', TARGET, f.users.admin.token)).statusCode).toBe(404);
    for (const token of [f.users.supervisor.token, f.users.staff.token, f.users.auditor.token])
      expect((await put(app, TARGET, token, webhook())).statusCode).toBe(403);

    const saved = await put(app, TARGET, f.users.admin.token, webhook());
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({
      kind: 'webhook',
      settings: { url: 'https://erp.example.com/hooks/adjustments', timeout_ms: 10_000 },
      has_secret: true,
      last_test: null,
    });
    for (const token of [f.users.admin.token, f.users.auditor.token]) {
      const read = await f.call('GET', TARGET, token);
      expect(read.statusCode).toBe(200);
      expect(read.body).not.toContain(SIGNING_KEY);
      expect(read.json().has_secret).toBe(true);
    }
    for (const token of [f.users.supervisor.token, f.users.staff.token])
      expect((await f.call('GET', TARGET, token)).statusCode).toBe(403);

    const stored = await app.database.db
      .selectFrom('erp_delivery_target')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(stored.secret_sealed).not.toContain(SIGNING_KEY);
    expect(stored.settings).not.toContain(SIGNING_KEY);
    const [created] = await app.auditEntries('integration_delivery_target.create');
    expect(created!.details).toMatchObject({ kind: 'webhook', stored: ['settings', 'secret'] });
    expect(JSON.stringify(created)).not.toContain(SIGNING_KEY);
    expect(app.rawLogs()).not.toContain(SIGNING_KEY);

    // Absent keeps the key; a change of kind drops it (a signing key is no password).
    const moved = await put(app, TARGET, f.users.admin.token, {
      kind: 'webhook',
      settings: { url: 'https://erp.example.com/v2/adjustments', timeout_ms: 2_000 },
    });
    expect(moved.json()).toMatchObject({ has_secret: true, settings: { timeout_ms: 2_000 } });
    const sql = await put(app, TARGET, f.users.admin.token, {
      kind: 'sql',
      settings: {
        dialect: 'postgres',
        host: 'erp-db.internal',
        port: 5432,
        database: 'erp',
        user: 'stock_verify',
        table: 'staging.stock_adjustments',
      },
    });
    expect(sql.statusCode, sql.body).toBe(200);
    expect(sql.json()).toMatchObject({ kind: 'sql', has_secret: false });
    expect(
      (await app.auditEntries('integration_delivery_target.update')).map((row) => row.details.changed),
    ).toEqual([['settings'], ['kind', 'settings', 'secret_removed']]);

    expect((await f.call('DELETE', TARGET, f.users.auditor.token)).statusCode).toBe(403);
    expect((await f.call('DELETE', TARGET, f.users.admin.token)).statusCode).toBe(204);
    expect((await f.call('GET', TARGET, f.users.admin.token)).statusCode).toBe(404);
    expect((await f.call('DELETE', TARGET, f.users.admin.token)).statusCode).toBe(404);
    expect(await app.auditEntries('integration_delivery_target.delete')).toHaveLength(1);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [webhook('ftp://erp.example.com/in'), 'settings.url'],
      [webhook('https://user:pass@erp.example.com/in'), 'settings.url'],
      [webhook('not a url'), 'settings.url'],
      [{ ...webhook(), secret: undefined }, 'secret'],
      [{ ...webhook(), secret: 'short' }, 'secret'],
      [
        { ...webhook(), settings: { url: 'https://erp.example.com/in', timeout_ms: 5 } },
        'settings.timeout_ms',
      ],
      [{ ...webhook(), settings: { url: 'https://erp.example.com/in', token: 'x' } }, 'settings.token'],
      [
        {
          kind: 'sql',
          settings: {
            dialect: 'postgres',
            host: 'db',
            port: 5432,
            database: 'erp',
            user: 'u',
            table: 'staging; drop table items',
          },
        },
        'settings.table',
      ],
      [
        {
          kind: 'sql',
          settings: { dialect: 'oracle', host: 'db', port: 5432, database: 'erp', user: 'u', table: 't' },
        },
        'settings.dialect',
      ],
      [
        { kind: 'sql', settings: { dialect: 'mysql', host: 'db', database: 'erp', user: 'u', table: 't' } },
        'settings.port',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await put(app, TARGET, f.users.admin.token, body);
      expect(response.statusCode, `${field}: ${response.body}`).toBe(400);
      expect(
        (response.json().error.details as { field: string }[]).map((detail) => detail.field),
        response.body,
      ).toContain(field);
    }
    const kind = await put(app, TARGET, f.users.admin.token, { ...webhook(), kind: 'ftp' });
    expect(kind.statusCode).toBe(400);
    expect((await f.call('GET', TARGET, f.users.admin.token)).statusCode).toBe(404);
  });

  it('tests a webhook with a signed ping and records the result', async () => {
    const erp = startWebhookErp();
    const url = await erp.listen();
    try {
      expect((await f.call('POST', `${TARGET}/test`, f.users.admin.token)).statusCode).toBe(404);
      await put(app, TARGET, f.users.admin.token, webhook(url));
      expect((await f.call('POST', `${TARGET}/test`, f.users.auditor.token)).statusCode).toBe(403);
      const ok = await f.call('POST', `${TARGET}/test`, f.users.admin.token);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ status: 'ok' });
      expect(erp.requests).toHaveLength(1);
      expect(erp.requests[0]!.signatureValid).toBe(true);
      expect(erp.requests[0]!.json).toMatchObject({ topic: 'ping' });
      expect(erp.requests[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect((await f.call('GET', TARGET, f.users.auditor.token)).json().last_test).toMatchObject({
        status: 'ok',
      });

      erp.state.mode = 'fail500';
      const failed = await f.call('POST', `${TARGET}/test`, f.users.admin.token);
      expect(failed.json()).toMatchObject({ status: 'failed' });
      expect(failed.json().message).toContain('HTTP 500');
      // A wrong key: the ERP refuses the signature.
      await put(app, TARGET, f.users.admin.token, { ...webhook(url), secret: 'another-key-0123456789' });
      erp.state.mode = 'ok';
      const refused = await f.call('POST', `${TARGET}/test`, f.users.admin.token);
      expect(refused.json().message).toContain('HTTP 401 (check the signing key)');
      expect(refused.body).not.toContain('another-key-0123456789');
      expect(await app.auditEntries('integration_delivery_target.test')).toHaveLength(3);
    } finally {
      await erp.close();
    }
  });

  it('lists the outbox newest first, by status, page by page', async () => {
    await postedSession(f, 3);
    const list = (query: string, token = f.users.auditor.token) =>
      f.call('GET', `/api/integrations/outbox${query}`, token);
    expect((await list('', f.users.supervisor.token)).statusCode).toBe(403);
    expect((await list('', f.users.staff.token)).statusCode).toBe(403);
    const all = await list('?limit=2');
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().items).toHaveLength(2);
    const next = await list(`?limit=2&cursor=${all.json().next_cursor}`);
    expect(next.json()).toMatchObject({ next_cursor: null });
    const ids = [...all.json().items, ...next.json().items].map((item: { id: string }) => item.id);
    expect(new Set(ids).size).toBe(3);
    expect(all.json().items[0]).toMatchObject({
      topic: 'stock_adjustment',
      status: 'pending',
      attempts: 0,
      last_attempt_at: null,
      payload: { warehouse_code: 'WH1' },
    });
    expect(all.json().items[0].session_id).toBeTruthy();
    expect((await list('?status=pending')).json().items).toHaveLength(3);
    expect((await list('?status=failed')).json().items).toHaveLength(0);
    expect((await list('?status=lost')).statusCode).toBe(400);
    expect((await list('?cursor=garbage')).statusCode).toBe(400);
    const missing = await f.call(
      'POST',
      '/api/integrations/outbox/0190f0e4-0000-7000-8000-000000000009/retry',
      f.users.admin.token,
    );
    expect(missing.statusCode).toBe(404);
    const pending = await f.call('POST', `/api/integrations/outbox/${ids[0]}/retry`, f.users.admin.token);
    expect(pending.json().error.code).toBe('OUTBOX_NOT_FAILED');
  });

  it("answers a session's delivery status to supervisors, admins and auditors; 404 for an unknown session", async () => {
    const unposted = await f.createSession();
    const session = await postedSession(f, 4);
    const status = (id: string, token: string) => f.call('GET', `/api/count-sessions/${id}/delivery`, token);
    for (const token of [f.users.supervisor.token, f.users.admin.token, f.users.auditor.token])
      expect((await status(session, token)).json()).toEqual({
        session_id: session,
        total: 4,
        pending: 4,
        delivered: 0,
        failed: 0,
        last_attempt_at: null,
        last_error: null,
        next_attempt_at: expect.any(String),
      });
    expect((await status(session, f.users.staff.token)).statusCode).toBe(403);
    expect((await status(unposted.id, f.users.supervisor.token)).json()).toMatchObject({
      total: 0,
      pending: 0,
      next_attempt_at: null,
    });
    expect((await status('0190f0e4-0000-7000-8000-000000000009', f.users.supervisor.token)).statusCode).toBe(
      404,
    );
    expect((await status('not-a-uuid', f.users.supervisor.token)).statusCode).toBe(400);
  });
});

describe('delivery rules', () => {
  it('backs off 30 s doubling up to an hour, with ±25 % jitter, never under Retry-After', () => {
    const policy = DEFAULT_DELIVERY_POLICY;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 0.5))).toEqual([
      30_000, 60_000, 120_000, 240_000,
    ]);
    expect(backoffMs(20, policy, () => 0.5)).toBe(3_600_000);
    expect(backoffMs(1, policy, () => 0)).toBe(22_500);
    expect(backoffMs(1, policy, () => 1)).toBe(37_500);
    expect(backoffMs(1, policy, () => 0.5, 120_000)).toBe(120_000);
    expect(backoffMs(1, policy, () => 0.5, 86_400_000)).toBe(3_600_000);
  });

  it('signs `<t>.<body>` with HMAC-SHA256', () => {
    // Checked against `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key`.
    expect(signatureOf('key', '{"a":1}', 1_700_000_000)).toBe(
      't=1700000000,v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03',
    );
  });
});
