import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Background jobs that run once across instances (platform/jobs/job-runner.ts).
 *
 * `job_leases`: one row per job name. The instance holding an unexpired lease is the only one
 * running that job; `fencing_token` grows by one with every claim, so a holder whose lease was
 * taken over can no longer renew, release or fence its own writes. `next_due_at` is the next
 * scheduled run, kept here so that instances agree on it.
 *
 * `job_runs`: the history, one row per run (running, succeeded, failed, interrupted).
 */
export const migration0017Jobs: MigrationModule = {
  name: '0017_jobs',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('job_leases')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('holder', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('fencing_token', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('run_id', 'text')
      .addColumn('next_due_at', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('job_runs')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('job_name', 'text', (col) => col.notNull())
      .addColumn('instance_id', 'text', (col) => col.notNull())
      // schedule | manual
      .addColumn('trigger', 'text', (col) => col.notNull())
      // running | succeeded | failed | interrupted
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('fencing_token', 'bigint', (col) => col.notNull())
      .addColumn('started_at', 'text', (col) => col.notNull())
      .addColumn('finished_at', 'text')
      .addColumn('rows_processed', 'integer')
      .addColumn('progress_processed', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('progress_total', 'integer')
      .addColumn('error', 'text')
      .addColumn('triggered_by', 'text')
      .execute();
    await db.schema
      .createIndex('job_runs_job_started_idx')
      .on('job_runs')
      .columns(['job_name', 'started_at', 'id'])
      .execute();
    await db.schema
      .createIndex('job_runs_status_idx')
      .on('job_runs')
      .columns(['status', 'job_name'])
      .execute();
  },
};
