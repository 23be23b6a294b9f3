import type { Selectable } from 'kysely';

/**
 * The counting tables (migration 0013_counting). Quantities `*_e3` are thousandths of the base
 * unit, money `*_e4` ten-thousandths (platform/decimal.ts); `lot` is '' without lot tracking.
 */

export const COUNT_MODES = ['standard', 'blind', 'strict'] as const;
export type CountMode = (typeof COUNT_MODES)[number];

export const SESSION_STATUSES = ['draft', 'counting', 'review', 'approved', 'posted', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const LINE_STATUSES = ['open', 'counted', 'auto_approved', 'recount', 'review', 'approved'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/** What a session counts; an empty list means no restriction on that axis. */
export interface CountScope {
  /** Location subtrees (a location and everything under it) of the session's warehouse. */
  location_ids: string[];
  categories: string[];
  item_ids: string[];
}

export interface CountSessionsTable {
  id: string;
  name: string;
  warehouse_id: string;
  mode: CountMode;
  status: SessionStatus;
  /** JSON CountScope. */
  scope: string;
  /** JSON tolerance profile. */
  tolerance: string;
  notes: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  submitted_at: string | null;
  approved_at: string | null;
  approved_by: string | null;
  posted_at: string | null;
  cancelled_at: string | null;
  cancel_reason: string | null;
  version: number;
}

export interface CountSnapshotTable {
  session_id: string;
  location_id: string;
  item_id: string;
  lot: string;
  book_qty_e3: number;
  unit_cost_e4: number;
}

export interface CountAssignmentsTable {
  session_id: string;
  location_id: string;
  user_id: string;
  assigned_by: string;
  assigned_at: string;
}

export interface CountClaimsTable {
  session_id: string;
  location_id: string;
  user_id: string;
  claimed_at: string;
  heartbeat_at: string;
  expires_at: string;
}

export interface CountEntriesTable {
  id: string;
  client_id: string;
  content_hash: string;
  session_id: string;
  location_id: string;
  item_id: string | null;
  barcode: string | null;
  lot: string;
  serial: string | null;
  quantity_e3: number;
  entered_qty_e3: number;
  pack_qty_e3: number;
  uom: string | null;
  round: number;
  counted_by: string;
  device_id: string | null;
  counted_at: string;
  received_at: string;
  voided_at: string | null;
  voided_by: string | null;
  void_reason: string | null;
}

export interface CountLinesTable {
  id: string;
  session_id: string;
  location_id: string;
  item_id: string;
  lot: string;
  /** 1: in the snapshot; 0: found but not expected. */
  expected: number;
  book_qty_e3: number;
  unit_cost_e4: number;
  round: number;
  /** Sum of the live entries of the current round; null until counted. */
  counted_qty_e3: number | null;
  entry_count: number;
  status: LineStatus;
  /** JSON array of risk flags. */
  flags: string;
  reason_code: string | null;
  decided_by: string | null;
  decided_at: string | null;
  updated_at: string;
  /** The book found when it differed from the snapshot (flag book_changed); null otherwise. */
  current_book_qty_e3: number | null;
  /** How a book change was settled (POST /api/count-lines/:id/resolve); null otherwise. */
  resolution: LineResolution | null;
  /** The adjustment a resolution decided; null: counted − snapshot book. */
  adjustment_qty_e3: number | null;
}

/**
 * A book change settled: `counted` — the counted quantity is the truth (adjust by counted − current
 * book); `difference` — the difference found against the snapshot still applies (counted − snapshot).
 */
export const LINE_RESOLUTIONS = ['counted', 'difference'] as const;
export type LineResolution = (typeof LINE_RESOLUTIONS)[number];

export interface CountLineRoundsTable {
  line_id: string;
  round: number;
  counted_qty_e3: number;
  entry_count: number;
}

/** An approved variance, written once when its session is posted (migration 0015_counting_posting). */
export interface CountAdjustmentsTable {
  id: string;
  /** UNIQUE: one adjustment per line, however often post runs. */
  line_id: string;
  session_id: string;
  item_id: string;
  location_id: string;
  lot: string;
  /** Signed: positive adds to the book, negative takes off. */
  qty_e3: number;
  unit_cost_e4: number;
  value_e4: number;
  reason_code: string | null;
  resolution: LineResolution | null;
  created_at: string;
}

export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Messages for the ERP, delivered later by the integration (issue 8). */
export interface ErpOutboxTable {
  id: string;
  topic: string;
  /** UNIQUE, e.g. `count-adjustment:<line id>`: queued once, recognisable by the ERP on redelivery. */
  idempotency_key: string;
  /** JSON text. */
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  delivered_at: string | null;
  last_error: string | null;
}

export type CountSessionRow = Selectable<CountSessionsTable>;
export type CountEntryRow = Selectable<CountEntriesTable>;
export type CountLineRow = Selectable<CountLinesTable>;
