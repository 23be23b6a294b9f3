import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Two-factor sign-in (TOTP, RFC 6238) with single-use recovery codes. `users.mfa_enabled_at`
 * says whether a user has it on (the session lookup and the user list read it without a join);
 * the secret and the replay guard live beside it in `security_mfa`.
 */
export const migration0011Mfa: MigrationModule = {
  name: '0011_mfa',
  async up(db: MigrationDb) {
    await db.schema.alterTable('users').addColumn('mfa_enabled_at', 'text').execute();
    await db.schema
      .createTable('security_mfa')
      .addColumn('user_id', 'text', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
      // AES-256-GCM sealed base32 secrets (never stored in clear): the one in use, and the one
      // being set up (shown once, in use only after a code from it was confirmed).
      .addColumn('secret_sealed', 'text')
      .addColumn('pending_secret_sealed', 'text')
      .addColumn('pending_expires_at', 'text')
      // The last accepted time step: a code for it or an earlier one is refused (replay).
      .addColumn('last_used_step', 'integer')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('security_mfa_recovery_codes')
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      // HMAC-SHA-256 of the normalised code under the MFA key: the codes themselves are never kept.
      .addColumn('code_hash', 'text', (col) => col.notNull())
      .addColumn('used_at', 'text')
      .addPrimaryKeyConstraint('security_mfa_recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();
  },
};
