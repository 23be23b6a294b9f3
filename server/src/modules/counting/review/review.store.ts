import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { CountLineRow, LineResolution, LineStatus } from '../counting.tables.ts';

type Db = Kysely<Database> | Transaction<Database>;

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < values.length; start += size) out.push(values.slice(start, start + size));
  return out;
}

/** A line with the item facts the submit decision needs. */
export interface DecisionLine extends CountLineRow {
  abc_class: 'A' | 'B' | 'C' | null;
  tracking: 'none' | 'lot' | 'serial';
  current_unit_cost_e4: number;
}

/** One page (keyset on id) of a session's lines in these statuses, joined with their items. */
export async function decisionPage(
  db: Db,
  sessionId: string,
  statuses: readonly LineStatus[],
  afterId: string | null,
  limit: number,
): Promise<DecisionLine[]> {
  let query = db
    .selectFrom('count_lines as ln')
    .innerJoin('items as i', 'i.id', 'ln.item_id')
    .selectAll('ln')
    .select(['i.abc_class', 'i.tracking', 'i.unit_cost_e4 as current_unit_cost_e4'])
    .where('ln.session_id', '=', sessionId)
    .where('ln.status', 'in', statuses)
    .orderBy('ln.id')
    .limit(limit);
  if (afterId !== null) query = query.where('ln.id', '>', afterId);
  return query.execute();
}

/**
 * Per line, round and counter: the counter's separate visits to the line, and their entries
 * without a serial. A visit is a run of the counter's entries (in the order they were counted) at
 * one location: scanning a shelf item by item is one visit however many entries it makes, while
 * coming back to the shelf after counting elsewhere — and counting the line again — is a second
 * (the double count the `duplicate_count` flag warns of). Only lines with more than one visit or
 * an entry without a serial are returned.
 */
export async function entryAnomalies(
  db: Db,
  sessionId: string,
): Promise<
  {
    location_id: string;
    item_id: string;
    lot: string;
    round: number;
    counted_by: string;
    visits: number;
    no_serial: number;
  }[]
> {
  const result = await sql<{
    location_id: string;
    item_id: string;
    lot: string;
    round: number | string;
    counted_by: string;
    visits: number | string;
    no_serial: number | string;
  }>`
    with ordered as (
      select location_id, item_id, lot, round, counted_by, serial, counted_at, id,
        case when lag(location_id) over (partition by counted_by order by counted_at, id) = location_id
          then 0 else 1 end as starts_visit
      from count_entries
      where session_id = ${sessionId} and voided_at is null
    ), visited as (
      select location_id, item_id, lot, round, counted_by, serial,
        sum(starts_visit) over (
          partition by counted_by order by counted_at, id rows between unbounded preceding and current row
        ) as visit
      from ordered
    )
    select location_id, item_id, lot, round, counted_by,
      count(distinct visit) as visits,
      sum(case when serial is null then 1 else 0 end) as no_serial
    from visited
    where item_id is not null
    group by location_id, item_id, lot, round, counted_by
    having count(distinct visit) > 1 or sum(case when serial is null then 1 else 0 end) > 0
  `.execute(db);
  return result.rows.map((row) => ({
    ...row,
    round: Number(row.round),
    visits: Number(row.visits),
    no_serial: Number(row.no_serial),
  }));
}

/**
 * Sets status and flags on many lines: one UPDATE per chunk of ids sharing the same values. A line
 * sent to recount moves to its next round with its current count cleared (earlier rounds stay in
 * count_line_rounds).
 */
export async function setDecisions(
  db: Db,
  groups: ReadonlyMap<string, { status: LineStatus; flags: string; ids: string[] }>,
  now: string,
): Promise<void> {
  for (const group of groups.values()) {
    for (const chunk of chunks(group.ids, 500)) {
      await db
        .updateTable('count_lines')
        .set(
          group.status === 'recount'
            ? {
                status: group.status,
                flags: group.flags,
                updated_at: now,
                round: sql<number>`round + 1`,
                counted_qty_e3: null,
                entry_count: 0,
              }
            : { status: group.status, flags: group.flags, updated_at: now },
        )
        .where('id', 'in', chunk)
        .execute();
    }
  }
}

export async function findLine(db: Db, id: string): Promise<CountLineRow | undefined> {
  return db.selectFrom('count_lines').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Whether this user has a live entry, in any round, on the line. */
export async function countedLine(db: Db, line: CountLineRow, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('count_entries')
    .select('id')
    .where('session_id', '=', line.session_id)
    .where('location_id', '=', line.location_id)
    .where('item_id', '=', line.item_id)
    .where('lot', '=', line.lot)
    .where('counted_by', '=', userId)
    .where('voided_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** The keys of the lines this user has a live entry on, in a session. */
export async function linesCountedBy(
  db: Db,
  sessionId: string,
  userId: string,
): Promise<{ location_id: string; item_id: string; lot: string }[]> {
  const rows = await db
    .selectFrom('count_entries')
    .select(['location_id', sql<string>`item_id`.as('item_id'), 'lot'])
    .distinct()
    .where('session_id', '=', sessionId)
    .where('counted_by', '=', userId)
    .where('voided_at', 'is', null)
    .where('item_id', 'is not', null)
    .execute();
  return rows;
}

export interface LineDecision {
  status: LineStatus;
  reason_code?: string | null;
  decided_by?: string | null;
  decided_at?: string | null;
  flags?: string;
  round?: number;
  counted_qty_e3?: number | null;
  entry_count?: number;
  resolution?: LineResolution | null;
  adjustment_qty_e3?: number | null;
}

export async function decideLine(db: Db, id: string, change: LineDecision, now: string): Promise<void> {
  await db
    .updateTable('count_lines')
    .set({ ...change, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Approves many lines (the bulk review): one UPDATE per chunk. */
export async function approveLines(
  db: Db,
  ids: readonly string[],
  change: { reason_code: string | null; decided_by: string; decided_at: string },
): Promise<void> {
  for (const chunk of chunks(ids, 500)) {
    await db
      .updateTable('count_lines')
      .set({ status: 'approved', ...change, updated_at: change.decided_at })
      .where('id', 'in', chunk)
      .execute();
  }
}

/** The lines of a session in these statuses, optionally at a location (id order, paged by the caller). */
export async function candidateLines(
  db: Db,
  sessionId: string,
  statuses: readonly LineStatus[],
  locationId: string | undefined,
  afterId: string | null,
  limit: number,
): Promise<CountLineRow[]> {
  let query = db
    .selectFrom('count_lines')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('status', 'in', statuses)
    .orderBy('id')
    .limit(limit);
  if (locationId !== undefined) query = query.where('location_id', '=', locationId);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return query.execute();
}

export async function roundTotal(db: Db, lineId: string, round: number): Promise<number | null> {
  const row = await db
    .selectFrom('count_line_rounds')
    .select('counted_qty_e3')
    .where('line_id', '=', lineId)
    .where('round', '=', round)
    .executeTakeFirst();
  return row ? Number(row.counted_qty_e3) : null;
}
