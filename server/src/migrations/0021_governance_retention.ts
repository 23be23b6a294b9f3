import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Retention (modules/governance/retention):
 *
 * - retention_policies: one row per retainable table (`table_name`, the guide's collection_name):
 *   rows older than `retention_days` are removed, archived first when `archive_before_delete`.
 *   Tables without a row follow DEFAULT_RETENTION_DAYS.
 * - retention_runs: one row per run of the retention job (its id is the job run's id), with the
 *   rows archived, deleted and kept under legal hold, in total and per table (JSON). Written in
 *   each batch's own transaction, so the figures match what was removed even after a crash.
 * - data_archive gains `hash`: SHA-256 (hex) of `payload`, so an archived row can be shown to be
 *   unaltered. Null for rows archived before this migration and by the audit trail's own retention.
 * - Indexes on the columns that age rows where none led with them yet: each batch finds its
 *   oldest rows through them instead of scanning the table.
 */
export const migration0021GovernanceRetention: MigrationModule = {
  name: '0021_governance_retention',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('retention_policies')
      .addColumn('table_name', 'text', (col) => col.primaryKey())
      .addColumn('retention_days', 'integer', (col) => col.notNull())
      .addColumn('archive_before_delete', 'integer', (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('updated_by', 'text')
      .execute();

    await db.schema
      .createTable('retention_runs')
      .addColumn('id', 'text', (col) => col.primaryKey())
      // schedule | manual
      .addColumn('trigger', 'text', (col) => col.notNull())
      .addColumn('triggered_by', 'text')
      // running | succeeded | failed | interrupted
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('started_at', 'text', (col) => col.notNull())
      .addColumn('finished_at', 'text')
      .addColumn('rows_archived', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('rows_deleted', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('rows_held', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('tables', 'text', (col) => col.notNull().defaultTo('[]'))
      .addColumn('error', 'text')
      .execute();
    await db.schema
      .createIndex('retention_runs_started_idx')
      .on('retention_runs')
      .columns(['started_at', 'id'])
      .execute();

    await db.schema.alterTable('data_archive').addColumn('hash', 'text').execute();
    await db.schema
      .createIndex('data_archive_archived_idx')
      .on('data_archive')
      .columns(['archived_at', 'id'])
      .execute();
    await db.schema
      .createIndex('security_sessions_expires_idx')
      .on('security_sessions')
      .columns(['expires_at', 'id'])
      .execute();
    await db.schema
      .createIndex('security_trusted_devices_expires_idx')
      .on('security_trusted_devices')
      .columns(['expires_at', 'id'])
      .execute();
    await db.schema
      .createIndex('job_runs_started_idx')
      .on('job_runs')
      .columns(['started_at', 'id'])
      .execute();
  },
};
