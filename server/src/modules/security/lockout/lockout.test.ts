import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
  testHasher,
} from '../../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { accountKey } from './lockout.service.ts';

const MINUTE = 60_000;
const WRONG = 'Wrong-password-123';

interface Attempt {
  pin?: boolean;
  cookies?: Record<string, string>;
  remoteAddress?: string;
}

/** What a client can observe of an answer, less what differs on every request. */
function observable(response: LightMyRequestResponse) {
  const headers = { ...response.headers };
  for (const perRequest of ['x-request-id', 'x-correlation-id', 'x-trace-id', 'traceparent', 'date']) {
    delete headers[perRequest];
  }
  const { request_id: _requestId, ...body } = response.json() as Record<string, unknown>;
  return { status: response.statusCode, headers, body, cookies: response.cookies };
}

describe.each(dialects())('brute-force protection on %s', (dialect) => {
  let app: TestApp;

  async function start(env: Record<string, string> = {}) {
    // Lockouts, not the per-address sign-in rate limit, are under test here.
    app = await createTestApp({ dialect, env: { RATE_LIMIT_SIGNIN_PER_MINUTE: '0', ...env } });
  }
  afterEach(async () => {
    await app.close();
  });

  const createUser = (username: string, pin?: string) =>
    app.users.create(
      { username, display_name: username, role: 'staff', password: STRONG_PASSWORD, ...(pin ? { pin } : {}) },
      SYSTEM_CONTEXT,
    );

  function attempt(username: string, secret: string, options: Attempt = {}) {
    return app.server.inject({
      method: 'POST',
      url: options.pin ? '/api/auth/pin-login' : '/api/auth/login',
      payload: options.pin ? { username, pin: secret } : { username, password: secret },
      ...(options.cookies ? { cookies: options.cookies } : {}),
      ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
    });
  }

  async function fail(username: string, times: number, options: Attempt = {}) {
    for (let i = 0; i < times; i += 1) {
      const response = await attempt(username, options.pin ? '999999' : WRONG, options);
      expect(response.statusCode).toBe(401);
    }
  }

  const securityEvents = async (type: string, token: string) => {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/enterprise/security/events?type=${type}&limit=100`,
      headers: bearer(token),
    });
    return response.json().items as {
      user_id: string | null;
      ip_address: string | null;
      details: Record<string, unknown>;
    }[];
  };

  describe('with the defaults (5 attempts, 15 minutes)', () => {
    beforeEach(() => start());

    it('locks after MAX_LOGIN_ATTEMPTS failures, refuses even the right password, and answers exactly as for a wrong one', async () => {
      await createUser('lena');
      await createUser('otto');
      await fail('lena', 4);
      const wrongBeforeLock = await attempt('lena', WRONG);
      const locked = await attempt('lena', STRONG_PASSWORD);
      const lockedWrong = await attempt('lena', WRONG);
      const wrongElsewhere = await attempt('otto', WRONG);
      for (const response of [locked, lockedWrong, wrongElsewhere]) {
        expect(observable(response)).toEqual(observable(wrongBeforeLock));
      }
      expect(observable(locked)).toMatchObject({
        status: 401,
        body: { error: { code: 'INVALID_CREDENTIALS', message: 'Invalid username or password' } },
        cookies: [],
      });
      // Others are not affected.
      expect((await attempt('otto', STRONG_PASSWORD)).statusCode).toBe(200);
    });

    it('lifts the lock after LOCKOUT_DURATION_MINUTES', async () => {
      await createUser('max');
      await fail('max', 5);
      app.clock.advance(15 * MINUTE - 1000);
      expect((await attempt('max', STRONG_PASSWORD)).statusCode).toBe(401);
      app.clock.advance(1001);
      expect((await attempt('max', STRONG_PASSWORD)).statusCode).toBe(200);
    });

    it('ends the failure run on a successful sign-in', async () => {
      await createUser('rita');
      await fail('rita', 4);
      expect((await attempt('rita', STRONG_PASSWORD)).statusCode).toBe(200);
      await fail('rita', 4);
      expect((await attempt('rita', STRONG_PASSWORD)).statusCode).toBe(200);
      // A run is as long as a lockout: four failures, then four more after it, never lock.
      await fail('rita', 4);
      app.clock.advance(15 * MINUTE);
      await fail('rita', 4);
      expect((await attempt('rita', STRONG_PASSWORD)).statusCode).toBe(200);
    });

    it('locks unknown usernames the same way, without storing or listing the name', async () => {
      const admin = await app.userWithToken('admin', 'boss');
      await createUser('known');
      const known: LightMyRequestResponse[] = [];
      const unknown: LightMyRequestResponse[] = [];
      for (let i = 0; i < 7; i += 1) {
        known.push(await attempt('known', WRONG));
        unknown.push(await attempt('ghost', WRONG));
      }
      for (let i = 0; i < 7; i += 1) expect(observable(unknown[i]!)).toEqual(observable(known[i]!));

      const rows = await app.database.db.selectFrom('security_locked_accounts').selectAll().execute();
      // The admin's own (successful) sign-in has a row too.
      expect(rows.map((row) => row.account_key).sort()).toEqual(
        [accountKey('boss'), accountKey('known'), accountKey('ghost')].sort(),
      );
      expect(JSON.stringify(rows)).not.toContain('ghost');
      const ghost = rows.find((row) => row.account_key === accountKey('ghost'))!;
      expect(ghost).toMatchObject({ user_id: null, failed_count: 5, lockout_count_24h: 1 });
      expect(ghost.locked_until! > app.clock.now().toISOString()).toBe(true);

      const events = await securityEvents('ACCOUNT_LOCKED', admin.token);
      expect(events).toHaveLength(2);
      expect(events.map((event) => event.user_id)).toContain(null);
      const list = await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/security/locked-accounts',
        headers: bearer(admin.token),
      });
      expect(list.json().items.map((item: { username: string }) => item.username)).toEqual(['known']);
    });

    it('lets at most MAX_LOGIN_ATTEMPTS of 50 parallel wrong guesses reach the real password hash', async () => {
      await createUser('target');
      const { password_hash: real } = await app.database.db
        .selectFrom('users')
        .select('password_hash')
        .where('username_key', '=', 'target')
        .executeTakeFirstOrThrow();
      const verify = vi.spyOn(testHasher, 'verify');
      try {
        const responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) => attempt('target', `Wrong-guess-${i}-xyz`)),
        );
        for (const response of responses) {
          expect(response.statusCode).toBe(401);
          expect(response.json().error.code).toBe('INVALID_CREDENTIALS');
        }
        const onReal = () => verify.mock.calls.filter(([hashed]) => hashed === real).length;
        expect(onReal()).toBe(app.config.maxLoginAttempts);
        // Every attempt still cost one argon2 verification (the decoy for the refused ones).
        expect(verify).toHaveBeenCalledTimes(50);

        const right = await attempt('target', STRONG_PASSWORD);
        expect(right.statusCode).toBe(401);
        expect(onReal()).toBe(app.config.maxLoginAttempts);
        expect(verify).toHaveBeenCalledTimes(51);
      } finally {
        verify.mockRestore();
      }
      const events = await app.database.db
        .selectFrom('security_events')
        .selectAll()
        .where('event_type', '=', 'ACCOUNT_LOCKED')
        .execute();
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]!.details)).toMatchObject({ attempts: 5, lockout_number: 1 });
    });

    it('counts PIN failures toward the same lock', async () => {
      await createUser('hand', '480317');
      await fail('hand', 3, { pin: true });
      await fail('hand', 2);
      expect((await attempt('hand', '480317', { pin: true })).statusCode).toBe(401);
      expect((await attempt('hand', STRONG_PASSWORD)).statusCode).toBe(401);
      const reasons = (await app.auditEntries('auth.pin_login')).map((entry) => entry.details.reason);
      expect(reasons).toEqual(['wrong_pin', 'wrong_pin', 'wrong_pin', 'account_locked']);
      app.clock.advance(15 * MINUTE);
      expect((await attempt('hand', '480317', { pin: true })).statusCode).toBe(200);
    });

    it('records each lockout as a high-severity security event with its audit entry, in the failing request', async () => {
      const admin = await app.userWithToken('admin', 'boss');
      const ivy = await createUser('ivy');
      await fail('ivy', 5, { remoteAddress: '198.51.100.7' });
      await fail('ivy', 1, { remoteAddress: '198.51.100.7' });

      const events = await securityEvents('ACCOUNT_LOCKED', admin.token);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        severity: 'high',
        user_id: ivy.id,
        ip_address: '198.51.100.7',
        details: { scope: 'account', attempts: 5, duration_minutes: 15, lockout_number: 1 },
      });
      const locks = await app.auditEntries('account.lock');
      expect(locks).toHaveLength(1);
      expect(locks[0]).toMatchObject({
        event_type: 'ACCOUNT_LOCKED',
        category: 'security',
        severity: 'high',
        outcome: 'denied',
        actor_user_id: ivy.id,
        resource_type: 'user',
        resource_id: ivy.id,
      });
      const failures = await app.auditEntries('auth.login');
      const ivyFailures = failures.filter((entry) => entry.actor_user_id === ivy.id);
      expect(ivyFailures.map((entry) => entry.details.reason)).toEqual([
        ...Array(5).fill('wrong_password'),
        'account_locked',
      ]);
      // The fifth failure and the lockout: one request, one transaction.
      expect(locks[0]!.request_id).toBe(ivyFailures[4]!.request_id);
      expect(locks[0]!.seq).toBe(ivyFailures[4]!.seq + 1);
    });

    it('lets a trusted device sign in while failures from elsewhere lock the account; the device has its own budget', async () => {
      const admin = await app.userWithToken('admin', 'boss');
      const tom = await createUser('tom');
      await createUser('ann');
      const first = await attempt('tom', STRONG_PASSWORD);
      const cookie = first.cookies.find((c) => c.name === 'sv_device')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
      expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const device = { sv_device: cookie.value };
      const stored = await app.database.db
        .selectFrom('security_trusted_devices')
        .selectAll()
        .where('user_id', '=', tom.id)
        .execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ user_id: tom.id });
      expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored[0]!.token_hash).not.toContain(cookie.value);

      // The owner's typos on the trusted device do not count toward the account's lock.
      await fail('tom', 4, { cookies: device });
      const account = await app.database.db
        .selectFrom('security_locked_accounts')
        .select('failed_count')
        .where('account_key', '=', accountKey('tom'))
        .executeTakeFirst();
      expect(account?.failed_count ?? 0).toBe(0);

      // Someone elsewhere locks the account: the owner is refused without the device, let in with it.
      await fail('tom', 5, { remoteAddress: '203.0.113.9' });
      expect((await attempt('tom', STRONG_PASSWORD)).statusCode).toBe(401);
      const withDevice = await attempt('tom', STRONG_PASSWORD, { cookies: device });
      expect(withDevice.statusCode).toBe(200);
      expect(withDevice.cookies.find((c) => c.name === 'sv_device')?.value).toBe(cookie.value);
      expect((await attempt('tom', STRONG_PASSWORD)).statusCode).toBe(401);

      // The device's own budget: MAX_LOGIN_ATTEMPTS failures lock the device too.
      await fail('tom', 5, { cookies: device });
      expect((await attempt('tom', STRONG_PASSWORD, { cookies: device })).statusCode).toBe(401);
      const locks = await securityEvents('ACCOUNT_LOCKED', admin.token);
      expect(locks.map((event) => event.details.scope).sort()).toEqual(['account', 'trusted_device']);

      // Tom's device is nobody else's: for Ann it is just another browser.
      await fail('ann', 5, { cookies: device });
      expect((await attempt('ann', STRONG_PASSWORD, { cookies: device })).statusCode).toBe(401);

      // Both locks end on time; a garbled cookie is simply ignored.
      app.clock.advance(15 * MINUTE);
      expect((await attempt('tom', STRONG_PASSWORD, { cookies: device })).statusCode).toBe(200);
      expect((await attempt('ann', STRONG_PASSWORD, { cookies: { sv_device: 'garbage' } })).statusCode).toBe(
        200,
      );
    });

    it('keeps the 20 most recently used devices of a user', async () => {
      const kit = await createUser('kit');
      const first = (await attempt('kit', STRONG_PASSWORD)).cookies.find((c) => c.name === 'sv_device')!;
      for (let i = 0; i < 21; i += 1) {
        app.clock.advance(1000);
        expect((await attempt('kit', STRONG_PASSWORD)).statusCode).toBe(200);
      }
      const devices = await app.database.db
        .selectFrom('security_trusted_devices')
        .select('id')
        .where('user_id', '=', kit.id)
        .execute();
      expect(devices).toHaveLength(20);
      // The oldest is forgotten: its cookie is just another browser's now.
      await fail('kit', 5, { cookies: { sv_device: first.value } });
      expect((await attempt('kit', STRONG_PASSWORD)).statusCode).toBe(401);
    });

    it('lists locked accounts and unlocks them for admins only', async () => {
      const admin = await app.userWithToken('admin', 'boss');
      const staff = await app.userWithToken('staff', 'clerk');
      const auditor = await app.userWithToken('auditor', 'checker');
      const sam = await createUser('Sam');
      await fail('sam', 5);
      await fail('ghost', 5);
      const lockedUntil = new Date(app.clock.now().getTime() + 15 * MINUTE).toISOString();

      const list = (token?: string) =>
        app.server.inject({
          method: 'GET',
          url: '/api/enterprise/security/locked-accounts',
          ...(token ? { headers: bearer(token) } : {}),
        });
      const unlock = (username: unknown, token = admin.token) =>
        app.server.inject({
          method: 'POST',
          url: '/api/enterprise/security/unlock-account',
          headers: bearer(token),
          payload: username === undefined ? {} : { username },
        });

      expect((await list(admin.token)).json()).toEqual({
        items: [
          { user_id: sam.id, username: 'Sam', locked_until: lockedUntil, failed_count: 5, lockouts_24h: 1 },
        ],
      });
      expect((await list()).statusCode).toBe(401);
      expect((await list(staff.token)).statusCode).toBe(403);
      expect((await list(auditor.token)).statusCode).toBe(403);
      expect((await unlock('sam', staff.token)).statusCode).toBe(403);
      expect((await unlock('sam', auditor.token)).statusCode).toBe(403);
      expect((await unlock(undefined)).statusCode).toBe(400);
      expect((await attempt('sam', STRONG_PASSWORD)).statusCode).toBe(401);

      const done = await unlock('SAM');
      expect(done.statusCode).toBe(200);
      expect(done.json()).toEqual({ unlocked: true });
      expect((await list(admin.token)).json()).toEqual({ items: [] });
      // The failures are gone too: four more do not lock again.
      await fail('sam', 4);
      expect((await attempt('sam', STRONG_PASSWORD)).statusCode).toBe(200);

      expect((await unlock('sam')).json()).toEqual({ unlocked: false });
      expect((await unlock('nobody')).json()).toEqual({ unlocked: false });

      const events = await securityEvents('ACCOUNT_UNLOCKED', admin.token);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        user_id: sam.id,
        details: { was_locked: true, failed_count: 5, locked_until: lockedUntil },
      });
      const entries = await app.auditEntries('account.unlock');
      expect(entries.map((entry) => [entry.actor_user_id, entry.outcome, entry.details.was_locked])).toEqual([
        [admin.id, 'success', true],
        [admin.id, 'success', false],
        [admin.id, 'success', false],
      ]);
      expect(entries[0]).toMatchObject({ event_type: 'ACCOUNT_UNLOCKED', resource_id: sam.id });
    });
  });

  describe('repeated lockouts', () => {
    beforeEach(() => start({ MAX_LOGIN_ATTEMPTS: '2', LOCKOUT_MAX_DURATION_MINUTES: '40' }));

    it('doubles each lockout within 24 hours of the previous one, up to LOCKOUT_MAX_DURATION_MINUTES', async () => {
      await createUser('leo');
      const lockedFor = async (minutes: number) => {
        await fail('leo', 2);
        app.clock.advance(minutes * MINUTE - 1000);
        expect((await attempt('leo', STRONG_PASSWORD)).statusCode).toBe(401);
        app.clock.advance(1000);
      };
      await lockedFor(15);
      await lockedFor(30);
      await lockedFor(40); // 60, capped
      await lockedFor(40);
      app.clock.advance(24 * 3_600_000 + 1000);
      await lockedFor(15);
      expect((await attempt('leo', STRONG_PASSWORD)).statusCode).toBe(200);

      const events = await app.database.db
        .selectFrom('security_events')
        .select('details')
        .where('event_type', '=', 'ACCOUNT_LOCKED')
        .orderBy('timestamp')
        .execute();
      expect(events.map((event) => JSON.parse(event.details))).toMatchObject([
        { duration_minutes: 15, lockout_number: 1 },
        { duration_minutes: 30, lockout_number: 2 },
        { duration_minutes: 40, lockout_number: 3 },
        { duration_minutes: 40, lockout_number: 4 },
        { duration_minutes: 15, lockout_number: 1 },
      ]);
    });
  });

  describe('with ENTERPRISE_SECURITY_ENABLED=false', () => {
    beforeEach(() => start({ ENTERPRISE_SECURITY_ENABLED: 'false' }));

    it('never locks, sets no device cookie, and still audits every failure', async () => {
      await createUser('free');
      await fail('free', 12);
      await fail('nobody', 12);
      const ok = await attempt('free', STRONG_PASSWORD);
      expect(ok.statusCode).toBe(200);
      expect(ok.cookies.map((cookie) => cookie.name).sort()).toEqual(['sv_csrf', 'sv_session']);
      expect(await app.database.db.selectFrom('security_locked_accounts').selectAll().execute()).toEqual([]);
      expect(await app.database.db.selectFrom('security_trusted_devices').selectAll().execute()).toEqual([]);
      expect(await app.auditEntries('account.lock')).toEqual([]);
      expect(await app.auditEntries('auth.login')).toHaveLength(25);
    });
  });
});
