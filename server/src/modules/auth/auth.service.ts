import { AppError } from '../../platform/http/errors.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext } from '../audit/events.ts';
import type { SecurityEvents } from '../security/events/security-events.service.ts';
import type { Lockouts, TrustedDeviceCookie } from '../security/lockout/lockout.service.ts';
import type { Mfa, SecondFactor } from '../security/mfa/mfa.service.ts';
import { toUser, type User, type UsersService } from '../users/users.service.ts';
import type { PasswordHasher } from './credentials.ts';
import type { NewSession, SessionsService } from './sessions.service.ts';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** The `sv_device` cookie, when the browser sent one: a trusted device has its own failure budget. */
  deviceToken?: string | null;
}

export interface SignIn {
  session: NewSession;
  user: User;
  /** The trusted-device cookie to (re)set; null when lockouts are off. */
  device: TrustedDeviceCookie | null;
  /** MFA_REQUIRED_ROLES names the user's role and MFA is off: the session can only set it up. */
  mfaEnrolmentRequired: boolean;
}

/**
 * Sign-in, success and failure, and sign-out are recorded in the audit trail under `context`.
 * A user with MFA on also sends a code from their app (or a recovery code) with either secret.
 */
export interface AuthService {
  login(
    username: string,
    password: string,
    factor: SecondFactor,
    client: ClientInfo,
    context: AuditContext,
  ): Promise<SignIn>;
  pinLogin(
    username: string,
    pin: string,
    factor: SecondFactor,
    client: ClientInfo,
    context: AuditContext,
  ): Promise<SignIn>;
  logout(sessionId: string, context: AuditContext): Promise<void>;
}

/**
 * One answer for every failed sign-in — unknown user, inactive user, wrong password, no PIN
 * set, locked account or device — with the same status and body, and an argon2 verification on
 * every path so the timing does not tell them apart either.
 */
export const invalidCredentials = () =>
  new AppError(401, 'INVALID_CREDENTIALS', 'Invalid username or password');

/** The password (or PIN) was right; the user has MFA on and sent no code. */
export const mfaCodeRequired = () =>
  new AppError(401, 'MFA_REQUIRED', 'Enter the code from your authenticator app, or a recovery code');

export async function createAuthService(deps: {
  users: UsersService;
  sessions: SessionsService;
  hasher: PasswordHasher;
  audit: AuditTrail;
  securityEvents: SecurityEvents;
  lockouts: Lockouts;
  mfa: Mfa;
}): Promise<AuthService> {
  const { users, sessions, hasher, audit, securityEvents, lockouts, mfa } = deps;
  // A real argon2id hash of a random secret, so a miss costs what a hit costs.
  const decoyHash = await hasher.hash(`decoy-${Math.random()}-${Date.now()}`);

  async function signIn(
    username: string,
    secret: string,
    method: 'password' | 'pin',
    factor: SecondFactor,
    client: ClientInfo,
    context: AuditContext,
  ): Promise<SignIn> {
    const row = await users.findCredentials(username);
    const stored = method === 'password' ? row?.password_hash : row?.pin_hash;
    // Brute-force protection: "locked?" and "count this try" in one atomic step, before verifying.
    const attempt = await lockouts.reserve({
      username,
      userId: row?.id ?? null,
      deviceToken: client.deviceToken ?? null,
      ip: client.ip,
    });
    // A refused attempt verifies the decoy: it costs what a try costs and proves nothing.
    const verified = await hasher.verify(attempt.allowed ? (stored ?? decoyHash) : decoyHash, secret);
    let failure: string | null = !attempt.allowed
      ? attempt.device
        ? 'device_locked'
        : 'account_locked'
      : !row
        ? 'unknown_or_inactive_user'
        : !stored
          ? 'no_pin_set'
          : !verified
            ? `wrong_${method}`
            : null;
    if (failure === null && row!.mfa_enabled_at !== null) {
      const second = await mfa.verify(row!.id, factor);
      // Asking for the code is neither a failure nor a success: the try is given back.
      if (!second.ok && second.reason === 'missing') {
        await lockouts.release(attempt);
        throw mfaCodeRequired();
      }
      if (!second.ok) failure = second.reason;
    }
    if (failure !== null || !row) {
      // The reason is for auditors only; the caller gets the one answer.
      const claimed = {
        ...context,
        actor: {
          ...context.actor,
          user_id: row?.id ?? null,
          username: row?.username ?? username,
          role: row?.role ?? null,
        },
      };
      await lockouts.registerFailure(attempt, claimed, [
        {
          type: 'LOGIN_FAILED',
          action: method === 'pin' ? 'auth.pin_login' : 'auth.login',
          outcome: 'failure',
          resource: { type: 'user', id: row?.id ?? null },
          details: { method, reason: failure ?? 'unknown' },
        },
      ]);
      throw invalidCredentials();
    }
    const { session, device } = await audit.transaction(context, async (trx, record) => {
      const created = await sessions.create(row.id, method, client, trx);
      // The try is given back (the failure run ends); a session limit is never a failure.
      const device = await lockouts.registerSuccess(trx, attempt);
      const actor = { user_id: row.id, username: row.username, role: row.role };
      const signedIn = { ...context, actor: { ...context.actor, ...actor } };
      for (const ended of created.ended) {
        // The oldest session gave way to this one (MAX_CONCURRENT_SESSIONS).
        record(
          await securityEvents.record(trx, signedIn, {
            type: 'SESSION_TERMINATED',
            action: 'session.limit',
            severity: 'low',
            outcome: 'success',
            user_id: row.id,
            details: { session_id: ended, reason: 'session_limit' },
          }),
        );
      }
      record({
        type: 'LOGIN',
        action: method === 'pin' ? 'auth.pin_login' : 'auth.login',
        resource: { type: 'session', id: created.sessionId },
        details: { method, mfa: row.mfa_enabled_at !== null, expires_at: created.expiresAt },
        actor,
      });
      return { session: created, device };
    });
    const user = toUser(row);
    return { session, user, device, mfaEnrolmentRequired: mfa.enrolmentRequired(user) };
  }

  return {
    login: (username, password, factor, client, context) =>
      signIn(username, password, 'password', factor, client, context),
    pinLogin: (username, pin, factor, client, context) =>
      signIn(username, pin, 'pin', factor, client, context),
    async logout(sessionId, context) {
      await audit.transaction(context, async (trx, record) => {
        await sessions.revoke(sessionId, 'logout', trx);
        record({ type: 'LOGOUT', action: 'auth.logout', resource: { type: 'session', id: sessionId } });
      });
    },
  };
}
