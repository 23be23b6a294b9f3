import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redactUrl } from '../server/src/platform/db/database.ts';
import { auditAppend } from './audit-append.ts';
import { auditVerify } from './audit-verify.ts';
import { authMe } from './auth-me.ts';
import { countEntry } from './count-entry.ts';
import { erpSync } from './erp-sync.ts';
import { flagEval } from './flag-eval.ts';
import { importItems } from './import.ts';
import { ipFilter } from './ip-filter.ts';
import type { Benchmark, BenchResult } from './lib/benchmark.ts';
import type { Comparison, TargetResult } from './lib/compare.ts';
import { fmtInt, fmtMs, fmtRatio, heading, table } from './lib/format.ts';
import { RESULTS_DIR } from './lib/paths.ts';
import { stopAll } from './lib/processes.ts';
import { loadSettings, type Settings, SettingsError } from './lib/settings.ts';
import type { WorkComparison } from './lib/work.ts';
import { lookup } from './lookup.ts';
import { mixedLoad } from './mixed-load.ts';
import { retention } from './retention.ts';
import { sessionStart } from './session-start.ts';
import { syncBatch } from './sync-batch.ts';

/**
 * `npm run bench [-- name…]`: runs the benchmarks below (all, or those named), each comparing
 * the product with a baseline in the same run, and prints the ratio. Ratios are what we quote:
 * absolute figures drift on a shared 2-core machine. Aims are printed, never asserted; the exit
 * code is non-zero only when a benchmark crashed or its run was invalid (errors, non-2xx, work
 * not done as asked).
 */
const BENCHMARKS: readonly Benchmark[] = [
  authMe,
  lookup,
  importItems,
  auditVerify,
  auditAppend,
  ipFilter,
  countEntry,
  syncBatch,
  sessionStart,
  flagEval,
  erpSync,
  retention,
  mixedLoad,
];

type Status = 'ok' | 'invalid' | 'crashed';

/** One measured ratio: a benchmark has one, or one per case (e.g. per database). */
interface ResultRecord {
  /** The case, when a benchmark has several; null otherwise. */
  label: string | null;
  /** The throughput compared: 'req/s', 'rows/s', 'writes/s', … */
  unit: string;
  status: 'ok' | 'invalid';
  ratio: number;
  meets_aim: boolean;
  result: BenchResult;
}

interface BenchRecord {
  name: string;
  description: string;
  product: string;
  baseline: string;
  aim: number;
  /** crashed: it threw; invalid: at least one result measured failures. */
  status: Status;
  seconds: number;
  error: string | null;
  /** Kept for inspection when the benchmark did not pass (or BENCH_KEEP_TEMP=1). */
  workdir: string | null;
  cpu_profiles: string[];
  results: ResultRecord[];
}

function unitOf(result: BenchResult): string {
  return `${result.unit}/s`;
}

function labelOf(result: BenchResult): string | null {
  return result.label;
}

const write = (line = '') => process.stdout.write(`${line}\n`);

function usage(): string {
  const names = BENCHMARKS.map((bench) => `  ${bench.name.padEnd(12)} ${bench.description}`).join('\n');
  return (
    `usage: npm run bench [-- <name>...]\n\nbenchmarks:\n${names}\n\n` +
    'env: BENCH_DURATION (s per round, 8), BENCH_WARMUP (s, 3), BENCH_ROUNDS (per side, 2),\n' +
    '     BENCH_CONNECTIONS (10), BENCH_PROFILE=1 (CPU profile of the product), BENCH_KEEP_TEMP=1,\n' +
    '     BENCH_PG_URL (PostgreSQL for import, audit-verify, audit-append, count-entry, sync-batch,\n' +
    '     session-start, mixed-load;\n' +
    '     postgres://postgres@127.0.0.1:5432/test),\n' +
    '     BENCH_PRODUCT_ENV="NAME=value,..." (experiments only: product settings off their defaults)'
  );
}

function select(args: string[]): Benchmark[] {
  if (args.length === 0) return [...BENCHMARKS];
  const unknown = args.filter((name) => !BENCHMARKS.some((bench) => bench.name === name));
  if (unknown.length > 0) throw new SettingsError(`unknown benchmark: ${unknown.join(', ')}\n\n${usage()}`);
  return BENCHMARKS.filter((bench) => args.includes(bench.name));
}

function targetRow(label: string, target: TargetResult): string[] {
  return [
    label,
    fmtInt(target.reqPerSec),
    fmtMs(target.p50Ms),
    fmtMs(target.p99Ms),
    fmtInt(target.non2xx),
    fmtInt(target.errors),
    target.cpuUsPerRequest === null ? '-' : `${fmtInt(target.cpuUsPerRequest)} µs`,
    target.cpuLoad === null ? '-' : target.cpuLoad.toFixed(2),
    target.rounds.map((round) => fmtInt(round.reqPerSec)).join(' / '),
  ];
}

function verdict(ratio: number, aim: number): string {
  return ratio >= aim ? 'meets aim' : 'BELOW AIM';
}

function invalidBlock(headline: string, problems: readonly string[]): void {
  const bar = '!'.repeat(78);
  write();
  write(bar);
  write(`!! INVALID RUN: ${headline}`);
  for (const problem of problems) write(`!!   - ${problem}`);
  write(bar);
}

function reportRequests(bench: Benchmark, comparison: Comparison): void {
  const { product, baseline, label, unit } = comparison;
  const per = unit.replace(/ies$/, 'y').replace(/s$/, '');
  write();
  if (label) write(`  ${label}:`);
  write(
    `  ${comparison.settings.connections} connections; ${comparison.settings.warmupSeconds} s warm-up each, then ` +
      `${comparison.settings.rounds} × ${comparison.settings.durationSeconds} s per side, alternating`,
  );
  write(`  product : ${bench.product}`);
  write(`  baseline: ${bench.baseline}`);
  write();
  write(
    table([
      [
        '',
        `${unit}/s`,
        'p50',
        'p99 (worst)',
        'non-2xx',
        'errors',
        `CPU/${per}`,
        'CPU cores',
        `${unit}/s per round`,
      ],
      targetRow('product', product),
      targetRow('baseline', baseline),
    ])
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
  write();
  write(
    `  ${label ? `${label}: ` : ''}ratio product/baseline${unit === 'req' ? '' : ` ${unit}/s`}: ${fmtRatio(comparison.ratio)}` +
      `  (per round: ${comparison.roundRatios.map(fmtRatio).join(', ')})` +
      `  aim ≥ ${fmtRatio(bench.aim)}: ${verdict(comparison.ratio, bench.aim)}`,
  );
  if (comparison.cpuRatio !== null) {
    write(
      `  CPU-based ratio (baseline CPU/${per} ÷ product CPU/${per}): ${fmtRatio(comparison.cpuRatio)}` +
        ` (server CPU time per ${per === 'req' ? 'request' : per}, from /proc: steadier than ${unit}/s on a noisy machine)`,
    );
  }
  if (baseline.cpuLoad !== null && baseline.cpuLoad < 0.8) {
    write(
      `  note: the baseline used ${baseline.cpuLoad.toFixed(2)} cores: something other than its CPU set its pace ` +
        `(the load generator, or waits on the disk or the database), so its ${unit}/s may be a floor and the ` +
        'throughput ratio may flatter the product.',
    );
  }
  for (const note of comparison.notes) write(`    ${note}`);
  if (!comparison.valid) {
    invalidBlock(
      `${label ? `${label}: ` : ''}errors, non-2xx responses or work not done: the figures above measure failures.`,
      comparison.problems,
    );
  }
}

function reportWork(bench: Benchmark, results: readonly WorkComparison[]): void {
  write();
  write(`  product : ${bench.product}`);
  write(`  baseline: ${bench.baseline}`);
  write();
  const rows = results.flatMap((result) =>
    (['product', 'baseline'] as const).map((side) => [
      side === 'product' ? (result.label ?? '') : '',
      side,
      fmtInt(result[side].perSecond),
      `${fmtInt(result[side].work)} ${result.unit}`,
      `${result[side].seconds.toFixed(2)} s`,
    ]),
  );
  write(
    table([['', '', 'per second', 'work', 'time'], ...rows])
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
  for (const result of results) {
    write();
    write(
      `  ${result.label ? `${result.label}: ` : ''}ratio product/baseline ${unitOf(result)}: ${fmtRatio(result.ratio)}` +
        `  aim ≥ ${fmtRatio(bench.aim)}: ${verdict(result.ratio, bench.aim)}`,
    );
    for (const note of result.notes) write(`    ${note}`);
    if (!result.valid) {
      invalidBlock(
        `${result.label ? `${result.label}: ` : ''}the work was not done as asked: the figures above measure a failure.`,
        result.problems,
      );
    }
  }
}

function report(bench: Benchmark, results: readonly BenchResult[]): void {
  const work: WorkComparison[] = [];
  for (const result of results) {
    if (result.kind === 'requests') reportRequests(bench, result);
    else work.push(result);
  }
  if (work.length > 0) reportWork(bench, work);
}

/** The CPU profiles written under `dir`, in sub-directories too (one per process of a case). */
function listProfiles(dir: string | null): string[] {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.cpuprofile'))
    .sort()
    .map((file) => path.join(dir, file));
}

async function runOne(bench: Benchmark, settings: Settings, stamp: string): Promise<BenchRecord> {
  write(heading(`${bench.name}: ${bench.description}`));
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `stock-verify-bench-${bench.name}-`));
  const cpuProfileDir = settings.profile
    ? path.join(RESULTS_DIR, 'profiles', `${bench.name}-${stamp}`)
    : null;
  if (cpuProfileDir) fs.mkdirSync(cpuProfileDir, { recursive: true });
  const started = performance.now();
  const record: BenchRecord = {
    name: bench.name,
    description: bench.description,
    product: bench.product,
    baseline: bench.baseline,
    aim: bench.aim,
    status: 'crashed',
    seconds: 0,
    error: null,
    workdir: null,
    cpu_profiles: [],
    results: [],
  };
  try {
    const outcome = await bench.run({ settings, workdir, cpuProfileDir, log: write });
    const results = Array.isArray(outcome) ? outcome : [outcome];
    if (results.length === 0) throw new Error(`${bench.name} returned no result`);
    record.results = results.map((result) => ({
      label: labelOf(result),
      unit: unitOf(result),
      status: result.valid ? 'ok' : 'invalid',
      ratio: result.ratio,
      meets_aim: result.ratio >= bench.aim,
      result,
    }));
    record.status = results.every((result) => result.valid) ? 'ok' : 'invalid';
    report(bench, results);
  } catch (error) {
    record.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    write();
    write(`  CRASHED: ${record.error}`);
  }
  record.seconds = Math.round((performance.now() - started) / 100) / 10;
  record.cpu_profiles = listProfiles(cpuProfileDir);
  for (const profile of record.cpu_profiles) write(`  product CPU profile: ${profile}`);
  if (record.status === 'ok' && !settings.keepTemp) {
    fs.rmSync(workdir, { recursive: true, force: true });
  } else {
    record.workdir = workdir;
    write(`  kept ${workdir} (data, product.log, baseline.log)`);
  }
  return record;
}

function perSecond(result: BenchResult, side: 'product' | 'baseline'): number {
  return result.kind === 'requests' ? result[side].reqPerSec : result[side].perSecond;
}

function summaryRow(record: BenchRecord, entry: ResultRecord): string[] {
  const { result } = entry;
  const requests = result.kind === 'requests' ? result : null;
  return [
    entry.label ? `${record.name} ${entry.label}` : record.name,
    entry.status === 'ok' ? 'ok' : entry.status.toUpperCase(),
    entry.unit,
    fmtInt(perSecond(result, 'product')),
    fmtInt(perSecond(result, 'baseline')),
    requests ? fmtMs(requests.product.p99Ms) : '-',
    requests ? fmtMs(requests.baseline.p99Ms) : '-',
    fmtRatio(entry.ratio),
    requests?.cpuRatio == null ? '-' : fmtRatio(requests.cpuRatio),
    `≥ ${fmtRatio(record.aim)}`,
    verdict(entry.ratio, record.aim),
    `${record.seconds} s`,
  ];
}

function summary(records: BenchRecord[]): string {
  const rows = records.flatMap((record) => {
    if (record.results.length > 0) return record.results.map((entry) => summaryRow(record, entry));
    const none = Array<string>(7).fill('-');
    return [
      [
        record.name,
        record.status.toUpperCase(),
        ...none,
        `≥ ${fmtRatio(record.aim)}`,
        '-',
        `${record.seconds} s`,
      ],
    ];
  });
  return table([
    [
      'benchmark',
      'status',
      'unit',
      'product',
      'baseline',
      'product p99',
      'baseline p99',
      'ratio',
      'CPU ratio',
      'aim',
      'vs aim',
      'took',
    ],
    ...rows,
  ]);
}

async function main(): Promise<number> {
  let settings: Settings;
  let benches: Benchmark[];
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    write(usage());
    return 0;
  }
  try {
    settings = loadSettings();
    benches = select(args);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the servers and load workers\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }

  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  write(
    `Stock Verify benchmarks — node ${process.version}, ${os.cpus().length} cores, ` +
      `load average ${os
        .loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}`,
  );
  const overrides = Object.entries(settings.productEnv);
  if (overrides.length > 0) {
    write(
      `\n!! EXPERIMENT: the product runs with ${overrides.map(([k, v]) => `${k}=${v}`).join(', ')}` +
        ' (BENCH_PRODUCT_ENV), not its defaults: do not quote these figures.',
    );
  }
  const records: BenchRecord[] = [];
  for (const bench of benches) records.push(await runOne(bench, settings, stamp));

  write(heading('summary (ratio = product ÷ baseline throughput, in the unit shown, same run)'));
  write(summary(records));

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'latest.json');
  const results = {
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? null,
      load_average: os.loadavg(),
    },
    settings: { ...settings, pgUrl: redactUrl(settings.pgUrl) },
    benchmarks: records,
  };
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  write(`\nresults: ${path.relative(process.cwd(), file)}`);

  const failed = records.filter((record) => record.status !== 'ok');
  if (failed.length > 0) {
    write(`\n${failed.map((record) => `${record.name} ${record.status}`).join(', ')}: exit 1`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    await stopAll();
    process.exitCode = 1;
  },
);
