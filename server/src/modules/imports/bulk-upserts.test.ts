import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase, type TestDatabase } from '../../../test/helpers/test-app.ts';
import { systemIds } from '../../platform/ids.ts';
import {
  BulkConflict,
  type ItemImportRow,
  type OptionalItemField,
  upsertItemBatch,
} from '../items/items.bulk.ts';
import { StockLevelConflict, upsertStockLevelBatch } from '../stock-levels/stock-levels.bulk.ts';

const ALL: ReadonlySet<OptionalItemField> = new Set([
  'category',
  'sub_category',
  'mrp_e4',
  'abc_class',
  'tracking',
  'active',
  'barcodes',
]);

function item(code: string, overrides: Partial<ItemImportRow> = {}): ItemImportRow {
  return {
    item_code: code,
    name: `Item ${code}`,
    category: null,
    sub_category: null,
    base_uom: 'EA',
    unit_cost_e4: 10000,
    mrp_e4: null,
    abc_class: null,
    tracking: null,
    active: null,
    barcodes: [],
    ...overrides,
  };
}

describe.each(dialects())('bulk upserts on %s', (dialect) => {
  let database: TestDatabase;
  const options = (write = true, present = ALL) => ({
    present,
    now: new Date().toISOString(),
    newId: () => systemIds.uuid(),
    write,
  });

  beforeEach(async () => {
    database = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await database.drop();
  });

  it('inserts, updates and leaves unchanged items, counting each; a dry run writes nothing', async () => {
    const db = database.handle.db;
    const first = [
      item('A', { barcodes: [{ barcode: 'A-1', kind: 'internal', pack_qty_e3: 1000 }] }),
      item('B'),
    ];
    expect(await upsertItemBatch(db, first, options(false))).toEqual({
      inserted: 2,
      updated: 0,
      unchanged: 0,
    });
    expect(await db.selectFrom('items').selectAll().execute()).toEqual([]);
    expect(await upsertItemBatch(db, first, options())).toEqual({ inserted: 2, updated: 0, unchanged: 0 });

    const second = [
      item('A', { barcodes: [{ barcode: 'A-1', kind: 'internal', pack_qty_e3: 6000 }] }),
      item('B'),
      item('C', { tracking: 'lot' }),
    ];
    expect(await upsertItemBatch(db, second, options())).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
    const barcode = await db.selectFrom('item_barcodes').selectAll().executeTakeFirstOrThrow();
    expect(Number(barcode.pack_qty_e3)).toBe(6000);
    const c = await db.selectFrom('items').selectAll().where('item_code', '=', 'C').executeTakeFirstOrThrow();
    expect([c.tracking, c.active]).toEqual(['lot', 1]);

    // Without the category column, an existing category stays.
    await upsertItemBatch(db, [item('B', { category: 'Kept' })], options());
    expect(
      await upsertItemBatch(db, [item('B', { category: null })], options(true, new Set<OptionalItemField>())),
    ).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    const b = await db.selectFrom('items').selectAll().where('item_code', '=', 'B').executeTakeFirstOrThrow();
    expect(b.category).toBe('Kept');
  });

  it('refuses to take a barcode from another item', async () => {
    const db = database.handle.db;
    await upsertItemBatch(
      db,
      [item('A', { barcodes: [{ barcode: 'SHARED', kind: 'internal', pack_qty_e3: 1000 }] })],
      options(),
    );
    const attempt = upsertItemBatch(
      db,
      [item('B'), item('C', { barcodes: [{ barcode: 'SHARED', kind: 'internal', pack_qty_e3: 1000 }] })],
      options(),
    );
    await expect(attempt).rejects.toBeInstanceOf(BulkConflict);
    await expect(attempt).rejects.toMatchObject({
      index: 1,
      message: 'barcode SHARED already belongs to item A',
    });
  });

  it('upserts stock levels by item, location and lot', async () => {
    const db = database.handle.db;
    const now = new Date().toISOString();
    await upsertItemBatch(db, [item('A'), item('B')], options());
    const warehouseId = systemIds.uuid();
    await db
      .insertInto('warehouses')
      .values({ id: warehouseId, code: 'WH', name: 'WH', active: 1, created_at: now, updated_at: now })
      .execute();
    const locationId = systemIds.uuid();
    await db
      .insertInto('locations')
      .values({
        id: locationId,
        warehouse_id: warehouseId,
        parent_id: null,
        code: 'L1',
        name: 'L1',
        kind: 'bin',
        barcode: null,
        path: `/${locationId}/`,
        depth: 0,
        active: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const row = (code: string, lot: string, quantity: number) => ({
      item_code: code,
      warehouse_code: 'WH',
      location_code: 'L1',
      lot,
      quantity_e3: quantity,
      as_of: null,
    });
    const stock = { now, newId: () => systemIds.uuid(), write: true };
    expect(await upsertStockLevelBatch(db, [row('A', '', 1000), row('A', 'L', 2000)], stock)).toEqual({
      inserted: 2,
      updated: 0,
      unchanged: 0,
    });
    expect(
      await upsertStockLevelBatch(db, [row('A', '', 1000), row('A', 'L', 2500), row('B', '', 0)], stock),
    ).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
    await expect(upsertStockLevelBatch(db, [row('NOPE', '', 1)], stock)).rejects.toBeInstanceOf(
      StockLevelConflict,
    );
    await expect(
      upsertStockLevelBatch(db, [{ ...row('A', '', 1), location_code: 'L9' }], stock),
    ).rejects.toMatchObject({ message: 'unknown location WH/L9' });
  });
});
