import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase, type TestDatabase } from '../../../../test/helpers/test-app.ts';
import { ManualClock } from '../../../platform/clock.ts';
import { systemIds } from '../../../platform/ids.ts';
import { createAuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext } from '../../audit/events.ts';
import { createSecurityEvents } from '../events/security-events.service.ts';
import { createLockouts, type Lockouts, lockoutMinutes } from './lockout.service.ts';

const HOUR = 3_600_000;

describe('lockout length', () => {
  it('doubles from LOCKOUT_DURATION_MINUTES and stops at LOCKOUT_MAX_DURATION_MINUTES', () => {
    const policy = { durationMinutes: 15, maxDurationMinutes: 24 * 60 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000].map((n) => lockoutMinutes(n, policy))).toEqual([
      15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440,
    ]);
    expect(lockoutMinutes(1, { durationMinutes: 15, maxDurationMinutes: 10 })).toBe(10);
  });
});

describe.each(dialects())('lockout service on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let lockouts: Lockouts;
  let reported: string[];

  beforeEach(async () => {
    database = await freshDatabase(dialect);
    clock = new ManualClock();
    const db = database.handle.db;
    const trail = createAuditTrail({
      database: database.handle,
      clock,
      ids: systemIds,
      enabled: true,
      algorithm: 'sha256',
    });
    const securityEvents = createSecurityEvents({ db, clock, ids: systemIds, trail });
    lockouts = createLockouts({
      db,
      clock,
      ids: systemIds,
      trail,
      securityEvents,
      policy: { enabled: () => true, maxAttempts: 3, durationMinutes: 15, maxDurationMinutes: 24 * 60 },
    });
    reported = [];
    lockouts.onAddressAbuse((ip) => {
      reported.push(ip);
    });
  });
  afterEach(async () => {
    await database.drop();
  });

  const from = (ip: string): AuditContext => ({
    actor: { user_id: null, username: null, role: null, ip_address: ip },
    request_id: null,
    trace_id: null,
  });

  /** One failed sign-in attempt, as auth.service makes it. */
  async function fail(username: string, ip: string) {
    const attempt = await lockouts.reserve({ username, userId: null, deviceToken: null, ip });
    return lockouts.registerFailure(attempt, from(ip));
  }

  async function lockFrom(username: string, ips: string[]) {
    let outcome = { locked: false, abusiveAddress: null as string | null };
    for (const ip of ips) outcome = await fail(username, ip);
    expect(outcome.locked).toBe(true);
    return outcome;
  }

  it('reports an address once it has caused 3 lockouts within 24 hours, after the commit, and on each further one', async () => {
    const bad = '203.0.113.5';
    await lockFrom('a', [bad, bad, bad]);
    clock.advance(5 * HOUR);
    await lockFrom('b', [bad, bad, bad]);
    expect(reported).toEqual([]);
    clock.advance(18 * HOUR);
    const third = await lockFrom('c', [bad, bad, bad]);
    expect(third.abusiveAddress).toBe(bad);
    expect(reported).toEqual([bad]);
    await lockFrom('d', [bad, bad, bad]);
    expect(reported).toEqual([bad, bad]);
  });

  it('counts an address’s lockouts over a sliding 24 hours', async () => {
    const ip = '198.51.100.20';
    await lockFrom('a', [ip, ip, ip]);
    clock.advance(12 * HOUR);
    await lockFrom('b', [ip, ip, ip]);
    clock.advance(12 * HOUR + 1);
    // a is now more than 24 hours old: b and c are two.
    await lockFrom('c', [ip, ip, ip]);
    expect(reported).toEqual([]);
    clock.advance(11 * HOUR);
    await lockFrom('d', [ip, ip, ip]);
    expect(reported).toEqual([ip]);
  });

  it('charges a lockout to the address behind most of its failures, not to the one that happened to trigger it', async () => {
    const attacker = '203.0.113.66';
    const office = '192.0.2.10';
    for (const account of ['p', 'q', 'r']) await lockFrom(account, [attacker, attacker, office]);
    expect(reported).toEqual([attacker]);
    // Spread over many addresses: charged to none.
    reported.length = 0;
    for (const account of ['s', 't', 'u', 'v']) {
      await lockFrom(account, ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    }
    expect(reported).toEqual([]);
  });

  it('keeps the sign-in answer when a listener fails', async () => {
    lockouts.onAddressAbuse(() => {
      throw new Error('blacklist unavailable');
    });
    const ip = '203.0.113.7';
    for (const account of ['a', 'b']) await lockFrom(account, [ip, ip, ip]);
    await expect(lockFrom('c', [ip, ip, ip])).resolves.toMatchObject({ abusiveAddress: ip });
    expect(reported).toEqual([ip]);
  });

  it('grants exactly MAX_LOGIN_ATTEMPTS of 50 concurrent reservations, and none while locked', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 50 }, () =>
        lockouts.reserve({ username: 'Hot', userId: null, deviceToken: null, ip: null }),
      ),
    );
    const granted = attempts.filter((attempt) => attempt.allowed);
    expect(granted.map((attempt) => attempt.number).sort()).toEqual([1, 2, 3]);
    const outcomes = await Promise.all(
      granted.map((attempt) => lockouts.registerFailure(attempt, from('::1'))),
    );
    expect(outcomes.filter((outcome) => outcome.locked)).toHaveLength(1);
    expect(
      (await lockouts.reserve({ username: 'hot', userId: null, deviceToken: null, ip: null })).allowed,
    ).toBe(false);
    clock.advance(15 * 60_000);
    expect(
      (await lockouts.reserve({ username: 'HOT', userId: null, deviceToken: null, ip: null })).allowed,
    ).toBe(true);
  });

  it("charges a lockout to the address of most of the run's tries, settled or still in flight", async () => {
    const a = '198.51.100.1';
    const b = '2001:db8::9';
    const reserve = (ip: string) =>
      lockouts.reserve({ username: 'race', userId: null, deviceToken: null, ip });
    for (let lockout = 1; lockout <= 3; lockout++) {
      // Three tries reserved at once: two from A, one from B. B's is the run's last try and its
      // failure settles first; A's are still being verified when the lock falls, and never settle.
      const tries = [await reserve(a), await reserve(a), await reserve(b)];
      expect(tries.map((attempt) => attempt.number)).toEqual([1, 2, 3]);
      const outcome = await lockouts.registerFailure(tries[2]!, from(b));
      expect(outcome.locked).toBe(true);
      // A is behind all three lockouts: on the third it is reported for blacklisting; B never is.
      expect(outcome.abusiveAddress).toBe(lockout === 3 ? a : null);
      clock.advance(2 * HOUR);
    }
    expect(reported).toEqual([a]);
  });

  it('prunes state that no longer decides anything', async () => {
    await lockFrom('old', ['192.0.2.1', '192.0.2.1', '192.0.2.1']);
    await fail('recent', '192.0.2.1');
    clock.advance(23 * HOUR);
    await fail('recent', '192.0.2.1');
    expect(await lockouts.prune()).toBe(0);
    clock.advance(2 * HOUR);
    // The old lock and its address are past 24 hours; the recent run is kept.
    expect(await lockouts.prune()).toBe(2);
    const left = await database.handle.db
      .selectFrom('security_locked_accounts')
      .select('failed_count')
      .execute();
    expect(left).toEqual([{ failed_count: 1 }]);
  });
});
