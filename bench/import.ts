import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { RawImportRequest, RawImportResult } from './baselines/raw-import.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { catalogueItem, writeItemsCsv } from './lib/catalogue.ts';
import { cpuSeconds } from './lib/cpu.ts';
import { fmtInt } from './lib/format.ts';
import { fmtMiB, peakRssBytes, resetPeakRss, rssBytes } from './lib/memory.ts';
import { describeExit, spawnNode, within } from './lib/processes.ts';
import { startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';
import type { Settings } from './lib/settings.ts';
import { type WorkComparison, type WorkFigure, workComparison, workFigure } from './lib/work.ts';

const ROWS = 200_000;
const POLL_MS = 50;
const IMPORT_TIMEOUT_MS = 15 * 60_000;

/** The job as GET /api/imports/{id} shows it (the fields read here). */
interface Job {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  total: number | null;
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
}

/** One import by one side. */
interface SideRun {
  figure: WorkFigure;
  /** Peak RSS of the process that did the work (the product: during the import only). */
  peakRss: number | null;
  /** CPU seconds that process spent on the work (PostgreSQL's own is not counted). */
  cpuSeconds: number | null;
  /** A line about this run (the product's phases), or null. */
  detail: string | null;
  problems: string[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One product, fresh, imports the CSV through its API: POST /api/imports (multipart, kind=items),
 * then GET /api/imports/{id} every 50 ms until the job has ended. Timed from the start of the
 * upload to the first poll that sees `succeeded`. The server's peak RSS is taken over the import
 * only (VmHWM reset just before the upload).
 */
async function productImport(options: {
  label: string;
  workdir: string;
  csv: string;
  settings: Settings;
  cpuProfileDir: string | null;
  databaseUrl?: string;
  log(line: string): void;
}): Promise<SideRun> {
  const { log } = options;
  const product = await startProduct({
    workdir: options.workdir,
    overrides: options.settings.productEnv,
    ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  });
  try {
    log(`  ${options.label}: product pid ${product.pid} at ${product.url} (log: ${product.logFile})`);
    const headers = await signIn(product);
    const problems: string[] = [];

    const peakReset = resetPeakRss(product.pid);
    const rssBefore = rssBytes(product.pid);
    let rssMax = rssBefore ?? 0;
    const cpuBefore = cpuSeconds(product.pid);

    const form = new FormData();
    form.append('kind', 'items');
    form.append('file', await fs.openAsBlob(options.csv, { type: 'text/csv' }), path.basename(options.csv));
    const started = performance.now();
    const upload = await fetch(`${product.url}/api/imports`, { method: 'POST', headers, body: form });
    const accepted = JSON.parse(await expectOk(upload, 'POST /api/imports', 202)) as Job;
    const acceptedAt = performance.now() - started;

    let job = accepted;
    // When a poll first showed `total` (the check pass over), and the slowest poll's answer.
    let checkedAt: number | null = null;
    let slowestPollMs = 0;
    for (;;) {
      const asked = performance.now();
      const answer = await fetch(`${product.url}/api/imports/${accepted.id}`, { headers });
      job = JSON.parse(await expectOk(answer, `GET /api/imports/${accepted.id}`)) as Job;
      const elapsed = performance.now() - started;
      slowestPollMs = Math.max(slowestPollMs, performance.now() - asked);
      rssMax = Math.max(rssMax, rssBytes(product.pid) ?? 0);
      if (checkedAt === null && job.total !== null) checkedAt = elapsed;
      if (job.status === 'succeeded' || job.status === 'failed') break;
      if (elapsed > IMPORT_TIMEOUT_MS) {
        throw new Error(
          `the import job was still ${job.status} after ${seconds(elapsed)}: ${JSON.stringify(job)}`,
        );
      }
      await sleep(POLL_MS);
    }
    const elapsedMs = performance.now() - started;
    const cpuAfter = cpuSeconds(product.pid);

    if (job.status !== 'succeeded') problems.push(`the job ${job.status}: ${job.error ?? '(no error)'}`);
    if (job.inserted !== ROWS || job.total !== ROWS || job.updated + job.unchanged + job.rejected !== 0) {
      problems.push(
        `the job reports total ${job.total}, inserted ${job.inserted}, updated ${job.updated}, ` +
          `unchanged ${job.unchanged}, rejected ${job.rejected}; expected ${fmtInt(ROWS)} inserted`,
      );
    }
    if (job.status === 'succeeded') {
      // The rows are there: the last one's barcode finds its item.
      const last = catalogueItem(ROWS - 1);
      const scan = await fetch(`${product.url}/api/items/lookup?barcode=${last.ean13}`, { headers });
      const found = scan.status === 200 ? ((await scan.json()) as { item?: { item_code?: string } }) : null;
      if (found?.item?.item_code !== last.item_code) {
        problems.push(
          `after the import, barcode ${last.ean13} answered ${scan.status}, not ${last.item_code}`,
        );
      }
    }
    log(
      `  ${options.label}: product job ${job.status}, ${fmtInt(job.inserted)} inserted, in ${seconds(elapsedMs)}` +
        (problems.length > 0 ? `  !! ${problems.length} problem(s)` : ''),
    );

    const checkPass =
      checkedAt !== null && job.status === 'succeeded' && elapsedMs - checkedAt > 2 * POLL_MS
        ? `check pass over (total shown) by ${seconds(checkedAt)}, write pass ~${seconds(elapsedMs - checkedAt)}`
        : 'the end of the check pass was not seen by any poll';
    return {
      figure: workFigure(job.inserted, elapsedMs / 1000),
      peakRss: peakReset ? peakRssBytes(product.pid) : rssMax,
      cpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
      detail:
        `202 after ${seconds(acceptedAt)}; ${checkPass}; succeeded seen at ${seconds(elapsedMs)}; ` +
        `slowest poll answer ${seconds(slowestPollMs)}; RSS before ${fmtMiB(rssBefore)}`,
      problems,
    };
  } finally {
    await product.stop();
  }
}

/** The baseline (bench/baselines/raw-import.ts) in its own process; its JSON result. */
async function rawImport(
  request: RawImportRequest,
  label: string,
  log: (line: string) => void,
): Promise<SideRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const proc = spawnNode({
    name: 'raw import',
    script: path.join('bench', 'baselines', 'raw-import.ts'),
    args: [JSON.stringify(request)],
    env,
  });
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  proc.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const info = await within(proc.exited, IMPORT_TIMEOUT_MS);
  if (!info) {
    await proc.stop(1_000);
    throw new Error(
      `the raw import (${request.store}) did not finish within ${IMPORT_TIMEOUT_MS / 60_000} min`,
    );
  }
  if (info.code !== 0)
    throw new Error(`the raw import ${describeExit(info)}: ${stderr.trim() || '(no stderr)'}`);
  let result: RawImportResult;
  try {
    result = JSON.parse(stdout) as RawImportResult;
  } catch {
    throw new Error(`the raw import printed no result: ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`);
  }
  const problems =
    result.rows === ROWS && result.itemsStored === ROWS && result.barcodesStored === ROWS
      ? []
      : [
          `baseline read ${result.rows} rows and stored ${result.itemsStored} items, ` +
            `${result.barcodesStored} barcodes; expected ${fmtInt(ROWS)}`,
        ];
  log(`  ${label}: baseline stored ${fmtInt(result.itemsStored)} items in ${seconds(result.seconds * 1000)}`);
  return {
    figure: workFigure(result.itemsStored, result.seconds),
    peakRss: result.peakRssBytes,
    cpuSeconds: result.cpuSeconds,
    detail: null,
    problems,
  };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function cpuPerRow(runs: SideRun[]): string {
  const cpu = runs.map((run) => run.cpuSeconds);
  if (cpu.some((value) => value === null)) return '?';
  const rows = sum(runs.map((run) => run.figure.work));
  return rows > 0 ? `${fmtInt((sum(cpu as number[]) * 1e6) / rows)} µs/row` : '?';
}

function peak(runs: SideRun[]): number | null {
  const known = runs.flatMap((run) => (run.peakRss === null ? [] : [run.peakRss]));
  return known.length > 0 ? Math.max(...known) : null;
}

/** The rounds of each side as one figure (all rows over all seconds), with what each round showed. */
function compareSides(
  label: string,
  product: SideRun[],
  baseline: SideRun[],
  extra: string[],
): WorkComparison {
  const total = (runs: SideRun[]) =>
    workFigure(sum(runs.map((run) => run.figure.work)), sum(runs.map((run) => run.figure.seconds)));
  const perRound = (runs: SideRun[]) => runs.map((run) => fmtInt(run.figure.perSecond)).join(' / ');
  const ratios = product.map((run, index) => {
    const other = baseline[index]?.figure.perSecond ?? 0;
    return other > 0 ? (run.figure.perSecond / other).toFixed(2) : '-';
  });
  return workComparison({
    label,
    unit: 'rows',
    product: total(product),
    baseline: total(baseline),
    notes: [
      `rows/s per round (product, baseline alternating): product ${perRound(product)}; ` +
        `baseline ${perRound(baseline)}; ratio ${ratios.join(', ')}`,
      ...product.map((run, index) => `product round ${index + 1}: ${run.detail}`),
      `product server: peak RSS during an import ${fmtMiB(peak(product))}; CPU ${cpuPerRow(product)}`,
      `baseline process: peak RSS ${fmtMiB(peak(baseline))}; CPU ${cpuPerRow(baseline)}`,
      ...extra,
    ],
    problems: [
      ...product.flatMap((run, index) =>
        run.problems.map((problem) => `product round ${index + 1}: ${problem}`),
      ),
      ...baseline.flatMap((run, index) =>
        run.problems.map((problem) => `baseline round ${index + 1}: ${problem}`),
      ),
    ],
  });
}

/** The connection string of a schema: every session's search_path is set to it. */
function schemaUrl(base: string, schema: string): string {
  return `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/**
 * Rows per second of a 200,000-row items CSV (item_code, name, category, base_uom, unit_cost, one
 * EAN-13 barcode; every row valid and new) imported through the product's API, on SQLite and on
 * PostgreSQL, each against a raw-driver insert of the same rows in one transaction.
 */
export const importItems: Benchmark = {
  name: 'import',
  description: `rows/s importing a ${fmtInt(ROWS)}-row items CSV through POST /api/imports vs raw driver inserts`,
  product:
    'product POST /api/imports (multipart, kind=items), polled until succeeded; fresh product on SQLite, ' +
    'then on a fresh PostgreSQL schema',
  baseline:
    'the same CSV read with split() and inserted in one transaction: better-sqlite3 prepared inserts / pg ' +
    '1,000-row INSERTs (bench/baselines/raw-import.ts, own process)',
  aim: 0.5,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const cleanup = new Cleanup();
    try {
      const csv = path.join(workdir, 'items.csv');
      const madeAt = performance.now();
      const bytes = writeItemsCsv(csv, ROWS);
      log(
        `  ${csv}: ${fmtInt(ROWS)} rows, ${fmtMiB(bytes)}, written in ${seconds(performance.now() - madeAt)}`,
      );
      const results: WorkComparison[] = [];
      const rounds = settings.rounds;

      // SQLite: each round a fresh product (fresh data dir), then a fresh database for the baseline.
      const sqlite = { product: [] as SideRun[], baseline: [] as SideRun[] };
      for (let round = 1; round <= rounds; round += 1) {
        const label = `sqlite round ${round}`;
        sqlite.product.push(
          await productImport({
            label,
            workdir: path.join(workdir, `sqlite-${round}`),
            csv,
            settings,
            cpuProfileDir,
            log,
          }),
        );
        sqlite.baseline.push(
          await rawImport(
            { csv, store: 'sqlite', file: path.join(workdir, `raw-${round}.sqlite`) },
            label,
            log,
          ),
        );
      }
      results.push(compareSides('sqlite', sqlite.product, sqlite.baseline, []));

      // PostgreSQL: each round a fresh schema per side, dropped after the round (and at the end).
      const admin = new pg.Client({ connectionString: settings.pgUrl });
      await admin.connect();
      cleanup.add('close the PostgreSQL connection', () => admin.end());
      const drop = async (schema: string) => {
        await admin.query(`drop schema if exists ${schema} cascade`);
      };
      // Each side starts with nothing left to flush from the previous one's writes.
      let checkpoints = true;
      const checkpoint = async () => {
        try {
          await admin.query('checkpoint');
        } catch {
          checkpoints = false;
        }
      };
      const postgres = { product: [] as SideRun[], baseline: [] as SideRun[] };
      for (let round = 1; round <= rounds; round += 1) {
        const label = `postgres round ${round}`;
        const stamp = `${process.pid}_${Date.now()}`;
        const schemas = { product: `bench_import_${stamp}_product`, baseline: `bench_import_${stamp}_raw` };
        for (const schema of Object.values(schemas)) {
          await admin.query(`create schema ${schema}`);
          cleanup.add(`drop schema ${schema}`, () => drop(schema));
        }
        await checkpoint();
        postgres.product.push(
          await productImport({
            label,
            workdir: path.join(workdir, `postgres-${round}`),
            csv,
            settings,
            cpuProfileDir,
            databaseUrl: schemaUrl(settings.pgUrl, schemas.product),
            log,
          }),
        );
        await checkpoint();
        postgres.baseline.push(
          await rawImport(
            { csv, store: 'postgres', url: settings.pgUrl, schema: schemas.baseline },
            label,
            log,
          ),
        );
        await drop(schemas.product);
        await drop(schemas.baseline);
      }
      results.push(
        compareSides('postgres', postgres.product, postgres.baseline, [
          `PostgreSQL's own CPU is on neither side's figure; ${checkpoints ? 'a CHECKPOINT before each side' : 'CHECKPOINT refused (not a superuser)'}`,
        ]),
      );
      return results;
    } finally {
      await cleanup.run();
    }
  },
};
