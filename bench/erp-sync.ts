import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { sql } from 'kysely';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { createAuditTrail } from '../server/src/modules/audit/audit.service.ts';
import { SYSTEM_CONTEXT } from '../server/src/modules/audit/events.ts';
import { createCircuitBreakers } from '../server/src/modules/integrations/circuit-breakers/registry.ts';
import { loadOrCreateConnectorKey } from '../server/src/modules/integrations/connectors/connector-key.ts';
import type { SqlSettings } from '../server/src/modules/integrations/connectors/connector-settings.ts';
import {
  type Connectors,
  createConnectors,
} from '../server/src/modules/integrations/connectors/connectors.service.ts';
import {
  createErpSync,
  type ErpSync,
  type SyncCounts,
} from '../server/src/modules/integrations/sync/sync.service.ts';
import { systemClock } from '../server/src/platform/clock.ts';
import { type DbHandle, openDb } from '../server/src/platform/db/database.ts';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { systemIds } from '../server/src/platform/ids.ts';
import type { Benchmark, Cleanup } from './lib/benchmark.ts';
import { catalogueItem, insertCatalogue } from './lib/catalogue.ts';
import { fmtInt } from './lib/format.ts';
import { sqliteThenPostgres } from './lib/postgres.ts';
import type { Settings } from './lib/settings.ts';
import { type WorkComparison, type WorkFigure, workComparison, workFigure } from './lib/work.ts';

const ITEMS = 10_000;
const LOCATIONS = 10;
const ROWS = ITEMS * LOCATIONS;
const WAREHOUSE = 'WH-BENCH';
/** Rows per multi-row INSERT while filling the MariaDB table (setup, not timed). */
const FILL_BATCH = 5_000;
/** The product's default page: rows per ERP read and per transaction of ours. */
const PAGE = 1_000;
/** Rows whose quantity moves in the ERP before each re-sync: 1,000 items at one location (1 %). */
const CHANGED = ITEMS / 10;
/** MariaDB as the tests reach it (erp-peers.test-support.ts): root has no password here. */
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' } as const;
const COLUMNS = 'item_code, warehouse_code, location_code, lot, quantity';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const locationCode = (l: number) => `BIN-${String(l).padStart(5, '0')}`;

function cpuNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** The ERP side: one stock table of ROWS rows in MariaDB's `test` database, dropped at the end. */
interface ErpTable {
  name: string;
  /** The admin connection the table was made with (the baseline opens its own). */
  admin: mysql.Connection;
  /** SUM(quantity) × 1000 over the table: what our stock_levels must sum to after a pass. */
  totalE3(): Promise<number>;
  drop(): Promise<void>;
}

/** "1234.567": each item-location its own figure, a few with no fraction. */
function quantityOf(item: number, location: number): string {
  const whole = (item * 7 + location * 13) % 5_000;
  return `${whole}.${String((item + location * 37) % 1_000).padStart(3, '0')}`;
}

async function createErpTable(log: (line: string) => void): Promise<ErpTable> {
  const name = `sv_bench_stock_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(MARIADB);
  const table: ErpTable = {
    name,
    admin,
    async totalE3() {
      const [rows] = await admin.query(`SELECT CAST(SUM(quantity) * 1000 AS SIGNED) AS total FROM ${name}`);
      return Number((rows as { total: string | number }[])[0]?.total ?? 0);
    },
    async drop() {
      try {
        await admin.query(`DROP TABLE IF EXISTS ${name}`);
      } finally {
        await admin.end();
      }
    },
  };
  try {
    const started = performance.now();
    await admin.query(
      `CREATE TABLE ${name} (item_code VARCHAR(64) NOT NULL, warehouse_code VARCHAR(16) NOT NULL, ` +
        'location_code VARCHAR(32) NOT NULL, lot VARCHAR(32) NOT NULL, quantity DECIMAL(18,3) NOT NULL, ' +
        'PRIMARY KEY (item_code, warehouse_code, location_code, lot))',
    );
    let batch: (string | number)[][] = [];
    for (let item = 0; item < ITEMS; item += 1) {
      const code = catalogueItem(item).item_code;
      for (let l = 0; l < LOCATIONS; l += 1) {
        batch.push([code, WAREHOUSE, locationCode(l), '', quantityOf(item, l)]);
        if (batch.length === FILL_BATCH) {
          await admin.query(`INSERT INTO ${name} (${COLUMNS}) VALUES ?`, [batch]);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await admin.query(`INSERT INTO ${name} (${COLUMNS}) VALUES ?`, [batch]);
    await admin.query(`ANALYZE TABLE ${name}`);
    log(
      `  MariaDB test.${name}: ${fmtInt(ROWS)} stock rows (${fmtInt(ITEMS)} items × ${LOCATIONS} locations, ` +
        `primary key item, warehouse, location, lot) written in ${seconds(performance.now() - started)}`,
    );
    return table;
  } catch (error) {
    await table.drop().catch(() => undefined);
    throw error;
  }
}

/** Moves CHANGED quantities in the ERP (untimed): item codes ending in `digit`, at one location. */
async function moveQuantities(table: ErpTable, round: number): Promise<number> {
  const [result] = await table.admin.query(
    `UPDATE ${table.name} SET quantity = quantity + 1 WHERE location_code = ? AND item_code LIKE ?`,
    [locationCode(round % LOCATIONS), `%${round % 10}`],
  );
  return (result as { affectedRows: number }).affectedRows;
}

/** Our warehouse, its LOCATIONS bins and the ITEMS catalogue items: what the ERP rows name. */
async function seedOurs(database: DbHandle): Promise<void> {
  const timestamp = new Date().toISOString();
  await insertCatalogue(database.db, ITEMS, timestamp);
  const warehouseId = systemIds.uuid();
  await database.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('warehouses')
      .values({
        id: warehouseId,
        code: WAREHOUSE,
        name: 'Bench warehouse',
        active: 1,
        created_at: timestamp,
        updated_at: timestamp,
      })
      .execute();
    await trx
      .insertInto('locations')
      .values(
        Array.from({ length: LOCATIONS }, (_, l) => {
          const id = systemIds.uuid();
          return {
            id,
            warehouse_id: warehouseId,
            parent_id: null,
            code: locationCode(l),
            name: `Bin ${l}`,
            kind: 'bin',
            barcode: null,
            path: `/${id}/`,
            depth: 0,
            active: 1,
            created_at: timestamp,
            updated_at: timestamp,
          };
        }),
      )
      .execute();
  });
}

/** Time spent inside the source's readStockLevels (connect, READ ONLY transaction, SELECT, mapping). */
interface ReadTimer {
  ms: number;
  pages: number;
}

/**
 * The product's connectors service, with each opened source's readStockLevels timed: the pass
 * itself is the product's, unchanged; the split between the ERP read and our write is measured
 * around the call, not inside it.
 */
function timedConnectors(connectors: Connectors, timer: ReadTimer): Connectors {
  return {
    ...connectors,
    async openSource(id, options) {
      const source = await connectors.openSource(id, options);
      const read = source.readStockLevels.bind(source);
      return {
        ...source,
        async readStockLevels(cursor, limit, signal) {
          const started = performance.now();
          try {
            return await read(cursor, limit, signal);
          } finally {
            timer.ms += performance.now() - started;
            timer.pages += 1;
          }
        },
      };
    },
  };
}

/** One timed run of one side. */
interface SideRun {
  ms: number;
  rows: number;
  cpuSeconds: number;
  /** Product only: ms inside readStockLevels, and pages read. */
  readMs: number | null;
  pages: number | null;
  counts: SyncCounts | null;
  problems: string[];
}

async function countLevels(database: DbHandle): Promise<{ rows: number; totalE3: number }> {
  const row = await database.db
    .selectFrom('stock_levels')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('quantity_e3').as('total')])
    .executeTakeFirstOrThrow();
  return { rows: Number(row.n), totalE3: Number(row.total ?? 0) };
}

interface Subject {
  label: 'sqlite' | 'postgres';
  database: DbHandle;
  erpSync: ErpSync;
  connectorId: string;
  timer: ReadTimer;
  erp: ErpTable;
}

/** One pass of the product (`changes` mode, all stock levels of the connector), checked after. */
async function productPass(
  subject: Subject,
  round: string,
  expect: Omit<SyncCounts, 'read' | 'rejected'>,
  profile: { session: Session; file: string } | null,
): Promise<SideRun> {
  subject.timer.ms = 0;
  subject.timer.pages = 0;
  if (profile) await profile.session.post('Profiler.start');
  const cpuBefore = cpuNow();
  const started = performance.now();
  const counts = await subject.erpSync.pass(subject.connectorId, 'stock_levels', 'changes', {
    signal: new AbortController().signal,
    fencingToken: 1,
  });
  const ms = performance.now() - started;
  const cpu = cpuNow() - cpuBefore;
  if (profile) {
    const { profile: written } = await profile.session.post('Profiler.stop');
    fs.writeFileSync(profile.file, JSON.stringify(written));
  }
  const problems: string[] = [];
  if (
    counts.read !== ROWS ||
    counts.rejected !== 0 ||
    counts.inserted !== expect.inserted ||
    counts.updated !== expect.updated ||
    counts.unchanged !== expect.unchanged
  ) {
    problems.push(
      `${round}: the pass counted ${JSON.stringify(counts)}; expected ${fmtInt(ROWS)} read, ` +
        `${fmtInt(expect.inserted)} inserted, ${fmtInt(expect.updated)} updated, ${fmtInt(expect.unchanged)} unchanged`,
    );
  }
  const ours = await countLevels(subject.database);
  const theirs = await subject.erp.totalE3();
  if (ours.rows !== ROWS || ours.totalE3 !== theirs) {
    problems.push(
      `${round}: stock_levels holds ${fmtInt(ours.rows)} rows summing to ${ours.totalE3 / 1000} after the pass; ` +
        `the ERP ${fmtInt(ROWS)} rows summing to ${theirs / 1000}`,
    );
  }
  return {
    ms,
    rows: counts.read,
    cpuSeconds: cpu,
    readMs: subject.timer.ms,
    pages: subject.timer.pages,
    counts,
    problems,
  };
}

/** The driver settings the product's MariaDB source uses (sql-source.ts): exact values as text. */
const DRIVER_OPTIONS = {
  ...MARIADB,
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
  dateStrings: true,
} as const;

/** The baseline: one plain SELECT of every row with mysql2/promise, the rows held in memory. */
async function plainSelect(connection: mysql.Connection, erp: ErpTable, round: string): Promise<SideRun> {
  const cpuBefore = cpuNow();
  const started = performance.now();
  const [rows] = await connection.query(`SELECT ${COLUMNS} FROM ${erp.name}`);
  const ms = performance.now() - started;
  const cpu = cpuNow() - cpuBefore;
  const count = (rows as unknown[]).length;
  return {
    ms,
    rows: count,
    cpuSeconds: cpu,
    readMs: null,
    pages: null,
    counts: null,
    problems:
      count === ROWS ? [] : [`${round}: the SELECT answered ${fmtInt(count)} rows, not ${fmtInt(ROWS)}`],
  };
}

type KeysetForm = 'row' | 'bounded';

/**
 * An extra line: the same rows read a keyset page of PAGE rows at a time with the same driver.
 * `row`: the condition as the product writes it, `(item, warehouse, location, lot) > (…)`;
 * `bounded`: the same with `item_code >= …` in front, which MariaDB can turn into an index range.
 */
async function keysetSelect(connection: mysql.Connection, erp: ErpTable, form: KeysetForm): Promise<SideRun> {
  const keys = 'item_code, warehouse_code, location_code, lot';
  const cpuBefore = cpuNow();
  const started = performance.now();
  let after: unknown[] | null = null;
  let rows = 0;
  let pages = 0;
  for (;;) {
    const where = after
      ? ` WHERE ${form === 'bounded' ? 'item_code >= ? AND ' : ''}(${keys}) > (?, ?, ?, ?)`
      : '';
    const [page] = (await connection.query(
      `SELECT ${COLUMNS} FROM ${erp.name}${where} ORDER BY ${keys} LIMIT ${PAGE}`,
      after ? [...(form === 'bounded' ? [after[0]] : []), ...after] : [],
    )) as unknown as [Record<string, unknown>[]];
    rows += page.length;
    pages += 1;
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) break;
    after = [last.item_code, last.warehouse_code, last.location_code, last.lot];
  }
  const ms = performance.now() - started;
  return {
    ms,
    rows,
    cpuSeconds: cpuNow() - cpuBefore,
    readMs: null,
    pages,
    counts: null,
    problems: rows === ROWS ? [] : [`keyset SELECT (${form}) read ${fmtInt(rows)} rows, not ${fmtInt(ROWS)}`],
  };
}

/** The side's figure: ROWS over the median round's seconds. */
function medianFigure(runs: readonly SideRun[]): WorkFigure {
  return workFigure(ROWS, median(runs.map((run) => run.ms)) / 1000);
}

function compareRuns(
  label: string,
  product: SideRun[],
  baseline: SideRun[],
  extra: string[],
): WorkComparison {
  const perRound = (runs: SideRun[]) => runs.map((run) => fmtInt((run.rows * 1000) / run.ms)).join(' / ');
  const ratios = product.map((run, index) => {
    const other = baseline[index];
    return other ? ((other.ms / run.ms) * (run.rows / Math.max(other.rows, 1))).toFixed(3) : '-';
  });
  const cpuPerRow = (runs: SideRun[]) =>
    `${((sum(runs.map((run) => run.cpuSeconds)) * 1e6) / Math.max(sum(runs.map((run) => run.rows)), 1)).toFixed(1)} µs/row`;
  const readMs = sum(product.map((run) => run.readMs ?? 0));
  const totalMs = sum(product.map((run) => run.ms));
  const pages = product[0]?.pages ?? 0;
  return workComparison({
    label,
    unit: 'rows',
    product: medianFigure(product),
    baseline: medianFigure(baseline),
    notes: [
      `rows/s per round (product, baseline alternating; figures above: the median round): product ${perRound(product)}; ` +
        `baseline ${perRound(baseline)}; ratio ${ratios.join(', ')}`,
      `product time split: ${seconds(readMs / product.length)} per pass in the source's readStockLevels ` +
        `(${pages} pages: pool connect, READ ONLY transaction, keyset SELECT, mapping; ${((readMs / totalMs) * 100).toFixed(0)} %), ` +
        `${seconds((totalMs - readMs) / product.length)} writing ours (codes resolved, existing levels read, upserts, ` +
        'cursor, one transaction per page) and the pass around it',
      `CPU of this process: product ${cpuPerRow(product)}, baseline ${cpuPerRow(baseline)}; MariaDB's own CPU` +
        ` is on neither side's figure${label.startsWith('postgres') ? ", nor PostgreSQL's" : ''}`,
      ...extra,
    ],
    problems: [...product, ...baseline].flatMap((run) => run.problems),
  });
}

async function runCase(options: {
  label: 'sqlite' | 'postgres';
  workdir: string;
  settings: Settings;
  cpuProfileDir: string | null;
  cleanup: Cleanup;
  schema: string | null;
  erp: ErpTable;
  log(line: string): void;
}): Promise<WorkComparison[]> {
  const { label, settings, cleanup, schema, erp, log } = options;
  const dir = path.join(options.workdir, label);
  fs.mkdirSync(dir, { recursive: true });
  const database =
    schema === null
      ? openDb({ databaseUrl: null, sqliteFile: path.join(dir, 'stock-verify.sqlite') })
      : openDb({ databaseUrl: settings.pgUrl, pgSchema: schema });
  cleanup.add(`close the ${label} database`, () => database.close());

  const seeding = performance.now();
  await migrateToLatest(database.db, database.dialect);
  await seedOurs(database);
  if (database.dialect === 'postgres') await sql`analyze`.execute(database.db);

  // The product's services, as app.ts wires them (no metrics, a silent logger).
  const logger = pino({ level: 'silent' });
  const trail = createAuditTrail({
    database,
    clock: systemClock,
    ids: systemIds,
    enabled: true,
    algorithm: 'sha256',
  });
  const { key } = loadOrCreateConnectorKey({ keyFile: null, dataDir: dir });
  const connectors = createConnectors({
    db: database.db,
    clock: systemClock,
    ids: systemIds,
    audit: trail,
    key,
  });
  const settingsOfConnector: SqlSettings = {
    dialect: 'mysql',
    host: MARIADB.host,
    port: MARIADB.port,
    database: MARIADB.database,
    user: MARIADB.user,
    stock_levels: {
      table: erp.name,
      columns: {
        item_code: 'item_code',
        warehouse_code: 'warehouse_code',
        location_code: 'location_code',
        lot: 'lot',
        quantity: 'quantity',
      },
    },
  };
  const connector = await connectors.create(
    { name: 'Bench ERP', kind: 'sql', settings: settingsOfConnector },
    SYSTEM_CONTEXT,
  );
  const timer: ReadTimer = { ms: 0, pages: 0 };
  const erpSync = createErpSync(
    {
      db: database.db,
      clock: systemClock,
      ids: systemIds,
      logger,
      connectors: timedConnectors(connectors, timer),
      breakers: createCircuitBreakers({ clock: systemClock, logger, metrics: null }),
    },
    { pageSize: PAGE },
  );
  const subject: Subject = { label, database, erpSync, connectorId: connector.id, timer, erp };
  log(
    `  ${label}: migrated, ${fmtInt(ITEMS)} items, warehouse ${WAREHOUSE} with ${LOCATIONS} bins and ` +
      `connector "${connector.name}" (sql, mysql) in ${seconds(performance.now() - seeding)}`,
  );

  const baselineConnection = await mysql.createConnection(DRIVER_OPTIONS);
  cleanup.add(`close the ${label} baseline connection`, () => baselineConnection.end());
  const session = options.cpuProfileDir ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
  }
  const profileOf = (kind: string, round: number) =>
    session && options.cpuProfileDir
      ? {
          session,
          file: path.join(options.cpuProfileDir, `erp-sync-${label}-${kind}-round${round}.cpuprofile`),
        }
      : null;

  const runs = {
    first: { product: [] as SideRun[], baseline: [] as SideRun[] },
    resync: { product: [] as SideRun[], baseline: [] as SideRun[] },
    keyset: { row: [] as SideRun[], bounded: [] as SideRun[] },
  };
  const show = (phase: string, side: string, run: SideRun) =>
    log(
      `  ${label} ${phase.padEnd(18)} ${side.padEnd(8)} ${fmtInt((run.rows * 1000) / run.ms).padStart(9)} rows/s` +
        `  ${seconds(run.ms)}` +
        (run.readMs !== null ? `  (${seconds(run.readMs)} reading the ERP)` : '') +
        (run.counts
          ? `  inserted ${fmtInt(run.counts.inserted)}, updated ${fmtInt(run.counts.updated)}, unchanged ${fmtInt(run.counts.unchanged)}`
          : '') +
        (run.problems.length > 0 ? `  !! ${run.problems.join('; ')}` : ''),
    );
  const empty = () => database.db.deleteFrom('stock_levels').execute();
  const firstSync = { inserted: ROWS, updated: 0, unchanged: 0 };
  try {
    if (settings.warmupSeconds > 0) {
      // One untimed pass of each: compiled code, warm caches and buffer pools for both sides.
      await empty();
      show('warm-up', 'product', await productPass(subject, 'warm-up', firstSync, null));
      show('warm-up', 'baseline', await plainSelect(baselineConnection, erp, 'warm-up'));
    }
    for (let round = 1; round <= settings.rounds; round += 1) {
      await empty();
      const first = await productPass(
        subject,
        `first sync round ${round}`,
        firstSync,
        profileOf('first', round),
      );
      show(`round ${round} first sync`, 'product', first);
      runs.first.product.push(first);
      const select = await plainSelect(baselineConnection, erp, `round ${round}`);
      show(`round ${round} first sync`, 'baseline', select);
      runs.first.baseline.push(select);
      for (const form of ['row', 'bounded'] as const) {
        const keyset = await keysetSelect(baselineConnection, erp, form);
        show(`round ${round} keyset`, form, keyset);
        runs.keyset[form].push(keyset);
      }

      const moved = await moveQuantities(erp, round);
      if (moved !== CHANGED)
        throw new Error(`moving quantities in the ERP changed ${moved} rows, not ${CHANGED}`);
      const resync = await productPass(
        subject,
        `re-sync round ${round}`,
        { inserted: 0, updated: CHANGED, unchanged: ROWS - CHANGED },
        profileOf('resync', round),
      );
      show(`round ${round} re-sync`, 'product', resync);
      runs.resync.product.push(resync);
      const again = await plainSelect(baselineConnection, erp, `round ${round}`);
      show(`round ${round} re-sync`, 'baseline', again);
      runs.resync.baseline.push(again);
    }
  } finally {
    session?.disconnect();
  }

  const keysetLine = (form: KeysetForm, condition: string) => {
    const list = runs.keyset[form];
    const rate = workFigure(ROWS, median(list.map((run) => run.ms)) / 1000).perSecond;
    return (
      `extra: the same rows by keyset, ${fmtInt(PAGE)} a page (${list[0]?.pages ?? 0} queries), same driver, ` +
      `${condition}: ${fmtInt(rate)} rows/s (median round; ${list.map((run) => seconds(run.ms)).join(', ')})`
    );
  };
  return [
    compareRuns(`${label} first sync`, runs.first.product, runs.first.baseline, [
      `each round starts from an empty stock_levels (DELETE, untimed): all ${fmtInt(ROWS)} rows inserted`,
      keysetLine('row', "WHERE (item, warehouse, location, lot) > (…) as the product's source writes it"),
      keysetLine(
        'bounded',
        'WHERE item >= … AND (item, warehouse, location, lot) > (…), an index range in MariaDB',
      ),
    ]),
    compareRuns(`${label} re-sync`, runs.resync.product, runs.resync.baseline, [
      `before each re-sync ${fmtInt(CHANGED)} quantities (1 %) moved in MariaDB (untimed): ` +
        `${fmtInt(ROWS)} read, ${fmtInt(CHANGED)} written`,
    ]),
  ];
}

/**
 * ERP sync throughput (issue 8): stock levels per second of one `changes` pass of the product's
 * ERP sync (createErpSync().pass, in-process) over a MariaDB connector (kind sql, dialect mysql)
 * whose table holds 100,000 stock rows (10,000 items × 10 bins of one warehouse, primary key item,
 * warehouse, location, lot), against a plain `SELECT` of the same rows with the same driver
 * (mysql2/promise, the product's options). The pass reads 1,000 rows a page by keyset, each
 * page in a READ ONLY transaction through the connector's circuit breaker, and writes each page
 * and its cursor into our stock_levels in one transaction. Two figures per database: a first
 * sync into an empty stock_levels (every row inserted), and a re-sync after 1 % of the ERP's
 * quantities moved (every row read and compared, 1,000 written). Each round: first sync,
 * SELECT, two keyset SELECTs (extra lines), re-sync, SELECT; the median round is quoted. SQLite,
 * then a fresh PostgreSQL schema; the MariaDB table (test.sv_bench_stock_<hex>) is dropped at
 * the end. With BENCH_PROFILE=1 each product pass writes a CPU profile (node:inspector).
 */
export const erpSync: Benchmark = {
  name: 'erp-sync',
  description: `stock levels/s syncing ${fmtInt(ROWS)} rows from MariaDB vs a plain SELECT of them (mysql2)`,
  product:
    `createErpSync().pass(connector, 'stock_levels', 'changes'), in-process, pages of ${fmtInt(PAGE)}: ` +
    'a first sync into an empty stock_levels, and a re-sync after 1 % moved; SQLite, then PostgreSQL',
  baseline: `one plain SELECT ${COLUMNS} of the same ${fmtInt(ROWS)} rows with mysql2/promise (same options), all rows in memory`,
  aim: 0.3,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const erp = await createErpTable(log);
    try {
      const cases = await sqliteThenPostgres(settings.pgUrl, 'erp_sync', (label, cleanup, schema) =>
        runCase({ label, workdir, settings, cpuProfileDir, cleanup, schema, erp, log }),
      );
      return cases.flat();
    } finally {
      await erp.drop();
    }
  },
};
