import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countingFixture } from '../../src/modules/counting/sessions/sessions-test-support.ts';
import {
  type PrivatePostgres,
  type PrivateRedis,
  removeAllPrivateServices,
  startPrivatePostgres,
  startPrivateRedis,
} from '../helpers/private-services.ts';
import {
  freePort,
  killAllServers,
  type ServerProcess,
  startServer,
  waitForReady,
} from '../helpers/server-process.ts';
import { bearer, createTestApp, dialects, STRONG_PASSWORD, type TestApp } from '../helpers/test-app.ts';

/**
 * Issue 10, point 4: the product keeps its promises when what it depends on fails.
 *  - PostgreSQL restarted under load: 503 with Retry-After while it is down (never a 500, never a
 *    hang), readiness 503 while liveness stays 200, recovery on its own, nothing acknowledged lost.
 *  - Redis gone: every request still answered (rate limits fall back to memory), readiness
 *    `degraded` with HTTP 200, Redis used again once it is back.
 *  - The ERP down: sync runs fail, its breaker opens, readiness `degraded`, counting unaffected.
 * Each dependency that can fail here is a private one (helpers/private-services.ts): the shared
 * PostgreSQL and Redis other tests use are never stopped.
 */

afterAll(async () => {
  killAllServers();
  await removeAllPrivateServices();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies of every shape, read field by field
type JsonBody = Record<string, any>;

interface Check {
  name: string;
  status: 'ok' | 'fail';
  critical: boolean;
  detail: string;
}

interface Health {
  status: 'ok' | 'degraded' | 'fail';
  checks: Check[];
}

const checkNamed = (health: Health, name: string) => health.checks.find((check) => check.name === name);

/** Waits (polling) until `probe` returns something truthy; fails with `what` after `timeoutMs`. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; fatal?: () => string | undefined } = {},
) {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  while (Date.now() < deadline) {
    const fatal = options.fatal?.();
    if (fatal) throw new Error(`${fatal} (waiting for ${what})`);
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('PostgreSQL restarted under load (a real process on a private cluster)', () => {
  let pg: PrivatePostgres;
  let server: ServerProcess;
  let dataDir: string;
  let token: string;
  let sessionId: string;
  let locationId: string;
  let itemIds: string[];

  /** One HTTP call to the product; a request that hangs fails the test instead of the run. */
  async function call(method: 'GET' | 'POST', url: string, body?: unknown, auth = token) {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: {
        ...(auth ? bearer(auth) : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // Far beyond the pool's 5 s connect timeout: only a real hang gets here.
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: asserted on by the caller through `json === null`
    }
    return { status: response.status, headers: response.headers, json: json as JsonBody, text };
  }

  async function created(url: string, body: unknown): Promise<string> {
    const response = await call('POST', url, body);
    expect(response.status, response.text).toBe(201);
    return response.json.id as string;
  }

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-deps-'));
    server = await startServer(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: pg.url,
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: STRONG_PASSWORD,
        RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
        RATE_LIMIT_SIGNIN_PER_MINUTE: '1000',
      },
      { ready: false },
    );
    // Longer than startServer's own wait: on a loaded CI machine the first start migrates a new cluster.
    await waitForReady(server.port, server.child, 100_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${server.output().slice(-4000)}`);
    });
    const login = await call('POST', '/api/auth/login', { username: 'admin', password: STRONG_PASSWORD }, '');
    expect(login.status, login.text).toBe(200);
    token = login.json.access_token as string;
    const warehouse = await created('/api/warehouses', { code: 'WH1', name: 'One' });
    locationId = await created('/api/locations', { warehouse_id: warehouse, code: 'Z1', kind: 'zone' });
    itemIds = [];
    for (const code of ['HAMMER', 'SAW', 'NAIL'])
      itemIds.push(
        await created('/api/items', {
          item_code: code,
          name: code.toLowerCase(),
          base_uom: 'EA',
          unit_cost: 1,
        }),
      );
    sessionId = await created('/api/count-sessions', {
      name: 'Restart count',
      warehouse_id: warehouse,
      mode: 'standard',
      scope: { location_ids: [locationId] },
    });
    const started = await call('POST', `/api/count-sessions/${sessionId}/start`, {});
    expect(started.status, started.text).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await server?.kill('SIGKILL');
    await pg?.remove();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while it is down, never 500 nor a hang, recovers by itself and loses nothing acknowledged', async () => {
    interface Outcome {
      kind: 'read' | 'entry';
      status: number;
      startedAt: number;
      endedAt: number;
      /** An entry's body, for its replay. */
      entry?: { client_id: string; location_id: string; item_id: string; quantity: number };
      body: JsonBody;
      retryAfter: string | null;
    }
    const outcomes: Outcome[] = [];
    const failures: string[] = [];
    let stopLoad = false;
    let sequence = 0;

    /** One simulated client: a read or an entry submission (new client_id each time), paced. */
    async function worker(index: number) {
      while (!stopLoad) {
        const n = sequence++;
        const startedAt = Date.now();
        try {
          if ((n + index) % 2 === 0) {
            const entry = {
              client_id: randomUUID(),
              location_id: locationId,
              item_id: itemIds[n % itemIds.length]!,
              quantity: (n % 7) + 1,
            };
            const response = await call('POST', `/api/count-sessions/${sessionId}/entries`, entry);
            outcomes.push({
              kind: 'entry',
              status: response.status,
              startedAt,
              endedAt: Date.now(),
              entry,
              body: response.json,
              retryAfter: response.headers.get('retry-after'),
            });
          } else {
            const url = n % 4 === 1 ? '/api/items?limit=10' : `/api/count-sessions/${sessionId}`;
            const response = await call('GET', url);
            outcomes.push({
              kind: 'read',
              status: response.status,
              startedAt,
              endedAt: Date.now(),
              body: response.json,
              retryAfter: response.headers.get('retry-after'),
            });
          }
        } catch (error) {
          // A request that hung past its timeout or a connection the server dropped.
          failures.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
        await sleep(15);
      }
    }

    const processGone = () =>
      server.child.exitCode !== null || server.child.signalCode !== null
        ? `the server process exited:\n${server.output().slice(-3000)}`
        : undefined;
    const load = Promise.all([0, 1, 2, 3].map(worker));
    try {
      await eventually('traffic before the restart', async () => outcomes.length >= 20, {
        fatal: processGone,
      });
      const stopping = Date.now();
      await pg.stop('fast');
      const downAt = Date.now();
      expect(outcomes.filter((o) => o.endedAt < stopping && o.status >= 300).map((o) => o.body)).toEqual([]);
      // While it is down: 503s (asserted below), readiness fails on the database, liveness is fine.
      await eventually(
        'answers while PostgreSQL is down',
        async () => outcomes.filter((outcome) => outcome.startedAt > downAt).length >= 8,
        { fatal: processGone },
      );
      const ready = await call('GET', '/health/ready', undefined, '');
      expect(ready.status).toBe(503);
      expect(ready.json.status).toBe('fail');
      expect(checkNamed(ready.json as Health, 'database')).toEqual({
        name: 'database',
        status: 'fail',
        critical: true,
        detail: 'unavailable',
      });
      // Health is public: no host, port or driver message in it.
      expect(ready.text).not.toContain(String(pg.port));
      expect(ready.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminat/i);
      const live = await call('GET', '/health/live', undefined, '');
      expect(live.status).toBe(200);
      await sleep(1500); // more load against the stopped database
      const upAt = Date.now();
      await pg.start();

      // Back by itself: no restart of the product.
      const recovered = await eventually(
        'a successful request after PostgreSQL is back',
        async () => outcomes.find((outcome) => outcome.startedAt > upAt && outcome.status < 300),
        { fatal: processGone },
      );
      await eventually(
        'more traffic after recovery',
        async () => outcomes.filter((outcome) => outcome.startedAt > recovered.endedAt).length >= 20,
        { fatal: processGone },
      );
      const readyAgain = await call('GET', '/health/ready', undefined, '');
      expect(readyAgain.status, readyAgain.text).toBe(200);
      expect(readyAgain.json.status).toBe('ok');

      const downWindow = outcomes.filter((outcome) => outcome.startedAt > downAt && outcome.endedAt < upAt);
      expect(downWindow.length).toBeGreaterThan(0);
      for (const outcome of downWindow) {
        expect(outcome.status, JSON.stringify(outcome.body)).toBe(503);
        expect(outcome.retryAfter).toBe('5');
        expect(outcome.body).toEqual({
          error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
          request_id: expect.any(String),
        });
        expect(JSON.stringify(outcome.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminat/i);
      }
      // After the first success, everything succeeds: the pool dropped its broken connections.
      const afterRecovery = outcomes.filter((outcome) => outcome.startedAt > recovered.endedAt);
      expect(afterRecovery.filter((outcome) => outcome.status >= 300).map((o) => o.status)).toEqual([]);
    } finally {
      stopLoad = true;
      await load;
    }

    // Over the whole run: only successes and 503s, every request answered, the process up.
    expect(failures).toEqual([]);
    const statuses = new Set(outcomes.map((outcome) => outcome.status));
    expect([...statuses].filter((status) => ![200, 201, 503].includes(status))).toEqual([]);
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).not.toMatch(/unhandled|uncaught/i);
    expect(server.output()).toContain('database unavailable: answering 503');

    // Nothing acknowledged was lost: a replay of every acknowledged entry is a duplicate; an
    // entry that got a 503 may or may not have been stored, its replay stores it at most once.
    const entries = outcomes.filter((outcome) => outcome.kind === 'entry');
    const acknowledged = entries.filter((outcome) => outcome.status === 201);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [n, outcome] of entries.entries()) {
      // The same body again: 200 `duplicate` when it is stored, 201 when it is stored only now.
      const replay = await call('POST', `/api/count-sessions/${sessionId}/entries`, outcome.entry);
      if (outcome.status === 201) {
        expect(replay.status, `entry ${n}: ${replay.text}`).toBe(200);
        expect(replay.json.result).toBe('duplicate');
      } else {
        expect([200, 201], `entry ${n}: ${replay.text}`).toContain(replay.status);
      }
    }
    let stored = 0;
    const clientIds = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/api/count-sessions/${sessionId}/entries?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status, page.text).toBe(200);
      for (const entry of page.json.items as { client_id: string }[]) {
        stored += 1;
        clientIds.add(entry.client_id);
      }
      cursor = page.json.next_cursor as string | null;
    } while (cursor);
    // Each submitted client_id exactly once.
    expect(clientIds.size).toBe(stored);
    expect(stored).toBe(new Set(entries.map((outcome) => outcome.entry!.client_id)).size);
  }, 180_000);
});

describe.each(dialects())('Redis gone (rate limits on a private Redis) on %s', (dialect) => {
  let redis: PrivateRedis;
  let app: TestApp;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await createTestApp({ dialect, env: { REDIS_URL: redis.url } });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    admin?.disconnect();
    await app?.close();
    await redis?.remove();
  });

  const health = async () => {
    const response = await app.server.inject({ method: 'GET', url: '/health/ready' });
    return { statusCode: response.statusCode, body: response.json() as Health };
  };

  it('keeps answering while Redis is gone, reports it degraded, and uses Redis again when it is back', async () => {
    const user = await app.userWithToken('supervisor');
    const write = (code: string) =>
      app.server.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(user.token),
        payload: { item_code: code, name: code, base_uom: 'EA', unit_cost: 1 },
      });

    // The limiter counts in Redis: its keys are there. (Eventually: on a busy machine the first
    // hits may come before the connection is up, and are counted in memory meanwhile.)
    let n = 0;
    await eventually('rate-limit keys in Redis', async () => {
      expect((await write(`BEFORE-${n++}`)).statusCode).toBe(201);
      return (await admin.keys('sv:rl:*')).length > 0;
    });
    expect(await health()).toMatchObject({
      statusCode: 200,
      body: {
        status: 'ok',
        checks: expect.arrayContaining([{ name: 'redis', status: 'ok', critical: false, detail: 'PONG' }]),
      },
    });

    const logsBefore = app.logs.length;
    await redis.kill();
    for (let i = 0; i < 10; i++) {
      const response = await write(`DURING-${i}`);
      expect(response.statusCode, response.body).toBe(201);
    }
    const signIn = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: user.username, password: 'not-the-password-1' },
    });
    expect(signIn.statusCode).toBe(401);
    const read = await app.server.inject({
      method: 'GET',
      url: '/api/items?limit=5',
      headers: bearer(user.token),
    });
    expect(read.statusCode).toBe(200);
    const degraded = await health();
    expect(degraded.statusCode).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(checkNamed(degraded.body, 'redis')).toMatchObject({ status: 'fail', critical: false });
    expect(checkNamed(degraded.body, 'database')).toMatchObject({ status: 'ok' });
    expect(JSON.stringify(degraded.body)).not.toContain(String(redis.port));
    // The outage is in the log at most once (not once per request), unless a slow start had
    // already reported one within the last 30 s.
    const warnings = app.logs
      .slice(logsBefore)
      .filter((line) => String(line.message).includes('Redis unavailable'));
    expect(warnings.length).toBeLessThanOrEqual(1);
    expect(app.logs.some((line) => String(line.message).includes('Redis unavailable'))).toBe(true);

    await redis.start();
    // Back on Redis by itself: a restarted Redis is empty, so new keys mean it is counting there.
    await eventually('rate-limit keys in Redis again', async () => {
      expect((await write(`AFTER-${n++}`)).statusCode).toBe(201);
      return (await admin.keys('sv:rl:*')).length > 0;
    });
    const back = await eventually('readiness ok again', async () => {
      const current = await health();
      return current.body.status === 'ok' ? current : undefined;
    });
    expect(checkNamed(back.body, 'redis')).toEqual({
      name: 'redis',
      status: 'ok',
      critical: false,
      detail: 'PONG',
    });
    expect(app.logs.some((line) => line.message === 'rate limits: back on Redis')).toBe(true);
  }, 90_000);
});

describe.each(dialects())('the ERP down on %s', (dialect) => {
  let app: TestApp;
  let admin: string;
  let closedPort: number;

  beforeAll(async () => {
    // A port nothing listens on: every call to this ERP is refused.
    closedPort = await freePort();
    app = await createTestApp({
      dialect,
      env: { ERP_SYNC_PAGE_TIMEOUT_MS: '500', ERP_LOOKUP_TIMEOUT_MS: '500' },
    });
    admin = (await app.userWithToken('admin', 'root')).token;
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(async () => {
    await app.jobs.idle();
  });

  it('fails its sync runs, opens the breaker, reports it degraded, and counting goes on', async () => {
    const call = (method: 'GET' | 'POST', url: string, payload?: object, token = admin) =>
      app.server.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

    const before = await app.server.inject({ method: 'GET', url: '/health/ready' });
    // No ERP called yet: nothing to report about it.
    expect(before.json().checks.map((check: Check) => check.name)).toEqual(['database', 'migrations']);

    const connector = await call('POST', '/api/integrations/connectors', {
      name: 'Dead ERP',
      kind: 'http',
      settings: {
        base_url: `http://127.0.0.1:${closedPort}`,
        page_size: 2,
        warehouse_code: 'WH1',
        items: {
          path: '/items',
          rows_field: 'rows',
          lookup_param: 'barcode',
          fields: { item_code: 'sku', name: 'title', base_uom: 'uom', barcodes: 'codes' },
        },
        stock_levels: {
          path: '/stock',
          rows_field: 'rows',
          fields: { item_code: 'sku', warehouse_code: 'wh', location_code: 'bin', quantity: 'qty' },
        },
      },
    });
    expect(connector.statusCode, connector.body).toBe(201);
    const breaker = `erp:${connector.json().name}`;

    const state = () => app.circuitBreakers.snapshot().find((each) => each.name === breaker)?.state;
    for (let run = 0; run < 10 && state() !== 'open'; run++) {
      const triggered = await call('POST', '/api/integrations/jobs/erp.stock-levels/run');
      expect(triggered.statusCode, triggered.body).toBeLessThan(300);
      await app.jobs.idle();
    }
    expect(state()).toBe('open');
    const runs = await call('GET', '/api/integrations/jobs/erp.stock-levels/runs');
    const statuses = (runs.json().items as { status: string }[]).map((each) => each.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 'failed')).toBe(true);

    const ready = await app.server.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('degraded');
    expect(checkNamed(ready.json(), 'erp')).toEqual({
      name: 'erp',
      status: 'fail',
      critical: false,
      detail: '1 of 1 circuit open',
    });
    // Public: neither the connector's name nor its address.
    expect(ready.body).not.toContain('Dead ERP');
    expect(ready.body).not.toContain(String(closedPort));

    // Counting is unaffected while the breaker is open: a counter's entries are accepted.
    const f = await countingFixture(app);
    const session = await f.createSession({ scope: { location_ids: [f.locations.a01] } });
    await f.assign(session.id, f.locations.a01, [f.users.staff.id]);
    await f.drive(session.id, 'start');
    for (const [item, quantity] of [
      [f.items.hammer, 9],
      [f.items.saw, 2],
    ] as const) {
      const entry = await f.call('POST', `/api/count-sessions/${session.id}/entries`, f.users.staff.token, {
        client_id: randomUUID(),
        location_id: f.locations.b1,
        item_id: item,
        quantity,
      });
      expect(entry.statusCode, entry.body).toBe(201);
    }
    expect(state()).toBe('open');
  }, 90_000);
});

describe('SQLite locked beyond its busy timeout (another process holding the write lock)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ dialect: 'sqlite' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 503 with Retry-After while the lock is held, and writes again once it is released', async () => {
    const user = await app.userWithToken('supervisor');
    const write = (code: string) =>
      app.server.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(user.token),
        payload: { item_code: code, name: code, base_uom: 'EA', unit_cost: 1 },
      });
    // A second connection to the same file, as a backup tool or a stray sqlite3 shell would be.
    const other = new SqliteDatabase(app.database.location);
    try {
      other.exec('BEGIN IMMEDIATE');
      const locked = await write('LOCKED-1');
      expect(locked.statusCode, locked.body).toBe(503);
      expect(locked.headers['retry-after']).toBe('5');
      expect(locked.json()).toEqual({
        error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
        request_id: expect.any(String),
      });
      other.exec('ROLLBACK');
      const after = await write('UNLOCKED-1');
      expect(after.statusCode, after.body).toBe(201);
    } finally {
      other.close();
    }
  }, 60_000);
});
