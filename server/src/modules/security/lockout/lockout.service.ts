import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { sha256Hex } from '../../../platform/http/access.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext, AuditEvent } from '../../audit/events.ts';
import { usernameKey } from '../../users/users.store.ts';
import type { SecurityEvent, SecurityEvents } from '../events/security-events.service.ts';
import * as store from './lockout.store.ts';

/**
 * Brute-force protection (guide: Enterprise Security, 2).
 *
 * Budget. Every username tried has a row, whether or not a user has it, so an unknown name locks
 * exactly like a real one and the answers never tell them apart. MAX_LOGIN_ATTEMPTS failures in
 * a run lock it for LOCKOUT_DURATION_MINUTES; each lockout within 24 hours of the previous one
 * doubles that, up to LOCKOUT_MAX_DURATION_MINUTES. A run of failures ends with a success, with a
 * lockout, or LOCKOUT_DURATION_MINUTES after its first failure. Password, PIN (and, through
 * `registerFailure`, MFA code) failures all draw on the same budget.
 *
 * Reserve, then verify. "Is it locked?" and "count this try" are one atomic statement, taken
 * BEFORE the secret is verified (`reserve`): the try is counted up front, and a success gives it
 * back (`registerSuccess` ends the run). So however many requests race, at most
 * MAX_LOGIN_ATTEMPTS of them get a real verification per run; the others are refused as if
 * locked. A refused attempt must still cost an argon2 verification (of the decoy) and get the
 * answer of a wrong password: the lock is never revealed. Only the run's last try, failing,
 * starts the lockout (`registerFailure`, with its ACCOUNT_LOCKED event in the same transaction).
 * If the process dies between a reservation and its outcome, that try stays counted: at worst
 * the account refuses until the run's window passes, as long as a lockout would have lasted.
 *
 * Trusted devices. A successful sign-in sets the `sv_device` cookie (HttpOnly, SameSite=Strict,
 * Secure per COOKIE_SECURE, path /api/auth, 90 days, sliding), a random token of which only the
 * SHA-256 is kept, bound to the user. A sign-in attempt presenting a valid device cookie of the
 * account it names does not use the account's budget but the device's own (MAX_LOGIN_ATTEMPTS
 * failures, then the device is locked for LOCKOUT_DURATION_MINUTES): an attacker elsewhere who
 * locks the account does not lock its owner out of the devices they use, and the owner's own
 * typos there do not count toward the account's lock. A device lock is refused the same way.
 *
 * Addresses. A lockout is charged to the client address that made more than half of its run's
 * failures (a run spread over many addresses is charged to none, so a user's single typo from
 * the office does not get the office blamed for an attacker's run). An address charged with 3
 * lockouts within 24 hours is reported to the `onAddressAbuse` listeners, after the commit, on
 * each further lockout too (the listener should be idempotent). Device lockouts are not charged.
 *
 * ENTERPRISE_SECURITY_ENABLED=false: nothing is counted or locked and no device cookie is set;
 * failed sign-ins are still audited.
 */

export interface LockoutPolicy {
  /** Asked on every sign-in: ENTERPRISE_SECURITY_ENABLED and the enterprise_security flag. */
  enabled: () => boolean;
  /** MAX_LOGIN_ATTEMPTS: failures per run, for an account and for a trusted device. */
  maxAttempts: number;
  /** LOCKOUT_DURATION_MINUTES: the first lockout's length, and the length of a failure run. */
  durationMinutes: number;
  /** LOCKOUT_MAX_DURATION_MINUTES: the doubling stops here. */
  maxDurationMinutes: number;
}

export const TRUSTED_DEVICE_DAYS = 90;
/** The most recently used devices a user keeps; older ones are forgotten (API clients keep no cookie). */
export const MAX_TRUSTED_DEVICES = 20;
/** Lockouts charged to one address within 24 hours that make it abusive (the guide's auto-blacklist). */
export const ADDRESS_ABUSE_LOCKOUTS = 3;
const DAY_MS = 24 * 3_600_000;
const MINUTE_MS = 60_000;
/** 256 bits, base64url: anything else in the cookie is ignored without a lookup. */
const DEVICE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Length of the `number`th lockout within 24 hours: doubling from the base, capped. */
export function lockoutMinutes(
  number: number,
  policy: Pick<LockoutPolicy, 'durationMinutes' | 'maxDurationMinutes'>,
): number {
  const doublings = Math.min(Math.max(number - 1, 0), 40);
  return Math.min(policy.durationMinutes * 2 ** doublings, policy.maxDurationMinutes);
}

/** The stored key of a username as typed: SHA-256 of its lower-cased form (users.username_key). */
export function accountKey(username: string): string {
  return sha256Hex(usernameKey(username));
}

/** One sign-in attempt's claim on a budget: made by `reserve`, settled by `registerFailure`/`registerSuccess`. */
export interface LoginAttempt {
  /** False: locked (or every try of the run is taken). Verify only the decoy and answer as for a wrong secret. */
  readonly allowed: boolean;
  /** False when lockouts are off: nothing to settle. */
  readonly tracked: boolean;
  readonly accountKey: string;
  /** The active user the name belongs to, or null. */
  readonly userId: string | null;
  /** Set when the attempt came with a valid trusted-device cookie of this user: its budget was used. */
  readonly device: { id: string; token: string } | null;
  /** Which try of the run this is (1..MAX_LOGIN_ATTEMPTS); 0 when refused or untracked. */
  readonly number: number;
}

/** The `sv_device` cookie to (re)set after a successful sign-in. */
export interface TrustedDeviceCookie {
  token: string;
  expiresAt: string;
}

export interface FailureOutcome {
  /** This failure started a lockout (of the account, or of the trusted device it came from). */
  locked: boolean;
  /** The address the lockout was charged to, when it has caused 3 lockouts within 24 hours. */
  abusiveAddress: string | null;
}

export interface LockedAccount {
  user_id: string;
  username: string;
  locked_until: string;
  failed_count: number;
  lockouts_24h: number;
}

export interface Lockouts {
  /** Whether lockouts apply now. */
  enabled(): boolean;
  /**
   * Before verifying anything: one atomic step that checks the lock and takes a try. `userId`:
   * the active user with this name, if any; `deviceToken`: the `sv_device` cookie, if sent.
   */
  reserve(input: {
    username: string;
    userId: string | null;
    deviceToken: string | null;
    /** The client address, recorded with the try: a lockout is charged to the run's main address. */
    ip: string | null;
  }): Promise<LoginAttempt>;
  /**
   * A failed verification (password, PIN, MFA code) of a reserved attempt. `events` (the
   * LOGIN_FAILED entry) are recorded in the same transaction as the counters and any lockout,
   * whose ACCOUNT_LOCKED event carries `context`'s actor. A refused attempt only records `events`.
   */
  registerFailure(
    attempt: LoginAttempt,
    context: AuditContext,
    events?: readonly AuditEvent[],
  ): Promise<FailureOutcome>;
  /**
   * A try that neither failed nor completed (the password was right; the second factor was asked
   * for): given back, while the run and its failures go on. Ending the run instead would let
   * someone holding the password guess codes for ever.
   */
  release(attempt: LoginAttempt): Promise<void>;
  /** A successful sign-in, in its transaction: ends the failure run; returns the device cookie to set. */
  registerSuccess(trx: Kysely<Database>, attempt: LoginAttempt): Promise<TrustedDeviceCookie | null>;
  /** Called after the commit with each address that has caused 3 lockouts within 24 hours. */
  onAddressAbuse(listener: (ip: string) => void | Promise<void>): void;
  /** Existing users' accounts locked now (names that match no user are never shown). */
  listLocked(): Promise<LockedAccount[]>;
  /** Clears the lock and failures of the name (and of the user's devices); audited either way. */
  unlock(username: string, context: AuditContext): Promise<{ unlocked: boolean }>;
  /** Deletes state that no longer decides anything; returns how many rows went. */
  prune(): Promise<number>;
}

interface Lock {
  event: SecurityEvent;
  abusiveAddress: string | null;
}

/** The address that made more than half of the run's tries (`,addr,addr,…`), if one did. */
export function chargedAddress(trySources: string): string | null {
  const tries = trySources.split(',').slice(1);
  const counts = new Map<string, number>();
  for (const ip of tries) counts.set(ip, (counts.get(ip) ?? 0) + 1);
  for (const [ip, count] of counts) if (ip !== '' && count * 2 > tries.length) return ip;
  return null;
}

export function createLockouts(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  trail: AuditTrail;
  securityEvents: SecurityEvents;
  policy: LockoutPolicy;
  log?: { error(object: object, message: string): void };
}): Lockouts {
  const { db, clock, ids, trail, securityEvents, policy, log } = deps;
  const { enabled, maxAttempts } = policy;
  const windowMs = policy.durationMinutes * MINUTE_MS;
  const listeners: ((ip: string) => void | Promise<void>)[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();

  async function notifyAbuse(ip: string): Promise<void> {
    for (const listener of listeners) {
      try {
        await listener(ip);
      } catch (error) {
        // The sign-in's answer must not change (a 500 would reveal the lockout).
        log?.error({ err: error }, 'address abuse listener failed');
      }
    }
  }

  async function chargeAddress(trx: Kysely<Database>, ip: string, now: number): Promise<boolean> {
    const nowIso = iso(now);
    const previous = (await store.lockAddress(trx, ip, nowIso)).filter((at) => Date.parse(at) > now - DAY_MS);
    const recent = [...previous, nowIso].slice(-ADDRESS_ABUSE_LOCKOUTS);
    await store.saveAddress(trx, ip, recent, nowIso);
    return recent.length >= ADDRESS_ABUSE_LOCKOUTS;
  }

  async function failAccount(
    trx: Kysely<Database>,
    attempt: LoginAttempt,
    now: number,
  ): Promise<Lock | null> {
    const nowIso = iso(now);
    const row = await store.lockAccount(trx, attempt.accountKey, nowIso);
    if (!row || (row.locked_until !== null && row.locked_until > nowIso)) return null;
    // Only the run's last try locks, and only if no success has ended the run meanwhile.
    if (attempt.number < maxAttempts || row.failed_count < maxAttempts) return null;
    const recent = row.last_lockout_at !== null && Date.parse(row.last_lockout_at) > now - DAY_MS;
    const number = recent ? row.lockout_count_24h + 1 : 1;
    const minutes = lockoutMinutes(number, policy);
    const lockedUntil = iso(now + minutes * MINUTE_MS);
    await store.updateAccount(trx, attempt.accountKey, {
      locked_until: lockedUntil,
      lockout_count_24h: number,
      last_lockout_at: nowIso,
    });
    // Every try of the run counts, also those still being verified in parallel.
    const culprit = chargedAddress(row.try_sources);
    const abusive = culprit !== null && (await chargeAddress(trx, culprit, now));
    return {
      abusiveAddress: abusive ? culprit : null,
      event: {
        type: 'ACCOUNT_LOCKED',
        action: 'account.lock',
        severity: 'high',
        user_id: attempt.userId,
        details: {
          scope: 'account',
          attempts: row.failed_count,
          duration_minutes: minutes,
          lockout_number: number,
          locked_until: lockedUntil,
        },
      },
    };
  }

  async function failDevice(
    trx: Kysely<Database>,
    attempt: LoginAttempt,
    device: { id: string },
    now: number,
  ): Promise<Lock | null> {
    const nowIso = iso(now);
    const row = await store.lockDevice(trx, device.id);
    if (!row || (row.locked_until !== null && row.locked_until > nowIso)) return null;
    if (attempt.number < maxAttempts || row.failed_count < maxAttempts) return null;
    const lockedUntil = iso(now + windowMs);
    await store.updateDevice(trx, device.id, { locked_until: lockedUntil });
    return {
      abusiveAddress: null,
      event: {
        type: 'ACCOUNT_LOCKED',
        action: 'account.lock',
        severity: 'high',
        user_id: attempt.userId,
        details: {
          scope: 'trusted_device',
          device_id: device.id,
          attempts: row.failed_count,
          duration_minutes: policy.durationMinutes,
          locked_until: lockedUntil,
        },
      },
    };
  }

  return {
    enabled,

    async reserve({ username, userId, deviceToken, ip }) {
      const key = accountKey(username);
      if (!enabled())
        return { allowed: true, tracked: false, accountKey: key, userId, device: null, number: 0 };
      const now = clock.now().getTime();
      const reservation = { now: iso(now), windowStart: iso(now - windowMs), maxAttempts };
      // Looked up whether or not the name is a user's: the same queries either way.
      const found =
        deviceToken !== null && DEVICE_TOKEN.test(deviceToken)
          ? await store.findDevice(db, sha256Hex(deviceToken))
          : undefined;
      if (found && userId !== null && found.user_id === userId && found.expires_at > reservation.now) {
        const number = await store.reserveDeviceTry(db, found.id, reservation);
        return {
          allowed: number !== undefined,
          tracked: true,
          accountKey: key,
          userId,
          device: { id: found.id, token: deviceToken! },
          number: number ?? 0,
        };
      }
      const number = await store.reserveAccountTry(db, key, userId, ip, reservation);
      return {
        allowed: number !== undefined,
        tracked: true,
        accountKey: key,
        userId,
        device: null,
        number: number ?? 0,
      };
    },

    async registerFailure(attempt, context, events = []) {
      const outcome = await trail.transaction(context, async (trx, record): Promise<FailureOutcome> => {
        for (const event of events) record(event);
        if (!enabled() || !attempt.tracked || !attempt.allowed)
          return { locked: false, abusiveAddress: null };
        const now = clock.now().getTime();
        const lock = attempt.device
          ? await failDevice(trx, attempt, attempt.device, now)
          : await failAccount(trx, attempt, now);
        if (!lock) return { locked: false, abusiveAddress: null };
        record(await securityEvents.record(trx, context, lock.event));
        return { locked: true, abusiveAddress: lock.abusiveAddress };
      });
      if (outcome.abusiveAddress) await notifyAbuse(outcome.abusiveAddress);
      return outcome;
    },

    async release(attempt) {
      if (!enabled() || !attempt.tracked || !attempt.allowed) return;
      const now = clock.now().toISOString();
      if (attempt.device) await store.releaseDeviceTry(db, attempt.device.id, now);
      else await store.releaseAccountTry(db, attempt.accountKey, now);
    },

    async registerSuccess(trx, attempt) {
      if (!enabled() || !attempt.tracked || attempt.userId === null) return null;
      const now = clock.now().getTime();
      const nowIso = iso(now);
      const expiresAt = iso(now + TRUSTED_DEVICE_DAYS * DAY_MS);
      await store.resetAccountRun(trx, attempt.accountKey, nowIso);
      if (attempt.device) {
        await store.updateDevice(trx, attempt.device.id, {
          failed_count: 0,
          window_started_at: null,
          last_used_at: nowIso,
          expires_at: expiresAt,
        });
        return { token: attempt.device.token, expiresAt };
      }
      // 256 bits from the CSPRNG; only its SHA-256 is stored.
      const token = randomBytes(32).toString('base64url');
      await store.insertDevice(trx, {
        id: ids.uuid(),
        user_id: attempt.userId,
        token_hash: sha256Hex(token),
        created_at: nowIso,
        last_used_at: nowIso,
        expires_at: expiresAt,
        failed_count: 0,
        window_started_at: null,
        locked_until: null,
      });
      await store.trimDevices(trx, attempt.userId, nowIso, MAX_TRUSTED_DEVICES);
      return { token, expiresAt };
    },

    onAddressAbuse(listener) {
      listeners.push(listener);
    },

    async listLocked() {
      const now = clock.now().getTime();
      const rows = await store.listLocked(db, iso(now));
      return rows.map((row) => ({
        user_id: row.user_id,
        username: row.username,
        locked_until: row.locked_until!,
        failed_count: Number(row.failed_count),
        lockouts_24h:
          row.last_lockout_at !== null && Date.parse(row.last_lockout_at) > now - DAY_MS
            ? Number(row.lockout_count_24h)
            : 0,
      }));
    },

    async unlock(username, context) {
      const key = accountKey(username);
      const userId = (await store.findUserIdByKey(db, usernameKey(username))) ?? null;
      return trail.transaction(context, async (trx, record) => {
        const nowIso = clock.now().toISOString();
        const rows = await store.lockAccountsFor(trx, key, userId, nowIso);
        const locked = rows.filter((row) => row.locked_until !== null && row.locked_until > nowIso);
        await store.clearAccounts(
          trx,
          rows.map((row) => row.account_key),
          nowIso,
        );
        const devicesUnlocked = userId ? await store.clearDevices(trx, userId, nowIso) : 0;
        const unlocked = locked.length > 0 || devicesUnlocked > 0;
        const details = {
          was_locked: unlocked,
          locked_until: locked[0]?.locked_until ?? null,
          failed_count: rows.find((row) => row.account_key === key)?.failed_count ?? 0,
          devices_unlocked: devicesUnlocked,
        };
        if (unlocked) {
          record(
            await securityEvents.record(trx, context, {
              type: 'ACCOUNT_UNLOCKED',
              action: 'account.unlock',
              severity: 'medium',
              outcome: 'success',
              user_id: userId,
              details,
            }),
          );
        } else {
          // Nothing was locked: no security event, but the admin's request is still on the record.
          record({
            type: 'ACCOUNT_UNLOCKED',
            action: 'account.unlock',
            outcome: 'success',
            resource: { type: 'user', id: userId },
            details,
          });
        }
        return { unlocked };
      });
    },

    async prune() {
      const now = clock.now().getTime();
      const keepMs = Math.max(DAY_MS, windowMs, policy.maxDurationMinutes * MINUTE_MS);
      return store.prune(db, iso(now - keepMs), iso(now));
    },
  };
}
