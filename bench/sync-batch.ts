import { createHash, randomUUID } from 'node:crypto';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import type { Database } from '../server/src/platform/db/schema.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { catalogueItem } from './lib/catalogue.ts';
import {
  countRows,
  createSession,
  entryTarget,
  type Floor,
  seedFloor,
  startSession,
  userIdOf,
} from './lib/counting.ts';
import { type DialectCaseOptions, dialectCase } from './lib/dialect-case.ts';
import { fmtInt } from './lib/format.ts';
import { sqliteThenPostgres } from './lib/postgres.ts';
import { startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';
import { type WorkComparison, workComparison, workFigure } from './lib/work.ts';

const ITEMS = 2_000;
const LOCATIONS = 5;
const BATCH = 500;
const ROUTE = '/api/sync/batch';

interface SyncEntry {
  session_id: string;
  client_id: string;
  location_id: string;
  barcode: string;
  quantity: number;
  device_id: string;
  counted_at: string;
}

/** The answer's totals (the fields read here). */
interface SyncAnswer {
  accepted: number;
  duplicate: number;
  conflict: number;
  results: { result: string; reason?: string }[];
}

/** Entries n…n+BATCH-1 of the sequence: each a fresh client_id, walking the floor's item-locations. */
function batchOf(floor: Floor, sessionId: string, n: number): SyncEntry[] {
  const countedAt = new Date().toISOString();
  return Array.from({ length: BATCH }, (_, i) => {
    const target = entryTarget(floor, n + i);
    return {
      session_id: sessionId,
      client_id: randomUUID(),
      location_id: target.locationId,
      barcode: target.barcode,
      quantity: 1,
      device_id: 'bench-handheld',
      counted_at: countedAt,
    };
  });
}

/** The rows the baseline writes for a batch: what the product stores, the item known without a lookup. */
function rowsOf(
  floor: Floor,
  entries: readonly SyncEntry[],
  n: number,
  userId: string,
): Database['count_entries'][] {
  const receivedAt = new Date().toISOString();
  return entries.map((entry, i) => {
    const pair = ((n + i) * 7919) % floor.stockLevels;
    const item = catalogueItem(Math.floor(pair / floor.locationIds.length) % floor.items);
    return {
      id: randomUUID(),
      client_id: entry.client_id,
      content_hash: createHash('sha256').update(JSON.stringify(entry)).digest('hex'),
      session_id: entry.session_id,
      location_id: entry.location_id,
      item_id: item.id,
      barcode: entry.barcode,
      lot: '',
      serial: null,
      quantity_e3: 1000,
      entered_qty_e3: 1000,
      pack_qty_e3: 1000,
      uom: null,
      round: 1,
      counted_by: userId,
      device_id: entry.device_id,
      counted_at: entry.counted_at,
      received_at: receivedAt,
      voided_at: null,
      voided_by: null,
      void_reason: null,
    };
  });
}

/** Batches sent one after the other for `seconds` (at least one); the time of the calls only. */
async function forSeconds(
  seconds: number,
  send: () => Promise<number>,
): Promise<{ entries: number; batches: number; ms: number[] }> {
  const ms: number[] = [];
  let entries = 0;
  const deadline = performance.now() + seconds * 1000;
  do {
    const took = await send();
    ms.push(took);
    entries += BATCH;
  } while (performance.now() < deadline);
  return { entries, batches: ms.length, ms };
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function runCase(options: DialectCaseOptions): Promise<WorkComparison> {
  const { label, settings, cleanup, log } = options;
  const { open, productOptions } = dialectCase(options);

  const setup = open();
  let floor: Floor;
  try {
    await migrateToLatest(setup.db, setup.dialect);
    floor = await seedFloor(setup.db, {
      items: ITEMS,
      locations: LOCATIONS,
      timestamp: new Date().toISOString(),
    });
  } finally {
    await setup.close();
  }
  const product = await startProduct(productOptions);
  cleanup.add(`stop the ${label} product`, product.stop);
  const headers = { ...(await signIn(product)), 'content-type': 'application/json' };
  const userId = await userIdOf(product, headers);
  const session = await createSession(product, headers, floor.warehouseId, `Bench sync ${label}`);
  await startSession(product, headers, session.id);
  log(
    `  ${label}: product pid ${product.pid} at ${product.url}; session ${session.id} counting over ` +
      `${fmtInt(floor.stockLevels)} item-locations (log: ${product.logFile})`,
  );

  // The baseline writes into the same database, while the product idles between its rounds.
  const database = open();
  cleanup.add(`close the ${label} database`, () => database.close());

  const problems: string[] = [];
  let next = 0;
  const sendProduct = async (): Promise<number> => {
    const body = JSON.stringify({ entries: batchOf(floor, session.id, next) });
    next += BATCH;
    const started = performance.now();
    const response = await fetch(`${product.url}${ROUTE}`, { method: 'POST', headers, body });
    const text = await expectOk(response, `POST ${ROUTE}`);
    const took = performance.now() - started;
    const answer = JSON.parse(text) as SyncAnswer;
    if (answer.accepted !== BATCH && problems.length < 5) {
      const reasons = [...new Set(answer.results.map((result) => result.reason).filter(Boolean))];
      problems.push(
        `a batch of ${BATCH}: ${answer.accepted} accepted, ${answer.duplicate} duplicate, ` +
          `${answer.conflict} conflict (${reasons.join(', ')})`,
      );
    }
    return took;
  };
  const sendBaseline = async (): Promise<number> => {
    const rows = rowsOf(floor, batchOf(floor, session.id, next), next, userId);
    next += BATCH;
    const started = performance.now();
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('count_entries').values(rows).execute();
    });
    return performance.now() - started;
  };

  const sides = { product: sendProduct, baseline: sendBaseline };
  const totals = {
    product: { entries: 0, ms: [] as number[] },
    baseline: { entries: 0, ms: [] as number[] },
  };
  let sent = 0;
  if (settings.warmupSeconds > 0) {
    for (const side of ['product', 'baseline'] as const) {
      const warm = await forSeconds(settings.warmupSeconds, sides[side]);
      sent += warm.entries;
      log(
        `  ${label} warm-up   ${side.padEnd(8)} ${fmtInt(warm.entries)} entries in ${warm.batches} batches`,
      );
    }
  }
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const side of ['product', 'baseline'] as const) {
      const run = await forSeconds(settings.durationSeconds, sides[side]);
      sent += run.entries;
      totals[side].entries += run.entries;
      totals[side].ms.push(...run.ms);
      const seconds = run.ms.reduce((a, b) => a + b, 0) / 1000;
      log(
        `  ${label} round ${round}   ${side.padEnd(8)} ${fmtInt(run.entries / seconds).padStart(8)} entries/s` +
          `  ${run.batches} batches, median ${fmtInt(percentile(run.ms, 50))} ms each`,
      );
    }
  }
  await product.stop();
  const stored = await countRows(database.db, 'count_entries', session.id);
  if (stored !== sent) problems.push(`${fmtInt(stored)} entries stored, ${fmtInt(sent)} sent`);

  const figure = (side: 'product' | 'baseline') =>
    workFigure(totals[side].entries, totals[side].ms.reduce((a, b) => a + b, 0) / 1000);
  const batchMs = (side: 'product' | 'baseline') =>
    `median ${fmtInt(percentile(totals[side].ms, 50))} ms, p99 ${fmtInt(percentile(totals[side].ms, 99))} ms`;
  return workComparison({
    label,
    unit: 'entries',
    product: figure('product'),
    baseline: figure('baseline'),
    notes: [
      `batches of ${BATCH}, one at a time: product ${batchMs('product')} per batch; baseline ${batchMs('baseline')}`,
      `every product batch answered ${BATCH} accepted unless a problem is shown; ${fmtInt(stored)} entries stored ` +
        `for ${fmtInt(sent)} sent (warm-up included)`,
    ],
    problems,
  });
}

/**
 * Offline sync: a handheld uploads its outbox through `POST /api/sync/batch`, 500 entries a batch,
 * one batch at a time, each entry a fresh client_id scanning one of the floor's 10,000
 * item-locations (2,000 items × 5 locations, seeded before the start; the session created and
 * started through the API; the admin as counter). The product checks each entry, resolves its
 * barcode, stores it idempotently, updates its line and writes one audit entry per batch, in one
 * transaction. The baseline is the floor of that write: the same 500 rows (the item already
 * known, the content hash computed) inserted into count_entries of the same database by one
 * Kysely multi-row INSERT in one transaction per batch, from the bench process — no lookups, no
 * lines, no audit, no HTTP. Timed: the calls only (building a batch is not). Alternating rounds,
 * SQLite then PostgreSQL.
 */
export const syncBatch: Benchmark = {
  name: 'sync-batch',
  description: `entries/s through POST ${ROUTE} in batches of ${BATCH} vs raw inserts of the same rows`,
  product: `product POST ${ROUTE} (Bearer token, admin), ${BATCH} entries a batch, one at a time; SQLite, then PostgreSQL`,
  baseline: `the same ${BATCH} rows, one multi-row INSERT into count_entries in one transaction per batch (Kysely, same database)`,
  aim: 0.25,

  run: ({ settings, workdir, cpuProfileDir, log }) =>
    sqliteThenPostgres(settings.pgUrl, 'sync_batch', (label, cleanup, schema) =>
      runCase({ label, workdir, settings, cpuProfileDir, cleanup, schema, log }),
    ),
};
