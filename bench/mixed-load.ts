import fs from 'node:fs';
import path from 'node:path';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { countRows } from './lib/counting.ts';
import { type DialectCaseOptions, dialectCase } from './lib/dialect-case.ts';
import { fmtInt, table } from './lib/format.ts';
import {
  countersFor,
  type MixedFloor,
  prepareCrew,
  SCANS_PER_HOUR,
  seedMixedFloor,
} from './lib/mixed-traffic.ts';
import type { MixedRamp, MixedRampResult, StepResult } from './lib/mixed-worker.ts';
import { sqliteThenPostgres } from './lib/postgres.ts';
import { describeExit, spawnNode, within } from './lib/processes.ts';
import { productDataDir, productSqliteFile, startProduct } from './lib/product.ts';
import { freePort, LOOPBACK, startServer } from './lib/servers.ts';
import { type WorkComparison, workComparison, workFigure } from './lib/work.ts';

const ITEMS = 3_000;
const COUNTERS = 200;
const SUPERVISORS = 5;
const THRESHOLD_MS = 100;
const MAX_PACE = 64;
const REALISTIC_SECONDS = 10;
const STEP_SECONDS = 6;
const WARMUP_SECONDS = 3;

/** Runs the ramp from its own process (bench/lib/mixed-worker.ts); answers its steps. */
async function runRamp(ramp: MixedRamp, log: (line: string) => void): Promise<MixedRampResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const worker = spawnNode({
    name: 'mixed load worker',
    script: path.join('bench', 'lib', 'mixed-worker.ts'),
    args: [JSON.stringify(ramp)],
    env,
  });
  let stdout = '';
  let stderr = '';
  worker.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  worker.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const line of chunk.split('\n')) if (line.startsWith('  pace')) log(`  ${line}`);
  });
  // Every step up to maxPace, or the three slower ones (twice as long) and the finer one; each may
  // overrun by the requests in flight at its end; plus the worker's start-up.
  const steps = Math.max(Math.log2(MAX_PACE) + 1, 3 * 2 + 1);
  const budgetMs =
    (ramp.warmupSeconds + ramp.realisticSeconds + steps * ramp.stepSeconds) * 1000 + (steps + 2) * 30_000;
  const info = await within(worker.exited, budgetMs);
  if (!info) {
    await worker.stop(1_000);
    throw new Error(`the mixed load worker did not finish within ${budgetMs / 1000} s`);
  }
  if (info.code !== 0) throw new Error(`mixed load worker ${describeExit(info)}: ${stderr.trim()}`);
  return JSON.parse(stdout) as MixedRampResult;
}

const paceText = (pace: number) =>
  pace < 1 ? pace.toFixed(2) : pace < 10 ? pace.toFixed(1) : pace.toFixed(0);
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
const good = (step: StepResult) =>
  step.latency.p99 <= THRESHOLD_MS && step.unexpectedCount === 0 && step.requests > 0;

/** The highest request rate of a step with p99 within the threshold and nothing unexpected. */
function sustained(result: MixedRampResult): StepResult | null {
  const passing = result.steps.filter(good);
  return passing.reduce<StepResult | null>(
    (best, step) => (best === null || step.reqPerSec > best.reqPerSec ? step : best),
    null,
  );
}

function stepRows(side: string, result: MixedRampResult): string[][] {
  return result.steps.map((step) => [
    side,
    `×${paceText(step.pace)}`,
    fmtInt(step.reqPerSec),
    fmtInt(step.scansPerSec),
    ms(step.latency.p50),
    ms(step.latency.p95),
    ms(step.latency.p99),
    ms(step.byKind.entry?.p99 ?? 0),
    fmtInt(step.lateScans),
    fmtInt(step.unexpectedCount),
    good(step) ? 'ok' : `p99 > ${THRESHOLD_MS} ms`,
  ]);
}

function problemsOf(side: string, result: MixedRampResult): string[] {
  const problems: string[] = [];
  for (const step of [...(result.warmup ? [result.warmup] : []), ...result.steps]) {
    if (step.unexpectedCount > 0) {
      problems.push(
        `${side} ×${paceText(step.pace)}: ${step.unexpectedCount} unexpected answers, e.g. ` +
          step.unexpected
            .slice(0, 3)
            .map((u) => `${u.kind} ${u.status} ${u.body.slice(0, 120)}`)
            .join('; '),
      );
    }
  }
  if (sustained(result) === null) {
    problems.push(`${side}: no step, not even the realistic pace, kept p99 ≤ ${THRESHOLD_MS} ms`);
  }
  return problems;
}

async function runCase(options: DialectCaseOptions): Promise<WorkComparison> {
  const { label, settings, cleanup, log, schema } = options;
  const { dir, open, productOptions } = dialectCase(options);
  const sqliteFile = productSqliteFile(productDataDir(dir));

  const setup = open();
  let floor: MixedFloor;
  const seeded = performance.now();
  try {
    await migrateToLatest(setup.db, setup.dialect);
    floor = await seedMixedFloor(setup.db, {
      items: ITEMS,
      locations: COUNTERS,
      timestamp: new Date().toISOString(),
    });
  } finally {
    await setup.close();
  }
  log(
    `  ${label}: seeded ${fmtInt(ITEMS)} items with barcodes over ${COUNTERS} bins in ` +
      `${((performance.now() - seeded) / 1000).toFixed(1)} s`,
  );

  const product = await startProduct({
    ...productOptions,
    // Behind a reverse proxy: every simulated handheld has its own address (X-Forwarded-For).
    overrides: { TRUST_PROXY: 'loopback', ...settings.productEnv },
  });
  cleanup.add(`stop the ${label} product`, product.stop);
  const prepared = performance.now();
  const plan = await prepareCrew(product.url, floor, {
    adminUsername: product.adminUsername,
    adminPassword: product.adminPassword,
    counters: COUNTERS,
    supervisors: SUPERVISORS,
  });
  log(
    `  ${label}: product pid ${product.pid}; ${COUNTERS} counters and ${SUPERVISORS} supervisors created, ` +
      `assigned and signed in, a count and a review session ready in ` +
      `${((performance.now() - prepared) / 1000).toFixed(1)} s (log: ${product.logFile})`,
  );
  const planFile = path.join(dir, 'plan.json');
  fs.writeFileSync(planFile, JSON.stringify(plan), { mode: 0o600 });

  const ramp = (baseUrl: string, seed: number): MixedRamp => ({
    baseUrl,
    planFile,
    warmupSeconds: Math.min(settings.warmupSeconds, WARMUP_SECONDS),
    realisticSeconds: REALISTIC_SECONDS,
    stepSeconds: STEP_SECONDS,
    maxPace: MAX_PACE,
    thresholdMs: THRESHOLD_MS,
    seed,
  });
  log(`  ${label}: product ramp`);
  const productRamp = await runRamp(ramp(product.url, 1), log);
  await product.stop();

  // Every entry the product answered 201 is stored (the product stopped: nothing in flight).
  const problems = [...problemsOf('product', productRamp)];
  const database = open();
  let stored: number;
  try {
    stored = await countRows(database.db, 'count_entries', plan.countSessionId);
  } finally {
    await database.close();
  }
  const acknowledged = [...(productRamp.warmup ? [productRamp.warmup] : []), ...productRamp.steps].reduce(
    (sum, step) => sum + step.acknowledged,
    0,
  );
  if (stored !== acknowledged) {
    problems.push(`${fmtInt(stored)} entries stored for ${fmtInt(acknowledged)} answered 201`);
  }

  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: LOOPBACK,
    BASELINE_USER_ID: plan.admin.userId,
    ...(schema === null
      ? { BASELINE_SQLITE_FILE: sqliteFile }
      : { BASELINE_PG_URL: settings.pgUrl, BASELINE_PG_SCHEMA: schema }),
  };
  delete env.NODE_OPTIONS;
  const baseline = await startServer({
    name: 'baseline',
    script: path.join('bench', 'baselines', 'mixed-fastify.ts'),
    env,
    logFile: path.join(dir, 'baseline.log'),
    port,
    readyPath: '/ready',
  });
  cleanup.add(`stop the ${label} baseline`, baseline.stop);
  log(`  ${label}: baseline ramp (pid ${baseline.pid})`);
  const baselineRamp = await runRamp(ramp(baseline.url, 1), log);
  await baseline.stop();
  problems.push(...problemsOf('baseline', baselineRamp));

  const best = { product: sustained(productRamp), baseline: sustained(baselineRamp) };
  const figure = (step: StepResult | null) => workFigure(step?.requests ?? 0, step?.seconds ?? 0);
  const realistic = productRamp.steps[0];
  const notes = [
    `${COUNTERS} counters (scan = lookup + entry, ${SCANS_PER_HOUR}/h each at pace ×1, claim heartbeat every min, ` +
      `progress every 2 min) and ${SUPERVISORS} supervisors (a read every ~5 s, a review decision every min); ` +
      `pace ×1 for ${REALISTIC_SECONDS} s, then doubled every ${STEP_SECONDS} s until p99 > ${THRESHOLD_MS} ms, ` +
      'then one step √2 below the first that failed; product first, then the baseline, on the same data',
    ...table([
      ['', 'pace', 'req/s', 'scans/s', 'p50', 'p95', 'p99', 'entry p99', 'late scans', 'unexpected', ''],
      ...stepRows('product', productRamp),
      ...stepRows('baseline', baselineRamp),
    ]).split('\n'),
  ];
  if (realistic) {
    notes.push(
      `realistic pace (×1, product): ${fmtInt(realistic.reqPerSec)} req/s, ${realistic.scansPerSec.toFixed(1)} scans/s, ` +
        `p50 ${ms(realistic.latency.p50)}, p95 ${ms(realistic.latency.p95)}, p99 ${ms(realistic.latency.p99)}`,
    );
  }
  for (const side of ['product', 'baseline'] as const) {
    const step = best[side];
    if (!step) continue;
    notes.push(
      `${side}: sustained ${fmtInt(step.reqPerSec)} req/s with p99 ${ms(step.latency.p99)} (pace ×${paceText(step.pace)}): ` +
        `${step.scansPerSec.toFixed(1)} scans/s = ${fmtInt(countersFor(step.scansPerSec))} counters at ${SCANS_PER_HOUR} scans/h ` +
        '(counters = scans/s × 3600 ÷ 650; a scan is a lookup and its entry)',
    );
  }
  notes.push(
    `after the product's ramp: ${fmtInt(stored)} entries stored for ${fmtInt(acknowledged)} answered 201`,
  );
  return workComparison({
    label,
    unit: 'req',
    product: figure(best.product),
    baseline: figure(best.baseline),
    notes,
    problems,
  });
}

/**
 * A counting floor under a realistic, then rising load. The product runs as its own process
 * (SQLite, then PostgreSQL) on a floor seeded before the start — 3,000 items with barcodes over
 * 200 bins, a count in progress with counter n assigned to bin n, a strict session in review
 * with every line waiting for a supervisor — and 200 counters and 5 supervisors created, signed
 * in and holding their claims through the API. The floor's traffic (bench/lib/mixed-traffic.ts,
 * the same model as the soak test) runs from a separate process: first at a real floor's pace
 * (650 scans an hour per counter), then faster and faster until p99 passes 100 ms. The figure is
 * the highest request rate held with p99 ≤ 100 ms, and the counters it equals at 650 scans/h.
 *
 * Baseline: the same request mix through the same ramp against bench/baselines/mixed-fastify.ts —
 * Fastify with the same routes doing only the unavoidable database work (the item SELECT, the
 * entry INSERT and its line UPDATE in one transaction, one SELECT or UPDATE for the rest) on the
 * same database with the product's driver set-up, and nothing else: no authentication, checks,
 * audit, metrics or logging. The ratio of sustained rates is what the product's guarantees cost
 * at the load a floor makes. The baseline ramp runs after the product's on the data the product
 * left (a few thousand more entries: immaterial to indexed lookups).
 */
export const mixedLoad: Benchmark = {
  name: 'mixed-load',
  description: `${COUNTERS} counters + ${SUPERVISORS} supervisors, realistic then ramped until p99 > ${THRESHOLD_MS} ms: sustained req/s vs bare Fastify + the same queries`,
  product: `product, ${COUNTERS} signed-in counters (lookup + entry, heartbeats, progress) and ${SUPERVISORS} supervisors; SQLite, then PostgreSQL`,
  baseline:
    'bare Fastify, the same routes and mix doing only the SELECT/INSERT/UPDATE each needs on the same database (bench/baselines/mixed-fastify.ts)',
  aim: 0.25,

  run: ({ settings, workdir, cpuProfileDir, log }) =>
    sqliteThenPostgres(settings.pgUrl, 'mixed_load', (label, cleanup, schema) =>
      runCase({ label, workdir, settings, cpuProfileDir, cleanup, schema, log }),
    ),
};
