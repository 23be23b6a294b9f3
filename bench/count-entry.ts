import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { startBaseline } from './lib/baseline.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { type Comparison, compare } from './lib/compare.ts';
import { countRows, createSession, entryTarget, seedFloor, startSession } from './lib/counting.ts';
import { type DialectCaseOptions, dialectCase } from './lib/dialect-case.ts';
import { fmtInt } from './lib/format.ts';
import { sqliteThenPostgres } from './lib/postgres.ts';
import { startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';

const ITEMS = 2_000;
const LOCATIONS = 5;
/** The issue asks for the p99 latency at 64 connections: this benchmark always uses 64. */
const CONNECTIONS = 64;
const ROUTE = '/api/count-sessions/:id/entries';

/** The body of entry n: a scan of one of the floor's barcodes at its location, quantity 1. */
function entryBody(target: { locationId: string; barcode: string }, clientId: string): string {
  return JSON.stringify({
    client_id: clientId,
    location_id: target.locationId,
    barcode: target.barcode,
    quantity: 1,
    device_id: 'bench-handheld',
  });
}

/** Requests the load answered 2xx, warm-up included. */
function served(comparison: Comparison): number {
  const target = comparison.product;
  const loads = [...(target.warmup ? [target.warmup] : []), ...target.rounds];
  return loads.reduce((total, load) => total + load.requests - load.non2xx, 0);
}

async function runCase(options: DialectCaseOptions): Promise<Comparison> {
  const { label, settings, cleanup, log } = options;
  const { dir, open, productOptions } = dialectCase(options);

  // The product's migrations, then the floor, before the product starts.
  const setup = open();
  const seeded = performance.now();
  let floor: Awaited<ReturnType<typeof seedFloor>>;
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
  log(
    `  ${label}: seeded ${fmtInt(ITEMS)} items × ${LOCATIONS} locations = ${fmtInt(floor.stockLevels)} ` +
      `stock levels in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
  );

  const product = await startProduct(productOptions);
  cleanup.add(`stop the ${label} product`, product.stop);
  log(`  ${label}: product pid ${product.pid} at ${product.url} (log: ${product.logFile})`);
  const headers = { ...(await signIn(product)), 'content-type': 'application/json' };

  const session = await createSession(product, headers, floor.warehouseId, `Bench count ${label}`);
  const { ms } = await startSession(product, headers, session.id);
  log(`  ${label}: session ${session.id} started (${fmtInt(floor.stockLevels)} lines) in ${fmtInt(ms)} ms`);
  const route = `/api/count-sessions/${session.id}/entries`;

  // One entry before the load: answered 201 accepted; its answer is what the baseline sends back.
  const probe = await expectOk(
    await fetch(`${product.url}${route}`, {
      method: 'POST',
      headers,
      body: entryBody(entryTarget(floor, 0), randomUUID()),
    }),
    `POST ${route}`,
    201,
  );
  const answer = JSON.parse(probe) as { result?: string };
  if (answer.result !== 'accepted') throw new Error(`the probe entry was not accepted: ${probe}`);
  log(`  ${label}: one entry answered 201 accepted (${probe.length} bytes)`);

  const baseline = await startBaseline({
    script: 'bare-fastify.ts',
    env: {
      BASELINE_ROUTE: ROUTE,
      BASELINE_BODY: probe,
      BASELINE_METHOD: 'POST',
      BASELINE_STATUS: '201',
    },
    workdir: dir,
    readyPath: '/ready',
  });
  cleanup.add(`stop the ${label} baseline`, baseline.stop);
  log(`  ${label}: baseline pid ${baseline.pid} at ${baseline.url}`);

  // Every item-location once per cycle, each send its own client_id (a fresh UUID per send).
  const bodies = Array.from({ length: floor.stockLevels }, (_, n) =>
    entryBody(entryTarget(floor, n + 1), '{{uuid}}'),
  );
  const pathsFile = path.join(dir, 'paths.txt');
  const bodiesFile = path.join(dir, 'bodies.txt');
  fs.writeFileSync(pathsFile, `${Array(bodies.length).fill(route).join('\n')}\n`);
  fs.writeFileSync(bodiesFile, `${bodies.join('\n')}\n`);

  const target = (url: string, pid: number) => ({
    url: `${url}${route}`,
    method: 'POST' as const,
    headers,
    pathsFile,
    bodiesFile,
    pid,
  });
  const comparison = await compare(
    { product: target(product.url, product.pid), baseline: target(baseline.url, baseline.pid) },
    { ...settings, connections: CONNECTIONS },
    log,
    { label, unit: 'entries' },
  );

  // After the load, the product stopped: one stored entry per answered submission (plus the probe).
  await product.stop();
  const database = open();
  try {
    const stored = await countRows(database.db, 'count_entries', session.id);
    const lines = await countRows(database.db, 'count_lines', session.id);
    const answered = served(comparison) + 1;
    const loads = settings.rounds + (settings.warmupSeconds > 0 ? 1 : 0);
    const inFlight = CONNECTIONS * loads;
    if (stored < answered || stored > answered + inFlight) {
      comparison.problems.push(
        `${fmtInt(stored)} entries stored for ${fmtInt(answered)} answered 201 (up to ${inFlight} more may have been in flight)`,
      );
      comparison.valid = false;
    }
    if (lines !== floor.stockLevels) {
      comparison.problems.push(
        `${fmtInt(lines)} lines after the load, expected ${fmtInt(floor.stockLevels)}`,
      );
      comparison.valid = false;
    }
    comparison.notes.push(
      `after the load: ${fmtInt(stored)} entries stored for ${fmtInt(answered)} answered 201 ` +
        `(warm-up and probe included); ${fmtInt(lines)} lines`,
      `p99 at ${CONNECTIONS} connections: product ${comparison.product.p99Ms} ms, baseline ${comparison.baseline.p99Ms} ms (worst round)`,
    );
  } finally {
    await database.close();
  }
  return comparison;
}

/**
 * Online counting: one scan submitted per request. The product takes `POST
 * /api/count-sessions/:id/entries` through everything a deployment has on (IP filter, session
 * check, rate limiter with the write ceiling raised as bench/lib/product.ts does, validation, the
 * entry and its line in one transaction with the audit entry, metrics, one log line); the bench
 * user is the admin (like a supervisor: counts anywhere in scope, no assignment). The floor is
 * 2,000 items × 5 locations, seeded before the start; the session is created and started through
 * the API. Every send has its own client_id (a random UUID), its scan walking the 10,000
 * item-locations. The baseline is a bare Fastify POST on the same path that parses the same JSON
 * body and answers 201 with the product's own answer to one entry. 64 connections, as the issue
 * asks for the p99; SQLite, then PostgreSQL.
 */
export const countEntry: Benchmark = {
  name: 'count-entry',
  description: `authenticated POST ${ROUTE} (entries/s, p99 at ${CONNECTIONS} connections) vs a bare Fastify POST`,
  product: `product POST ${ROUTE} (Bearer token, admin, unique client_id per send); SQLite, then PostgreSQL`,
  baseline:
    'bare Fastify 5 POST on the same path, JSON body parsed, 201 with a fixed answer (bench/baselines/bare-fastify.ts)',
  aim: 0.25,

  run: ({ settings, workdir, cpuProfileDir, log }) =>
    sqliteThenPostgres(settings.pgUrl, 'count_entry', (label, cleanup, schema) =>
      runCase({ label, workdir, settings, cpuProfileDir, cleanup, schema, log }),
    ),
};
