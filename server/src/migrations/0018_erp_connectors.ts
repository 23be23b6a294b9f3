import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * ERP connectors (modules/integrations/connectors): where book quantities and items are read
 * from. `settings` is the non-secret configuration as JSON text; `secret_sealed` the password or
 * token sealed with AES-256-GCM under the integrations key, bound to the connector id (null: no
 * secret). `role` is `source` for now; delivery targets come later under the same table.
 */
export const migration0018ErpConnectors: MigrationModule = {
  name: '0018_erp_connectors',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('erp_connectors')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull().unique())
      // sql | http | file_drop
      .addColumn('kind', 'text', (col) => col.notNull())
      // source (delivery targets later)
      .addColumn('role', 'text', (col) => col.notNull())
      .addColumn('settings', 'text', (col) => col.notNull())
      .addColumn('secret_sealed', 'text')
      .addColumn('enabled', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('updated_by', 'text')
      // ok | failed; null until the first test
      .addColumn('last_test_status', 'text')
      .addColumn('last_test_message', 'text')
      .addColumn('last_tested_at', 'text')
      .execute();
  },
};
