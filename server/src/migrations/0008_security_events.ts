import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/** Security events: blocks, lockouts, rate limits, denials, forced logouts (each also audited). */
export const migration0008SecurityEvents: MigrationModule = {
  name: '0008_security_events',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('security_events')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('timestamp', 'text', (col) => col.notNull())
      .addColumn('event_type', 'text', (col) => col.notNull())
      .addColumn('severity', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text')
      .addColumn('ip_address', 'text')
      .addColumn('details', 'text', (col) => col.notNull())
      .addColumn('request_id', 'text')
      .execute();
    await db.schema
      .createIndex('security_events_time_idx')
      .on('security_events')
      .columns(['timestamp', 'id'])
      .execute();
    await db.schema
      .createIndex('security_events_severity_idx')
      .on('security_events')
      .columns(['severity', 'timestamp', 'id'])
      .execute();
  },
};
