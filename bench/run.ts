import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authMe } from './auth-me.ts';
import type { Benchmark } from './lib/benchmark.ts';
import type { Comparison, TargetResult } from './lib/compare.ts';
import { fmtInt, fmtMs, fmtRatio, heading, table } from './lib/format.ts';
import { RESULTS_DIR } from './lib/paths.ts';
import { stopAll } from './lib/processes.ts';
import { loadSettings, type Settings, SettingsError } from './lib/settings.ts';

/**
 * `npm run bench [-- name…]`: runs the benchmarks below (all, or those named), each comparing
 * the product with a baseline in the same run, and prints the ratio. Ratios are what we quote:
 * absolute figures drift on a shared 2-core machine. Aims are printed, never asserted; the exit
 * code is non-zero only when a benchmark crashed or its run was invalid (errors, non-2xx).
 */
const BENCHMARKS: readonly Benchmark[] = [authMe];

type Status = 'ok' | 'invalid' | 'crashed';

interface BenchRecord {
  name: string;
  description: string;
  product: string;
  baseline: string;
  aim: number;
  status: Status;
  ratio: number | null;
  meets_aim: boolean | null;
  seconds: number;
  error: string | null;
  /** Kept for inspection when the benchmark did not pass (or BENCH_KEEP_TEMP=1). */
  workdir: string | null;
  cpu_profiles: string[];
  comparison: Comparison | null;
}

const write = (line = '') => process.stdout.write(`${line}\n`);

function usage(): string {
  const names = BENCHMARKS.map((bench) => `  ${bench.name.padEnd(12)} ${bench.description}`).join('\n');
  return (
    `usage: npm run bench [-- <name>...]\n\nbenchmarks:\n${names}\n\n` +
    'env: BENCH_DURATION (s per round, 8), BENCH_WARMUP (s, 3), BENCH_ROUNDS (per side, 2),\n' +
    '     BENCH_CONNECTIONS (10), BENCH_PROFILE=1 (CPU profile of the product), BENCH_KEEP_TEMP=1,\n' +
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

function report(bench: Benchmark, comparison: Comparison, settings: Settings): void {
  const { product, baseline } = comparison;
  write();
  write(
    `  ${settings.connections} connections; ${settings.warmupSeconds} s warm-up each, then ` +
      `${settings.rounds} × ${settings.durationSeconds} s per side, alternating`,
  );
  write(`  product : ${bench.product}`);
  write(`  baseline: ${bench.baseline}`);
  write();
  write(
    table([
      ['', 'req/s', 'p50', 'p99 (worst)', 'non-2xx', 'errors', 'CPU/req', 'CPU cores', 'req/s per round'],
      targetRow('product', product),
      targetRow('baseline', baseline),
    ])
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
  write();
  write(
    `  ratio product/baseline: ${fmtRatio(comparison.ratio)}` +
      `  (per round: ${comparison.roundRatios.map(fmtRatio).join(', ')})` +
      `  aim ≥ ${fmtRatio(bench.aim)}: ${verdict(comparison.ratio, bench.aim)}`,
  );
  if (comparison.cpuRatio !== null) {
    write(
      `  CPU-based ratio (baseline CPU/req ÷ product CPU/req): ${fmtRatio(comparison.cpuRatio)}` +
        ' (server CPU time per request, from /proc: steadier than req/s on a noisy machine)',
    );
  }
  if (baseline.cpuLoad !== null && baseline.cpuLoad < 0.8) {
    write(
      `  note: the baseline used ${baseline.cpuLoad.toFixed(2)} cores: the load generator, not the baseline, ` +
        'set its pace, so its req/s is a floor and the throughput ratio flatters the product.',
    );
  }
  if (!comparison.valid) {
    const bar = '!'.repeat(78);
    write();
    write(bar);
    write('!! INVALID RUN: errors or non-2xx responses: the figures above measure failures.');
    for (const problem of comparison.problems) write(`!!   - ${problem}`);
    write(bar);
  }
}

function listProfiles(dir: string | null): string[] {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
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
    ratio: null,
    meets_aim: null,
    seconds: 0,
    error: null,
    workdir: null,
    cpu_profiles: [],
    comparison: null,
  };
  try {
    const comparison = await bench.run({ settings, workdir, cpuProfileDir, log: write });
    record.comparison = comparison;
    record.ratio = comparison.ratio;
    record.meets_aim = comparison.ratio >= bench.aim;
    record.status = comparison.valid ? 'ok' : 'invalid';
    report(bench, comparison, settings);
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

function summary(records: BenchRecord[]): string {
  const rows = records.map((record) => {
    const comparison = record.comparison;
    return [
      record.name,
      record.status === 'ok' ? 'ok' : record.status.toUpperCase(),
      comparison ? fmtInt(comparison.product.reqPerSec) : '-',
      comparison ? fmtInt(comparison.baseline.reqPerSec) : '-',
      comparison ? fmtMs(comparison.product.p99Ms) : '-',
      comparison ? fmtMs(comparison.baseline.p99Ms) : '-',
      record.ratio === null ? '-' : fmtRatio(record.ratio),
      comparison?.cpuRatio == null ? '-' : fmtRatio(comparison.cpuRatio),
      `≥ ${fmtRatio(record.aim)}`,
      record.ratio === null ? '-' : verdict(record.ratio, record.aim),
      `${record.seconds} s`,
    ];
  });
  return table([
    [
      'benchmark',
      'status',
      'product req/s',
      'baseline req/s',
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

  write(heading('summary (ratio = product req/s ÷ baseline req/s, same run)'));
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
    settings,
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
