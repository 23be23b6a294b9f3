import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { LineStatus, SessionStatus } from '../counting.tables.ts';

/**
 * The reads behind counting reports, exports and live progress. Every list is read in keyset
 * pages (the caller passes the last key it saw), so no report holds a session's lines, or a
 * period's entries, in memory at once.
 */

type Db = Kysely<Database> | Transaction<Database>;

function num(value: unknown): number {
  return Number(value);
}

function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A line with the master data a report or sheet prints. */
export interface ReportLine {
  id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  item_id: string;
  item_code: string;
  item_name: string;
  category: string | null;
  base_uom: string;
  lot: string;
  expected: number;
  book_qty_e3: number;
  unit_cost_e4: number;
  round: number;
  counted_qty_e3: number | null;
  status: LineStatus;
  flags: string;
  reason_code: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

/** Where a printed list stands: location code, item code, lot, line id (the sort order). */
export type SheetKey = [string, string, string, string];

/**
 * One page of a session's lines in print order (location code, item code, lot), after `after`.
 * `locationPaths` limits it to those subtrees (a counter's assignments).
 */
export async function linesInPrintOrder(
  db: Db,
  sessionId: string,
  options: { after: SheetKey | null; limit: number; locationPaths?: readonly string[] },
): Promise<ReportLine[]> {
  let query = db
    .selectFrom('count_lines as ln')
    .innerJoin('items as i', 'i.id', 'ln.item_id')
    .innerJoin('locations as l', 'l.id', 'ln.location_id')
    .select([
      'ln.id',
      'ln.location_id',
      'l.code as location_code',
      'l.name as location_name',
      'ln.item_id',
      'i.item_code',
      'i.name as item_name',
      'i.category',
      'i.base_uom',
      'ln.lot',
      'ln.expected',
      'ln.book_qty_e3',
      'ln.unit_cost_e4',
      'ln.round',
      'ln.counted_qty_e3',
      'ln.status',
      'ln.flags',
      'ln.reason_code',
      'ln.decided_by',
      'ln.decided_at',
    ])
    .where('ln.session_id', '=', sessionId)
    .orderBy('l.code')
    .orderBy('i.item_code')
    .orderBy('ln.lot')
    .orderBy('ln.id')
    .limit(options.limit);
  const paths = options.locationPaths;
  if (paths !== undefined) {
    if (paths.length === 0) return [];
    // A path is '/<root id>/…/<own id>/': a subtree is one prefix. Ids hold no LIKE wildcard.
    query = query.where((eb) => eb.or(paths.map((path) => eb('l.path', 'like', `${path}%`))));
  }
  const after = options.after;
  if (after) {
    const [code, item, lot, id] = after;
    query = query.where((eb) =>
      eb.or([
        eb('l.code', '>', code),
        eb.and([eb('l.code', '=', code), eb('i.item_code', '>', item)]),
        eb.and([eb('l.code', '=', code), eb('i.item_code', '=', item), eb('ln.lot', '>', lot)]),
        eb.and([
          eb('l.code', '=', code),
          eb('i.item_code', '=', item),
          eb('ln.lot', '=', lot),
          eb('ln.id', '>', id),
        ]),
      ]),
    );
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    ...row,
    expected: num(row.expected),
    book_qty_e3: num(row.book_qty_e3),
    unit_cost_e4: num(row.unit_cost_e4),
    round: num(row.round),
    counted_qty_e3: numOrNull(row.counted_qty_e3),
  }));
}

export function sheetKeyOf(line: ReportLine): SheetKey {
  return [line.location_code, line.item_code, line.lot, line.id];
}

/** Lines per status of a session. */
export async function linesByStatus(db: Db, sessionId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('count_lines')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .where('session_id', '=', sessionId)
    .groupBy('status')
    .execute();
  return new Map(rows.map((row) => [row.status, num(row.n)]));
}

/** The figures a variance needs, for lines whose count differs from the book (id order). */
export interface VarianceFigures {
  id: string;
  book_qty_e3: number;
  counted_qty_e3: number;
  unit_cost_e4: number;
  reason_code: string | null;
  category: string | null;
}

export async function varianceLinesPage(
  db: Db,
  sessionId: string,
  options: { afterId: string | null; limit: number; statuses?: readonly LineStatus[] },
): Promise<VarianceFigures[]> {
  let query = db
    .selectFrom('count_lines as ln')
    .innerJoin('items as i', 'i.id', 'ln.item_id')
    .select([
      'ln.id',
      'ln.book_qty_e3',
      'ln.counted_qty_e3',
      'ln.unit_cost_e4',
      'ln.reason_code',
      'i.category',
    ])
    .where('ln.session_id', '=', sessionId)
    .where('ln.counted_qty_e3', 'is not', null)
    .whereRef('ln.counted_qty_e3', '<>', 'ln.book_qty_e3')
    .orderBy('ln.id')
    .limit(options.limit);
  if (options.statuses) query = query.where('ln.status', 'in', options.statuses);
  if (options.afterId !== null) query = query.where('ln.id', '>', options.afterId);
  const rows = await query.execute();
  return rows.map((row) => ({
    ...row,
    book_qty_e3: num(row.book_qty_e3),
    counted_qty_e3: num(row.counted_qty_e3),
    unit_cost_e4: num(row.unit_cost_e4),
  }));
}

export interface LocationProgress {
  location_id: string;
  location_code: string;
  location_name: string;
  lines_total: number;
  lines_counted: number;
}

/** Counted and total lines per location, by location code; at most `limit`. */
export async function progressByLocation(
  db: Db,
  sessionId: string,
  limit: number,
): Promise<LocationProgress[]> {
  const rows = await db
    .selectFrom('count_lines as ln')
    .innerJoin('locations as l', 'l.id', 'ln.location_id')
    .select((eb) => [
      'ln.location_id',
      'l.code as location_code',
      'l.name as location_name',
      eb.fn.countAll<number>().as('lines_total'),
      eb.fn.count<number>('ln.counted_qty_e3').as('lines_counted'),
    ])
    .where('ln.session_id', '=', sessionId)
    .groupBy(['ln.location_id', 'l.code', 'l.name'])
    .orderBy('l.code')
    .orderBy('ln.location_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    ...row,
    lines_total: num(row.lines_total),
    lines_counted: num(row.lines_counted),
  }));
}

// Period reports.

export interface PeriodFilter {
  /** Inclusive, ISO timestamp. */
  from: string;
  /** Exclusive, ISO timestamp. */
  to: string;
  warehouseId?: string;
}

export interface PeriodSession {
  id: string;
  tolerance: string;
}

/** Sessions approved (and maybe posted since) with approved_at in the period, by id. */
export async function approvedSessionsPage(
  db: Db,
  filter: PeriodFilter,
  afterId: string | null,
  limit: number,
): Promise<PeriodSession[]> {
  const statuses: SessionStatus[] = ['approved', 'posted'];
  let query = db
    .selectFrom('count_sessions')
    .select(['id', 'tolerance'])
    .where('status', 'in', statuses)
    .where('approved_at', '>=', filter.from)
    .where('approved_at', '<', filter.to)
    .orderBy('id')
    .limit(limit);
  if (filter.warehouseId) query = query.where('warehouse_id', '=', filter.warehouseId);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return query.execute();
}

export interface AccuracyLine {
  id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  item_id: string;
  item_code: string;
  item_name: string;
  abc_class: 'A' | 'B' | 'C' | null;
  book_qty_e3: number;
  unit_cost_e4: number;
  counted_qty_e3: number | null;
  /** The total of the line's earliest counted round (round 1 unless nobody counted it then). */
  first_qty_e3: number | null;
}

/** One page (id order) of a session's lines with their first-round count. */
export async function accuracyLinesPage(
  db: Db,
  sessionId: string,
  afterId: string | null,
  limit: number,
): Promise<AccuracyLine[]> {
  let query = db
    .selectFrom('count_lines as ln')
    .innerJoin('items as i', 'i.id', 'ln.item_id')
    .innerJoin('locations as l', 'l.id', 'ln.location_id')
    .select((eb) => [
      'ln.id',
      'ln.location_id',
      'l.code as location_code',
      'l.name as location_name',
      'ln.item_id',
      'i.item_code',
      'i.name as item_name',
      'i.abc_class',
      'ln.book_qty_e3',
      'ln.unit_cost_e4',
      'ln.counted_qty_e3',
      eb
        .selectFrom('count_line_rounds as r')
        .select('r.counted_qty_e3')
        .whereRef('r.line_id', '=', 'ln.id')
        .orderBy('r.round')
        .limit(1)
        .as('first_qty_e3'),
    ])
    .where('ln.session_id', '=', sessionId)
    .orderBy('ln.id')
    .limit(limit);
  if (afterId !== null) query = query.where('ln.id', '>', afterId);
  const rows = await query.execute();
  return rows.map((row) => ({
    ...row,
    book_qty_e3: num(row.book_qty_e3),
    unit_cost_e4: num(row.unit_cost_e4),
    counted_qty_e3: numOrNull(row.counted_qty_e3),
    first_qty_e3: numOrNull(row.first_qty_e3),
  }));
}

// Productivity: live entries counted in the period.

function entriesInPeriod(
  eb: ExpressionBuilder<Database, 'count_entries' | 'count_sessions'>,
  filter: PeriodFilter,
) {
  const conditions = [
    eb('count_entries.voided_at', 'is', null),
    eb('count_entries.counted_at', '>=', filter.from),
    eb('count_entries.counted_at', '<', filter.to),
  ];
  if (filter.warehouseId) conditions.push(eb('count_sessions.warehouse_id', '=', filter.warehouseId));
  return eb.and(conditions);
}

/** The next page of counters (user ids) with live entries counted in the period. */
export async function countersPage(
  db: Db,
  filter: PeriodFilter,
  afterUserId: string | null,
  limit: number,
): Promise<string[]> {
  let query = db
    .selectFrom('count_entries')
    .innerJoin('count_sessions', 'count_sessions.id', 'count_entries.session_id')
    .select('count_entries.counted_by')
    .distinct()
    .where((eb) => entriesInPeriod(eb, filter))
    .orderBy('count_entries.counted_by')
    .limit(limit);
  if (afterUserId !== null) query = query.where('count_entries.counted_by', '>', afterUserId);
  return (await query.execute()).map((row) => row.counted_by);
}

export interface CounterSessionActivity {
  counted_by: string;
  session_id: string;
  entries: number;
  first_at: string;
  last_at: string;
}

/** Entries and first/last entry time per (counter, session), for these counters. */
export async function counterSessionActivity(
  db: Db,
  filter: PeriodFilter,
  userIds: readonly string[],
): Promise<CounterSessionActivity[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('count_entries')
    .innerJoin('count_sessions', 'count_sessions.id', 'count_entries.session_id')
    .select((eb) => [
      'count_entries.counted_by',
      'count_entries.session_id',
      eb.fn.countAll<number>().as('entries'),
      eb.fn.min('count_entries.counted_at').as('first_at'),
      eb.fn.max('count_entries.counted_at').as('last_at'),
    ])
    .where((eb) => entriesInPeriod(eb, filter))
    .where('count_entries.counted_by', 'in', userIds)
    .groupBy(['count_entries.counted_by', 'count_entries.session_id'])
    .execute();
  return rows.map((row) => ({
    counted_by: row.counted_by,
    session_id: row.session_id,
    entries: num(row.entries),
    first_at: String(row.first_at),
    last_at: String(row.last_at),
  }));
}

/**
 * Per counter: the lines they counted (a line = item × location × lot of a session with at least
 * one live entry of theirs in the period) and how many of those were sent to a recount after they
 * counted them (the line's round moved past the earliest round they counted in).
 */
export async function counterLines(
  db: Db,
  filter: PeriodFilter,
  userIds: readonly string[],
): Promise<{ counted_by: string; lines: number; recounted: number }[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom((qb) =>
      qb
        .selectFrom('count_entries')
        .innerJoin('count_sessions', 'count_sessions.id', 'count_entries.session_id')
        .select((eb) => [
          'count_entries.counted_by',
          'count_entries.session_id',
          'count_entries.location_id',
          sql<string>`count_entries.item_id`.as('item_id'),
          'count_entries.lot',
          eb.fn.min('count_entries.round').as('first_round'),
        ])
        .where((eb) => entriesInPeriod(eb, filter))
        .where('count_entries.item_id', 'is not', null)
        .where('count_entries.counted_by', 'in', userIds)
        .groupBy([
          'count_entries.counted_by',
          'count_entries.session_id',
          'count_entries.location_id',
          'count_entries.item_id',
          'count_entries.lot',
        ])
        .as('mine'),
    )
    .innerJoin('count_lines as ln', (join) =>
      join
        .onRef('ln.session_id', '=', 'mine.session_id')
        .onRef('ln.location_id', '=', 'mine.location_id')
        .onRef('ln.item_id', '=', 'mine.item_id')
        .onRef('ln.lot', '=', 'mine.lot'),
    )
    .select((eb) => [
      'mine.counted_by',
      eb.fn.countAll<number>().as('lines'),
      sql<number>`sum(case when ln.round > mine.first_round then 1 else 0 end)`.as('recounted'),
    ])
    .groupBy('mine.counted_by')
    .execute();
  return rows.map((row) => ({
    counted_by: row.counted_by,
    lines: num(row.lines),
    recounted: num(row.recounted),
  }));
}

export async function findUsers(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, { username: string; display_name: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username', 'display_name'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((row) => [row.id, { username: row.username, display_name: row.display_name }]));
}
