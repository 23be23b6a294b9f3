import { hash } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { createAuditTrail } from '../server/src/modules/audit/audit.service.ts';
import { loadOrCreateSigningKey } from '../server/src/modules/audit/checkpoint-signing.ts';
import { type Checkpointer, createCheckpointer } from '../server/src/modules/audit/checkpoints.ts';
import { canonicalEntry } from '../server/src/modules/audit/entry-hash.ts';
import { verifyIntegrity } from '../server/src/modules/audit/verify.ts';
import { ManualClock, systemClock } from '../server/src/platform/clock.ts';
import { type DbHandle, openDb } from '../server/src/platform/db/database.ts';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { systemIds } from '../server/src/platform/ids.ts';
import { benchContext, benchEvent } from './lib/audit-events.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { fmtInt } from './lib/format.ts';
import { fmtMiB } from './lib/memory.ts';
import { scratchSchemas } from './lib/postgres.ts';
import type { Settings } from './lib/settings.ts';
import { type WorkComparison, type WorkFigure, workComparison, workFigure } from './lib/work.ts';

const ENTRIES = 200_000;
const CHECKPOINT_EVERY = 10_000;
/** Entries committed per transaction while filling the log (setup, not timed). */
const PER_TRANSACTION = 1_000;
/** Entries per trail.append call: one request's context (user, request id) each. */
const PER_APPEND = 20;
/** The verifier's prefix of an entry hash (the log is written with AUDIT_HASH_ALGORITHM=sha256). */
const PREFIX = 'sha256:';
/** Rows read at a time when the baseline loads the log into memory (not timed). */
const READ_BATCH = 10_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** One verification by one side. */
interface SideRun {
  figure: WorkFigure;
  /** CPU seconds of this process over the run (the database server's own is not counted). */
  cpuSeconds: number;
  problems: string[];
}

interface Case {
  label: 'sqlite' | 'postgres';
  database: DbHandle;
  checkpointer: Checkpointer;
}

function cpuNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Fills a migrated, empty database with ENTRIES entries through the real trail (trail.append in
 * the caller's transaction, PER_TRANSACTION entries per transaction, a new request context every
 * PER_APPEND), and a signed checkpoint every CHECKPOINT_EVERY entries, as the product's
 * checkpointer makes them (Merkle root signed with Ed25519, copied to the outside file).
 */
async function fill(
  database: DbHandle,
  checkpointer: Checkpointer,
  clock: ManualClock,
): Promise<{ ms: number; checkpoints: number }> {
  const started = performance.now();
  const trail = createAuditTrail({ database, clock, ids: systemIds, enabled: true, algorithm: 'sha256' });
  let checkpoints = 0;
  for (let done = 0; done < ENTRIES; done += PER_TRANSACTION) {
    await database.db.transaction().execute(async (trx) => {
      for (let first = done; first < done + PER_TRANSACTION; first += PER_APPEND) {
        const events = Array.from({ length: PER_APPEND }, (_, k) => benchEvent(first + k));
        await trail.append(trx, benchContext(first / PER_APPEND), events);
        // About a working week for the whole log.
        clock.advance(1_000 + ((first * 7919) % 4_000));
      }
    });
    const size = done + PER_TRANSACTION;
    if (size % CHECKPOINT_EVERY === 0) {
      const checkpoint = await checkpointer.checkpointNow(size);
      if (checkpoint?.tree_size !== size) throw new Error(`no checkpoint was signed at tree size ${size}`);
      checkpoints += 1;
    }
  }
  return { ms: performance.now() - started, checkpoints };
}

/** What the product is timed on: verifyIntegrity over the whole log, as GET …/verify-integrity runs it. */
async function productRun(
  subject: Case,
  round: string,
  profileFile: string | null,
  session: Session | null,
): Promise<SideRun> {
  if (session && profileFile) await session.post('Profiler.start');
  const cpuBefore = cpuNow();
  const started = performance.now();
  const report = await verifyIntegrity(
    { db: subject.database.db, clock: systemClock, checkpointer: subject.checkpointer },
    {},
  );
  const elapsed = performance.now() - started;
  const cpu = cpuNow() - cpuBefore;
  if (session && profileFile) {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(profileFile, JSON.stringify(profile));
  }
  const problems: string[] = [];
  if (!report.valid) {
    problems.push(
      `${round}: verification says the log is damaged: ${report.first_bad?.kind}: ${report.first_bad?.message}`,
    );
  }
  if (report.checked !== ENTRIES)
    problems.push(`${round}: checked ${report.checked} entries, not ${ENTRIES}`);
  if (report.checkpoints_checked !== ENTRIES / CHECKPOINT_EVERY) {
    problems.push(
      `${round}: compared ${report.checkpoints_checked} signed roots, not ${ENTRIES / CHECKPOINT_EVERY}`,
    );
  }
  return { figure: workFigure(report.checked, elapsed / 1000), cpuSeconds: cpu, problems };
}

/**
 * The floor: the same entries already in memory as their canonical bytes (read and built before
 * the clock starts), then one plain loop of one-shot SHA-256 over them, each digest compared with
 * the stored hash. No database, no chain links, no Merkle tree, no checkpoints.
 */
async function baselineRun(subject: Case, round: string): Promise<SideRun & { bytes: number }> {
  const entries: Buffer[] = [];
  const expected: string[] = [];
  let bytes = 0;
  for (let after = 0; ; ) {
    const rows = await subject.database.db
      .selectFrom('enterprise_audit_logs')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(READ_BATCH)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const canonical = Buffer.from(canonicalEntry(row), 'utf8');
      bytes += canonical.length;
      entries.push(canonical);
      expected.push(row.hash.startsWith(PREFIX) ? row.hash.slice(PREFIX.length) : row.hash);
    }
    after = rows[rows.length - 1]!.seq;
  }

  const cpuBefore = cpuNow();
  const started = performance.now();
  let matched = 0;
  for (let i = 0; i < entries.length; i++) {
    if (hash('sha256', entries[i]!, 'hex') === expected[i]) matched += 1;
  }
  const elapsed = performance.now() - started;
  const cpu = cpuNow() - cpuBefore;

  const problems: string[] = [];
  if (entries.length !== ENTRIES) problems.push(`${round}: read ${entries.length} entries, not ${ENTRIES}`);
  if (matched !== entries.length) {
    problems.push(`${round}: ${entries.length - matched} digests differ from the stored hashes`);
  }
  return { figure: workFigure(matched, elapsed / 1000), cpuSeconds: cpu, problems, bytes };
}

/** Closes the handle once, however often it is called (here and in the cleanup). */
function closer(database: DbHandle): () => Promise<void> {
  let closed: Promise<void> | null = null;
  return () => {
    closed ??= database.close();
    return closed;
  };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

async function measure(
  subject: Case,
  settings: Settings,
  cpuProfileDir: string | null,
  setupNote: string,
  log: (line: string) => void,
): Promise<WorkComparison> {
  const { label } = subject;
  const session = cpuProfileDir ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
  }
  const runs = { product: [] as SideRun[], baseline: [] as SideRun[] };
  let canonicalBytes = 0;
  try {
    const show = (phase: string, side: string, run: SideRun) =>
      log(
        `  ${label} ${phase.padEnd(9)} ${side.padEnd(8)} ${fmtInt(run.figure.perSecond).padStart(9)} entries/s` +
          `  ${seconds(run.figure.seconds * 1000)}  CPU ${fmtInt((run.cpuSeconds * 1e6) / Math.max(run.figure.work, 1))} µs/entry` +
          (run.problems.length > 0 ? `  !! ${run.problems.join('; ')}` : ''),
      );
    if (settings.warmupSeconds > 0) {
      // One untimed pass of each: compiled code and warm caches for both sides.
      show('warm-up', 'product', await productRun(subject, 'warm-up', null, null));
      show('warm-up', 'baseline', await baselineRun(subject, 'warm-up'));
    }
    for (let round = 1; round <= settings.rounds; round += 1) {
      const profileFile = cpuProfileDir
        ? path.join(cpuProfileDir, `audit-verify-${label}-round${round}.cpuprofile`)
        : null;
      const product = await productRun(subject, `product round ${round}`, profileFile, session);
      show(`round ${round}`, 'product', product);
      runs.product.push(product);
      const baseline = await baselineRun(subject, `baseline round ${round}`);
      show(`round ${round}`, 'baseline', baseline);
      runs.baseline.push(baseline);
      canonicalBytes = baseline.bytes;
    }
  } finally {
    session?.disconnect();
  }

  const total = (list: SideRun[]) =>
    workFigure(sum(list.map((run) => run.figure.work)), sum(list.map((run) => run.figure.seconds)));
  const perRound = (list: SideRun[]) => list.map((run) => fmtInt(run.figure.perSecond)).join(' / ');
  const cpuPerEntry = (list: SideRun[]) =>
    `${((sum(list.map((run) => run.cpuSeconds)) * 1e6) / Math.max(sum(list.map((run) => run.figure.work)), 1)).toFixed(2)} µs/entry`;
  const cores = (list: SideRun[]) =>
    (
      sum(list.map((run) => run.cpuSeconds)) / Math.max(sum(list.map((run) => run.figure.seconds)), 1e-9)
    ).toFixed(2);
  const ratios = runs.product.map((run, index) => {
    const other = runs.baseline[index]?.figure.perSecond ?? 0;
    return other > 0 ? (run.figure.perSecond / other).toFixed(2) : '-';
  });
  return workComparison({
    label,
    unit: 'entries',
    product: total(runs.product),
    baseline: total(runs.baseline),
    notes: [
      `entries/s per round (product, baseline alternating): product ${perRound(runs.product)}; ` +
        `baseline ${perRound(runs.baseline)}; ratio ${ratios.join(', ')}`,
      `CPU of this process: product ${cpuPerEntry(runs.product)} (${cores(runs.product)} cores), ` +
        `baseline ${cpuPerEntry(runs.baseline)} (${cores(runs.baseline)} cores)` +
        (label === 'postgres' ? "; PostgreSQL's own CPU is on neither side's figure" : ''),
      `canonical entry ${fmtInt(canonicalBytes / ENTRIES)} bytes on average (${fmtMiB(canonicalBytes)} hashed per pass)`,
      setupNote,
    ],
    problems: [...runs.product, ...runs.baseline].flatMap((run) => run.problems),
  });
}

/** Sets up one case (database, key, checkpointer), fills it, measures it. */
async function runCase(options: {
  label: Case['label'];
  database: DbHandle;
  dir: string;
  settings: Settings;
  cpuProfileDir: string | null;
  log(line: string): void;
}): Promise<WorkComparison> {
  const { label, database, dir, log } = options;
  fs.mkdirSync(dir, { recursive: true });
  await migrateToLatest(database.db, database.dialect);
  const clock = new ManualClock('2026-01-05T06:00:00.000Z');
  const { key } = loadOrCreateSigningKey({ keyFile: null, dataDir: dir });
  const checkpointer = createCheckpointer({
    db: database.db,
    clock,
    logger: pino({ level: 'silent' }),
    key,
    origin: 'stock-verify-bench',
    // Signed by hand below, at the sizes the benchmark wants; no schedule.
    everyEntries: 10_000_000,
    intervalMinutes: 7 * 24 * 60,
    file: path.join(dir, 'audit-checkpoints.jsonl'),
  });
  const filled = await fill(database, checkpointer, clock);
  const stats = await database.db
    .selectFrom('enterprise_audit_logs')
    .select([
      (eb) => eb.fn.countAll<number>().as('entries'),
      (eb) => eb.fn.count<number>('personal').as('personal'),
      (eb) => eb.fn.count<number>(sql`distinct event_type`).as('types'),
    ])
    .executeTakeFirstOrThrow();
  const setupNote =
    `setup (not timed): ${fmtInt(Number(stats.entries))} entries of ${Number(stats.types)} event types ` +
    `(${fmtInt(Number(stats.personal))} with sealed personal data), ${filled.checkpoints} signed checkpoints, ` +
    `written through trail.append in ${seconds(filled.ms)}`;
  log(`  ${label}: ${setupNote}`);
  if (Number(stats.entries) !== ENTRIES) {
    throw new Error(`the ${label} log holds ${stats.entries} entries after the fill, not ${ENTRIES}`);
  }
  return measure({ label, database, checkpointer }, options.settings, options.cpuProfileDir, setupNote, log);
}

/**
 * Entries per second verifying a 200,000-entry audit log with 20 signed checkpoints — every
 * entry's hash recomputed from its fields, its link to the one before checked, the Merkle tree
 * rebuilt and its root compared with each signed one — against the bare cost of hashing the same
 * canonical bytes. On SQLite, then on a fresh PostgreSQL schema. Both sides run in this process,
 * alternating; with BENCH_PROFILE=1 each product round writes a CPU profile (node:inspector).
 */
export const auditVerify: Benchmark = {
  name: 'audit-verify',
  description: `entries/s verifying a ${fmtInt(ENTRIES)}-entry audit log vs raw SHA-256 over the same canonical bytes`,
  product:
    `verifyIntegrity() over the whole log (${fmtInt(ENTRIES)} realistic entries written through the trail, ` +
    `a signed checkpoint every ${fmtInt(CHECKPOINT_EVERY)}), in-process; SQLite file, then a fresh PostgreSQL schema`,
  baseline:
    'the same entries read into memory first and made canonical (not timed), then one loop of ' +
    "crypto.hash('sha256') over their bytes, each digest compared with the stored hash",
  aim: 0.5,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const cleanup = new Cleanup();
    try {
      const results: WorkComparison[] = [];

      const sqliteDir = path.join(workdir, 'sqlite');
      const sqlite = openDb({ databaseUrl: null, sqliteFile: path.join(sqliteDir, 'stock-verify.sqlite') });
      const closeSqlite = closer(sqlite);
      cleanup.add('close the SQLite database', closeSqlite);
      results.push(
        await runCase({ label: 'sqlite', database: sqlite, dir: sqliteDir, settings, cpuProfileDir, log }),
      );
      log(`  sqlite: database file ${fmtMiB(fs.statSync(path.join(sqliteDir, 'stock-verify.sqlite')).size)}`);
      await closeSqlite();

      const schemas = await scratchSchemas(settings.pgUrl, cleanup);
      const schema = await schemas.create('audit_verify');
      const postgres = openDb({ databaseUrl: settings.pgUrl, pgSchema: schema });
      const closePostgres = closer(postgres);
      cleanup.add('close the PostgreSQL pool', closePostgres);
      results.push(
        await runCase({
          label: 'postgres',
          database: postgres,
          dir: path.join(workdir, 'postgres'),
          settings,
          cpuProfileDir,
          log,
        }),
      );
      await closePostgres();
      await schemas.drop(schema);
      return results;
    } finally {
      await cleanup.run();
    }
  },
};
