import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Where each ERP sync pass stands (modules/integrations/sync): one row per connector, entity
 * (items | stock_levels) and mode (changes | new_items | full).
 *
 * `cursor` is the source's cursor after the last page whose rows were written, stored in the same
 * transaction as those rows: a pass interrupted anywhere resumes after the last committed page,
 * and no row is read into the database twice. `fencing_token` is the job lease's token of the pass
 * that wrote it; a holder whose lease was taken over (lower token) can no longer move the cursor.
 * `pass_counts` and `rejects` are the current pass's running figures (JSON text); `last_counts`
 * those of the last pass that reached the end.
 */
export const migration0019ErpSync: MigrationModule = {
  name: '0019_erp_sync',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('erp_sync_state')
      .addColumn('connector_id', 'text', (col) =>
        col.notNull().references('erp_connectors.id').onDelete('cascade'),
      )
      .addColumn('entity', 'text', (col) => col.notNull())
      .addColumn('mode', 'text', (col) => col.notNull())
      // null: no pass under way (the next starts from the beginning)
      .addColumn('cursor', 'text')
      .addColumn('in_progress', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('fencing_token', 'bigint')
      .addColumn('started_at', 'text')
      .addColumn('pass_counts', 'text')
      .addColumn('rejects', 'text')
      .addColumn('last_completed_at', 'text')
      .addColumn('last_counts', 'text')
      .addColumn('last_error', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('erp_sync_state_pkey', ['connector_id', 'entity', 'mode'])
      .execute();
  },
};
