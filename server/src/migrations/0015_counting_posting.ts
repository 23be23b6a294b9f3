import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Book changes during a count and posting (product.md section 3, steps 5 and 7):
 *
 * - count_lines gain the book quantity found when the book moved after the snapshot
 *   (`current_book_qty_e3`), and how a supervisor settled it: `resolution` ('counted' keeps the
 *   counted quantity as the truth, 'difference' keeps the difference found against the snapshot)
 *   with the resulting `adjustment_qty_e3`.
 * - count_adjustments: one row per line with a non-zero approved adjustment, written when the
 *   session is posted. `line_id` is UNIQUE: a line is adjusted once, however often post runs.
 * - erp_outbox: messages for the ERP integration to deliver later, each under a UNIQUE
 *   idempotency key, so a message is queued once and the ERP can recognise a redelivery.
 *
 * One statement per column: SQLite adds a single column per ALTER TABLE, on both dialects alike.
 */
export const migration0015CountingPosting: MigrationModule = {
  name: '0015_counting_posting',
  async up(db: MigrationDb) {
    await db.schema.alterTable('count_lines').addColumn('current_book_qty_e3', 'bigint').execute();
    // counted | difference
    await db.schema.alterTable('count_lines').addColumn('resolution', 'text').execute();
    await db.schema.alterTable('count_lines').addColumn('adjustment_qty_e3', 'bigint').execute();

    await db.schema
      .createTable('count_adjustments')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('line_id', 'text', (col) => col.notNull().unique())
      .addColumn('session_id', 'text', (col) => col.notNull().references('count_sessions.id'))
      .addColumn('item_id', 'text', (col) => col.notNull().references('items.id'))
      .addColumn('location_id', 'text', (col) => col.notNull().references('locations.id'))
      .addColumn('lot', 'text', (col) => col.notNull().defaultTo(''))
      // Signed: positive adds stock to the book, negative takes it off.
      .addColumn('qty_e3', 'bigint', (col) => col.notNull())
      // The snapshot's unit cost: the value is that of the variance the count found.
      .addColumn('unit_cost_e4', 'bigint', (col) => col.notNull())
      .addColumn('value_e4', 'bigint', (col) => col.notNull())
      .addColumn('reason_code', 'text')
      .addColumn('resolution', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    // A session's adjustments in id order: the list pages on it.
    await db.schema
      .createIndex('count_adjustments_session_idx')
      .on('count_adjustments')
      .columns(['session_id', 'id'])
      .execute();

    await db.schema
      .createTable('erp_outbox')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('topic', 'text', (col) => col.notNull())
      .addColumn('idempotency_key', 'text', (col) => col.notNull().unique())
      // JSON text on both dialects (what the ERP receives, as it will be sent).
      .addColumn('payload', 'text', (col) => col.notNull())
      // pending | delivered | failed
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('delivered_at', 'text')
      .addColumn('last_error', 'text')
      .execute();
    // What the deliverer asks for: the pending messages that are due, oldest first.
    await db.schema
      .createIndex('erp_outbox_due_idx')
      .on('erp_outbox')
      .columns(['status', 'next_attempt_at', 'id'])
      .execute();
  },
};
