import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  prepareCrew,
  runTraffic,
  SCANS_PER_HOUR,
  seedMixedFloor,
  type TrafficResult,
} from '../../../bench/lib/mixed-traffic.ts';
import { openDb } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrator.ts';
import {
  emptyStore,
  killAllServers,
  type ServerProcess,
  startServer,
  waitForReady,
} from '../helpers/server-process.ts';
import { dialects } from '../helpers/test-app.ts';

/**
 * Soak: an hour of a counting floor compressed into a few minutes, against the product as a real
 * process, with its memory sampled every second. The crew: 12 counters at 650 scans an hour each
 * (7,800 lookups and 7,800 entries, heartbeats every minute, progress reads every two),
 * 2 supervisors reading every ~5 s and deciding a review line every minute, every counter signing
 * out and in again half-way, an items import every 15 minutes and a variance export every 10
 * (bench/lib/mixed-traffic.ts, the same model as `npm run bench -- mixed-load`). Pace 30: the hour
 * in 2 minutes when the machine keeps up; a slower machine takes longer, never does less.
 *
 * Memory, robust to GC noise: between full collections the heap used is mostly garbage (it climbs
 * by 100 MiB and more between two), so a per-second sample says little. The live set is what a
 * full collection leaves: the product runs with --trace-gc and every Mark-Compact's "after" size
 * is read from its output. The growth levels off when the largest of those in the last third of
 * the run is not above the largest of the middle third by more than heapMargin (the first third
 * is warm-up: JIT, caches, pools filling). RSS itself follows the heap's garbage up and down, so
 * what is held is the memory outside the V8 heap — RSS (/proc) minus the heap committed (metrics):
 * buffers, SQLite's cache, native modules — on its minimum per 10 s window, last third against
 * middle third, within nativeMargin. The per-second samples — RSS from /proc, heap used and total from GET /api/enterprise/metrics — and
 * the full collections are printed and written to soak-<dialect>.json under a temp dir.
 */

const COUNTERS = 12;
const SUPERVISORS = 2;
const PACE = 30;
const ITEMS = 600;
const SAMPLE_MS = 1_000;
const WINDOW_SAMPLES = 10;
const MiB = 1024 * 1024;
/** Allowed growth of the live heap (after a full GC), last third over middle third: 16 MiB or 10 %. */
const heapMargin = (middle: number) => Math.max(16 * MiB, middle * 0.1);
/** Native memory (RSS outside the V8 heap), last third over middle third: 32 MiB or 20 %. */
const nativeMargin = (middle: number) => Math.max(32 * MiB, middle * 0.2);

interface Sample {
  /** Seconds since the traffic started. */
  t: number;
  rss: number | null;
  heapUsed: number | null;
  heapTotal: number | null;
}

function rssOf(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function heapOf(url: string, token: string): Promise<{ used: number; total: number } | null> {
  try {
    const response = await fetch(`${url}/api/enterprise/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status !== 200) return null;
    const { metrics } = (await response.json()) as {
      metrics: { name: string; values: { value: number }[] }[];
    };
    const value = (name: string) => metrics.find((metric) => metric.name === name)?.values[0]?.value;
    const used = value('nodejs_heap_size_used_bytes');
    const total = value('nodejs_heap_size_total_bytes');
    return used === undefined || total === undefined ? null : { used, total };
  } catch {
    return null;
  }
}

/** Samples RSS (/proc) and the heap (the metrics endpoint) every second until stopped. */
function sampler(server: ServerProcess, token: string) {
  const samples: Sample[] = [];
  const started = performance.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const due = started + samples.length * SAMPLE_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      if (!running) break;
      const t = (performance.now() - started) / 1000;
      const rss = rssOf(server.child.pid!);
      const heap = await heapOf(server.url, token);
      samples.push({ t, rss, heapUsed: heap?.used ?? null, heapTotal: heap?.total ?? null });
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Resident memory outside the V8 heap (RSS − heap committed): buffers, SQLite, the allocator. */
function nativeOf(sample: Sample): number | null {
  return sample.rss === null || sample.heapTotal === null ? null : sample.rss - sample.heapTotal;
}

/** Per window of WINDOW_SAMPLES samples, the minimum of a field (nulls skipped). */
function windowMinima(samples: readonly Sample[], field: 'rss' | 'heapUsed' | 'native'): number[] {
  const minima: number[] = [];
  for (let start = 0; start + WINDOW_SAMPLES <= samples.length; start += WINDOW_SAMPLES) {
    const values = samples
      .slice(start, start + WINDOW_SAMPLES)
      .map((sample) => (field === 'native' ? nativeOf(sample) : sample[field]))
      .filter((value): value is number => value !== null);
    if (values.length > 0) minima.push(Math.min(...values));
  }
  return minima;
}

interface Levelling {
  minima: number[];
  middleMax: number;
  lastMax: number;
  margin: number;
}

function levelling(minima: number[], margin: (middle: number) => number): Levelling {
  const third = Math.floor(minima.length / 3);
  const middleMax = Math.max(...minima.slice(third, 2 * third));
  const lastMax = Math.max(...minima.slice(2 * third));
  return { minima, middleMax, lastMax, margin: margin(middleMax) };
}

/** A full collection from --trace-gc: when (ms of the process's life) and the heap it left. */
interface FullGc {
  ms: number;
  before: number;
  after: number;
}

/**
 * `[pid:0x…]   12345 ms: Mark-Compact 150.2 (170.1) -> 80.3 (172.5) MB, …` lines of the output,
 * of the main isolate only (worker threads, e.g. the log transport, trace their own heaps): the
 * isolate whose heap was the largest.
 */
function fullCollections(output: string): FullGc[] {
  const byIsolate = new Map<string, FullGc[]>();
  const pattern =
    /\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: Mark-Compact[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g;
  for (const match of output.matchAll(pattern)) {
    const isolate = match[1]!;
    const list = byIsolate.get(isolate) ?? [];
    byIsolate.set(isolate, list);
    list.push({ ms: Number(match[2]), before: Number(match[3]) * MiB, after: Number(match[4]) * MiB });
  }
  let main: FullGc[] = [];
  let largest = -1;
  for (const list of byIsolate.values()) {
    const peak = Math.max(...list.map((gc) => gc.before));
    if (peak > largest) [main, largest] = [list, peak];
  }
  return main;
}

/**
 * The live heap of the middle and the last third of the traffic: the largest size a full
 * collection left in that third; in a third without one, the smallest heap-used sample of the
 * third (never below the live set, so the check can only get stricter for the last third).
 */
function heapLevelling(
  collections: readonly FullGc[],
  samples: readonly Sample[],
  fromMs: number,
  toMs: number,
) {
  const third = (toMs - fromMs) / 3;
  const live = (from: number, to: number) => {
    const after = collections.filter((gc) => gc.ms >= from && gc.ms < to).map((gc) => gc.after);
    if (after.length > 0) return { source: 'full GC', bytes: Math.max(...after) };
    const used = samples
      .filter((sample) => sample.t * 1000 + fromMs >= from && sample.t * 1000 + fromMs < to)
      .map((sample) => sample.heapUsed)
      .filter((value): value is number => value !== null);
    return { source: 'smallest sample', bytes: Math.min(...used) };
  };
  const middle = live(fromMs + third, fromMs + 2 * third);
  const last = live(fromMs + 2 * third, toMs + 1);
  return {
    middle,
    last,
    middleMax: middle.bytes,
    lastMax: last.bytes,
    margin: heapMargin(middle.bytes),
  };
}

const mib = (bytes: number | null) => (bytes === null ? '   ?' : (bytes / MiB).toFixed(0).padStart(4));

/** The samples as a compact table: 6 per line, `t s rss/heap MiB`. */
function sampleTable(samples: readonly Sample[]): string {
  const cells = samples.map(
    (sample) => `${sample.t.toFixed(0).padStart(4)}s ${mib(sample.rss)}/${mib(sample.heapUsed)}`,
  );
  const lines = ['  t    RSS/heap-used MiB (every second)'];
  for (let i = 0; i < cells.length; i += 6) lines.push(`  ${cells.slice(i, i + 6).join('   ')}`);
  return lines.join('\n');
}

function trafficSummary(result: TrafficResult): string {
  const kinds = Object.entries(result.byKind)
    .map(([kind, latency]) => `${kind} ${latency?.count} (p99 ${latency?.p99.toFixed(0)} ms)`)
    .join(', ');
  return (
    `  ${result.requests} requests in ${result.seconds.toFixed(0)} s (${result.reqPerSec.toFixed(0)} req/s), ` +
    `${result.scans} scans, p50 ${result.latency.p50.toFixed(0)} ms, p99 ${result.latency.p99.toFixed(0)} ms; ` +
    `statuses ${JSON.stringify(result.statusCounts)}\n  ${kinds}`
  );
}

afterAll(() => {
  killAllServers();
});

describe.each(dialects())('soak on %s', (dialect) => {
  it(`an hour of ${COUNTERS} counters and ${SUPERVISORS} supervisors in ~2 minutes: memory levels off, no 5xx, nothing lost`, async () => {
    const store = await emptyStore(dialect);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-soak-'));
    try {
      // The floor goes into the migrated database before the product starts.
      const handle = openDb(
        dialect === 'sqlite'
          ? { databaseUrl: null, sqliteFile: path.join(store.dataDir, 'stock-verify.sqlite') }
          : { databaseUrl: store.env.DATABASE_URL!, pgPoolSize: 2 },
      );
      let floor: Awaited<ReturnType<typeof seedMixedFloor>>;
      try {
        await migrateToLatest(handle.db, handle.dialect);
        floor = await seedMixedFloor(handle.db, {
          items: ITEMS,
          locations: COUNTERS,
          timestamp: new Date().toISOString(),
        });
      } finally {
        await handle.close();
      }

      const adminPassword = `Soak-${randomBytes(18).toString('base64url')}`;
      const metricsToken = randomBytes(24).toString('base64url');
      // The process's clock for --trace-gc times: it starts (within a few ms) at the spawn.
      const spawnedAt = performance.now();
      const server = await startServer(
        {
          ...store.env,
          ADMIN_USERNAME: 'admin',
          ADMIN_PASSWORD: adminPassword,
          METRICS_TOKEN: metricsToken,
          // Behind a reverse proxy: each simulated handheld has its own address (X-Forwarded-For).
          TRUST_PROXY: 'loopback',
          LOG_LEVEL: 'WARN',
        },
        // A heap ceiling well above the live set (~75 MiB) makes full collections come every ~30 s
        // instead of every minute or two, so each third of the run has some; a leak shows sooner.
        { nodeArgs: ['--import', 'tsx', '--trace-gc', '--max-old-space-size=160'], ready: false },
      );
      // A start-up on a busy machine may take longer than startServer's 30 s.
      await waitForReady(server.port, server.child, 120_000);
      const plan = await prepareCrew(server.url, floor, {
        adminUsername: 'admin',
        adminPassword,
        counters: COUNTERS,
        supervisors: SUPERVISORS,
      });

      const memory = sampler(server, metricsToken);
      const trafficFromMs = performance.now() - spawnedAt;
      const result = await runTraffic({
        baseUrl: server.url,
        plan,
        pace: PACE,
        scansPerCounter: SCANS_PER_HOUR,
        extras: true,
        seed: 0x50a4,
        keepAcknowledged: true,
      });
      const trafficToMs = performance.now() - spawnedAt;
      // A few quiet seconds after the load: what the process keeps once the floor is idle.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await memory.stop();
      const samples = memory.samples;

      const collections = fullCollections(server.output());
      const heap = heapLevelling(collections, samples, trafficFromMs, trafficToMs);
      const heapMinima = windowMinima(samples, 'heapUsed');
      const rssMinima = windowMinima(samples, 'rss');
      const native = levelling(windowMinima(samples, 'native'), nativeMargin);
      const file = path.join(outDir, `soak-${dialect}.json`);
      fs.writeFileSync(
        file,
        `${JSON.stringify({ dialect, counters: COUNTERS, supervisors: SUPERVISORS, pace: PACE, traffic: { ...result, acknowledgedIds: undefined }, traffic_ms: [trafficFromMs, trafficToMs], heap, heap_minima: heapMinima, rss_minima: rssMinima, native, full_collections: collections, samples }, null, 1)}\n`,
      );
      process.stdout.write(
        `\nsoak on ${dialect}: ${COUNTERS} counters × ${SCANS_PER_HOUR} scans, ${SUPERVISORS} supervisors, pace ×${PACE}\n` +
          `${trafficSummary(result)}\n${sampleTable(samples)}\n` +
          `  heap used, minimum per 10 s window (MiB, from the metrics): ${heapMinima.map((v) => mib(v).trim()).join(' ')}\n` +
          `  full collections (--trace-gc; s into the traffic: MiB before → after):\n    ${collections
            .map(
              (gc) =>
                `${((gc.ms - trafficFromMs) / 1000).toFixed(0)}s: ${mib(gc.before).trim()}→${mib(gc.after).trim()}`,
            )
            .join('  ')}\n` +
          `    live heap: middle third ${mib(heap.middleMax).trim()} (${heap.middle.source}), last third ${mib(heap.lastMax).trim()} (${heap.last.source}), margin ${mib(heap.margin).trim()}\n` +
          `  RSS, minimum per 10 s window (MiB): ${rssMinima.map((v) => mib(v).trim()).join(' ')}\n` +
          `  RSS outside the V8 heap (RSS − heap total), minimum per 10 s window (MiB): ${native.minima.map((v) => mib(v).trim()).join(' ')}\n` +
          `    middle third max ${mib(native.middleMax).trim()}, last third max ${mib(native.lastMax).trim()}, margin ${mib(native.margin).trim()}\n` +
          `  samples: ${file}\n`,
      );

      // The process stayed up and answered everything as the API declares.
      expect(server.child.exitCode).toBeNull();
      expect(result.serverErrors).toBe(0);
      expect(result.connectionErrors).toBe(0);
      expect(result.unexpected).toEqual([]);
      expect(result.scans).toBe(COUNTERS * SCANS_PER_HOUR);
      expect(result.byKind['sign-in']?.count).toBe(COUNTERS);
      expect(result.byKind.import?.count).toBeGreaterThanOrEqual(3);
      expect(result.byKind.export?.count).toBeGreaterThanOrEqual(5);
      expect(result.byKind.decision?.count).toBeGreaterThan(0);

      // Memory: sampled throughout, full collections in each third, and the growth levels off.
      expect(samples.filter((sample) => sample.heapUsed !== null).length).toBeGreaterThan(
        samples.length * 0.9,
      );
      expect(native.minima.length).toBeGreaterThanOrEqual(9);
      expect(Number.isFinite(heap.middleMax) && Number.isFinite(heap.lastMax)).toBe(true);
      expect(heap.lastMax).toBeLessThanOrEqual(heap.middleMax + heap.margin);
      expect(native.lastMax).toBeLessThanOrEqual(native.middleMax + native.margin);

      // Stopped cleanly, then every acknowledged entry is stored, once.
      expect(await server.kill('SIGTERM')).toBe(0);
      const database = openDb(
        dialect === 'sqlite'
          ? { databaseUrl: null, sqliteFile: path.join(store.dataDir, 'stock-verify.sqlite') }
          : { databaseUrl: store.env.DATABASE_URL!, pgPoolSize: 2 },
      );
      try {
        const rows = await database.db
          .selectFrom('count_entries')
          .select('client_id')
          .where('session_id', '=', plan.countSessionId)
          .execute();
        const stored = new Set(rows.map((row) => row.client_id));
        expect(rows.length).toBe(stored.size);
        expect(result.acknowledgedIds.filter((id) => !stored.has(id))).toEqual([]);
        expect(rows.length).toBe(result.acknowledged);
      } finally {
        await database.close();
      }
    } finally {
      store.remove();
    }
    // About 3 minutes on a quiet machine; the bound is for a busy one (the work is fixed, not the time).
  }, 900_000);
});
