import fs from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from '../../server/src/platform/db/schema.ts';

/**
 * The synthetic item catalogue the lookup and import benchmarks load. Item i is a pure function
 * of i, so the seeder, the CSV, the request paths and the baselines agree without sharing a file.
 * Every item has one EAN-13 with a correct check digit; the codes are scattered (not in item
 * order), as an ERP's are, so neither inserts nor lookups walk the barcode index in order.
 */

export interface CatalogueItem {
  /** A UUID (version-7 layout), fixed per index. */
  id: string;
  item_code: string;
  /** Mixed case, so the lower-cased name_key differs from it. */
  name: string;
  category: string;
  base_uom: string;
  /** Hundredths: the unit cost has at most 2 decimals. */
  unit_cost_cents: number;
  /** As scanned and as in the CSV: 13 digits, check digit included. */
  ean13: string;
}

const UOMS = ['EA', 'BOX', 'KG', 'L'] as const;

/** GS1 check digit of a GTIN body (the digits before the check digit). */
export function gtinCheckDigit(body: string): number {
  let sum = 0;
  // From the right: weights 3, 1, 3, 1, …
  for (let i = body.length - 1, weight = 3; i >= 0; i -= 1, weight = 4 - weight) {
    sum += Number(body[i]) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * '2' (GS1's restricted-circulation prefix) + 11 digits + check digit. The digits are the index
 * times a multiplier prime to 10^11 (≈ 0.618 × 10^11, so neighbours land far apart), modulo
 * 10^11: one-to-one, every index has its own code, and code order is unrelated to index order.
 */
export function ean13(index: number): string {
  const digits = (BigInt(index) * 61_803_398_877n + 104_729n) % 100_000_000_000n;
  const body = `2${digits.toString().padStart(11, '0')}`;
  return `${body}${gtinCheckDigit(body)}`;
}

/** How the product stores a GTIN: left-padded to 14 digits (server/src/modules/items/barcodes.ts). */
export function storedGtin(code: string): string {
  return code.padStart(14, '0');
}

export function catalogueItem(index: number): CatalogueItem {
  return {
    id: `01900000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`,
    item_code: `SKU-${String(index).padStart(7, '0')}`,
    name: `Bench Item ${index} Blue Widget`,
    category: `Category ${index % 40}`,
    base_uom: UOMS[index % UOMS.length] as string,
    unit_cost_cents: (index * 37) % 100_000,
    ean13: ean13(index),
  };
}

/** "12.30": the unit cost as an ERP export writes it. */
export function costText(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/**
 * What `GET /api/items/lookup` answers for an item seeded by seedCatalogue, key for key in the
 * order of the product's response schema (BarcodeLookupSchema).
 */
export function lookupAnswer(item: CatalogueItem, timestamp: string): unknown {
  return {
    item: {
      id: item.id,
      item_code: item.item_code,
      name: item.name,
      category: item.category,
      sub_category: null,
      base_uom: item.base_uom,
      unit_cost: item.unit_cost_cents / 100,
      mrp: null,
      abc_class: null,
      tracking: 'none',
      active: true,
      created_at: timestamp,
      updated_at: timestamp,
    },
    barcode: { barcode: storedGtin(item.ean13), pack_qty: 1, kind: 'gtin' },
  };
}

/**
 * Inserts items 0…count-1 and their barcodes straight into a migrated product database (the
 * product stopped), in one transaction, as the product would store them: name_key lower-cased,
 * money in ten-thousandths, the GTIN as 14 digits, pack size 1 (1000 thousandths).
 */
export function seedCatalogue(sqliteFile: string, count: number, timestamp: string): void {
  const sqlite = new SqliteDatabase(sqliteFile);
  try {
    sqlite.pragma('foreign_keys = ON');
    const item = sqlite.prepare(
      'insert into items (id, item_code, name, name_key, category, sub_category, base_uom, unit_cost_e4, ' +
        'mrp_e4, abc_class, tracking, active, created_at, updated_at) ' +
        "values (?, ?, ?, ?, ?, null, ?, ?, null, null, 'none', 1, ?, ?)",
    );
    const barcode = sqlite.prepare(
      'insert into item_barcodes (barcode, item_id, pack_qty_e3, kind, created_at) ' +
        "values (?, ?, 1000, 'gtin', ?)",
    );
    sqlite.transaction(() => {
      for (let index = 0; index < count; index += 1) {
        const it = catalogueItem(index);
        item.run(
          it.id,
          it.item_code,
          it.name,
          it.name.toLowerCase(),
          it.category,
          it.base_uom,
          it.unit_cost_cents * 100,
          timestamp,
          timestamp,
        );
        barcode.run(storedGtin(it.ean13), it.id, timestamp);
      }
    })();
  } finally {
    sqlite.close();
  }
}

/**
 * The same rows as seedCatalogue, through Kysely, so on either dialect (a PostgreSQL schema
 * too): into a migrated product database, the product stopped, in one transaction.
 */
export async function insertCatalogue(db: Kysely<Database>, count: number, timestamp: string): Promise<void> {
  const BATCH = 500;
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < count; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) =>
        catalogueItem(start + i),
      );
      await trx
        .insertInto('items')
        .values(
          batch.map((it) => ({
            id: it.id,
            item_code: it.item_code,
            name: it.name,
            name_key: it.name.toLowerCase(),
            category: it.category,
            sub_category: null,
            base_uom: it.base_uom,
            unit_cost_e4: it.unit_cost_cents * 100,
            mrp_e4: null,
            abc_class: null,
            tracking: 'none' as const,
            active: 1,
            created_at: timestamp,
            updated_at: timestamp,
          })),
        )
        .execute();
      await trx
        .insertInto('item_barcodes')
        .values(
          batch.map((it) => ({
            barcode: storedGtin(it.ean13),
            item_id: it.id,
            pack_qty_e3: 1000,
            kind: 'gtin' as const,
            created_at: timestamp,
          })),
        )
        .execute();
    }
  });
}

export const ITEMS_CSV_HEADER = 'item_code,name,category,base_uom,unit_cost,barcode';

/** Items 0…count-1 as an items CSV (no field needs quoting); returns the file's size in bytes. */
export function writeItemsCsv(file: string, count: number): number {
  const fd = fs.openSync(file, 'w');
  try {
    let chunk = `${ITEMS_CSV_HEADER}\n`;
    for (let index = 0; index < count; index += 1) {
      const it = catalogueItem(index);
      chunk += `${it.item_code},${it.name},${it.category},${it.base_uom},${costText(it.unit_cost_cents)},${it.ean13}\n`;
      if (chunk.length >= 1 << 16) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

/** 0…count-1 in a fixed pseudo-random order (Fisher-Yates driven by mulberry32). */
export function shuffledIndexes(count: number, seed = 0x5eed): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: count }, (_, index) => index);
  for (let i = count - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}
