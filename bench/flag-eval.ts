import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { createAuditTrail } from '../server/src/modules/audit/audit.service.ts';
import { SYSTEM_CONTEXT } from '../server/src/modules/audit/events.ts';
import { createFeatureFlags, type FeatureFlags } from '../server/src/modules/flags/flags.service.ts';
import { murmur3_32 } from '../server/src/modules/flags/murmur3.ts';
import { systemClock } from '../server/src/platform/clock.ts';
import { openDb } from '../server/src/platform/db/database.ts';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { systemIds } from '../server/src/platform/ids.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { fmtInt } from './lib/format.ts';
import { workComparison, workFigure } from './lib/work.ts';

const KEY = 'new_dashboard';
const USERS = 100_000;
const PERCENTAGE = 20;
const TARGET_ROLE = 'auditor';
const ROLES = ['admin', 'supervisor', 'auditor', 'staff'] as const;
/** Timed rounds per side, alternating; each evaluates every user PASSES times. */
const ROUNDS = 5;
const PASSES = 3;

/** 100,000 UUID-shaped user ids, the same every run, spread like real ones. */
function userIds(): string[] {
  const hex = (value: number, width: number) => value.toString(16).padStart(width, '0').slice(-width);
  return Array.from(
    { length: USERS },
    (_, i) =>
      `${hex(murmur3_32(`a${i}`), 8)}-${hex(i, 4)}-7${hex(murmur3_32(`b${i}`), 3)}-8${hex(murmur3_32(`c${i}`), 3)}-` +
      `${hex(murmur3_32(`d${i}`), 8)}${hex(i >>> 16, 4)}`,
  );
}

/** The product's flags service over a fresh SQLite file, the flag created through it, as at runtime. */
async function productFlags(dir: string): Promise<{ flags: FeatureFlags; close(): Promise<void> }> {
  const database = openDb({ databaseUrl: null, sqliteFile: path.join(dir, 'flags.sqlite') });
  await migrateToLatest(database.db, database.dialect);
  const trail = createAuditTrail({
    database,
    clock: systemClock,
    ids: systemIds,
    enabled: true,
    algorithm: 'sha256',
  });
  const flags = createFeatureFlags({
    db: database.db,
    dialect: database.dialect,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    trail,
    evaluationEnabled: true,
    cacheTtlSeconds: 60,
  });
  await flags.start();
  await flags.create(
    {
      key: KEY,
      name: 'New dashboard',
      state: 'enabled',
      percentage: PERCENTAGE,
      allowed_roles: [TARGET_ROLE],
    },
    SYSTEM_CONTEXT,
  );
  return {
    flags,
    async close() {
      flags.stop();
      await database.close();
    },
  };
}

/**
 * The same flag for Unleash: on for the role (a default strategy with a role constraint), else a
 * flexibleRollout of PERCENTAGE with userId stickiness and the flag key as group id. Written to a
 * local bootstrap file, as an Unleash export would be.
 */
function writeUnleashBootstrap(file: string): void {
  const features = [
    {
      name: KEY,
      enabled: true,
      strategies: [
        {
          name: 'default',
          parameters: {},
          constraints: [{ contextName: 'role', operator: 'IN', values: [TARGET_ROLE], inverted: false }],
        },
        {
          name: 'flexibleRollout',
          parameters: { rollout: String(PERCENTAGE), stickiness: 'userId', groupId: KEY },
          constraints: [],
        },
      ],
    },
  ];
  fs.writeFileSync(file, JSON.stringify({ version: 2, features }));
}

/**
 * Unleash with no server: bootstrapped from the file, no polling (refreshInterval 0), no metrics,
 * backups in memory. Every socket connect is refused and counted while it lives, so the run proves
 * it never touched the network.
 */
async function bootstrappedUnleash(
  file: string,
): Promise<{ unleash: Unleash; connects(): number; close(): void }> {
  let attempts = 0;
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function refused(this: net.Socket, ...args: unknown[]) {
    attempts++;
    throw new Error(`flag-eval: Unleash tried the network (${JSON.stringify(args[0])})`);
  } as typeof original;
  const unleash = new Unleash({
    appName: 'flag-eval-bench',
    url: 'http://127.0.0.1:9/never-contacted/api/',
    refreshInterval: 0,
    disableMetrics: true,
    disableAutoStart: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { filePath: file },
  });
  unleash.on('error', () => {});
  // isEnabled answers false ("not initialized") until the bootstrap's ready event.
  const ready = once(unleash, 'ready');
  await unleash.start();
  await ready;
  if (!unleash.getFeatureToggleDefinition(KEY)) throw new Error('Unleash did not load the bootstrap file');
  return {
    unleash,
    connects: () => attempts,
    close() {
      unleash.destroy();
      net.Socket.prototype.connect = original;
    },
  };
}

/**
 * Flag evaluation from memory: a 20 % rollout with role targeting, for 100,000 users. Product:
 * `flags.isEnabled(key, user)`, the call every gate makes. Baseline: the Unleash Node SDK's
 * `isEnabled(key, context)` on the equivalent flag. The same run checks that both put exactly the
 * same users in the rollout; any difference makes the run invalid.
 */
export const flagEval: Benchmark = {
  name: 'flag-eval',
  description: `feature flag evaluations/s, ${PERCENTAGE} % rollout + role targeting, ${fmtInt(USERS)} users, vs unleash-client (aim ≥ 2×)`,
  product: `flags.isEnabled('${KEY}', user): ${PERCENTAGE} % rollout (murmur3 bucket), role '${TARGET_ROLE}' targeted, from memory`,
  baseline: `unleash-client isEnabled on the same flag (default strategy with a role constraint + flexibleRollout ${PERCENTAGE} %, userId stickiness), bootstrapped from a local file, no server`,
  aim: 2,

  async run({ workdir, log }) {
    const cleanup = new Cleanup();
    try {
      const ids = userIds();
      const users = ids.map((id, i) => ({ id, role: ROLES[i % ROLES.length] as string }));
      const contexts = users.map((user) => ({ userId: user.id, properties: { role: user.role } }));

      const product = await productFlags(workdir);
      cleanup.add('close product flags', product.close);
      const bootstrapFile = path.join(workdir, 'unleash-bootstrap.json');
      writeUnleashBootstrap(bootstrapFile);
      const baseline = await bootstrappedUnleash(bootstrapFile);
      cleanup.add('destroy unleash', async () => baseline.close());
      const { flags } = product;
      const { unleash } = baseline;

      // Who is in: the same users on both sides, or the figures compare different work.
      const problems: string[] = [];
      let inProduct = 0;
      const differ: string[] = [];
      for (let i = 0; i < USERS; i++) {
        const ours = flags.isEnabled(KEY, users[i]!);
        const theirs = unleash.isEnabled(KEY, contexts[i]!);
        if (ours) inProduct++;
        if (ours !== theirs) differ.push(`${ids[i]} (${users[i]!.role}): product ${ours}, unleash ${theirs}`);
      }
      if (differ.length > 0) {
        problems.push(
          `${fmtInt(differ.length)} users evaluated differently, e.g. ${differ.slice(0, 3).join('; ')}`,
        );
      }
      log(
        `  ${fmtInt(inProduct)} of ${fmtInt(USERS)} users are in (${((inProduct / USERS) * 100).toFixed(1)} %; ` +
          `${differ.length === 0 ? 'identical' : 'DIFFERENT'} sets on both sides)`,
      );

      const time = (evaluate: (i: number) => boolean) => {
        let on = 0;
        const started = process.hrtime.bigint();
        for (let pass = 0; pass < PASSES; pass++) for (let i = 0; i < USERS; i++) if (evaluate(i)) on++;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (on !== inProduct * PASSES)
          problems.push(`a timed pass counted ${on} evaluations on, expected ${inProduct * PASSES}`);
        return seconds;
      };
      const ours = (i: number) => flags.isEnabled(KEY, users[i]!);
      const theirs = (i: number) => unleash.isEnabled(KEY, contexts[i]!);
      // Warm-up for the JIT, both sides.
      time(ours);
      time(theirs);
      const seconds = { product: 0, baseline: 0 };
      const perRound: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const a = time(ours);
        const b = time(theirs);
        seconds.product += a;
        seconds.baseline += b;
        perRound.push(`${(b / a).toFixed(1)}×`);
      }
      if (baseline.connects() > 0)
        problems.push(`Unleash attempted ${baseline.connects()} network connections`);
      const work = USERS * PASSES * ROUNDS;
      const comparison = workComparison({
        label: null,
        unit: 'evaluations',
        product: workFigure(work, seconds.product),
        baseline: workFigure(work, seconds.baseline),
        notes: [
          `per evaluation: product ${((seconds.product / work) * 1e9).toFixed(0)} ns, unleash ${((seconds.baseline / work) * 1e9).toFixed(0)} ns; speed-up per round: ${perRound.join(', ')}`,
          `same users in the rollout: ${differ.length === 0 ? `yes, all ${fmtInt(USERS)}` : `NO (${fmtInt(differ.length)} differ)`}; Unleash network connects attempted: ${baseline.connects()}`,
        ],
        problems,
      });
      return comparison;
    } finally {
      await cleanup.run();
    }
  },
};
