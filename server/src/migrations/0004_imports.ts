import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/** Import jobs (CSV/XLSX of items or stock levels) and their rejected rows. */
export const migration0004Imports: MigrationModule = {
  name: '0004_imports',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('import_jobs')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('format', 'text', (col) => col.notNull())
      .addColumn('filename', 'text', (col) => col.notNull())
      .addColumn('size_bytes', 'bigint', (col) => col.notNull())
      .addColumn('dry_run', 'integer', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('total', 'integer')
      .addColumn('processed', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('inserted', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('updated', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('unchanged', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('rejected', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addColumn('created_by', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema
      .createIndex('import_jobs_created_idx')
      .on('import_jobs')
      .columns(['created_at', 'id'])
      .execute();

    await db.schema
      .createTable('import_errors')
      .addColumn('job_id', 'text', (col) => col.notNull().references('import_jobs.id').onDelete('cascade'))
      .addColumn('row_number', 'integer', (col) => col.notNull())
      .addColumn('column_name', 'text')
      .addColumn('reason', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('import_errors_job_idx')
      .on('import_errors')
      .columns(['job_id', 'row_number'])
      .execute();
  },
};
