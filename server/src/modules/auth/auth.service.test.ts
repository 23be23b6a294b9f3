import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testHasher } from '../../../test/helpers/test-app.ts';
import { systemClock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { systemIds } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';
import type { SecurityEvents } from '../security/events/security-events.service.ts';
import { createLockouts, type Lockouts, type LoginAttempt } from '../security/lockout/lockout.service.ts';
import type { Mfa } from '../security/mfa/mfa.service.ts';
import type { UsersService } from '../users/users.service.ts';
import type { UserRow } from '../users/users.store.ts';
import { createAuthService } from './auth.service.ts';
import type { PasswordHasher } from './credentials.ts';
import type { SessionsService } from './sessions.service.ts';

/** None of these users has MFA on: a second-factor check would be a mistake. */
const noMfa = {
  enrolmentRequired: () => false,
  verify: async () => {
    throw new Error('no user here has MFA on');
  },
} as Partial<Mfa> as Mfa;

/**
 * Timing is not asserted (these machines are noisy); what makes the timing equal is: every
 * failed sign-in path runs exactly one argon2 verification, like a successful one.
 */
describe('sign-in cost does not reveal whether a user exists', () => {
  it('runs one password verification for unknown, inactive, PIN-less and wrong-password attempts', async () => {
    const verified: string[] = [];
    const hasher: PasswordHasher = {
      hash: testHasher.hash,
      async verify(hashed, secret) {
        verified.push(hashed);
        return testHasher.verify(hashed, secret);
      },
    };
    const row = {
      id: 'u1',
      username: 'known',
      password_hash: await testHasher.hash('Right-password-123'),
      pin_hash: null,
      mfa_enabled_at: null,
      role: 'staff',
      active: 1,
    } as unknown as UserRow;
    const users = {
      findCredentials: async (username: string) => (username === 'known' ? row : undefined),
    } as unknown as UsersService;
    const sessions = {
      create: async () => ({
        token: 't',
        csrfToken: 'c',
        sessionId: 's',
        expiresAt: '2030-01-01T00:00:00.000Z',
        ended: [],
      }),
    } as unknown as SessionsService;
    // Every attempt, failed or not, goes to the audit trail; here it only has to accept them.
    const recorded: string[] = [];
    const audit = {
      enabled: true,
      record: async (_context: unknown, event: { type: string }) => {
        recorded.push(event.type);
      },
      transaction: async (
        _context: unknown,
        work: (trx: unknown, record: (e: { type: string }) => void) => unknown,
      ) => work(undefined, (event) => recorded.push(event.type)),
    } as unknown as AuditTrail;
    const securityEvents = {} as SecurityEvents;
    // Lockouts off: this is about the verification on each path, not about counting.
    const lockouts = createLockouts({
      db: {} as Kysely<Database>,
      clock: systemClock,
      ids: systemIds,
      trail: audit,
      securityEvents,
      policy: { enabled: () => false, maxAttempts: 5, durationMinutes: 15, maxDurationMinutes: 1440 },
    });
    const auth = await createAuthService({
      users,
      sessions,
      hasher,
      audit,
      securityEvents,
      lockouts,
      mfa: noMfa,
    });
    const client = { ip: null, userAgent: null };

    const attempts: [string, () => Promise<unknown>][] = [
      ['unknown user', () => auth.login('ghost', 'Right-password-123', {}, client, SYSTEM_CONTEXT)],
      ['wrong password', () => auth.login('known', 'Wrong-password-123', {}, client, SYSTEM_CONTEXT)],
      ['no PIN set', () => auth.pinLogin('known', '583920', {}, client, SYSTEM_CONTEXT)],
    ];
    for (const [name, attempt] of attempts) {
      verified.length = 0;
      await expect(attempt(), name).rejects.toMatchObject({ statusCode: 401, code: 'INVALID_CREDENTIALS' });
      expect(verified, name).toHaveLength(1);
      expect(verified[0], name).toMatch(/^\$argon2id\$/);
    }
    verified.length = 0;
    await expect(auth.login('known', 'Right-password-123', {}, client, SYSTEM_CONTEXT)).resolves.toBeTruthy();
    expect(verified).toHaveLength(1);
    expect(recorded).toEqual(['LOGIN_FAILED', 'LOGIN_FAILED', 'LOGIN_FAILED', 'LOGIN']);
  });
});

describe('a locked account', () => {
  it('costs one verification, of the decoy, never of the real hash, and answers as a wrong password', async () => {
    const verified: string[] = [];
    const hasher: PasswordHasher = {
      hash: testHasher.hash,
      async verify(hashed, secret) {
        verified.push(hashed);
        return testHasher.verify(hashed, secret);
      },
    };
    const realHash = await testHasher.hash('Right-password-123');
    const row = {
      id: 'u1',
      username: 'known',
      password_hash: realHash,
      pin_hash: null,
      mfa_enabled_at: null,
      role: 'staff',
      active: 1,
    } as unknown as UserRow;
    const users = { findCredentials: async () => row } as unknown as UsersService;
    const failures: { attempt: LoginAttempt; reasons: unknown[] }[] = [];
    const refused: LoginAttempt = {
      allowed: false,
      tracked: true,
      accountKey: 'k',
      userId: 'u1',
      device: null,
      number: 0,
    };
    const lockouts = {
      enabled: () => true,
      reserve: async () => refused,
      registerFailure: async (attempt, _context, events = []) => {
        failures.push({ attempt, reasons: events.map((event) => event.details?.reason) });
        return { locked: false, abusiveAddress: null };
      },
      registerSuccess: async () => {
        throw new Error('a refused attempt never succeeds');
      },
    } as Partial<Lockouts> as Lockouts;
    const auth = await createAuthService({
      users,
      sessions: {} as SessionsService,
      hasher,
      audit: {} as AuditTrail,
      securityEvents: {} as SecurityEvents,
      lockouts,
      mfa: noMfa,
    });
    verified.length = 0;
    await expect(
      auth.login('known', 'Right-password-123', {}, { ip: null, userAgent: null }, SYSTEM_CONTEXT),
    ).rejects.toMatchObject({ statusCode: 401, code: 'INVALID_CREDENTIALS' });
    expect(verified).toHaveLength(1);
    expect(verified[0]).not.toBe(realHash);
    expect(verified[0]).toMatch(/^\$argon2id\$/);
    expect(failures).toEqual([{ attempt: refused, reasons: ['account_locked'] }]);
  });
});
