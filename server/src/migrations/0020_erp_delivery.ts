import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Adjustment delivery (modules/integrations/delivery):
 *
 * - erp_delivery_target: the one ERP that receives the adjustments of this installation (a row
 *   with id `default`, or none). `settings` is the kind's configuration as JSON text, never a
 *   secret; `secret_sealed` the webhook signing key or the database password, sealed under the
 *   integrations key and bound to the target (null: none).
 * - erp_outbox gains `last_attempt_at`, for the delivery status of a session and the outbox list.
 * - Two indexes for the outbox list (newest first, optionally by status). A session's messages
 *   are found through count_adjustments (session index) and the UNIQUE idempotency key, so the
 *   outbox needs no session column.
 */
export const migration0020ErpDelivery: MigrationModule = {
  name: '0020_erp_delivery',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('erp_delivery_target')
      .addColumn('id', 'text', (col) => col.primaryKey())
      // webhook | sql
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('settings', 'text', (col) => col.notNull())
      .addColumn('secret_sealed', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('updated_by', 'text')
      // ok | failed; null until the first test after a change
      .addColumn('last_test_status', 'text')
      .addColumn('last_test_message', 'text')
      .addColumn('last_tested_at', 'text')
      .execute();

    await db.schema.alterTable('erp_outbox').addColumn('last_attempt_at', 'text').execute();
    await db.schema
      .createIndex('erp_outbox_created_idx')
      .on('erp_outbox')
      .columns(['created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('erp_outbox_status_created_idx')
      .on('erp_outbox')
      .columns(['status', 'created_at', 'id'])
      .execute();
  },
};
