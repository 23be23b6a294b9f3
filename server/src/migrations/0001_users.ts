import { sql } from 'kysely';
import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

export const migration0001Users: MigrationModule = {
  name: '0001_users',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('username', 'text', (col) => col.notNull())
      // Lower-cased username: uniqueness and sign-in are case-insensitive on both dialects.
      .addColumn('username_key', 'text', (col) => col.notNull().unique())
      .addColumn('display_name', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull().check(sqlRoleCheck()))
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('pin_hash', 'text')
      .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('password_changed_at', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('users_role_idx').on('users').columns(['role', 'id']).execute();
  },
};

function sqlRoleCheck() {
  return sql`role in ('admin', 'supervisor', 'auditor', 'staff')`;
}
