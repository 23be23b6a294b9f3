import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { CountLineRow, LineStatus } from '../counting.tables.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface LineKey {
  location_id: string;
  item_id: string;
  lot: string;
}

export function lineKeyOf(key: LineKey): string {
  return `${key.location_id}\u0000${key.item_id}\u0000${key.lot}`;
}

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < values.length; start += size) out.push(values.slice(start, start + size));
  return out;
}

/**
 * The session's lines for these keys. Fetched by location and item lists (one range of the
 * (session, location, item, lot) index each) and matched exactly here: SQLite takes no list of
 * row values after IN.
 */
export async function findLinesByKeys(
  db: Db,
  sessionId: string,
  keys: readonly LineKey[],
): Promise<CountLineRow[]> {
  if (keys.length === 0) return [];
  const wanted = new Set(keys.map(lineKeyOf));
  const locations = [...new Set(keys.map((key) => key.location_id))];
  const items = [...new Set(keys.map((key) => key.item_id))];
  const out: CountLineRow[] = [];
  for (const locationChunk of chunks(locations, 200)) {
    for (const itemChunk of chunks(items, 500)) {
      const rows = await db
        .selectFrom('count_lines')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('location_id', 'in', locationChunk)
        .where('item_id', 'in', itemChunk)
        .execute();
      for (const row of rows) if (wanted.has(lineKeyOf(row))) out.push(row);
    }
  }
  return out;
}

/**
 * Adds entries to lines in one statement per chunk: each row carries the line as it is (or, for an
 * unexpected line, as it starts) with `counted_qty_e3`/`entry_count` holding what to add. A new
 * line is inserted with them; an existing one adds them to its sums. Addition commutes, so the
 * order entries arrive in never matters.
 */
export async function addToLines(db: Db, rows: readonly CountLineRow[]): Promise<void> {
  for (const chunk of chunks(rows, 150)) {
    await db
      .insertInto('count_lines')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['session_id', 'location_id', 'item_id', 'lot']).doUpdateSet({
          counted_qty_e3: sql`coalesce(count_lines.counted_qty_e3, 0) + excluded.counted_qty_e3`,
          entry_count: sql`count_lines.entry_count + excluded.entry_count`,
          status: sql`case when count_lines.status = 'open' then 'counted' else count_lines.status end`,
          updated_at: sql`excluded.updated_at`,
        }),
      )
      .execute();
  }
}

export interface RoundDelta {
  line_id: string;
  round: number;
  counted_qty_e3: number;
  entry_count: number;
}

/** Adds to each line's round total (creating it at the first entry of the round). */
export async function addToRounds(db: Db, rows: readonly RoundDelta[]): Promise<void> {
  for (const chunk of chunks(rows, 500)) {
    await db
      .insertInto('count_line_rounds')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['line_id', 'round']).doUpdateSet({
          counted_qty_e3: sql`count_line_rounds.counted_qty_e3 + excluded.counted_qty_e3`,
          entry_count: sql`count_line_rounds.entry_count + excluded.entry_count`,
        }),
      )
      .execute();
  }
}

/** A zero total for these rounds where none is recorded yet (a location counted as empty). */
export async function ensureRounds(
  db: Db,
  rows: readonly { line_id: string; round: number }[],
): Promise<void> {
  for (const chunk of chunks(rows, 500)) {
    await db
      .insertInto('count_line_rounds')
      .values(chunk.map((row) => ({ ...row, counted_qty_e3: 0, entry_count: 0 })))
      .onConflict((oc) => oc.columns(['line_id', 'round']).doNothing())
      .execute();
  }
}

export async function findLineByKey(
  db: Db,
  sessionId: string,
  key: LineKey,
): Promise<CountLineRow | undefined> {
  return db
    .selectFrom('count_lines')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('location_id', '=', key.location_id)
    .where('item_id', '=', key.item_id)
    .where('lot', '=', key.lot)
    .executeTakeFirst();
}

export async function updateLine(
  db: Db,
  id: string,
  change: Partial<Pick<CountLineRow, 'counted_qty_e3' | 'entry_count' | 'status' | 'flags'>> & {
    updated_at: string;
  },
): Promise<void> {
  await db.updateTable('count_lines').set(change).where('id', '=', id).execute();
}

export async function findRound(
  db: Db,
  lineId: string,
  round: number,
): Promise<{ counted_qty_e3: number; entry_count: number } | undefined> {
  return db
    .selectFrom('count_line_rounds')
    .select(['counted_qty_e3', 'entry_count'])
    .where('line_id', '=', lineId)
    .where('round', '=', round)
    .executeTakeFirst();
}

export async function setRound(db: Db, row: RoundDelta): Promise<void> {
  await db
    .updateTable('count_line_rounds')
    .set({ counted_qty_e3: row.counted_qty_e3, entry_count: row.entry_count })
    .where('line_id', '=', row.line_id)
    .where('round', '=', row.round)
    .execute();
}

export async function deleteRound(db: Db, lineId: string, round: number): Promise<void> {
  await db.deleteFrom('count_line_rounds').where('line_id', '=', lineId).where('round', '=', round).execute();
}

/** The lines of a location that nobody has counted yet (the ones "count entire location" zeroes). */
export async function openLinesAt(
  db: Db,
  sessionId: string,
  locationId: string,
): Promise<{ id: string; round: number }[]> {
  return db
    .selectFrom('count_lines')
    .select(['id', 'round'])
    .where('session_id', '=', sessionId)
    .where('location_id', '=', locationId)
    .where('status', '=', 'open')
    .where('counted_qty_e3', 'is', null)
    .execute();
}

export async function zeroLines(db: Db, ids: readonly string[], now: string): Promise<void> {
  for (const chunk of chunks(ids, 500)) {
    await db
      .updateTable('count_lines')
      .set({ counted_qty_e3: 0, status: 'counted', updated_at: now })
      .where('id', 'in', chunk)
      .where('counted_qty_e3', 'is', null)
      .execute();
  }
}

/** A line with what a list shows beside it. */
export interface LineView extends CountLineRow {
  item_code: string;
  item_name: string;
  base_uom: string;
  location_code: string;
}

export interface LineListFilter {
  sessionId: string;
  /** Only the locations under these paths (a counter's assignments and their subtrees). */
  locationPaths?: readonly string[];
  locationId?: string;
  status?: LineStatus;
  /** true: counted (any status); false: not counted yet. */
  counted?: boolean;
  /** true: counted and different from the book; false: the rest. */
  hasVariance?: boolean;
  /** Keyset on the (session, location, item, lot) index. */
  after?: readonly [string, string, string];
  limit: number;
}

/** Sorted by location, item and lot: the unique key's own order, so a page is an index range. */
export async function listLines(db: Db, filter: LineListFilter): Promise<LineView[]> {
  let query = db
    .selectFrom('count_lines as ln')
    .innerJoin('items as i', 'i.id', 'ln.item_id')
    .innerJoin('locations as l', 'l.id', 'ln.location_id')
    .selectAll('ln')
    .select(['i.item_code', 'i.name as item_name', 'i.base_uom', 'l.code as location_code'])
    .where('ln.session_id', '=', filter.sessionId)
    .orderBy('ln.location_id')
    .orderBy('ln.item_id')
    .orderBy('ln.lot')
    .limit(filter.limit);
  if (filter.locationPaths !== undefined) {
    const paths = [...filter.locationPaths];
    // Paths hold only hex ids, '-' and '/': no LIKE wildcard to escape.
    query =
      paths.length === 0
        ? query.where(sql<boolean>`1 = 0`)
        : query.where((eb) => eb.or(paths.map((path) => eb('l.path', 'like', `${path}%`))));
  }
  if (filter.locationId !== undefined) query = query.where('ln.location_id', '=', filter.locationId);
  if (filter.status !== undefined) query = query.where('ln.status', '=', filter.status);
  if (filter.counted !== undefined) {
    query = query.where('ln.counted_qty_e3', filter.counted ? 'is not' : 'is', null);
  }
  if (filter.hasVariance !== undefined) {
    const differs = sql<boolean>`(ln.counted_qty_e3 is not null and ln.counted_qty_e3 <> ln.book_qty_e3)`;
    query = query.where(filter.hasVariance ? differs : sql<boolean>`not ${differs}`);
  }
  const after = filter.after;
  if (after !== undefined) {
    const [location, item, lot] = after;
    query = query.where((eb) =>
      eb.or([
        eb('ln.location_id', '>', location),
        eb.and([eb('ln.location_id', '=', location), eb('ln.item_id', '>', item)]),
        eb.and([eb('ln.location_id', '=', location), eb('ln.item_id', '=', item), eb('ln.lot', '>', lot)]),
      ]),
    );
  }
  return query.execute();
}

export async function roundsOf(
  db: Db,
  lineIds: readonly string[],
): Promise<{ line_id: string; round: number; counted_qty_e3: number; entry_count: number }[]> {
  const out: { line_id: string; round: number; counted_qty_e3: number; entry_count: number }[] = [];
  for (const chunk of chunks([...lineIds], 500)) {
    out.push(
      ...(await db
        .selectFrom('count_line_rounds')
        .selectAll()
        .where('line_id', 'in', chunk)
        .orderBy('line_id')
        .orderBy('round')
        .execute()),
    );
  }
  return out;
}

export async function setFlags(db: Db, id: string, flags: string, now: string): Promise<void> {
  await db.updateTable('count_lines').set({ flags, updated_at: now }).where('id', '=', id).execute();
}

export async function findLinesByIds(db: Db, ids: readonly string[]): Promise<CountLineRow[]> {
  const out: CountLineRow[] = [];
  for (const chunk of chunks([...new Set(ids)], 500)) {
    out.push(...(await db.selectFrom('count_lines').selectAll().where('id', 'in', chunk).execute()));
  }
  return out;
}
