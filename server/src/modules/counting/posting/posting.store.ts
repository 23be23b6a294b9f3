import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type {
  CountAdjustmentsTable,
  ErpOutboxTable,
  LineResolution,
  LineStatus,
  OutboxStatus,
} from '../counting.tables.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The outbox key of a line's adjustment: the ERP sees the same key however often it is sent. */
const ADJUSTMENT_KEY_PREFIX = 'count-adjustment:';
export const adjustmentKey = (lineId: string) => `${ADJUSTMENT_KEY_PREFIX}${lineId}`;

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < values.length; start += size) out.push(values.slice(start, start + size));
  return out;
}

export interface MovedLine {
  id: string;
  status: LineStatus;
  flags: string;
  /** The book now: stock_levels, or 0 without a row. */
  stock_qty_e3: number;
}

/**
 * One page (keyset on id) of a session's lines in these statuses whose book moved: the stock level
 * of the line's item-location-lot now (0 without a row) differs from the last book the line knows
 * (current_book_qty_e3 once a change was seen, else the snapshot's). One join on the stock_levels
 * key (item, location, lot) for the whole session, returning only the lines that moved. It reads
 * stock_levels directly, as the snapshot does, for the same reason: set-wise, no row through Node.
 */
export async function movedBookPage(
  db: Db,
  sessionId: string,
  statuses: readonly LineStatus[],
  afterId: string | null,
  limit: number,
): Promise<MovedLine[]> {
  let query = db
    .selectFrom('count_lines as ln')
    .leftJoin('stock_levels as sl', (join) =>
      join
        .onRef('sl.item_id', '=', 'ln.item_id')
        .onRef('sl.location_id', '=', 'ln.location_id')
        .onRef('sl.lot', '=', 'ln.lot'),
    )
    .select(['ln.id', 'ln.status', 'ln.flags', sql<number>`coalesce(sl.quantity_e3, 0)`.as('stock_qty_e3')])
    .where('ln.session_id', '=', sessionId)
    .where('ln.status', 'in', statuses)
    .where(sql<boolean>`coalesce(sl.quantity_e3, 0) <> coalesce(ln.current_book_qty_e3, ln.book_qty_e3)`)
    .orderBy('ln.id')
    .limit(limit);
  if (afterId !== null) query = query.where('ln.id', '>', afterId);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, stock_qty_e3: Number(row.stock_qty_e3) }));
}

/** Records a moved book on a line; `reopen` also sends it back to review, its decision undone. */
export async function markBookChanged(
  db: Db,
  line: { id: string; flags: string; current_book_qty_e3: number },
  reopen: boolean,
  now: string,
): Promise<void> {
  await db
    .updateTable('count_lines')
    .set({
      flags: line.flags,
      current_book_qty_e3: line.current_book_qty_e3,
      updated_at: now,
      ...(reopen
        ? {
            status: 'review' as const,
            resolution: null,
            adjustment_qty_e3: null,
            reason_code: null,
            decided_by: null,
            decided_at: null,
          }
        : {}),
    })
    .where('id', '=', line.id)
    .execute();
}

/** A line that posting turns into an adjustment, with what the ERP message names. */
export interface AdjustableLine {
  id: string;
  item_id: string;
  location_id: string;
  lot: string;
  /** Signed: a resolution's adjustment, else counted − snapshot book. Never 0. */
  adjustment_qty_e3: number;
  unit_cost_e4: number;
  reason_code: string | null;
  resolution: LineResolution | null;
  item_code: string;
  base_uom: string;
  location_code: string;
}

/**
 * One page (keyset on id) of the approved and auto-approved lines of a session whose adjustment is
 * not zero: lines without a variance are filtered out by the database, never paged through.
 */
export async function adjustableLinesPage(
  db: Db,
  sessionId: string,
  afterId: string | null,
  limit: number,
): Promise<AdjustableLine[]> {
  const adjustment = sql<number>`coalesce(ln.adjustment_qty_e3, ln.counted_qty_e3 - ln.book_qty_e3)`;
  let query = db
    .selectFrom('count_lines as ln')
    .innerJoin('items as i', 'i.id', 'ln.item_id')
    .innerJoin('locations as l', 'l.id', 'ln.location_id')
    .select([
      'ln.id',
      'ln.item_id',
      'ln.location_id',
      'ln.lot',
      adjustment.as('adjustment_qty_e3'),
      'ln.unit_cost_e4',
      'ln.reason_code',
      'ln.resolution',
      'i.item_code',
      'i.base_uom',
      'l.code as location_code',
    ])
    .where('ln.session_id', '=', sessionId)
    .where('ln.status', 'in', ['approved', 'auto_approved'])
    .where('ln.counted_qty_e3', 'is not', null)
    .where(sql<boolean>`${adjustment} <> 0`)
    .orderBy('ln.id')
    .limit(limit);
  if (afterId !== null) query = query.where('ln.id', '>', afterId);
  const rows = await query.execute();
  return rows.map((row) => ({
    ...row,
    adjustment_qty_e3: Number(row.adjustment_qty_e3),
    unit_cost_e4: Number(row.unit_cost_e4),
  }));
}

/**
 * Inserts adjustments; a line that has one already keeps it (UNIQUE line_id). Returns how many
 * were new. The status change to posted is what makes posting once; the key is the backstop.
 */
export async function insertAdjustments(db: Db, rows: readonly CountAdjustmentsTable[]): Promise<number> {
  let inserted = 0;
  for (const chunk of chunks(rows, 200)) {
    const result = await db
      .insertInto('count_adjustments')
      .values(chunk)
      .onConflict((conflict) => conflict.column('line_id').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

/** Queues messages; a key queued already keeps its message (UNIQUE idempotency_key). */
export async function insertOutbox(db: Db, rows: readonly ErpOutboxTable[]): Promise<number> {
  let inserted = 0;
  for (const chunk of chunks(rows, 200)) {
    const result = await db
      .insertInto('erp_outbox')
      .values(chunk)
      .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

export async function warehouseCode(db: Db, warehouseId: string): Promise<string | null> {
  const row = await db
    .selectFrom('warehouses')
    .select('code')
    .where('id', '=', warehouseId)
    .executeTakeFirst();
  return row?.code ?? null;
}

export interface AdjustmentView {
  id: string;
  line_id: string;
  session_id: string;
  item_id: string;
  item_code: string;
  item_name: string;
  base_uom: string;
  location_id: string;
  location_code: string;
  lot: string;
  qty_e3: number;
  unit_cost_e4: number;
  value_e4: number;
  reason_code: string | null;
  resolution: LineResolution | null;
  created_at: string;
  erp_status: OutboxStatus | null;
}

/** A session's adjustments in id order (keyset), with the delivery state of each one's message. */
export async function listAdjustments(
  db: Db,
  filter: { sessionId: string; afterId?: string; limit: number },
): Promise<AdjustmentView[]> {
  let query = db
    .selectFrom('count_adjustments as a')
    .innerJoin('items as i', 'i.id', 'a.item_id')
    .innerJoin('locations as l', 'l.id', 'a.location_id')
    .leftJoin('erp_outbox as o', (join) =>
      join.on('o.idempotency_key', '=', sql<string>`cast(${ADJUSTMENT_KEY_PREFIX} as text) || a.line_id`),
    )
    .selectAll('a')
    .select([
      'i.item_code',
      'i.name as item_name',
      'i.base_uom',
      'l.code as location_code',
      'o.status as erp_status',
    ])
    .where('a.session_id', '=', filter.sessionId)
    .orderBy('a.id')
    .limit(filter.limit);
  if (filter.afterId !== undefined) query = query.where('a.id', '>', filter.afterId);
  return query.execute();
}
