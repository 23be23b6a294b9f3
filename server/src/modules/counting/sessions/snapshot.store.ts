import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

type Db = Kysely<Database>;

export interface SnapshotScope {
  sessionId: string;
  warehouseId: string;
  /** Materialised paths of the scope's location roots; empty: the whole warehouse. */
  rootPaths: readonly string[];
  /** Empty: every category. */
  categories: readonly string[];
  /** Empty: every item. */
  itemIds: readonly string[];
}

/**
 * Freezes the book of every item-location (and lot) in scope — quantity from stock_levels, unit
 * cost from items — in ONE INSERT … SELECT: the rows never travel through Node, so 100,000
 * item-locations cost one statement. It reads the stock_levels, items and locations tables
 * directly, an accepted exception to "call other modules' services", for exactly that reason.
 * Every stock level in scope is taken, zero and negative ones included (the book says so), and
 * inactive items and locations too: stock the ERP holds there is still to be counted.
 */
export async function takeSnapshot(trx: Db, scope: SnapshotScope): Promise<number> {
  let select = trx
    .selectFrom('stock_levels as s')
    .innerJoin('locations as l', 'l.id', 's.location_id')
    .innerJoin('items as i', 'i.id', 's.item_id')
    .select([
      sql<string>`cast(${scope.sessionId} as text)`.as('session_id'),
      's.location_id',
      's.item_id',
      's.lot',
      's.quantity_e3',
      'i.unit_cost_e4',
    ])
    .where('l.warehouse_id', '=', scope.warehouseId);
  const { rootPaths, categories, itemIds } = scope;
  // Paths hold only hex ids, '-' and '/': no LIKE wildcard to escape. Each is a subtree.
  if (rootPaths.length > 0)
    select = select.where((eb) => eb.or(rootPaths.map((path) => eb('l.path', 'like', `${path}%`))));
  if (categories.length > 0) select = select.where('i.category', 'in', categories as string[]);
  if (itemIds.length > 0) select = select.where('s.item_id', 'in', itemIds as string[]);
  const result = await trx
    .insertInto('count_snapshot')
    .columns(['session_id', 'location_id', 'item_id', 'lot', 'book_qty_e3', 'unit_cost_e4'])
    .expression(select)
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/**
 * Creates the expected lines of a session from its snapshot, again in one INSERT … SELECT: round
 * 1, status open, not counted yet, book quantity and unit cost copied from the snapshot.
 *
 * Ids: `idPrefix` is the first 24 characters of one fresh UUIDv7 (time, sequence, randomness);
 * each line appends its 12-digit row number in snapshot key order. So the ids are UUID-shaped
 * and time-ordered like every other id, and unique: within the session by construction, across
 * sessions because prefixes differ — strictly increasing within a process, and across instances
 * equal only if two starts fell in the same millisecond with the same 12-bit sequence and the same
 * 14 random bits. No random number is drawn per row and no id travels from Node
 * (`1000000000000 + n`, minus its first digit, is the zero-padded row number in portable SQL).
 */
export async function createExpectedLines(
  trx: Db,
  line: { sessionId: string; idPrefix: string; now: string },
): Promise<number> {
  const select = trx
    .selectFrom('count_snapshot')
    .select([
      sql<string>`cast(${line.idPrefix} as text) || substr(cast(1000000000000 + row_number() over (order by location_id, item_id, lot) as text), 2)`.as(
        'id',
      ),
      'session_id',
      'location_id',
      'item_id',
      'lot',
      sql<number>`1`.as('expected'),
      'book_qty_e3',
      'unit_cost_e4',
      sql<number>`1`.as('round'),
      sql<string>`'open'`.as('status'),
      sql<string>`cast(${line.now} as text)`.as('updated_at'),
    ])
    .where('session_id', '=', line.sessionId);
  const result = await trx
    .insertInto('count_lines')
    .columns([
      'id',
      'session_id',
      'location_id',
      'item_id',
      'lot',
      'expected',
      'book_qty_e3',
      'unit_cost_e4',
      'round',
      'status',
      'updated_at',
    ])
    .expression(select)
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}
