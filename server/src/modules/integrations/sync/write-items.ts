import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { MONEY_SCALE, QUANTITY_SCALE, toScaled } from '../../../platform/decimal.ts';
import {
  findBarcodeOwners,
  type ItemImportRow,
  type OptionalItemField,
  upsertItemBatch,
} from '../../items/items.bulk.ts';
import type { RejectedRow, SourceItem } from '../connectors/erp-source.ts';
import type { WriteCounts } from './write-stock-levels.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Writes one page of ERP items. `onlyNew`: item codes we know are skipped (counted unchanged) —
 * the frequent "new items" pass; otherwise names, costs, categories and barcodes are brought up
 * to date where they differ (the nightly full pass). What the source does not say is kept: an
 * item without a unit of measure or cost in the source keeps ours, and a new item without a unit
 * of measure is rejected. A barcode that belongs to another of our items is never moved: the row
 * is rejected with the owner named.
 */
export async function writeItems(
  db: Db,
  rows: readonly SourceItem[],
  options: { onlyNew: boolean; now: string; newId: () => string },
): Promise<WriteCounts> {
  const rejected: RejectedRow[] = [];
  let skipped = 0;
  const unique: SourceItem[] = [];
  const codes = new Set<string>();
  for (const row of rows) {
    if (codes.has(row.item_code)) {
      rejected.push({ at: `item_code ${row.item_code}`, reason: 'item_code is twice in the page' });
      continue;
    }
    codes.add(row.item_code);
    unique.push(row);
  }
  const existing = new Map(
    unique.length === 0
      ? []
      : (
          await db
            .selectFrom('items')
            .select(['id', 'item_code', 'base_uom', 'unit_cost_e4', 'category'])
            .where('item_code', 'in', [...codes])
            .execute()
        ).map((item) => [item.item_code, item]),
  );
  const owners = await findBarcodeOwners(
    db,
    unique.flatMap((row) => (row.barcodes ?? []).map((barcode) => barcode.barcode)),
  );

  const batch: ItemImportRow[] = [];
  const claimed = new Set<string>();
  for (const row of unique) {
    const at = `item_code ${row.item_code}`;
    const before = existing.get(row.item_code);
    if (before && options.onlyNew) {
      skipped += 1;
      continue;
    }
    const baseUom = row.base_uom ?? before?.base_uom ?? null;
    if (baseUom === null) {
      rejected.push({ at, reason: 'base_uom is missing (a new item needs one)' });
      continue;
    }
    const cost = row.unit_cost === null ? null : toScaled(row.unit_cost, MONEY_SCALE);
    const barcodes = [];
    let refusal: string | null = null;
    for (const barcode of row.barcodes ?? []) {
      const owner = owners.get(barcode.barcode);
      if (owner && owner.item_code !== row.item_code) {
        refusal = `barcode ${barcode.barcode} already belongs to item ${owner.item_code}`;
        break;
      }
      if (claimed.has(barcode.barcode)) {
        refusal = `barcode ${barcode.barcode} is on two items of the page`;
        break;
      }
      const pack = toScaled(barcode.pack_qty, QUANTITY_SCALE);
      if (pack === null || pack <= 0) {
        refusal = `barcode ${barcode.barcode} has no valid pack_qty`;
        break;
      }
      barcodes.push({ barcode: barcode.barcode, kind: barcode.kind, pack_qty_e3: pack });
    }
    if (refusal !== null) {
      rejected.push({ at, reason: refusal });
      continue;
    }
    for (const barcode of barcodes) claimed.add(barcode.barcode);
    batch.push({
      item_code: row.item_code,
      name: row.name,
      category: row.category ?? before?.category ?? null,
      sub_category: null,
      base_uom: baseUom,
      unit_cost_e4: cost ?? (before ? Number(before.unit_cost_e4) : 0),
      mrp_e4: null,
      abc_class: null,
      tracking: null,
      active: null,
      barcodes,
    });
  }
  const present = new Set<OptionalItemField>(['category']);
  // A source that maps barcodes gives every item its list ([] for none); null means none are mapped.
  if (unique.some((row) => row.barcodes !== null)) present.add('barcodes');
  const counts = await upsertItemBatch(db, batch, {
    present,
    now: options.now,
    newId: options.newId,
    write: true,
  });
  return { ...counts, unchanged: counts.unchanged + skipped, rejected };
}
