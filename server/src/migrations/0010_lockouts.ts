import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Brute-force protection (guide: Enterprise Security, 2): per-account failure counters and
 * lockouts, trusted devices with their own small failure budget, and the lockouts each client
 * address caused (3 within 24 hours: reported for automatic blacklisting).
 */
export const migration0010Lockouts: MigrationModule = {
  name: '0010_lockouts',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('security_locked_accounts')
      // SHA-256 of the lower-cased username as typed (users.username_key), for names that match no
      // user too: they lock the same way, and a password typed into the username field is not kept.
      .addColumn('account_key', 'text', (col) => col.primaryKey())
      // The user the name belonged to at the last attempt; null for unknown or inactive names.
      .addColumn('user_id', 'text')
      .addColumn('failed_count', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('window_started_at', 'text')
      // JSON {address: failures} of the current run, to charge a lockout to the address behind it.
      .addColumn('failure_sources', 'text', (col) => col.notNull().defaultTo('{}'))
      .addColumn('locked_until', 'text')
      .addColumn('lockout_count_24h', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('last_lockout_at', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('security_locked_accounts_until_idx')
      .on('security_locked_accounts')
      .column('locked_until')
      .execute();
    await db.schema
      .createIndex('security_locked_accounts_user_idx')
      .on('security_locked_accounts')
      .column('user_id')
      .execute();
    await db.schema
      .createIndex('security_locked_accounts_updated_idx')
      .on('security_locked_accounts')
      .column('updated_at')
      .execute();

    await db.schema
      .createTable('security_trusted_devices')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      // SHA-256 of the sv_device cookie: a stolen database does not yield usable device tokens.
      .addColumn('token_hash', 'text', (col) => col.notNull().unique())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_used_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('failed_count', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('window_started_at', 'text')
      .addColumn('locked_until', 'text')
      .execute();
    await db.schema
      .createIndex('security_trusted_devices_user_idx')
      .on('security_trusted_devices')
      .columns(['user_id', 'expires_at'])
      .execute();

    await db.schema
      .createTable('security_lockout_addresses')
      .addColumn('ip_address', 'text', (col) => col.primaryKey())
      // JSON array of the times of the last lockouts charged to the address (at most 3, oldest first).
      .addColumn('recent_lockouts', 'text', (col) => col.notNull().defaultTo('[]'))
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('security_lockout_addresses_updated_idx')
      .on('security_lockout_addresses')
      .column('updated_at')
      .execute();
  },
};
