import { type Kysely, sql } from 'kysely';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import type { Database } from '../server/src/platform/db/schema.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { countRows, createSession, type Floor, seedFloor, startSession } from './lib/counting.ts';
import { type DialectCaseOptions, dialectCase } from './lib/dialect-case.ts';
import { fmtInt } from './lib/format.ts';
import { sqliteThenPostgres } from './lib/postgres.ts';
import { startProduct } from './lib/product.ts';
import { signIn } from './lib/session.ts';
import { type WorkComparison, workComparison, workFigure } from './lib/work.ts';

const ITEMS = 10_000;
const LOCATIONS = 10;
const SCRATCH = 'bench_snapshot_copy';

/** The scratch table: count_snapshot's columns and primary key, nothing else. */
async function createScratch(db: Kysely<Database>): Promise<void> {
  await db.schema
    .createTable(SCRATCH)
    .addColumn('session_id', 'text', (col) => col.notNull())
    .addColumn('location_id', 'text', (col) => col.notNull())
    .addColumn('item_id', 'text', (col) => col.notNull())
    .addColumn('lot', 'text', (col) => col.notNull())
    .addColumn('book_qty_e3', 'bigint', (col) => col.notNull())
    .addColumn('unit_cost_e4', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint(`${SCRATCH}_pk`, ['session_id', 'location_id', 'item_id', 'lot'])
    .execute();
}

/** One INSERT … SELECT of the warehouse's item-locations into the scratch table; rows copied. */
async function rawCopy(db: Kysely<Database>, warehouseId: string, tag: string): Promise<number> {
  const result = await sql`
    insert into ${sql.table(SCRATCH)} (session_id, location_id, item_id, lot, book_qty_e3, unit_cost_e4)
    select cast(${tag} as text), s.location_id, s.item_id, s.lot, s.quantity_e3, i.unit_cost_e4
    from stock_levels s
    join locations l on l.id = s.location_id
    join items i on i.id = s.item_id
    where l.warehouse_id = ${warehouseId}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

async function runCase(options: DialectCaseOptions): Promise<WorkComparison> {
  const { label, settings, cleanup, log } = options;
  const { open, productOptions } = dialectCase(options);

  const setup = open();
  const seeding = performance.now();
  let floor: Floor;
  try {
    await migrateToLatest(setup.db, setup.dialect);
    floor = await seedFloor(setup.db, {
      items: ITEMS,
      locations: LOCATIONS,
      timestamp: new Date().toISOString(),
    });
    await createScratch(setup.db);
    if (setup.dialect === 'postgres') await sql`analyze`.execute(setup.db);
  } finally {
    await setup.close();
  }
  log(
    `  ${label}: seeded ${fmtInt(ITEMS)} items × ${LOCATIONS} locations = ${fmtInt(floor.stockLevels)} ` +
      `stock levels in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );

  const product = await startProduct(productOptions);
  cleanup.add(`stop the ${label} product`, product.stop);
  log(`  ${label}: product pid ${product.pid} at ${product.url} (log: ${product.logFile})`);
  const headers = await signIn(product);
  const database = open();
  cleanup.add(`close the ${label} database`, () => database.close());

  // Both sides read the same warm tables: one pass over the join first, untimed.
  await rawCopy(database.db, floor.warehouseId, 'warm-up');

  const problems: string[] = [];
  const ms = { product: [] as number[], baseline: [] as number[] };
  for (let round = 1; round <= settings.rounds; round += 1) {
    const session = await createSession(product, headers, floor.warehouseId, `Bench start ${label} ${round}`);
    const start = await startSession(product, headers, session.id);
    ms.product.push(start.ms);
    const snapshot = await countRows(database.db, 'count_snapshot', session.id);
    const lines = await countRows(database.db, 'count_lines', session.id);
    if (snapshot !== floor.stockLevels || lines !== floor.stockLevels) {
      problems.push(
        `round ${round}: ${fmtInt(snapshot)} snapshot rows and ${fmtInt(lines)} lines, expected ${fmtInt(floor.stockLevels)} each`,
      );
    }

    const started = performance.now();
    const copied = await database.db
      .transaction()
      .execute((trx) => rawCopy(trx, floor.warehouseId, `round-${round}`));
    ms.baseline.push(performance.now() - started);
    if (copied !== floor.stockLevels) {
      problems.push(
        `round ${round}: the raw copy inserted ${fmtInt(copied)} rows, expected ${fmtInt(floor.stockLevels)}`,
      );
    }
    log(
      `  ${label} round ${round}  product start ${(start.ms / 1000).toFixed(2)} s  ` +
        `baseline copy ${((ms.baseline.at(-1) ?? 0) / 1000).toFixed(2)} s`,
    );
  }

  const figure = (side: 'product' | 'baseline') =>
    workFigure(floor.stockLevels * ms[side].length, ms[side].reduce((a, b) => a + b, 0) / 1000);
  const each = (side: 'product' | 'baseline') =>
    ms[side].map((value) => `${(value / 1000).toFixed(2)} s`).join(', ');
  return workComparison({
    label,
    unit: 'item-locations',
    product: figure('product'),
    baseline: figure('baseline'),
    notes: [
      `${fmtInt(floor.stockLevels)} item-locations per start: product ${each('product')}; baseline ${each('baseline')}`,
      'each product start also froze as many expected lines (count_lines: 3 indexes); every round a new session, ' +
        'so the tables grow as they would',
    ],
    problems,
  });
}

/**
 * Starting a count: `POST /api/count-sessions/:id/start` on a warehouse of 100,000 item-locations
 * (10,000 items × 10 locations, seeded before the product starts; the session created through the
 * API, untimed). The start checks the step, freezes the snapshot (one INSERT … SELECT from
 * stock_levels ⨝ locations ⨝ items into count_snapshot), creates the expected lines from it
 * (a second INSERT … SELECT into count_lines) and records the audit entry, in one transaction;
 * timed from the request to its answer. The baseline is the floor of the snapshot alone: the
 * same join copied by one raw INSERT … SELECT into a scratch table with count_snapshot's columns
 * and primary key, in the same database, in one transaction, from the bench process. One warm-up
 * copy first; then rounds alternating, each a new session. SQLite, then PostgreSQL.
 *
 * Aim (ours; the issue gives none): one third of a bare copy, since the start writes the rows
 * twice (snapshot and lines) on top of the copy.
 */
export const sessionStart: Benchmark = {
  name: 'session-start',
  description:
    'snapshot time for 100,000 item-locations (POST /api/count-sessions/:id/start) vs a raw INSERT … SELECT',
  product:
    'product POST /api/count-sessions/:id/start, 100,000 stock levels in scope; SQLite, then PostgreSQL',
  baseline: `one raw INSERT … SELECT of the same join into a scratch table shaped like count_snapshot (${SCRATCH})`,
  aim: 1 / 3,

  run: ({ settings, workdir, cpuProfileDir, log }) =>
    sqliteThenPostgres(settings.pgUrl, 'session_start', (label, cleanup, schema) =>
      runCase({ label, workdir, settings, cpuProfileDir, cleanup, schema, log }),
    ),
};
