import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { escapeLike } from '../../platform/db/escape-like.ts';
import type { Database } from '../../platform/db/schema.ts';

export interface WarehousesTable {
  id: string;
  code: string;
  name: string;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface LocationsTable {
  id: string;
  warehouse_id: string;
  parent_id: string | null;
  code: string;
  name: string;
  kind: string;
  barcode: string | null;
  /** '/<root id>/…/<own id>/': a subtree is one prefix match. */
  path: string;
  depth: number;
  active: number;
  created_at: string;
  updated_at: string;
}

export type WarehouseRow = Selectable<WarehousesTable>;
export type LocationRow = Selectable<LocationsTable>;
type Db = Kysely<Database> | Transaction<Database>;

// Warehouses

export async function insertWarehouse(db: Db, row: WarehouseRow): Promise<void> {
  await db.insertInto('warehouses').values(row).execute();
}

export async function findWarehouseById(db: Db, id: string): Promise<WarehouseRow | undefined> {
  return db.selectFrom('warehouses').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface WarehouseListFilter {
  active?: boolean;
  /** Keyset: only warehouses whose code sorts after this one. */
  afterCode?: string;
  limit: number;
}

/** Sorted by code (unique, indexed). */
export async function listWarehouses(db: Db, filter: WarehouseListFilter): Promise<WarehouseRow[]> {
  let query = db.selectFrom('warehouses').selectAll().orderBy('code').limit(filter.limit);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
  if (filter.afterCode !== undefined) query = query.where('code', '>', filter.afterCode);
  return query.execute();
}

export type WarehouseChanges = Partial<Pick<WarehousesTable, 'name' | 'active'>> & { updated_at: string };

export async function updateWarehouse(db: Db, id: string, changes: WarehouseChanges): Promise<boolean> {
  const result = await db.updateTable('warehouses').set(changes).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Serialises changes to one warehouse's location tree (creates and moves) across transactions and
 * instances: a row lock on PostgreSQL, a no-op on SQLite, whose writers are serialised anyway. A
 * no-op UPDATE rather than SELECT … FOR UPDATE, which SQLite does not parse. Returns false when
 * the warehouse does not exist. Call it inside a transaction: the lock lasts until commit.
 */
export async function lockWarehouseTree(trx: Db, warehouseId: string): Promise<boolean> {
  const result = await trx
    .updateTable('warehouses')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', warehouseId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// Locations

export async function insertLocation(db: Db, row: LocationRow): Promise<void> {
  await db.insertInto('locations').values(row).execute();
}

export async function findLocationById(db: Db, id: string): Promise<LocationRow | undefined> {
  return db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findLocationByBarcode(db: Db, barcode: string): Promise<LocationRow | undefined> {
  return db.selectFrom('locations').selectAll().where('barcode', '=', barcode).executeTakeFirst();
}

export async function findLocationByCode(
  db: Db,
  warehouseId: string,
  code: string,
): Promise<LocationRow | undefined> {
  return db
    .selectFrom('locations')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('code', '=', code)
    .executeTakeFirst();
}

/** id → code for the given locations (the ancestors a page of locations needs for path_codes). */
export async function codesByIds(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(ids)];
  // Chunked: well below either dialect's limit on bound parameters.
  for (let start = 0; start < unique.length; start += 500) {
    const chunk = unique.slice(start, start + 500);
    const rows = await db.selectFrom('locations').select(['id', 'code']).where('id', 'in', chunk).execute();
    for (const row of rows) out.set(row.id, row.code);
  }
  return out;
}

export type LocationSort = 'path' | 'code';

export interface LocationListFilter {
  warehouseId?: string;
  parentId?: string;
  /** Materialised path of a location: it and its whole subtree. */
  underPath?: string;
  depth?: number;
  /** Start of the code, case-insensitive, wildcards literal. */
  codePrefix?: string;
  active?: boolean;
  sort: LocationSort;
  /**
   * Keyset: `[id]` of the last location seen when sorted by path (the path is looked up: a deep
   * tree's path is too long for a cursor), `[code, id]` when sorted by code.
   */
  after?: readonly [string] | readonly [string, string];
  limit: number;
}

export async function listLocations(db: Db, filter: LocationListFilter): Promise<LocationRow[]> {
  let query = db.selectFrom('locations').selectAll().limit(filter.limit);
  if (filter.warehouseId !== undefined) query = query.where('warehouse_id', '=', filter.warehouseId);
  if (filter.parentId !== undefined) query = query.where('parent_id', '=', filter.parentId);
  // Paths hold only hex ids, '-' and '/': no LIKE wildcard to escape. Served by locations_path_prefix_idx.
  if (filter.underPath !== undefined) query = query.where('path', 'like', `${filter.underPath}%`);
  if (filter.depth !== undefined) query = query.where('depth', '=', filter.depth);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
  if (filter.codePrefix !== undefined) {
    const pattern = `${escapeLike(filter.codePrefix.toLowerCase())}%`;
    query = query.where(sql<boolean>`lower(code) like ${pattern} escape '\\'`);
  }
  if (filter.sort === 'path') {
    query = query.orderBy('path');
    const afterId = filter.after?.[0];
    if (afterId !== undefined) {
      query = query.where('path', '>', (eb) =>
        eb.selectFrom('locations as seen').select('seen.path').where('seen.id', '=', afterId),
      );
    }
  } else {
    query = query.orderBy('code').orderBy('id');
    const after = filter.after;
    if (after && after.length === 2) {
      const [code, id] = after;
      query = query.where((eb) =>
        eb.or([eb('code', '>', code), eb.and([eb('code', '=', code), eb('id', '>', id)])]),
      );
    }
  }
  return query.execute();
}

export type LocationChanges = Partial<Pick<LocationsTable, 'name' | 'kind' | 'barcode' | 'active'>> & {
  updated_at: string;
};

export async function updateLocation(db: Db, id: string, changes: LocationChanges): Promise<boolean> {
  const result = await db.updateTable('locations').set(changes).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The deepest level among a location and its subtree (to keep a move within the depth limit). */
export async function maxDepthUnder(db: Db, path: string): Promise<number> {
  const row = await db
    .selectFrom('locations')
    .select((eb) => eb.fn.max('depth').as('depth'))
    .where('path', 'like', `${path}%`)
    .executeTakeFirst();
  return Number(row?.depth ?? 0);
}

/**
 * Moves a subtree: one statement rewrites the path prefix and shifts the depth of the location
 * and every descendant, so the tree is never seen half-moved.
 */
export async function moveSubtree(
  db: Db,
  move: {
    id: string;
    parentId: string | null;
    oldPath: string;
    newPath: string;
    depthDelta: number;
    at: string;
  },
): Promise<number> {
  const result = await db
    .updateTable('locations')
    .set({
      path: sql<string>`${move.newPath} || substr(path, ${move.oldPath.length + 1})`,
      depth: sql<number>`depth + ${move.depthDelta}`,
      updated_at: move.at,
    })
    .where('path', 'like', `${move.oldPath}%`)
    .executeTakeFirst();
  await db.updateTable('locations').set({ parent_id: move.parentId }).where('id', '=', move.id).execute();
  return Number(result.numUpdatedRows);
}
