import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

export const migration0002SecuritySessions: MigrationModule = {
  name: '0002_security_sessions',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('security_sessions')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      // SHA-256 of the bearer token: a stolen database does not yield usable tokens.
      .addColumn('token_hash', 'text', (col) => col.notNull().unique())
      .addColumn('csrf_hash', 'text', (col) => col.notNull())
      .addColumn('auth_method', 'text', (col) => col.notNull())
      .addColumn('ip_address', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_seen_at', 'text', (col) => col.notNull())
      .addColumn('idle_expires_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_reason', 'text')
      .execute();
    await db.schema
      .createIndex('security_sessions_user_idx')
      .on('security_sessions')
      .columns(['user_id', 'created_at'])
      .execute();
  },
};
