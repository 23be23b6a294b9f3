import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * IP allow/deny lists, and a version counter per cached dataset: every instance keeps the lists
 * in memory and reloads them when the version moves (it polls it every few seconds).
 */
export const migration0009IpLists: MigrationModule = {
  name: '0009_ip_lists',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('security_ip_lists')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('list_type', 'text', (col) => col.notNull())
      // Canonical CIDR (host bits zeroed; a single address is /32 or /128).
      .addColumn('cidr', 'text', (col) => col.notNull())
      .addColumn('reason', 'text', (col) => col.notNull())
      .addColumn('source', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text')
      .addUniqueConstraint('security_ip_lists_entry_unique', ['list_type', 'cidr'])
      .execute();
    await db.schema
      .createTable('cache_versions')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('version', 'integer', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
  },
};
