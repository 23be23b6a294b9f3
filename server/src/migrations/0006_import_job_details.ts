import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * The header columns an import ignored (not a known column), as a JSON array of their names:
 * shown with the job so a misspelt optional column ("MRP price") does not go unnoticed.
 */
export const migration0006ImportJobDetails: MigrationModule = {
  name: '0006_import_job_details',
  async up(db: MigrationDb) {
    await db.schema.alterTable('import_jobs').addColumn('ignored_columns', 'text').execute();
  },
};
