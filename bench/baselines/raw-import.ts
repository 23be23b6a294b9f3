import fs from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { openDb } from '../../server/src/platform/db/database.ts';
import { migrateToLatest } from '../../server/src/platform/db/migrator.ts';
import { uuidv7 } from '../../server/src/platform/ids.ts';
import { ITEMS_CSV_HEADER } from '../lib/catalogue.ts';

/**
 * The floor of an items import: the same CSV the product is given (bench/lib/catalogue.ts
 * writes it: valid rows, no quoting, one EAN-13 each), read with split(), and its rows inserted
 * as the product stores them — items and their barcodes, in ONE transaction — with the plainest
 * fast driver code: better-sqlite3 prepared single-row inserts (same pragmas as the product:
 * WAL, synchronous FULL, foreign keys), or pg multi-row INSERTs of 1,000 rows (named, so parsed
 * once). No checks, no upsert, no progress: only what any import has to do.
 *
 * The schema is made first, untimed, by the product's own migrations into a fresh database or
 * schema. Timed: from reading the file to the commit.
 *
 * argv[2]: JSON { csv, store: 'sqlite', file } or { csv, store: 'postgres', url, schema }.
 * stdout: one JSON RawImportResult.
 */

export type RawImportRequest =
  | { csv: string; store: 'sqlite'; file: string }
  | { csv: string; store: 'postgres'; url: string; schema: string };

export interface RawImportResult {
  rows: number;
  /** Rows found in items / item_barcodes after the commit. */
  itemsStored: number;
  barcodesStored: number;
  seconds: number;
  /** CPU of this process during the timed part (PostgreSQL's own is not counted). */
  cpuSeconds: number;
  peakRssBytes: number;
}

const ITEM_COLUMNS = [
  'id',
  'item_code',
  'name',
  'name_key',
  'category',
  'sub_category',
  'base_uom',
  'unit_cost_e4',
  'mrp_e4',
  'abc_class',
  'tracking',
  'active',
  'created_at',
  'updated_at',
] as const;
const BARCODE_COLUMNS = ['barcode', 'item_id', 'pack_qty_e3', 'kind', 'created_at'] as const;
/** Rows read (and, on PostgreSQL, inserted by one statement) at a time, as the product's batches. */
const BATCH = 1000;

type Value = string | number | null;

/** Rows of the two tables, the i-th barcode belonging to the i-th item. */
interface Batch {
  items: Value[][];
  barcodes: Value[][];
}

function fail(message: string): never {
  process.stderr.write(`raw-import: ${message}\n`);
  process.exit(2);
}

/**
 * The CSV's rows as table rows, `size` at a time (memory stays a batch, as the product's does,
 * beside the file's text); the header must be the one the bench writes.
 */
function* batches(csv: string, size: number): Generator<Batch> {
  const text = fs.readFileSync(csv, 'utf8');
  let start = text.indexOf('\n') + 1;
  if (text.slice(0, start - 1) !== ITEMS_CSV_HEADER) fail(`unexpected header in ${csv}`);
  const now = new Date().toISOString();
  let batch: Batch = { items: [], barcodes: [] };
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === '') continue;
    const [code, name, category, uom, cost, barcode] = line.split(',') as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const id = uuidv7();
    batch.items.push([
      id,
      code,
      name,
      name.toLowerCase(),
      category,
      null,
      uom,
      Math.round(Number(cost) * 10_000),
      null,
      null,
      'none',
      1,
      now,
      now,
    ]);
    batch.barcodes.push([barcode.padStart(14, '0'), id, 1000, 'gtin', now]);
    if (batch.items.length === size) {
      yield batch;
      batch = { items: [], barcodes: [] };
    }
  }
  if (batch.items.length > 0) yield batch;
}

function insertSql(table: string, columns: readonly string[], rows: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row += 1) {
    const base = row * columns.length;
    tuples.push(`(${columns.map((_, column) => `$${base + column + 1}`).join(', ')})`);
  }
  return `insert into ${table} (${columns.join(', ')}) values ${tuples.join(', ')}`;
}

async function prepareSchema(request: RawImportRequest): Promise<void> {
  const database =
    request.store === 'sqlite'
      ? openDb({ databaseUrl: null, sqliteFile: request.file })
      : openDb({ databaseUrl: request.url, pgSchema: request.schema, pgPoolSize: 1 });
  try {
    await migrateToLatest(database.db, database.dialect);
  } finally {
    await database.close();
  }
}

/** Marks the start (false) and the end (true) of the timed part. */
type Timer = (done: boolean) => void;

function importSqlite(file: string, csv: string, timed: Timer): { rows: number; stored: [number, number] } {
  const sqlite = new SqliteDatabase(file);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    const item = sqlite.prepare(
      `insert into items (${ITEM_COLUMNS.join(', ')}) values (${ITEM_COLUMNS.map(() => '?').join(', ')})`,
    );
    const barcode = sqlite.prepare(
      `insert into item_barcodes (${BARCODE_COLUMNS.join(', ')}) values (${BARCODE_COLUMNS.map(() => '?').join(', ')})`,
    );
    timed(false);
    let rows = 0;
    sqlite.transaction(() => {
      for (const batch of batches(csv, BATCH)) {
        for (let i = 0; i < batch.items.length; i += 1) {
          item.run(batch.items[i]);
          barcode.run(batch.barcodes[i]);
        }
        rows += batch.items.length;
      }
    })();
    timed(true);
    const count = (table: string) =>
      (sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    return { rows, stored: [count('items'), count('item_barcodes')] };
  } finally {
    sqlite.close();
  }
}

async function importPostgres(
  url: string,
  schema: string,
  csv: string,
  timed: Timer,
): Promise<{ rows: number; stored: [number, number] }> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    timed(false);
    let rows = 0;
    await client.query('begin');
    for (const { items, barcodes } of batches(csv, BATCH)) {
      const full = items.length === BATCH;
      await client.query({
        ...(full ? { name: 'bench-items' } : {}),
        text: insertSql('items', ITEM_COLUMNS, items.length),
        values: items.flat(),
      });
      await client.query({
        ...(full ? { name: 'bench-barcodes' } : {}),
        text: insertSql('item_barcodes', BARCODE_COLUMNS, barcodes.length),
        values: barcodes.flat(),
      });
      rows += items.length;
    }
    await client.query('commit');
    timed(true);
    const count = async (table: string) =>
      Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n ?? 0);
    return { rows, stored: [await count('items'), await count('item_barcodes')] };
  } finally {
    await client.end();
  }
}

let request: RawImportRequest;
try {
  request = JSON.parse(process.argv[2] ?? '') as RawImportRequest;
} catch {
  fail('expected the request as JSON in the first argument');
}
if (request.store === 'postgres' && !/^[a-z_][a-z0-9_]*$/.test(request.schema)) {
  fail(`not a plain schema name: ${request.schema}`);
}

await prepareSchema(request);

let started = 0;
let finished = 0;
let cpuAtStart = process.cpuUsage();
let cpuUsed = process.cpuUsage();
const timed: Timer = (done) => {
  if (!done) {
    started = performance.now();
    cpuAtStart = process.cpuUsage();
  } else {
    finished = performance.now();
    cpuUsed = process.cpuUsage(cpuAtStart);
  }
};

const outcome =
  request.store === 'sqlite'
    ? importSqlite(request.file, request.csv, timed)
    : await importPostgres(request.url, request.schema, request.csv, timed);

const result: RawImportResult = {
  rows: outcome.rows,
  itemsStored: outcome.stored[0],
  barcodesStored: outcome.stored[1],
  seconds: (finished - started) / 1000,
  cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
