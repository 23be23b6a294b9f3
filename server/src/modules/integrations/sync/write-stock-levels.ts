import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { QUANTITY_SCALE, toScaled } from '../../../platform/decimal.ts';
import {
  locationKey,
  resolveItemCodes,
  resolveLocationCodes,
  type StockLevelImportRow,
  upsertStockLevelBatch,
} from '../../stock-levels/stock-levels.bulk.ts';
import type { RejectedRow, SourceStockLevel } from '../connectors/erp-source.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}

const keyOf = (row: StockLevelImportRow) =>
  `${row.item_code}\u0000${row.warehouse_code}\u0000${row.location_code}\u0000${row.lot}`;
const describe = (row: SourceStockLevel, warehouse: string | null) =>
  `item ${row.item_code} at ${warehouse ?? '?'}/${row.location_code}${row.lot ? ` lot ${row.lot}` : ''}`;

/**
 * Writes one page of ERP stock levels: rows whose figure is already ours are left untouched (so
 * their updated_at stays, and nothing is written for a quiet ERP); new and moved figures are
 * upserted with source `erp`. A row for an item or location we do not know, without a warehouse
 * when the connector names none, or twice in the page is rejected with its reason — never
 * half-written. Counting sees a moved figure at once: book-change detection at submit and at
 * approve compares the lines' snapshot with stock_levels.
 */
export async function writeStockLevels(
  db: Db,
  rows: readonly SourceStockLevel[],
  options: { defaultWarehouse: string | null; now: string; newId: () => string },
): Promise<WriteCounts> {
  const rejected: RejectedRow[] = [];
  const candidates: StockLevelImportRow[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const warehouse = row.warehouse_code ?? options.defaultWarehouse;
    if (warehouse === null) {
      rejected.push({
        at: describe(row, null),
        reason: 'the source names no warehouse and the connector sets no warehouse_code',
      });
      continue;
    }
    const quantity = toScaled(row.quantity, QUANTITY_SCALE);
    if (quantity === null) {
      rejected.push({ at: describe(row, warehouse), reason: 'quantity is not a decimal number' });
      continue;
    }
    const candidate: StockLevelImportRow = {
      item_code: row.item_code,
      warehouse_code: warehouse,
      location_code: row.location_code,
      lot: row.lot,
      quantity_e3: quantity,
      as_of: null,
    };
    if (seen.has(keyOf(candidate))) {
      rejected.push({ at: describe(row, warehouse), reason: 'item, location and lot are twice in the page' });
      continue;
    }
    seen.add(keyOf(candidate));
    candidates.push(candidate);
  }

  const items = await resolveItemCodes(
    db,
    candidates.map((row) => row.item_code),
  );
  const locations = await resolveLocationCodes(db, candidates);
  const known = candidates.filter((row) => {
    const at = `item ${row.item_code} at ${row.warehouse_code}/${row.location_code}${row.lot ? ` lot ${row.lot}` : ''}`;
    if (!items.has(row.item_code)) {
      rejected.push({ at, reason: `unknown item ${row.item_code}` });
      return false;
    }
    if (!locations.has(locationKey(row.warehouse_code, row.location_code))) {
      rejected.push({ at, reason: `unknown location ${row.warehouse_code}/${row.location_code}` });
      return false;
    }
    return true;
  });
  const counts = await upsertStockLevelBatch(db, known, {
    now: options.now,
    newId: options.newId,
    write: true,
    source: 'erp',
    resolved: { items, locations },
  });
  return { ...counts, rejected };
}
