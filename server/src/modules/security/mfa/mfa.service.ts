import type { Kysely } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import type { PrincipalUser, Role } from '../../../platform/http/access.ts';
import { AppError, badRequest, conflict, notFound } from '../../../platform/http/errors.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext } from '../../audit/events.ts';
import type { PasswordHasher } from '../../auth/credentials.ts';
import type { SessionsService } from '../../auth/sessions.service.ts';
import * as store from './mfa.store.ts';
import type { MfaKey } from './mfa-key.ts';
import { generateRecoveryCodes, isWellFormedRecoveryCode } from './recovery-codes.ts';
import { generateSecret, otpauthUrl, qrSvg, verifyTotp } from './totp.ts';

/**
 * Two-factor sign-in: TOTP (RFC 6238, 30-second steps, ±1 step of clock drift) with ten
 * single-use recovery codes.
 *
 * Set-up is two steps: `setup` makes a secret and shows it (URL and QR code) but does not use it;
 * `enable` puts it in use once the user proves their app has it by sending a code from it, and
 * answers the recovery codes, which are shown this once and kept only as keyed hashes.
 *
 * Every accepted code moves the user's last used time step forward in one conditional update, so
 * a code (or an earlier one) is never accepted twice, even by two sign-ins racing.
 *
 * `MFA_REQUIRED_ROLES`: users with those roles cannot switch MFA off, and until they switch it on
 * their sessions can only set it up (the access guard asks `enrolmentRequired`).
 */

/** A set-up not confirmed within this long must be started again. */
const SETUP_MINUTES = 15;

export interface SecondFactor {
  otp_code?: string | undefined;
  recovery_code?: string | undefined;
}

export type SecondFactorCheck =
  | { ok: true; method: 'totp' | 'recovery_code' }
  | { ok: false; reason: 'missing' | 'wrong_otp' | 'replayed_otp' | 'wrong_recovery_code' };

export interface MfaStatus {
  enabled: boolean;
  /** The user's role must use MFA (MFA_REQUIRED_ROLES). */
  required: boolean;
  /** Unused recovery codes; 0 when MFA is off. */
  recovery_codes_left: number;
}

export interface MfaSetup {
  /** Base32, for typing into an app by hand. */
  secret: string;
  otpauth_url: string;
  /** The otpauth URL as an SVG QR code. */
  qr_svg: string;
  expires_at: string;
}

export interface Mfa {
  readonly requiredRoles: readonly Role[];
  /** The user must set MFA up before doing anything else. */
  enrolmentRequired(user: PrincipalUser): boolean;
  status(user: PrincipalUser): Promise<MfaStatus>;
  setup(user: PrincipalUser, context: AuditContext): Promise<MfaSetup>;
  /** Confirms the set-up with a code from the new secret; answers the recovery codes (shown once). */
  enable(user: PrincipalUser, otpCode: string, context: AuditContext): Promise<{ recovery_codes: string[] }>;
  /** The user switches MFA off, proving it is them with their password and a code or recovery code. */
  disable(user: PrincipalUser, password: string, factor: SecondFactor, context: AuditContext): Promise<void>;
  /** New recovery codes (the old ones stop working), for a code from the app. */
  regenerateRecoveryCodes(
    user: PrincipalUser,
    otpCode: string,
    context: AuditContext,
  ): Promise<{ recovery_codes: string[] }>;
  /**
   * An admin switches another user's MFA off (a lost or stolen phone): the user's sessions end,
   * and they sign in with the password alone (or set MFA up again, if their role requires it).
   */
  reset(userId: string, context: AuditContext): Promise<{ reset: boolean }>;
  /** Checks (and uses up) a second factor of a user who has MFA on. */
  verify(userId: string, factor: SecondFactor): Promise<SecondFactorCheck>;
}

export function createMfa(deps: {
  db: Kysely<Database>;
  clock: Clock;
  key: MfaKey;
  hasher: PasswordHasher;
  sessions: Pick<SessionsService, 'revokeAllForUser'>;
  audit: AuditTrail;
  issuer: string;
  requiredRoles: readonly Role[];
}): Mfa {
  const { db, clock, key, hasher, sessions, audit, issuer, requiredRoles } = deps;
  const required = (role: Role) => requiredRoles.includes(role);

  async function verify(userId: string, factor: SecondFactor): Promise<SecondFactorCheck> {
    const now = clock.now();
    if (factor.otp_code !== undefined) {
      const row = await store.findMfa(db, userId);
      if (!row?.secret_sealed) return { ok: false, reason: 'wrong_otp' };
      const result = verifyTotp(key.open(userId, row.secret_sealed), factor.otp_code, {
        nowSeconds: now.getTime() / 1000,
        lastUsedStep: row.last_used_step,
      });
      if (!result.ok)
        return { ok: false, reason: result.reason === 'replayed' ? 'replayed_otp' : 'wrong_otp' };
      // Lost a race with another sign-in using this code (or a later one): a replay.
      const claimed = await store.claimStep(db, userId, result.step, now.toISOString());
      return claimed ? { ok: true, method: 'totp' } : { ok: false, reason: 'replayed_otp' };
    }
    if (factor.recovery_code !== undefined) {
      if (!isWellFormedRecoveryCode(factor.recovery_code))
        return { ok: false, reason: 'wrong_recovery_code' };
      const claimed = await store.claimRecoveryCode(
        db,
        userId,
        key.hashRecoveryCode(factor.recovery_code),
        now.toISOString(),
      );
      return claimed ? { ok: true, method: 'recovery_code' } : { ok: false, reason: 'wrong_recovery_code' };
    }
    return { ok: false, reason: 'missing' };
  }

  return {
    requiredRoles,

    enrolmentRequired: (user) => !user.mfa_enabled && required(user.role),

    async status(user) {
      return {
        enabled: user.mfa_enabled,
        required: required(user.role),
        recovery_codes_left: user.mfa_enabled ? await store.countUnusedRecoveryCodes(db, user.id) : 0,
      };
    },

    async setup(user, context) {
      if (user.mfa_enabled) {
        throw conflict(
          'Two-factor sign-in is already on; switch it off first to set up a new app',
          'MFA_ALREADY_ENABLED',
        );
      }
      const secret = generateSecret();
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + SETUP_MINUTES * 60_000).toISOString();
      const url = otpauthUrl({ issuer, account: user.username, secretBase32: secret });
      await audit.transaction(context, async (trx, record) => {
        await store.savePending(trx, user.id, key.seal(user.id, secret), expiresAt, now.toISOString());
        record({
          type: 'MFA_ENABLE',
          action: 'auth.mfa.setup',
          resource: { type: 'user', id: user.id },
          details: { stage: 'setup_started', expires_at: expiresAt },
        });
      });
      return { secret, otpauth_url: url, qr_svg: await qrSvg(url), expires_at: expiresAt };
    },

    async enable(user, otpCode, context) {
      if (user.mfa_enabled) throw conflict('Two-factor sign-in is already on', 'MFA_ALREADY_ENABLED');
      const now = clock.now();
      const row = await store.findMfa(db, user.id);
      if (
        !row?.pending_secret_sealed ||
        !row.pending_expires_at ||
        row.pending_expires_at <= now.toISOString()
      ) {
        throw conflict('No set-up is waiting (or it expired); start the set-up again', 'MFA_SETUP_REQUIRED');
      }
      const sealed = row.pending_secret_sealed;
      const result = verifyTotp(key.open(user.id, sealed), otpCode, { nowSeconds: now.getTime() / 1000 });
      if (!result.ok) {
        await audit.record(context, {
          type: 'MFA_ENABLE',
          action: 'auth.mfa.enable',
          outcome: 'failure',
          severity: 'low',
          resource: { type: 'user', id: user.id },
          details: { reason: 'wrong_otp' },
        });
        throw new AppError(400, 'INVALID_OTP_CODE', 'The code does not match; check the time on your phone', [
          { field: 'otp_code', message: 'does not match' },
        ]);
      }
      const codes = generateRecoveryCodes();
      await audit.transaction(context, async (trx, record) => {
        if (!(await store.activate(trx, user.id, sealed, result.step, now.toISOString()))) {
          throw conflict('Two-factor sign-in is already on', 'MFA_ALREADY_ENABLED');
        }
        await store.replaceRecoveryCodes(trx, user.id, codes.map(key.hashRecoveryCode));
        record({
          type: 'MFA_ENABLE',
          action: 'auth.mfa.enable',
          resource: { type: 'user', id: user.id },
          details: { method: 'totp', recovery_codes_issued: codes.length },
        });
      });
      return { recovery_codes: codes };
    },

    async disable(user, password, factor, context) {
      if (!user.mfa_enabled) throw conflict('Two-factor sign-in is not on', 'MFA_NOT_ENABLED');
      if (required(user.role)) {
        throw new AppError(
          403,
          'MFA_REQUIRED_FOR_ROLE',
          `Two-factor sign-in is required for the ${user.role} role`,
        );
      }
      const credentials = await db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', user.id)
        .executeTakeFirst();
      if (!credentials) throw notFound('User');
      const passwordOk = await hasher.verify(credentials.password_hash, password);
      const second = passwordOk ? await verify(user.id, factor) : null;
      if (!passwordOk || !second?.ok) {
        const reason = !passwordOk ? 'wrong_password' : second!.ok ? 'unknown' : second!.reason;
        await audit.record(context, {
          type: 'MFA_DISABLE',
          action: 'auth.mfa.disable',
          outcome: 'failure',
          severity: 'medium',
          resource: { type: 'user', id: user.id },
          details: { reason },
        });
        throw new AppError(400, 'MFA_VERIFICATION_FAILED', 'The password or the code is not correct');
      }
      await audit.transaction(context, async (trx, record) => {
        await store.deactivate(trx, user.id, clock.now().toISOString());
        record({
          type: 'MFA_DISABLE',
          action: 'auth.mfa.disable',
          resource: { type: 'user', id: user.id },
          details: { verified_with: second.method },
        });
      });
    },

    async regenerateRecoveryCodes(user, otpCode, context) {
      if (!user.mfa_enabled) throw conflict('Two-factor sign-in is not on', 'MFA_NOT_ENABLED');
      const second = await verify(user.id, { otp_code: otpCode });
      if (!second.ok) {
        await audit.record(context, {
          type: 'MFA_ENABLE',
          action: 'auth.mfa.recovery_codes',
          outcome: 'failure',
          severity: 'medium',
          resource: { type: 'user', id: user.id },
          details: { reason: second.reason },
        });
        throw new AppError(400, 'MFA_VERIFICATION_FAILED', 'The code is not correct', [
          { field: 'otp_code', message: 'does not match' },
        ]);
      }
      const codes = generateRecoveryCodes();
      await audit.transaction(context, async (trx, record) => {
        await store.replaceRecoveryCodes(trx, user.id, codes.map(key.hashRecoveryCode));
        record({
          type: 'MFA_ENABLE',
          action: 'auth.mfa.recovery_codes',
          resource: { type: 'user', id: user.id },
          details: { recovery_codes_issued: codes.length },
        });
      });
      return { recovery_codes: codes };
    },

    async reset(userId, context) {
      if (userId === context.actor.user_id) {
        throw badRequest('To switch your own two-factor sign-in off, use POST /api/auth/mfa/disable');
      }
      const exists = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (!exists) throw notFound('User');
      return audit.transaction(context, async (trx, record) => {
        const reset = await store.deactivate(trx, userId, clock.now().toISOString());
        if (reset) {
          // Whoever holds the lost phone may hold a session too.
          await sessions.revokeAllForUser(userId, 'mfa_reset', undefined, trx);
          record({
            type: 'MFA_DISABLE',
            action: 'user.mfa_reset',
            resource: { type: 'user', id: userId },
            details: { by_admin: true },
          });
        }
        return { reset };
      });
    },

    verify,
  };
}
