import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

export interface MfaTable {
  user_id: string;
  secret_sealed: string | null;
  pending_secret_sealed: string | null;
  pending_expires_at: string | null;
  last_used_step: number | null;
  updated_at: string;
}

export interface MfaRecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: string | null;
}

export type MfaRow = Selectable<MfaTable>;
type Db = Kysely<Database> | Transaction<Database>;

export async function findMfa(db: Db, userId: string): Promise<MfaRow | undefined> {
  return db.selectFrom('security_mfa').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** A new secret being set up replaces any earlier unconfirmed one; the secret in use is untouched. */
export async function savePending(
  db: Db,
  userId: string,
  sealed: string,
  expiresAt: string,
  now: string,
): Promise<void> {
  await db
    .insertInto('security_mfa')
    .values({
      user_id: userId,
      secret_sealed: null,
      pending_secret_sealed: sealed,
      pending_expires_at: expiresAt,
      last_used_step: null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({ pending_secret_sealed: sealed, pending_expires_at: expiresAt, updated_at: now }),
    )
    .execute();
}

/**
 * Puts the confirmed pending secret in use, with the step of the confirming code as the last one
 * used, and switches MFA on for the user. False when it was switched on meanwhile.
 */
export async function activate(
  trx: Db,
  userId: string,
  sealed: string,
  step: number,
  now: string,
): Promise<boolean> {
  const switched = await trx
    .updateTable('users')
    .set({ mfa_enabled_at: now, updated_at: now })
    .where('id', '=', userId)
    .where('mfa_enabled_at', 'is', null)
    .executeTakeFirst();
  if (switched.numUpdatedRows !== 1n) return false;
  await trx
    .updateTable('security_mfa')
    .set({
      secret_sealed: sealed,
      pending_secret_sealed: null,
      pending_expires_at: null,
      last_used_step: step,
      updated_at: now,
    })
    .where('user_id', '=', userId)
    .execute();
  return true;
}

export async function replaceRecoveryCodes(
  trx: Db,
  userId: string,
  hashes: readonly string[],
): Promise<void> {
  await trx.deleteFrom('security_mfa_recovery_codes').where('user_id', '=', userId).execute();
  await trx
    .insertInto('security_mfa_recovery_codes')
    .values(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null })))
    .execute();
}

/**
 * Takes time step `step` as the last one used, unless it (or a later one) already was: one atomic
 * conditional update, so two sign-ins racing with the same code cannot both succeed.
 */
export async function claimStep(db: Db, userId: string, step: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('security_mfa')
    .set({ last_used_step: step, updated_at: now })
    .where('user_id', '=', userId)
    .where('secret_sealed', 'is not', null)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Marks an unused recovery code used; false if there is none with this hash (or it was used). */
export async function claimRecoveryCode(db: Db, userId: string, hash: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('security_mfa_recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('security_mfa_recovery_codes')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Switches MFA off: the secret and the recovery codes go. False when it was not on. */
export async function deactivate(trx: Db, userId: string, now: string): Promise<boolean> {
  const switched = await trx
    .updateTable('users')
    .set({ mfa_enabled_at: null, updated_at: now })
    .where('id', '=', userId)
    .where('mfa_enabled_at', 'is not', null)
    .executeTakeFirst();
  await trx.deleteFrom('security_mfa_recovery_codes').where('user_id', '=', userId).execute();
  await trx.deleteFrom('security_mfa').where('user_id', '=', userId).execute();
  return switched.numUpdatedRows === 1n;
}
