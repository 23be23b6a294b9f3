import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';
import { type ItemBarcodesTable, type ItemsTable, nameKey } from './items.store.ts';

/**
 * Set-based upserts of items and their barcodes, a batch (≈1000 rows) at a time, for imports
 * and ERP syncs: one query reads what exists for the whole batch, one statement writes the new
 * and changed rows, unchanged rows are not touched (their updated_at stays).
 *
 * Barcodes are added, or their pack size updated; a batch never removes a barcode from an item
 * and never moves one from another item (that is a conflict: the row is refused).
 */

type Db = Kysely<Database> | Transaction<Database>;

export interface BarcodeImport {
  /** Normalised by parseBarcode (GTINs padded to 14 digits). */
  barcode: string;
  kind: 'gtin' | 'internal';
  /** Base units (thousandths) one scan stands for. */
  pack_qty_e3: number;
}

export interface ItemImportRow {
  item_code: string;
  name: string;
  category: string | null;
  sub_category: string | null;
  base_uom: string;
  unit_cost_e4: number;
  mrp_e4: number | null;
  abc_class: 'A' | 'B' | 'C' | null;
  /** null: not given (new items get 'none', existing ones keep theirs). */
  tracking: 'none' | 'lot' | 'serial' | null;
  /** null: not given (new items are active, existing ones keep theirs). */
  active: 0 | 1 | null;
  barcodes: BarcodeImport[];
}

/** Optional fields a source may leave out entirely: then existing items keep their value. */
export type OptionalItemField =
  | 'category'
  | 'sub_category'
  | 'mrp_e4'
  | 'abc_class'
  | 'tracking'
  | 'active'
  | 'barcodes';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** A row that cannot be written as the database stands (it changed since it was checked). */
export class BulkConflict extends Error {
  constructor(
    /** Index of the row in the batch. */
    readonly index: number,
    readonly field: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'BulkConflict';
  }
}

/** SQLite allows 32766 bound values per statement; PostgreSQL 65535. */
const MAX_PARAMS = 30000;

function chunks<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** For each of these barcodes that exists: the item it belongs to. */
export async function findBarcodeOwners(
  db: Db,
  barcodes: readonly string[],
): Promise<
  Map<string, { item_id: string; item_code: string; pack_qty_e3: number; kind: 'gtin' | 'internal' }>
> {
  const owners = new Map<
    string,
    { item_id: string; item_code: string; pack_qty_e3: number; kind: 'gtin' | 'internal' }
  >();
  // Two primary-key lookups rather than one join: with a long IN list PostgreSQL planned the
  // join as a full scan of item_barcodes, so each batch cost grew with the catalogue.
  for (const part of chunks([...barcodes], 1)) {
    if (part.length === 0) continue;
    const found = await db
      .selectFrom('item_barcodes')
      .select(['barcode', 'item_id', 'pack_qty_e3', 'kind'])
      .where('barcode', 'in', part)
      .execute();
    if (found.length === 0) continue;
    const itemIds = [...new Set(found.map((row) => row.item_id))];
    const codes = new Map(
      (await db.selectFrom('items').select(['id', 'item_code']).where('id', 'in', itemIds).execute()).map(
        (item) => [item.id, item.item_code],
      ),
    );
    for (const row of found)
      owners.set(row.barcode, {
        item_id: row.item_id,
        item_code: codes.get(row.item_id) ?? '',
        pack_qty_e3: Number(row.pack_qty_e3),
        kind: row.kind,
      });
  }
  return owners;
}

export interface ItemUpsertOptions {
  /** The optional fields the source has (see OptionalItemField). */
  present: ReadonlySet<OptionalItemField>;
  /** Timestamp for created_at / updated_at. */
  now: string;
  newId: () => string;
  /** false: count what would change, write nothing (a dry run). */
  write: boolean;
}

type ItemRow = Selectable<ItemsTable>;

/**
 * Upserts a batch of items by item_code (codes unique within the batch). Returns how many rows
 * were inserted, updated or already as given. Throws BulkConflict when a barcode belongs to
 * another item.
 */
export async function upsertItemBatch(
  db: Db,
  rows: readonly ItemImportRow[],
  options: ItemUpsertOptions,
): Promise<UpsertCounts> {
  const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
  if (rows.length === 0) return counts;
  const { present, now } = options;

  const existing = new Map<string, ItemRow>();
  for (const part of chunks(
    rows.map((row) => row.item_code),
    1,
  )) {
    const found = await db.selectFrom('items').selectAll().where('item_code', 'in', part).execute();
    for (const row of found) existing.set(row.item_code, row);
  }
  const withBarcodes = present.has('barcodes');
  const owners = withBarcodes
    ? await findBarcodeOwners(
        db,
        rows.flatMap((row) => row.barcodes.map((barcode) => barcode.barcode)),
      )
    : new Map();

  const itemWrites: ItemRow[] = [];
  const barcodeWrites: Selectable<ItemBarcodesTable>[] = [];
  const seenCodes = new Set<string>();
  const seenBarcodes = new Set<string>();

  rows.forEach((row, index) => {
    if (seenCodes.has(row.item_code))
      throw new BulkConflict(index, 'item_code', `item_code ${row.item_code} is twice in the batch`);
    seenCodes.add(row.item_code);
    const before = existing.get(row.item_code);
    const itemId = before?.id ?? options.newId();
    const next: ItemRow = {
      id: itemId,
      item_code: row.item_code,
      name: row.name,
      name_key: nameKey(row.name),
      category: present.has('category') || !before ? row.category : before.category,
      sub_category: present.has('sub_category') || !before ? row.sub_category : before.sub_category,
      base_uom: row.base_uom,
      unit_cost_e4: row.unit_cost_e4,
      mrp_e4:
        present.has('mrp_e4') || !before ? row.mrp_e4 : before.mrp_e4 === null ? null : Number(before.mrp_e4),
      abc_class: present.has('abc_class') || !before ? row.abc_class : before.abc_class,
      tracking: row.tracking ?? before?.tracking ?? 'none',
      active: row.active ?? before?.active ?? 1,
      created_at: before?.created_at ?? now,
      updated_at: now,
    };

    let barcodesChanged = false;
    if (withBarcodes) {
      for (const barcode of row.barcodes) {
        if (seenBarcodes.has(barcode.barcode))
          throw new BulkConflict(index, 'barcode', `barcode ${barcode.barcode} is on two rows of the batch`);
        seenBarcodes.add(barcode.barcode);
        const owner = owners.get(barcode.barcode);
        if (owner && owner.item_id !== itemId) {
          throw new BulkConflict(
            index,
            'barcode',
            `barcode ${barcode.barcode} already belongs to item ${owner.item_code}`,
          );
        }
        if (!owner || owner.pack_qty_e3 !== barcode.pack_qty_e3 || owner.kind !== barcode.kind) {
          barcodesChanged = true;
          barcodeWrites.push({
            barcode: barcode.barcode,
            item_id: itemId,
            pack_qty_e3: barcode.pack_qty_e3,
            kind: barcode.kind,
            created_at: now,
          });
        }
      }
    }

    if (!before) {
      counts.inserted += 1;
      itemWrites.push(next);
    } else if (itemChanged(before, next) || barcodesChanged) {
      counts.updated += 1;
      // A barcode change alone still marks the item updated.
      itemWrites.push(next);
    } else {
      counts.unchanged += 1;
    }
  });

  if (!options.write) return counts;
  for (const part of chunks(itemWrites, 14)) {
    await db
      .insertInto('items')
      .values(part)
      .onConflict((conflict) =>
        conflict.column('item_code').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          name_key: eb.ref('excluded.name_key'),
          category: eb.ref('excluded.category'),
          sub_category: eb.ref('excluded.sub_category'),
          base_uom: eb.ref('excluded.base_uom'),
          unit_cost_e4: eb.ref('excluded.unit_cost_e4'),
          mrp_e4: eb.ref('excluded.mrp_e4'),
          abc_class: eb.ref('excluded.abc_class'),
          tracking: eb.ref('excluded.tracking'),
          active: eb.ref('excluded.active'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  for (const part of chunks(barcodeWrites, 5)) {
    await db
      .insertInto('item_barcodes')
      .values(part)
      .onConflict((conflict) =>
        conflict
          .column('barcode')
          .doUpdateSet((eb) => ({
            pack_qty_e3: eb.ref('excluded.pack_qty_e3'),
            kind: eb.ref('excluded.kind'),
          }))
          // Never takes a barcode from another item (checked above; this guards a race).
          .whereRef('item_barcodes.item_id', '=', 'excluded.item_id'),
      )
      .execute();
  }
  return counts;
}

function itemChanged(before: ItemRow, next: ItemRow): boolean {
  return (
    before.name !== next.name ||
    before.category !== next.category ||
    before.sub_category !== next.sub_category ||
    before.base_uom !== next.base_uom ||
    Number(before.unit_cost_e4) !== next.unit_cost_e4 ||
    (before.mrp_e4 === null ? null : Number(before.mrp_e4)) !== next.mrp_e4 ||
    before.abc_class !== next.abc_class ||
    before.tracking !== next.tracking ||
    Number(before.active) !== Number(next.active)
  );
}
