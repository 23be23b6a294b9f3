import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';

export interface StockLevelsTable {
  id: string;
  item_id: string;
  location_id: string;
  /** '' for items without lot tracking. */
  lot: string;
  /** Thousandths of the base unit (platform/decimal.ts). */
  quantity_e3: number;
  source: 'import' | 'erp' | 'manual';
  as_of: string;
  updated_at: string;
}

export type StockLevelRow = Selectable<StockLevelsTable>;
type Db = Kysely<Database> | Transaction<Database>;

export interface StockLevelView extends StockLevelRow {
  item_code: string;
  item_name: string;
  location_code: string;
  warehouse_id: string;
}

export interface StockLevelListFilter {
  itemId?: string;
  locationId?: string;
  warehouseId?: string;
  /** Keyset: only rows whose id sorts after this one. */
  afterId?: string;
  limit: number;
}

/** Sorted by id; filtered through the (item, location, lot) key or the (location, item) index. */
export async function listStockLevels(db: Db, filter: StockLevelListFilter): Promise<StockLevelView[]> {
  let query = db
    .selectFrom('stock_levels as s')
    .innerJoin('items as i', 'i.id', 's.item_id')
    .innerJoin('locations as l', 'l.id', 's.location_id')
    .selectAll('s')
    .select(['i.item_code', 'i.name as item_name', 'l.code as location_code', 'l.warehouse_id'])
    .orderBy('s.id')
    .limit(filter.limit);
  if (filter.itemId !== undefined) query = query.where('s.item_id', '=', filter.itemId);
  if (filter.locationId !== undefined) query = query.where('s.location_id', '=', filter.locationId);
  if (filter.warehouseId !== undefined) query = query.where('l.warehouse_id', '=', filter.warehouseId);
  if (filter.afterId !== undefined) query = query.where('s.id', '>', filter.afterId);
  return query.execute();
}

export interface StockKey {
  item_id: string;
  location_id: string;
  lot: string;
}

/**
 * The stored rows for these keys. Few keys per statement: SQLite takes no list of row values
 * after IN, so each key is its own AND term.
 */
export async function findStockLevels(db: Db, keys: readonly StockKey[]): Promise<StockLevelRow[]> {
  const out: StockLevelRow[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    const chunk = keys.slice(start, start + 100);
    const rows = await db
      .selectFrom('stock_levels')
      .selectAll()
      .where((eb) =>
        eb.or(
          chunk.map((key) =>
            eb.and([
              eb('item_id', '=', key.item_id),
              eb('location_id', '=', key.location_id),
              eb('lot', '=', key.lot),
            ]),
          ),
        ),
      )
      .execute();
    out.push(...rows);
  }
  return out;
}

/** Which of these ids exist in a table (to name a row with an unknown item or location). */
export async function existingIds(
  db: Db,
  table: 'items' | 'locations',
  ids: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += 500) {
    const rows = await db
      .selectFrom(table)
      .select('id')
      .where('id', 'in', unique.slice(start, start + 500))
      .execute();
    for (const row of rows) out.add(row.id);
  }
  return out;
}

/**
 * Inserts new rows. A row another writer inserted meanwhile is overwritten rather than failing
 * the whole batch: both carry the ERP's figure for the same key.
 */
export async function insertStockLevels(db: Db, rows: readonly StockLevelRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 200) {
    await db
      .insertInto('stock_levels')
      .values(rows.slice(start, start + 200))
      .onConflict((oc) =>
        oc.columns(['item_id', 'location_id', 'lot']).doUpdateSet((eb) => ({
          quantity_e3: eb.ref('excluded.quantity_e3'),
          source: eb.ref('excluded.source'),
          as_of: eb.ref('excluded.as_of'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

export type StockLevelChanges = Pick<StockLevelsTable, 'quantity_e3' | 'source' | 'as_of' | 'updated_at'>;

export async function updateStockLevel(db: Db, id: string, changes: StockLevelChanges): Promise<void> {
  await db.updateTable('stock_levels').set(changes).where('id', '=', id).execute();
}
