import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * The addresses behind a failure run are recorded when each try is reserved, not when its
 * failure is settled: a lockout reached by parallel guesses is charged to the address that made
 * most of the run's tries, including those still being verified when the lock fell.
 */
export const migration0012LockoutTrySources: MigrationModule = {
  name: '0012_lockout_try_sources',
  async up(db: MigrationDb) {
    await db.schema
      .alterTable('security_locked_accounts')
      // ",addr,addr,…": one entry per try of the current run, appended in the reserving statement.
      .addColumn('try_sources', 'text', (col) => col.notNull().defaultTo(''))
      .execute();
    await db.schema.alterTable('security_locked_accounts').dropColumn('failure_sources').execute();
  },
};
