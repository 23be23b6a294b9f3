import { randomInt } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../../test/helpers/test-app.ts';

const randomIp = () => `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;

describe.each(dialects())('request rate limits on %s', (dialect) => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  async function start(env: Record<string, string>) {
    const app = await createTestApp({ dialect, env: { TRUST_PROXY: '127.0.0.1', ...env } });
    apps.push(app);
    return app;
  }
  const signIn = (app: TestApp, ip: string, password = 'Wrong-password-1') =>
    app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-for': ip },
      payload: { username: 'kim', password },
    });

  it('limits sign-in attempts per address: 429 with Retry-After and one RATE_LIMITED event', async () => {
    const app = await start({ RATE_LIMIT_SIGNIN_PER_MINUTE: '3' });
    await app.userWithToken('staff', 'kim');
    for (let i = 0; i < 3; i++) expect((await signIn(app, '192.0.2.1')).statusCode).toBe(401);
    const limited = await signIn(app, '192.0.2.1', STRONG_PASSWORD);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await signIn(app, '192.0.2.1');
    // Another address is not affected.
    expect((await signIn(app, '192.0.2.2', STRONG_PASSWORD)).statusCode).toBe(200);
    const events = await app.database.db
      .selectFrom('security_events')
      .selectAll()
      .where('event_type', '=', 'RATE_LIMITED')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ip_address: '192.0.2.1' });
    expect(await app.auditEntries('request.rate_limited')).toHaveLength(1);
    // The window moves on.
    app.clock.advance(61_000);
    expect((await signIn(app, '192.0.2.1', STRONG_PASSWORD)).statusCode).toBe(200);
  });

  it('limits writes per user', async () => {
    const app = await start({ RATE_LIMIT_WRITES_PER_MINUTE: '2' });
    const { token } = await app.userWithToken('admin');
    const write = (code: string) =>
      app.server.inject({
        method: 'POST',
        url: '/api/warehouses',
        headers: bearer(token),
        payload: { code, name: code },
      });
    expect((await write('W1')).statusCode).toBe(201);
    expect((await write('W2')).statusCode).toBe(201);
    const limited = await write('W3');
    expect(limited.statusCode).toBe(429);
    // Reads are not limited.
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/warehouses', headers: bearer(token) })).statusCode,
    ).toBe(200);
    // Nothing was written by the refused request.
    const codes = await app.database.db.selectFrom('warehouses').select('code').execute();
    expect(codes.map((row) => row.code).sort()).toEqual(['W1', 'W2']);
  });

  it('shares the count between instances through Redis', async () => {
    const env = { RATE_LIMIT_SIGNIN_PER_MINUTE: '2', REDIS_URL: 'redis://127.0.0.1:6379' };
    const first = await start(env);
    const second = await start(env);
    const ip = randomIp();
    expect((await signIn(first, ip)).statusCode).toBe(401);
    expect((await signIn(second, ip)).statusCode).toBe(401);
    expect((await signIn(first, ip)).statusCode).toBe(429);
    expect((await signIn(second, ip)).statusCode).toBe(429);
  });

  it('keeps answering, and limiting, when Redis is unreachable', async () => {
    const app = await start({ RATE_LIMIT_SIGNIN_PER_MINUTE: '2', REDIS_URL: 'redis://127.0.0.1:1' });
    const ip = randomIp();
    expect((await signIn(app, ip)).statusCode).toBe(401);
    expect((await signIn(app, ip)).statusCode).toBe(401);
    expect((await signIn(app, ip)).statusCode).toBe(429);
    expect(app.rawLogs()).toContain('Redis unavailable');
  });
});
