import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * What the entries side of counting needs beyond 0013: the record that a location was counted
 * entirely ("count entire location"), so a line whose only entry is voided afterwards falls back
 * to a confirmed zero rather than to "not counted"; and the index the entry lists page on.
 */
export const migration0014CountingEntriesExtra: MigrationModule = {
  name: '0014_counting_entries_extra',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('count_location_completions')
      .addColumn('session_id', 'text', (col) => col.notNull().references('count_sessions.id'))
      .addColumn('location_id', 'text', (col) => col.notNull().references('locations.id'))
      .addColumn('completed_by', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('completed_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('count_location_completions_pk', ['session_id', 'location_id'])
      .execute();
    // A session's entries, newest first (received_at, then id): the supervisor's list.
    await db.schema
      .createIndex('count_entries_received_idx')
      .on('count_entries')
      .columns(['session_id', 'received_at', 'id'])
      .execute();
  },
};
