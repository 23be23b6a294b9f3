import fs from 'node:fs';
import { runTraffic, type TrafficPlan, type TrafficResult } from './mixed-traffic.ts';

/**
 * The mixed-load generator in its own process (bench/mixed-load.ts), so the simulated floor never
 * shares an event loop with the server it measures. Input: a MixedRamp as JSON in argv[2]; the
 * plan (tokens of the signed-in crew) is read from a file. It runs a warm-up, the realistic pace,
 * then the pace doubled step by step until a step's p99 exceeds the threshold or a step answered
 * anything unexpected, then one step between the last good pace and the first bad one (when
 * even pace 1 fails, the pace is halved down to 1/8 instead). Output:
 * the steps (MixedRampResult) as JSON on stdout. Loopback targets only.
 */

export interface MixedRamp {
  baseUrl: string;
  planFile: string;
  warmupSeconds: number;
  /** The first measured step, at pace 1 (a real floor). */
  realisticSeconds: number;
  stepSeconds: number;
  /** The pace after pace 1: doubled each step up to maxPace. */
  maxPace: number;
  thresholdMs: number;
  seed: number;
}

export type StepResult = Omit<TrafficResult, 'acknowledgedIds'>;

export interface MixedRampResult {
  warmup: StepResult | null;
  steps: StepResult[];
}

function fail(message: string): never {
  process.stderr.write(`mixed-worker: ${message}\n`);
  process.exit(2);
}

const raw = process.argv[2];
if (!raw) fail('expected the ramp as JSON in the first argument');
const ramp = JSON.parse(raw) as MixedRamp;
const url = new URL(ramp.baseUrl);
if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
  fail(`refusing to load ${ramp.baseUrl}: only http on loopback`);
}
const plan = JSON.parse(fs.readFileSync(ramp.planFile, 'utf8')) as TrafficPlan;

let seed = ramp.seed;
const step = async (pace: number, seconds: number): Promise<StepResult> => {
  const { acknowledgedIds: _ids, ...result } = await runTraffic({
    baseUrl: ramp.baseUrl,
    plan,
    pace,
    seconds,
    seed: seed++,
  });
  process.stderr.write(
    `  pace ×${pace < 1 ? pace.toFixed(2) : pace.toFixed(1)}: ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.latency.p99.toFixed(1)} ms\n`,
  );
  return result;
};
const good = (result: StepResult) =>
  result.latency.p99 <= ramp.thresholdMs && result.unexpectedCount === 0 && result.requests > 0;

const warmup = ramp.warmupSeconds > 0 ? await step(2, ramp.warmupSeconds) : null;
const steps: StepResult[] = [await step(1, ramp.realisticSeconds)];
let lastGood = good(steps[0] as StepResult) ? 1 : 0;
let firstBad = lastGood === 0 ? 1 : 0;
for (let pace = 2; lastGood > 0 && pace <= ramp.maxPace; pace *= 2) {
  const result = await step(pace, ramp.stepSeconds);
  steps.push(result);
  if (good(result)) lastGood = pace;
  else {
    firstBad = pace;
    break;
  }
}
// Not even a real floor's pace held: slower, halving, to find what is held (reported as such).
for (let pace = 0.5; lastGood === 0 && pace >= 0.125; pace /= 2) {
  const result = await step(pace, ramp.stepSeconds * 2);
  steps.push(result);
  if (good(result)) lastGood = pace;
  else firstBad = pace;
}
// One finer step between the last good pace and the first bad one (√2 apart from each).
if (lastGood > 0 && firstBad > 0) {
  steps.push(await step(Math.sqrt(lastGood * firstBad), ramp.stepSeconds));
}
const out: MixedRampResult = { warmup, steps };
process.stdout.write(`${JSON.stringify(out)}\n`);
