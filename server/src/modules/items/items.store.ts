import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { compileOnce } from '../../platform/db/compiled-query.ts';
import { escapeLike } from '../../platform/db/escape-like.ts';
import type { Database } from '../../platform/db/schema.ts';

export interface ItemsTable {
  id: string;
  item_code: string;
  name: string;
  /** Lower-cased name, for case-insensitive search on both dialects. */
  name_key: string;
  category: string | null;
  sub_category: string | null;
  base_uom: string;
  /** Ten-thousandths of the currency (platform/decimal.ts). */
  unit_cost_e4: number;
  mrp_e4: number | null;
  abc_class: 'A' | 'B' | 'C' | null;
  tracking: 'none' | 'lot' | 'serial';
  active: number;
  created_at: string;
  updated_at: string;
}

export interface ItemBarcodesTable {
  barcode: string;
  item_id: string;
  /** Thousandths of a base unit that one scan of this code stands for. */
  pack_qty_e3: number;
  kind: 'gtin' | 'internal';
  created_at: string;
}

export type ItemRow = Selectable<ItemsTable>;
export type BarcodeRow = Selectable<ItemBarcodesTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** The search key of a name: what `q` matches against, case-insensitively, on both dialects. */
export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

export async function insertItem(db: Db, row: ItemRow): Promise<void> {
  await db.insertInto('items').values(row).execute();
}

export async function findItemById(db: Db, id: string): Promise<ItemRow | undefined> {
  return db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
}

export type ItemChanges = Partial<
  Pick<
    ItemsTable,
    | 'name'
    | 'name_key'
    | 'category'
    | 'sub_category'
    | 'base_uom'
    | 'unit_cost_e4'
    | 'mrp_e4'
    | 'abc_class'
    | 'tracking'
    | 'active'
  >
> & { updated_at: string };

export async function updateItem(db: Db, id: string, changes: ItemChanges): Promise<boolean> {
  const result = await db.updateTable('items').set(changes).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface ItemListFilter {
  /** item_code prefix or name substring (both any case), or this exact normalised barcode. */
  q?: string;
  barcode?: string;
  category?: string;
  active?: boolean;
  /** Keyset: only items whose item_code sorts after this one. */
  afterItemCode?: string;
  limit: number;
}

/**
 * Sorted by item_code and paged on it, so every page is a range scan of the unique item_code
 * index however deep the page (no OFFSET, no count). A name substring cannot use a B-tree: with
 * `q` the same index scan filters rows as it goes, stopping once the page is full.
 */
export async function listItems(db: Db, filter: ItemListFilter): Promise<ItemRow[]> {
  let query = db.selectFrom('items').selectAll().orderBy('item_code').limit(filter.limit);
  if (filter.category !== undefined) query = query.where('category', '=', filter.category);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
  if (filter.afterItemCode !== undefined) query = query.where('item_code', '>', filter.afterItemCode);
  if (filter.q !== undefined) {
    const text = escapeLike(filter.q.toLowerCase());
    const prefix = `${text}%`;
    const contains = `%${text}%`;
    const barcode = filter.barcode;
    query = query.where((eb) =>
      eb.or([
        sql<boolean>`lower(item_code) like ${prefix} escape '\\'`,
        sql<boolean>`name_key like ${contains} escape '\\'`,
        ...(barcode !== undefined
          ? [
              eb(
                'id',
                'in',
                eb
                  .selectFrom('item_barcodes')
                  .select('item_barcodes.item_id')
                  .where('item_barcodes.barcode', '=', barcode),
              ),
            ]
          : []),
      ]),
    );
  }
  return query.execute();
}

export async function insertBarcodes(db: Db, rows: BarcodeRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('item_barcodes').values(rows).execute();
}

/** The barcodes of these items, in the order they were added. */
export async function barcodesOfItems(db: Db, itemIds: readonly string[]): Promise<BarcodeRow[]> {
  if (itemIds.length === 0) return [];
  return db
    .selectFrom('item_barcodes')
    .selectAll()
    .where('item_id', 'in', [...itemIds])
    .orderBy('created_at')
    .orderBy('barcode')
    .execute();
}

/** Which item (if any) already has each of these barcodes. */
export async function barcodeOwners(
  db: Db,
  barcodes: readonly string[],
): Promise<{ barcode: string; item_id: string; item_code: string }[]> {
  if (barcodes.length === 0) return [];
  return db
    .selectFrom('item_barcodes as b')
    .innerJoin('items as i', 'i.id', 'b.item_id')
    .select(['b.barcode', 'b.item_id', 'i.item_code'])
    .where('b.barcode', 'in', [...barcodes])
    .execute();
}

export async function deleteBarcode(db: Db, itemId: string, barcode: string): Promise<boolean> {
  const result = await db
    .deleteFrom('item_barcodes')
    .where('item_id', '=', itemId)
    .where('barcode', '=', barcode)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface BarcodeLookupRow extends ItemRow {
  barcode: string;
  pack_qty_e3: number;
  barcode_kind: 'gtin' | 'internal';
}

/**
 * The scan of every count: one primary-key probe of item_barcodes joined to its item, built and
 * compiled once per database handle and then only re-run with the barcode.
 */
export function createBarcodeLookup(
  db: Kysely<Database>,
): (barcode: string) => Promise<BarcodeLookupRow | undefined> {
  const query = compileOnce<Database, 'barcode', BarcodeLookupRow>(db, (param) =>
    db
      .selectFrom('item_barcodes as b')
      .innerJoin('items as i', 'i.id', 'b.item_id')
      .selectAll('i')
      .select(['b.barcode', 'b.pack_qty_e3', 'b.kind as barcode_kind'])
      .where('b.barcode', '=', param('barcode')),
  );
  return async (barcode) => (await query({ barcode })).rows[0];
}

/** Many scans at once (an offline batch): the stored rows for these normalised barcodes. */
export async function findByBarcodes(db: Db, barcodes: readonly string[]): Promise<BarcodeLookupRow[]> {
  const out: BarcodeLookupRow[] = [];
  // Chunked: well below either dialect's limit on bound parameters.
  for (let start = 0; start < barcodes.length; start += 500) {
    const chunk = barcodes.slice(start, start + 500);
    out.push(
      ...(await db
        .selectFrom('item_barcodes as b')
        .innerJoin('items as i', 'i.id', 'b.item_id')
        .selectAll('i')
        .select(['b.barcode', 'b.pack_qty_e3', 'b.kind as barcode_kind'])
        .where('b.barcode', 'in', chunk)
        .execute()),
    );
  }
  return out;
}

export async function findItemsByIds(db: Db, ids: readonly string[]): Promise<ItemRow[]> {
  const out: ItemRow[] = [];
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = ids.slice(start, start + 500);
    out.push(...(await db.selectFrom('items').selectAll().where('id', 'in', chunk).execute()));
  }
  return out;
}
