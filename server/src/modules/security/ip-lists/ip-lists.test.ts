import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import { createIpLists } from './ip-lists.service.ts';

/** The test server's peer is 127.0.0.1, a trusted proxy here: X-Forwarded-For names the client. */
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe.each(dialects())('IP lists on %s', (dialect) => {
  let app: TestApp;
  let token: string;

  async function start(env: Record<string, string> = {}) {
    app = await createTestApp({ dialect, env: { TRUST_PROXY: '127.0.0.1', ...env } });
    token = (await app.userWithToken('admin', 'root')).token;
  }
  afterEach(async () => {
    await app.close();
  });

  const me = (ip: string) =>
    app.server.inject({ method: 'GET', url: '/api/auth/me', headers: { ...bearer(token), ...from(ip) } });
  const add = (body: Record<string, unknown>, ip = '192.0.2.10') =>
    app.server.inject({
      method: 'POST',
      url: '/api/enterprise/security/ip-list',
      headers: { ...bearer(token), ...from(ip) },
      payload: { reason: 'test', list_type: 'blacklist', ...body },
    });

  it('blocks a blacklisted address or range with 403 and one IP_BLOCKED event, IPv4 and IPv6', async () => {
    await start();
    expect((await add({ ip_address: '203.0.113.0/24' })).statusCode).toBe(201);
    expect((await add({ ip_address: '2001:db8::/32' })).statusCode).toBe(201);
    for (const blocked of [
      '203.0.113.0',
      '203.0.113.255',
      '::ffff:203.0.113.9',
      '2001:db8::1',
      '2001:db8:ffff::',
    ]) {
      const response = await me(blocked);
      expect(response.statusCode, blocked).toBe(403);
      expect(response.json().error.code).toBe('IP_BLOCKED');
    }
    for (const open of ['203.0.112.255', '203.0.114.0', '2001:db9::1', '192.0.2.10']) {
      expect((await me(open)).statusCode, open).toBe(200);
    }
    await me('203.0.113.7');
    await me('203.0.113.7');
    const events = await app.database.db
      .selectFrom('security_events')
      .selectAll()
      .where('event_type', '=', 'IP_BLOCKED')
      .where('ip_address', '=', '203.0.113.7')
      .execute();
    expect(events).toHaveLength(1);
    expect(await app.auditEntries('request.ip_blocked')).not.toHaveLength(0);
    // Health probes still answer.
    const health = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: from('203.0.113.7'),
    });
    expect(health.statusCode).toBe(200);

    const list = (
      await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/security/ip-lists',
        headers: bearer(token),
      })
    ).json();
    expect(list.blacklist.map((entry: { ip_address: string }) => entry.ip_address).sort()).toEqual([
      '2001:db8::/32',
      '203.0.113.0/24',
    ]);
    expect((await app.auditEntries('ip_list.add'))[0]).toMatchObject({ event_type: 'CONFIG_CHANGE' });

    const removed = await app.server.inject({
      method: 'DELETE',
      url: `/api/enterprise/security/ip-list/${encodeURIComponent('203.0.113.0/24')}?list_type=blacklist`,
      headers: bearer(token),
    });
    expect(removed.statusCode).toBe(204);
    expect((await me('203.0.113.7')).statusCode).toBe(200);
    expect((await add({ ip_address: '300.1.2.3' })).statusCode).toBe(400);
    expect((await add({ ip_address: '10.0.0.0/33' })).statusCode).toBe(400);
  });

  it('ignores a forged X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    app = await createTestApp({ dialect });
    token = (await app.userWithToken('admin')).token;
    expect((await add({ ip_address: '203.0.113.7' })).statusCode).toBe(201);
    // The peer (127.0.0.1) is not trusted, so the header is not believed: not blocked.
    expect((await me('203.0.113.7')).statusCode).toBe(200);
  });

  it('lets an entry expire at once, without a restart', async () => {
    await start();
    expect((await add({ ip_address: '198.51.100.23', expires_hours: 1 })).statusCode).toBe(201);
    expect((await me('198.51.100.23')).statusCode).toBe(403);
    app.clock.advance(61 * 60_000);
    token = await app.login('root', 'correct-Horse-battery-7');
    expect((await me('198.51.100.23')).statusCode).toBe(200);
  });

  it('refuses to block the caller’s own address unless forced', async () => {
    await start();
    const self = await add({ ip_address: '192.0.2.0/24' }, '192.0.2.10');
    expect(self.statusCode).toBe(409);
    expect(self.json().error.code).toBe('SELF_BLOCK');
    expect((await me('192.0.2.10')).statusCode).toBe(200);
    expect((await add({ ip_address: '192.0.2.0/24', force: true }, '192.0.2.10')).statusCode).toBe(201);
    expect((await me('192.0.2.10')).statusCode).toBe(403);
    expect((await me('192.0.3.10')).statusCode).toBe(200);
  });

  it('in whitelist mode lets only listed addresses in, once the list has entries', async () => {
    await start({ IP_FILTER_MODE: 'whitelist' });
    expect((await me('203.0.113.7')).statusCode).toBe(200);
    const outside = await add({ ip_address: '10.0.0.0/8', list_type: 'whitelist' }, '192.0.2.10');
    expect(outside.json().error.code).toBe('SELF_BLOCK');
    expect((await add({ ip_address: '192.0.2.0/24', list_type: 'whitelist' }, '192.0.2.10')).statusCode).toBe(
      201,
    );
    expect((await me('192.0.2.99')).statusCode).toBe(200);
    expect((await me('203.0.113.7')).statusCode).toBe(403);
    // A more specific blacklist entry inside the allowed range still blocks.
    expect((await add({ ip_address: '192.0.2.99' }, '192.0.2.10')).statusCode).toBe(201);
    expect((await me('192.0.2.99')).statusCode).toBe(403);
  });

  it('applies a change made on another instance once it refreshes', async () => {
    await start();
    const other = createIpLists({
      db: app.database.db,
      clock: app.clock,
      ids: systemIds,
      logger: pino({ level: 'silent' }),
      trail: app.audit.trail,
      mode: 'blacklist',
      enabled: () => true,
    });
    await other.start();
    try {
      expect(other.check('203.0.113.7').allowed).toBe(true);
      expect((await add({ ip_address: '203.0.113.7' })).statusCode).toBe(201);
      await other.refresh();
      expect(other.check('203.0.113.7')).toMatchObject({ allowed: false, reason: 'blacklisted' });
    } finally {
      other.stop();
    }
  });

  it('ENTERPRISE_SECURITY_ENABLED=false blocks nothing', async () => {
    await start({ ENTERPRISE_SECURITY_ENABLED: 'false' });
    expect((await add({ ip_address: '203.0.113.7' })).statusCode).toBe(201);
    expect((await me('203.0.113.7')).statusCode).toBe(200);
  });
});

describe.each(dialects())('automatic blacklisting on %s', (dialect) => {
  it('blacklists an address behind three lockouts in 24 hours, for a day', async () => {
    const app = await createTestApp({
      dialect,
      env: { TRUST_PROXY: '127.0.0.1', MAX_LOGIN_ATTEMPTS: '2', RATE_LIMIT_SIGNIN_PER_MINUTE: '0' },
    });
    try {
      const attacker = { 'x-forwarded-for': '203.0.113.66' };
      for (const username of ['ann', 'bob', 'cat']) {
        for (let i = 0; i < 2; i++) {
          const response = await app.server.inject({
            method: 'POST',
            url: '/api/auth/login',
            headers: attacker,
            payload: { username, password: 'Guess-password-123' },
          });
          expect(response.statusCode).toBe(401);
        }
      }
      let blocked = false;
      for (let i = 0; i < 50 && !blocked; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const probe = await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: attacker });
        blocked = probe.statusCode === 403;
      }
      expect(blocked).toBe(true);
      const entry = await app.database.db
        .selectFrom('security_ip_lists')
        .selectAll()
        .where('cidr', '=', '203.0.113.66/32')
        .executeTakeFirstOrThrow();
      expect(entry).toMatchObject({ list_type: 'blacklist', source: 'automatic' });
      expect(Date.parse(entry.expires_at!) - app.clock.now().getTime()).toBe(24 * 3_600_000);
      // Everyone else still gets in.
      expect((await app.server.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
