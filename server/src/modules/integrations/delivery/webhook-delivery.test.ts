import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { type CountingFixture, countingFixture } from '../../counting/sessions/sessions-test-support.ts';
import {
  closedPort,
  deliverNow,
  outboxRows,
  postedSession,
  put,
  SIGNING_KEY,
  startWebhookErp,
} from './delivery.test-support.ts';

/**
 * Delivery to a REST ERP (a local HTTP server) through the job, on both dialects of our database:
 * signed and traced requests, exactly once per idempotency key, backoff on failures, the response
 * lost after the ERP committed, an unreachable ERP behind an open breaker, refusals and retry.
 */
describe.each(dialects())('webhook delivery on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  let erp: ReturnType<typeof startWebhookErp> | null = null;

  async function start(env: Record<string, string> = {}) {
    app = await createTestApp({ dialect, env });
    f = await countingFixture(app);
    erp = startWebhookErp();
    return erp.listen();
  }
  afterEach(async () => {
    await erp?.close();
    erp = null;
    await app.close();
  });

  async function setWebhook(url: string, extra: Record<string, unknown> = {}) {
    const response = await put(app, '/api/integrations/delivery-target', f.users.admin.token, {
      kind: 'webhook',
      settings: { url, ...extra },
      secret: SIGNING_KEY,
    });
    expect(response.statusCode, response.body).toBe(200);
  }

  async function sessionDelivery(id: string) {
    const response = await f.call('GET', `/api/count-sessions/${id}/delivery`, f.users.supervisor.token);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  async function breaker() {
    const response = await f.call('GET', '/api/enterprise/circuit-breakers', f.users.admin.token);
    return (response.json().circuit_breakers as { name: string; state: string }[]).find(
      (one) => one.name === 'erp.delivery',
    );
  }

  it('delivers each message once, signed, keyed and traced, and marks it delivered', async () => {
    const url = await start();
    await setWebhook(url);
    const session = await postedSession(f, 3);
    expect(await sessionDelivery(session)).toMatchObject({ total: 3, pending: 3, delivered: 0, failed: 0 });

    await deliverNow(app);
    expect(erp!.requests).toHaveLength(3);
    const rows = await outboxRows(app);
    for (const request of erp!.requests) {
      expect(request.signatureValid).toBe(true);
      expect(request.headers['content-type']).toBe('application/json');
      const key = request.headers['idempotency-key'] as string;
      expect(key).toMatch(/^count-adjustment:/);
      const row = rows.find((one) => one.idempotency_key === key)!;
      expect(request.json).toMatchObject({
        message_id: row.id,
        topic: 'stock_adjustment',
        idempotency_key: key,
        ...JSON.parse(row.payload),
      });
      expect(request.json.session_id).toBe(session);
      // One trace for the pass: X-Trace-ID and traceparent agree; the run is the request.
      const traceId = request.headers['x-trace-id'] as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(request.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(request.headers['x-request-id']).toBeTruthy();
      expect(request.headers['x-correlation-id']).toBe(request.headers['x-request-id']);
    }
    expect([...erp!.applied.values()]).toEqual([1, 1, 1]);
    expect(rows.map((row) => [row.status, row.attempts, row.last_error])).toEqual(
      Array(3).fill(['delivered', 1, null]),
    );
    expect(rows.every((row) => row.delivered_at !== null && row.last_attempt_at !== null)).toBe(true);
    expect(await sessionDelivery(session)).toMatchObject({
      session_id: session,
      total: 3,
      pending: 0,
      delivered: 3,
      failed: 0,
      last_error: null,
      next_attempt_at: null,
    });

    // Nothing is due any more: a second pass sends nothing.
    await deliverNow(app);
    expect(erp!.requests).toHaveLength(3);
    expect(app.rawLogs()).not.toContain(SIGNING_KEY);
  });

  it('retries a failing ERP with a growing backoff, then delivers; gives up after the maximum attempts', async () => {
    const url = await start({ ERP_DELIVERY_MAX_ATTEMPTS: '3' });
    await setWebhook(url);
    const session = await postedSession(f, 2);
    erp!.state.mode = 'fail500';

    const before = app.clock.now().getTime();
    await deliverNow(app);
    let rows = await outboxRows(app);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['pending', 1],
      ['pending', 1],
    ]);
    for (const row of rows) {
      expect(row.last_error).toContain('HTTP 500');
      const delay = Date.parse(row.next_attempt_at) - before;
      // 30 s ± 25 % jitter.
      expect(delay).toBeGreaterThanOrEqual(22_500);
      expect(delay).toBeLessThanOrEqual(37_500);
    }
    const status = await sessionDelivery(session);
    expect(status).toMatchObject({ total: 2, pending: 2, delivered: 0, failed: 0 });
    expect(status.last_error).toContain('HTTP 500');
    expect(status.last_attempt_at).toBe(new Date(before).toISOString());
    expect(status.next_attempt_at).toBe(rows.map((row) => row.next_attempt_at).sort()[0]);

    // Not due yet: no request.
    await deliverNow(app);
    expect(erp!.requests).toHaveLength(2);
    // Due: the second attempt, then 60 s ± 25 % later the third.
    app.clock.advance(40_000);
    await deliverNow(app);
    expect(erp!.requests).toHaveLength(4);
    rows = await outboxRows(app);
    for (const row of rows) {
      expect(row.attempts).toBe(2);
      const delay = Date.parse(row.next_attempt_at) - app.clock.now().getTime();
      expect(delay).toBeGreaterThanOrEqual(45_000);
      expect(delay).toBeLessThanOrEqual(75_000);
    }

    // One message recovers; the ERP keeps failing the other, which runs out of attempts.
    const [first, second] = rows;
    const dueAt = (id: string, at: number) =>
      app.database.db
        .updateTable('erp_outbox')
        .set({ next_attempt_at: new Date(at).toISOString() })
        .where('id', '=', id)
        .execute();
    erp!.state.mode = 'ok';
    app.clock.advance(80_000);
    await dueAt(second!.id, app.clock.now().getTime() + 3_600_000);
    await deliverNow(app);
    erp!.state.mode = 'fail500';
    await dueAt(second!.id, app.clock.now().getTime());
    await deliverNow(app);
    rows = await outboxRows(app);
    const delivered = rows.find((row) => row.id === first!.id)!;
    const failed = rows.find((row) => row.id === second!.id)!;
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.last_error).toContain('gave up after 3 attempts');
    expect(await sessionDelivery(session)).toMatchObject({ total: 2, pending: 0, delivered: 1, failed: 1 });
  });

  it('survives a lost response: the ERP committed, the call timed out, the retry carries the same key and is applied once', async () => {
    const url = await start();
    await setWebhook(url, { timeout_ms: 300 });
    await postedSession(f, 2);
    erp!.state.mode = 'commit_then_stall';
    erp!.state.duplicateAnswer = 409;

    await deliverNow(app);
    let rows = await outboxRows(app);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['pending', 1],
      ['pending', 1],
    ]);
    expect(rows[0]!.last_error).toBe('No answer within 300 ms');
    // The ERP has both already.
    expect([...erp!.applied.values()]).toEqual([1, 1]);

    erp!.state.mode = 'ok';
    app.clock.advance(60_000);
    await deliverNow(app);
    rows = await outboxRows(app);
    expect(rows.map((row) => [row.status, row.attempts, row.last_error])).toEqual([
      ['delivered', 2, null],
      ['delivered', 2, null],
    ]);
    // Sent twice each, with the same key both times, applied once each.
    expect(erp!.requests).toHaveLength(4);
    for (const row of rows)
      expect(
        erp!.requests.filter((request) => request.headers['idempotency-key'] === row.idempotency_key),
      ).toHaveLength(2);
    expect([...erp!.applied.values()]).toEqual([1, 1]);
  });

  it('stops at an unreachable ERP once the breaker opens, without counting attempts it did not make', async () => {
    await start();
    await setWebhook(`http://127.0.0.1:${await closedPort()}/adjustments`);
    await postedSession(f, 6);

    await deliverNow(app);
    const rows = await outboxRows(app);
    // Five refused connections open the breaker (threshold 5); the sixth was not attempted.
    expect(rows.map((row) => row.attempts)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(rows[0]!.last_error).toMatch(/Connection refused by 127\.0\.0\.1/);
    expect(rows.slice(5).every((row) => row.status === 'pending' && row.last_error === null)).toBe(true);
    expect((await breaker())?.state).toBe('open');
  });

  it('sends nothing to the ERP while the breaker is open, and delivers everything once it closes', async () => {
    const url = await start();
    await setWebhook(url);
    await postedSession(f, 6);
    erp!.state.mode = 'reset';

    await deliverNow(app);
    expect(erp!.requests).toHaveLength(5);
    expect((await breaker())?.state).toBe('open');
    expect((await outboxRows(app)).map((row) => row.attempts)).toEqual([1, 1, 1, 1, 1, 0]);

    // Open (recovery 30 s): passes reach nothing and count nothing.
    erp!.state.mode = 'ok';
    app.clock.advance(10_000);
    await deliverNow(app);
    expect(erp!.requests).toHaveLength(5);
    expect((await outboxRows(app)).map((row) => row.attempts)).toEqual([1, 1, 1, 1, 1, 0]);

    // Half-open after 30 s: the trial succeeds, the breaker closes, and the rest follows.
    app.clock.advance(40_000);
    await deliverNow(app);
    expect((await breaker())?.state).toBe('closed');
    const rows = await outboxRows(app);
    expect(rows.every((row) => row.status === 'delivered')).toBe(true);
    expect([...erp!.applied.values()]).toEqual(Array(6).fill(1));
  });

  it('fails a refused message at once; an admin puts it back and it is delivered', async () => {
    const url = await start();
    await setWebhook(url);
    const session = await postedSession(f, 1);
    erp!.state.mode = 'refuse422';
    // A message whose payload cannot be sent: failed without reaching the ERP.
    const now = app.clock.now().toISOString();
    const brokenId = '0190f0e4-0000-7000-8000-0000000000b1';
    await app.database.db
      .insertInto('erp_outbox')
      .values({
        id: brokenId,
        topic: 'stock_adjustment',
        idempotency_key: 'count-adjustment:broken',
        payload: '{not json',
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        delivered_at: null,
        last_error: null,
      })
      .execute();

    await deliverNow(app);
    const broken = (await outboxRows(app)).find((one) => one.id === brokenId);
    expect(broken).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'The message payload is not valid JSON',
    });
    await app.database.db.deleteFrom('erp_outbox').where('id', '=', brokenId).execute();
    let [row] = await outboxRows(app);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.last_error).toContain('HTTP 422');
    expect(row!.last_error).toContain('unknown item');
    // A refusal is the ERP answering: the breaker stays closed.
    expect((await breaker())?.state).toBe('closed');
    expect(await sessionDelivery(session)).toMatchObject({ total: 1, failed: 1, pending: 0 });
    app.clock.advance(20 * 60_000);
    await deliverNow(app);
    expect(erp!.requests).toHaveLength(1);

    const retry = (token: string) => f.call('POST', `/api/integrations/outbox/${row!.id}/retry`, token);
    expect((await retry(f.users.supervisor.token)).statusCode).toBe(403);
    const back = await retry(f.users.admin.token);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ id: row!.id, status: 'pending', attempts: 0 });
    const again = await retry(f.users.admin.token);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('OUTBOX_NOT_FAILED');
    const audit = await app.auditEntries('erp_outbox.retry');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ idempotency_key: row!.idempotency_key, attempts_before: 1 });

    erp!.state.mode = 'ok';
    await deliverNow(app);
    [row] = await outboxRows(app);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    expect(await sessionDelivery(session)).toMatchObject({ total: 1, delivered: 1, failed: 0 });
  });
});
