import { sql } from 'kysely';
import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Warehouses, the location tree, items with their barcodes, and book quantities.
 * Quantities are integers in thousandths (`*_e3`), money in ten-thousandths (`*_e4`): see
 * platform/decimal.ts.
 */
export const migration0003MasterData: MigrationModule = {
  name: '0003_master_data',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('warehouses')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('code', 'text', (col) => col.notNull().unique())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('locations')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('warehouse_id', 'text', (col) => col.notNull().references('warehouses.id'))
      .addColumn('parent_id', 'text', (col) => col.references('locations.id'))
      .addColumn('code', 'text', (col) => col.notNull())
      .addColumn('name', 'text', (col) => col.notNull())
      // zone, aisle, rack, bin, … any depth; the kind is a label, the tree is parent_id.
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('barcode', 'text', (col) => col.unique())
      // Materialised path of ids, '/<root>/<child>/…/<self>/': a subtree is one prefix match.
      .addColumn('path', 'text', (col) => col.notNull())
      .addColumn('depth', 'integer', (col) => col.notNull())
      .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('locations_warehouse_code_key', ['warehouse_id', 'code'])
      .execute();
    await db.schema.createIndex('locations_parent_idx').on('locations').column('parent_id').execute();
    await db.schema.createIndex('locations_path_idx').on('locations').column('path').execute();

    await db.schema
      .createTable('items')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('item_code', 'text', (col) => col.notNull().unique())
      .addColumn('name', 'text', (col) => col.notNull())
      // Lower-cased name for case-insensitive search on both dialects.
      .addColumn('name_key', 'text', (col) => col.notNull())
      .addColumn('category', 'text')
      .addColumn('sub_category', 'text')
      .addColumn('base_uom', 'text', (col) => col.notNull())
      .addColumn('unit_cost_e4', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('mrp_e4', 'bigint')
      .addColumn('abc_class', 'text', (col) => col.check(sql`abc_class in ('A', 'B', 'C')`))
      .addColumn('tracking', 'text', (col) =>
        col.notNull().defaultTo('none').check(sql`tracking in ('none', 'lot', 'serial')`),
      )
      .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('items_name_key_idx')
      .on('items')
      .columns(['name_key', 'item_code'])
      .execute();
    await db.schema
      .createIndex('items_category_idx')
      .on('items')
      .columns(['category', 'item_code'])
      .execute();

    await db.schema
      .createTable('item_barcodes')
      // Normalised (trimmed, no spaces); globally unique: one scan, one item.
      .addColumn('barcode', 'text', (col) => col.primaryKey())
      .addColumn('item_id', 'text', (col) => col.notNull().references('items.id').onDelete('cascade'))
      // Base units one scan of this code stands for (a case of 12 → 12000).
      .addColumn('pack_qty_e3', 'bigint', (col) => col.notNull().defaultTo(1000))
      .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('gtin', 'internal')`))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('item_barcodes_item_idx').on('item_barcodes').column('item_id').execute();

    await db.schema
      .createTable('stock_levels')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('item_id', 'text', (col) => col.notNull().references('items.id'))
      .addColumn('location_id', 'text', (col) => col.notNull().references('locations.id'))
      // '' when the item is not lot-tracked, so the unique key works the same on both dialects.
      .addColumn('lot', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('quantity_e3', 'bigint', (col) => col.notNull())
      // Where the figure came from: import, erp or manual.
      .addColumn('source', 'text', (col) => col.notNull())
      .addColumn('as_of', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('stock_levels_item_location_lot_key', ['item_id', 'location_id', 'lot'])
      .execute();
    await db.schema
      .createIndex('stock_levels_location_idx')
      .on('stock_levels')
      .columns(['location_id', 'item_id'])
      .execute();
  },
};
