import { cpuSeconds } from './cpu.ts';
import { fmtInt, fmtMs } from './format.ts';
import { runLoad } from './load.ts';
import type { LoadRequest, LoadSummary } from './load-types.ts';

/** One side of a comparison: what autocannon sends, and to whom. */
export interface LoadTarget {
  url: string;
  method: LoadRequest['method'];
  headers: Record<string, string>;
  body?: string;
  /** A file of request paths, one a line: the requests cycle over them (see LoadRequest). */
  pathsFile?: string;
  /** With pathsFile: the request bodies, line for line (see LoadRequest). */
  bodiesFile?: string;
  /** The server's process id, to account its CPU time per request (Linux /proc). */
  pid?: number;
}

export interface CompareSettings {
  warmupSeconds: number;
  durationSeconds: number;
  rounds: number;
  connections: number;
}

export interface RoundResult {
  reqPerSec: number;
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** CPU seconds the server used during the round, or null where unknown. */
  cpuSeconds: number | null;
}

export interface TargetResult {
  url: string;
  /** Measured rounds only (the warm-up is not counted). */
  requests: number;
  seconds: number;
  /** Requests of all rounds over their seconds. */
  reqPerSec: number;
  /** Mean of the rounds' medians. */
  p50Ms: number;
  /** The worst round's p99. */
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Server CPU time per completed request, µs (null without /proc). Steadier than req/s. */
  cpuUsPerRequest: number | null;
  /** Server CPU seconds per second of load: ~1 means one core saturated. */
  cpuLoad: number | null;
  rounds: RoundResult[];
  warmup: RoundResult | null;
}

export interface Comparison {
  kind: 'requests';
  /** Which case of the benchmark this is ('sqlite', 'postgres'); null when it has only one. */
  label: string | null;
  /** What one request is, plural ('req', or 'writes' when every request is one); shown as `<unit>/s`. */
  unit: string;
  settings: CompareSettings;
  product: TargetResult;
  baseline: TargetResult;
  /** product req/s ÷ baseline req/s over all rounds. */
  ratio: number;
  /** The same ratio per round pair, to show how steady it was. */
  roundRatios: number[];
  /**
   * Baseline CPU per request ÷ product CPU per request: the throughput ratio the two would
   * reach on a quiet machine if both were CPU-bound on one core. Null without /proc.
   */
  cpuRatio: number | null;
  /** Printed under the figures (what a benchmark checked after the load): facts, not verdicts. */
  notes: string[];
  /**
   * False when any load (warm-up included) saw an error or a non-2xx response, or the benchmark
   * found afterwards that the work was not done as asked (it adds to `problems`).
   */
  valid: boolean;
  problems: string[];
}

type Side = 'product' | 'baseline';

interface Measured {
  summary: LoadSummary;
  cpuSeconds: number | null;
}

function roundOf({ summary, cpuSeconds }: Measured): RoundResult {
  return {
    reqPerSec: summary.reqPerSec,
    requests: summary.requests,
    seconds: summary.seconds,
    p50Ms: summary.latencyMs.p50,
    p99Ms: summary.latencyMs.p99,
    non2xx: summary.non2xx,
    errors: summary.errors,
    cpuSeconds,
  };
}

function aggregate(url: string, warmup: Measured | null, measured: Measured[]): TargetResult {
  const rounds = measured.map((round) => round.summary);
  const cpuKnown = measured.every((round) => round.cpuSeconds !== null) && measured.length > 0;
  const cpu = measured.reduce((sum, round) => sum + (round.cpuSeconds ?? 0), 0);
  const requests = rounds.reduce((sum, round) => sum + round.requests, 0);
  const seconds = rounds.reduce((sum, round) => sum + round.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const round of rounds) {
    for (const [status, count] of Object.entries(round.statusCodes)) {
      statusCodes[status] = (statusCodes[status] ?? 0) + count;
    }
  }
  return {
    url,
    requests,
    seconds,
    reqPerSec: seconds > 0 ? requests / seconds : 0,
    p50Ms: rounds.reduce((sum, round) => sum + round.latencyMs.p50, 0) / Math.max(rounds.length, 1),
    p99Ms: Math.max(0, ...rounds.map((round) => round.latencyMs.p99)),
    non2xx: rounds.reduce((sum, round) => sum + round.non2xx, 0),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    timeouts: rounds.reduce((sum, round) => sum + round.timeouts, 0),
    statusCodes,
    cpuUsPerRequest: cpuKnown && requests > 0 ? (cpu * 1e6) / requests : null,
    cpuLoad: cpuKnown && seconds > 0 ? cpu / seconds : null,
    rounds: measured.map(roundOf),
    warmup: warmup ? roundOf(warmup) : null,
  };
}

function problemsOf(side: Side, phase: string, summary: LoadSummary): string[] {
  const problems: string[] = [];
  if (summary.non2xx > 0) {
    const codes = Object.entries(summary.statusCodes)
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, count]) => `${status} ×${count}`)
      .join(', ');
    problems.push(`${side}: ${fmtInt(summary.non2xx)} non-2xx responses in ${phase} (${codes})`);
  }
  if (summary.errors > 0) {
    problems.push(
      `${side}: ${fmtInt(summary.errors)} errors in ${phase} (${fmtInt(summary.timeouts)} timeouts, ${fmtInt(summary.resets)} resets)`,
    );
  }
  if (summary.requests === 0) problems.push(`${side}: no request completed in ${phase}`);
  return problems;
}

/**
 * Loads product and baseline from a separate process, one at a time so neither competes with
 * the other for the two cores: a warm-up of each, then rounds alternating product, baseline,
 * product, baseline… Alternating spreads the machine's drift over both sides; the ratio of
 * the two totals is the figure to quote.
 */
export async function compare(
  targets: Record<Side, LoadTarget>,
  settings: CompareSettings,
  log: (line: string) => void,
  options: { label?: string; unit?: string } = {},
): Promise<Comparison> {
  const label = options.label ?? null;
  const unit = options.unit ?? 'req';
  const problems: string[] = [];
  const load = async (side: Side, phase: string, seconds: number): Promise<Measured> => {
    const target = targets[side];
    const cpuBefore = target.pid === undefined ? null : cpuSeconds(target.pid);
    const summary = await runLoad({
      url: target.url,
      method: target.method,
      headers: target.headers,
      ...(target.body !== undefined ? { body: target.body } : {}),
      ...(target.pathsFile !== undefined ? { pathsFile: target.pathsFile } : {}),
      ...(target.bodiesFile !== undefined ? { bodiesFile: target.bodiesFile } : {}),
      connections: settings.connections,
      duration: seconds,
    });
    const cpuAfter = target.pid === undefined ? null : cpuSeconds(target.pid);
    const cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
    const found = problemsOf(side, phase, summary);
    problems.push(...found);
    log(
      `  ${label ? `${label} ` : ''}${phase.padEnd(9)} ${side.padEnd(8)} ${fmtInt(summary.reqPerSec).padStart(8)} ${unit}/s` +
        `  p50 ${fmtMs(summary.latencyMs.p50)}  p99 ${fmtMs(summary.latencyMs.p99)}` +
        (cpu !== null && summary.requests > 0
          ? `  server CPU ${fmtInt((cpu * 1e6) / summary.requests)} µs/${unit.replace(/ies$/, 'y').replace(/s$/, '')} (${(cpu / summary.seconds).toFixed(2)} cores)`
          : '') +
        (found.length > 0 ? `  !! ${found.length} problem(s)` : ''),
    );
    return { summary, cpuSeconds: cpu };
  };

  const warmups: Record<Side, Measured | null> = { product: null, baseline: null };
  if (settings.warmupSeconds > 0) {
    warmups.product = await load('product', 'warm-up', settings.warmupSeconds);
    warmups.baseline = await load('baseline', 'warm-up', settings.warmupSeconds);
  }
  const rounds: Record<Side, Measured[]> = { product: [], baseline: [] };
  for (let round = 1; round <= settings.rounds; round++) {
    rounds.product.push(await load('product', `round ${round}`, settings.durationSeconds));
    rounds.baseline.push(await load('baseline', `round ${round}`, settings.durationSeconds));
  }

  const product = aggregate(targets.product.url, warmups.product, rounds.product);
  const baseline = aggregate(targets.baseline.url, warmups.baseline, rounds.baseline);
  const roundRatios = rounds.product.map(({ summary }, index) => {
    const other = rounds.baseline[index]?.summary.reqPerSec ?? 0;
    return other > 0 ? summary.reqPerSec / other : 0;
  });
  const cpuRatio =
    product.cpuUsPerRequest !== null && baseline.cpuUsPerRequest !== null && product.cpuUsPerRequest > 0
      ? baseline.cpuUsPerRequest / product.cpuUsPerRequest
      : null;
  return {
    kind: 'requests',
    label,
    unit,
    settings,
    product,
    baseline,
    ratio: baseline.reqPerSec > 0 ? product.reqPerSec / baseline.reqPerSec : 0,
    roundRatios,
    cpuRatio,
    notes: [],
    valid: problems.length === 0,
    problems,
  };
}
