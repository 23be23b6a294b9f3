import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { CountEntryRow, CountSessionRow } from '../counting.tables.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** "Count entire location" was done (migration 0015). */
export interface CountLocationCompletionsTable {
  session_id: string;
  location_id: string;
  completed_by: string;
  completed_at: string;
}
export type CompletionRow = Selectable<CountLocationCompletionsTable>;

/** Well below either dialect's limit on bound parameters (22 columns a row). */
const INSERT_CHUNK = 200;
const IN_CHUNK = 500;

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < values.length; start += size) out.push(values.slice(start, start + size));
  return out;
}

/**
 * Locks a session's row until the transaction ends and returns it: every change to entries and
 * lines of a session holds this lock, so they apply one after another (a line's sum, a serial
 * seen twice, "no entry after submit" stay exact with several writers), and a lifecycle step
 * that updates the row waits for them. A no-op UPDATE: SQLite does not parse SELECT … FOR UPDATE,
 * and its writers are serialised anyway.
 */
export async function lockSession(trx: Db, id: string): Promise<CountSessionRow | undefined> {
  return trx
    .updateTable('count_sessions')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function findEntriesByClientIds(db: Db, clientIds: readonly string[]): Promise<CountEntryRow[]> {
  const out: CountEntryRow[] = [];
  for (const chunk of chunks([...new Set(clientIds)], IN_CHUNK)) {
    out.push(...(await db.selectFrom('count_entries').selectAll().where('client_id', 'in', chunk).execute()));
  }
  return out;
}

export async function insertEntries(db: Db, rows: readonly CountEntryRow[]): Promise<void> {
  for (const chunk of chunks(rows, INSERT_CHUNK))
    await db.insertInto('count_entries').values(chunk).execute();
}

export async function findEntry(db: Db, id: string): Promise<CountEntryRow | undefined> {
  return db.selectFrom('count_entries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markVoided(
  db: Db,
  id: string,
  change: { voided_at: string; voided_by: string; void_reason: string },
): Promise<boolean> {
  const result = await db
    .updateTable('count_entries')
    .set(change)
    .where('id', '=', id)
    .where('voided_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** An entry as lists show it: with its item's code and name (null for an unknown barcode). */
export interface EntryView extends CountEntryRow {
  item_code: string | null;
  item_name: string | null;
}

export async function findEntryViews(db: Db, ids: readonly string[]): Promise<EntryView[]> {
  const out: EntryView[] = [];
  for (const chunk of chunks([...new Set(ids)], IN_CHUNK)) {
    out.push(
      ...(await db
        .selectFrom('count_entries as e')
        .leftJoin('items as i', 'i.id', 'e.item_id')
        .selectAll('e')
        .select(['i.item_code', 'i.name as item_name'])
        .where('e.id', 'in', chunk)
        .execute()),
    );
  }
  return out;
}

export interface EntryListFilter {
  sessionId: string;
  countedBy?: string;
  locationId?: string;
  includeVoided: boolean;
  /** Keyset, newest first: only entries before this (received_at, id). */
  before?: readonly [string, string];
  limit: number;
}

/** Newest first; served by (session_id, received_at, id), or (session_id, counted_by, received_at). */
export async function listEntries(db: Db, filter: EntryListFilter): Promise<EntryView[]> {
  let query = db
    .selectFrom('count_entries as e')
    .leftJoin('items as i', 'i.id', 'e.item_id')
    .selectAll('e')
    .select(['i.item_code', 'i.name as item_name'])
    .where('e.session_id', '=', filter.sessionId)
    .orderBy('e.received_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(filter.limit);
  if (filter.countedBy !== undefined) query = query.where('e.counted_by', '=', filter.countedBy);
  if (filter.locationId !== undefined) query = query.where('e.location_id', '=', filter.locationId);
  if (!filter.includeVoided) query = query.where('e.voided_at', 'is', null);
  const before = filter.before;
  if (before !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('e.received_at', '<', before[0]),
        eb.and([eb('e.received_at', '=', before[0]), eb('e.id', '<', before[1])]),
      ]),
    );
  }
  return query.execute();
}

/** A live entry with a serial, as the duplicate-serial check needs it. */
export interface SerialEntry {
  id: string;
  item_id: string;
  serial: string;
  round: number;
  location_id: string;
  lot: string;
}

/** Live entries of the session carrying one of these (item, serial) pairs. */
export async function liveSerialEntries(
  db: Db,
  sessionId: string,
  pairs: readonly { item_id: string; serial: string }[],
): Promise<SerialEntry[]> {
  const wanted = new Set(pairs.map((pair) => `${pair.item_id}\u0000${pair.serial}`));
  const itemIds = [...new Set(pairs.map((pair) => pair.item_id))];
  const serials = [...new Set(pairs.map((pair) => pair.serial))];
  const out: SerialEntry[] = [];
  for (const itemChunk of chunks(itemIds, IN_CHUNK)) {
    for (const serialChunk of chunks(serials, IN_CHUNK)) {
      const rows = await db
        .selectFrom('count_entries')
        .select(['id', 'item_id', 'serial', 'round', 'location_id', 'lot'])
        .where('session_id', '=', sessionId)
        .where('item_id', 'in', itemChunk)
        .where('serial', 'in', serialChunk)
        .where('voided_at', 'is', null)
        .execute();
      for (const row of rows) {
        if (row.item_id !== null && row.serial !== null && wanted.has(`${row.item_id}\u0000${row.serial}`)) {
          out.push({ ...row, item_id: row.item_id, serial: row.serial });
        }
      }
    }
  }
  return out;
}

/** Live entries with a serial on these lines (item × location × lot) of the session. */
export async function liveSerialEntriesOfLines(
  db: Db,
  sessionId: string,
  lines: readonly { location_id: string; item_id: string; lot: string }[],
): Promise<SerialEntry[]> {
  const out: SerialEntry[] = [];
  for (const chunk of chunks(lines, 100)) {
    const rows = await db
      .selectFrom('count_entries')
      .select(['id', 'item_id', 'serial', 'round', 'location_id', 'lot'])
      .where('session_id', '=', sessionId)
      .where('voided_at', 'is', null)
      .where('serial', 'is not', null)
      .where((eb) =>
        eb.or(
          chunk.map((line) =>
            eb.and([
              eb('location_id', '=', line.location_id),
              eb('item_id', '=', line.item_id),
              eb('lot', '=', line.lot),
            ]),
          ),
        ),
      )
      .execute();
    for (const row of rows) {
      if (row.item_id !== null && row.serial !== null)
        out.push({ ...row, item_id: row.item_id, serial: row.serial });
    }
  }
  return out;
}

export interface UnknownItemRow {
  barcode: string;
  location_id: string;
  location_code: string;
  entry_count: number | string;
  quantity_e3: number | string;
  counters: number | string;
  first_counted_at: string;
  last_counted_at: string;
}

/** Live entries of barcodes that matched no item, by barcode and location, sorted by both. */
export async function listUnknownItems(
  db: Db,
  filter: { sessionId: string; after?: readonly [string, string]; limit: number },
): Promise<UnknownItemRow[]> {
  let query = db
    .selectFrom('count_entries as e')
    .innerJoin('locations as l', 'l.id', 'e.location_id')
    .select((eb) => [
      'e.location_id',
      'l.code as location_code',
      eb.fn.coalesce('e.barcode', eb.val('')).as('barcode'),
      eb.fn.countAll<number>().as('entry_count'),
      eb.fn.sum<number>('e.quantity_e3').as('quantity_e3'),
      eb.fn.count<number>('e.counted_by').distinct().as('counters'),
      eb.fn.min<string>('e.counted_at').as('first_counted_at'),
      eb.fn.max<string>('e.counted_at').as('last_counted_at'),
    ])
    .where('e.session_id', '=', filter.sessionId)
    .where('e.item_id', 'is', null)
    .where('e.voided_at', 'is', null)
    .groupBy(['e.barcode', 'e.location_id', 'l.code'])
    .orderBy('e.barcode')
    .orderBy('e.location_id')
    .limit(filter.limit);
  const after = filter.after;
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('e.barcode', '>', after[0]),
        eb.and([eb('e.barcode', '=', after[0]), eb('e.location_id', '>', after[1])]),
      ]),
    );
  }
  return query.execute() as Promise<UnknownItemRow[]>;
}

export async function upsertCompletion(db: Db, row: CompletionRow): Promise<void> {
  await db
    .insertInto('count_location_completions')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['session_id', 'location_id']).doUpdateSet({
        completed_by: row.completed_by,
        completed_at: row.completed_at,
      }),
    )
    .execute();
}

export async function isLocationCompleted(db: Db, sessionId: string, locationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('count_location_completions')
    .select('location_id')
    .where('session_id', '=', sessionId)
    .where('location_id', '=', locationId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether this user has a live entry on the line in a round before its current one (recounts). */
export async function countedBefore(
  db: Db,
  line: { session_id: string; location_id: string; item_id: string; lot: string; round: number },
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('count_entries')
    .select('id')
    .where('session_id', '=', line.session_id)
    .where('location_id', '=', line.location_id)
    .where('item_id', '=', line.item_id)
    .where('lot', '=', line.lot)
    .where('counted_by', '=', userId)
    .where('round', '<', Number(line.round))
    .where('voided_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}
