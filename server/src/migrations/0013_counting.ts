import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Counting (product.md sections 2–3): count sessions with their frozen snapshot, assignments of
 * counters to locations, location claims, append-only count entries and the lines they add up
 * to. Quantities are integers in thousandths of the base unit (`*_e3`), money in ten-thousandths
 * (`*_e4`): sums are exact on both dialects. `lot` is '' for items without lot tracking.
 */
export const migration0013Counting: MigrationModule = {
  name: '0013_counting',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('count_sessions')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('warehouse_id', 'text', (col) => col.notNull().references('warehouses.id'))
      // standard | blind | strict
      .addColumn('mode', 'text', (col) => col.notNull())
      // draft | counting | review | approved | posted | cancelled
      .addColumn('status', 'text', (col) => col.notNull())
      // JSON {location_ids: [], categories: [], item_ids: []}: empty lists mean "no restriction".
      .addColumn('scope', 'text', (col) => col.notNull())
      // JSON tolerance profile: session default, by ABC class, by item-location.
      .addColumn('tolerance', 'text', (col) => col.notNull())
      .addColumn('notes', 'text')
      .addColumn('created_by', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('started_at', 'text')
      .addColumn('submitted_at', 'text')
      .addColumn('approved_at', 'text')
      .addColumn('approved_by', 'text')
      .addColumn('posted_at', 'text')
      .addColumn('cancelled_at', 'text')
      .addColumn('cancel_reason', 'text')
      // Bumped by every change: a lifecycle step re-checks it, so two racing steps cannot both win.
      .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createIndex('count_sessions_status_idx')
      .on('count_sessions')
      .columns(['status', 'created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('count_sessions_created_idx')
      .on('count_sessions')
      .columns(['created_at', 'id'])
      .execute();

    // The book at start, frozen: variances are computed against it, whatever the ERP does later.
    // No foreign keys on the snapshot and the lines: both are written only by start (one
    // INSERT … SELECT from the joined tables themselves) and by entries whose ids were just
    // checked, and PostgreSQL's per-row key checks made starting a 100,000-line session 2-3×
    // slower. Sessions are never deleted; items and locations are deactivated, not deleted.
    await db.schema
      .createTable('count_snapshot')
      .addColumn('session_id', 'text', (col) => col.notNull())
      .addColumn('location_id', 'text', (col) => col.notNull())
      .addColumn('item_id', 'text', (col) => col.notNull())
      .addColumn('lot', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('book_qty_e3', 'bigint', (col) => col.notNull())
      .addColumn('unit_cost_e4', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('count_snapshot_pk', ['session_id', 'location_id', 'item_id', 'lot'])
      .execute();

    await db.schema
      .createTable('count_assignments')
      .addColumn('session_id', 'text', (col) => col.notNull().references('count_sessions.id'))
      .addColumn('location_id', 'text', (col) => col.notNull().references('locations.id'))
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('assigned_by', 'text', (col) => col.notNull())
      .addColumn('assigned_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('count_assignments_pk', ['session_id', 'location_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('count_assignments_user_idx')
      .on('count_assignments')
      .columns(['user_id', 'session_id'])
      .execute();

    // One holder per location at a time; a claim lapses at expires_at unless its heartbeat renews it.
    await db.schema
      .createTable('count_claims')
      .addColumn('session_id', 'text', (col) => col.notNull().references('count_sessions.id'))
      .addColumn('location_id', 'text', (col) => col.notNull().references('locations.id'))
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('claimed_at', 'text', (col) => col.notNull())
      .addColumn('heartbeat_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('count_claims_pk', ['session_id', 'location_id'])
      .execute();

    await db.schema
      .createTable('count_entries')
      .addColumn('id', 'text', (col) => col.primaryKey())
      // The device's UUID for the observation: a retried or replayed submission is accepted once.
      .addColumn('client_id', 'text', (col) => col.notNull().unique())
      // SHA-256 of the canonical content: the same client_id with other content is a conflict.
      .addColumn('content_hash', 'text', (col) => col.notNull())
      .addColumn('session_id', 'text', (col) => col.notNull().references('count_sessions.id'))
      .addColumn('location_id', 'text', (col) => col.notNull().references('locations.id'))
      // Null for an unknown barcode (captured for follow-up, never dropped).
      .addColumn('item_id', 'text', (col) => col.references('items.id'))
      .addColumn('barcode', 'text')
      .addColumn('lot', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('serial', 'text')
      // In base units; entered_qty_e3 × pack_qty_e3 / 1000 when a pack barcode was scanned.
      .addColumn('quantity_e3', 'bigint', (col) => col.notNull())
      .addColumn('entered_qty_e3', 'bigint', (col) => col.notNull())
      .addColumn('pack_qty_e3', 'bigint', (col) => col.notNull().defaultTo(1000))
      .addColumn('uom', 'text')
      // 1 = the count, 2+ = recounts.
      .addColumn('round', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('counted_by', 'text', (col) => col.notNull().references('users.id'))
      .addColumn('device_id', 'text')
      // When the device says it counted (offline entries arrive later), and when it arrived.
      .addColumn('counted_at', 'text', (col) => col.notNull())
      .addColumn('received_at', 'text', (col) => col.notNull())
      .addColumn('voided_at', 'text')
      .addColumn('voided_by', 'text')
      .addColumn('void_reason', 'text')
      .execute();
    await db.schema
      .createIndex('count_entries_line_idx')
      .on('count_entries')
      .columns(['session_id', 'location_id', 'item_id', 'lot', 'round'])
      .execute();
    await db.schema
      .createIndex('count_entries_counter_idx')
      .on('count_entries')
      .columns(['session_id', 'counted_by', 'received_at'])
      .execute();
    await db.schema
      .createIndex('count_entries_serial_idx')
      .on('count_entries')
      .columns(['session_id', 'item_id', 'serial'])
      .execute();

    // Item × location × lot of a session: what its entries add up to, against the snapshot.
    await db.schema
      .createTable('count_lines')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('session_id', 'text', (col) => col.notNull())
      .addColumn('location_id', 'text', (col) => col.notNull())
      .addColumn('item_id', 'text', (col) => col.notNull())
      .addColumn('lot', 'text', (col) => col.notNull().defaultTo(''))
      // 1: in the snapshot; 0: found but not expected.
      .addColumn('expected', 'integer', (col) => col.notNull())
      .addColumn('book_qty_e3', 'bigint', (col) => col.notNull())
      .addColumn('unit_cost_e4', 'bigint', (col) => col.notNull())
      .addColumn('round', 'integer', (col) => col.notNull().defaultTo(1))
      // Sum of the live entries of the current round; null until the line is counted.
      .addColumn('counted_qty_e3', 'bigint')
      .addColumn('entry_count', 'integer', (col) => col.notNull().defaultTo(0))
      // open | counted | auto_approved | recount | review | approved
      .addColumn('status', 'text', (col) => col.notNull())
      // JSON array of risk flags.
      .addColumn('flags', 'text', (col) => col.notNull().defaultTo('[]'))
      .addColumn('reason_code', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('count_lines_key_idx')
      .on('count_lines')
      .columns(['session_id', 'location_id', 'item_id', 'lot'])
      .unique()
      .execute();
    await db.schema
      .createIndex('count_lines_status_idx')
      .on('count_lines')
      .columns(['session_id', 'status'])
      .execute();

    // Each round's total per line (the review shows every round side by side).
    await db.schema
      .createTable('count_line_rounds')
      .addColumn('line_id', 'text', (col) => col.notNull().references('count_lines.id'))
      .addColumn('round', 'integer', (col) => col.notNull())
      .addColumn('counted_qty_e3', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('entry_count', 'integer', (col) => col.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('count_line_rounds_pk', ['line_id', 'round'])
      .execute();
  },
};
