import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { type DbHandle, openDb } from '../server/src/platform/db/database.ts';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { catalogueItem, costText, insertCatalogue, shuffledIndexes } from './lib/catalogue.ts';
import { type Comparison, compare } from './lib/compare.ts';
import { fmtInt } from './lib/format.ts';
import { schemaUrl, scratchSchemas } from './lib/postgres.ts';
import { type Product, productDataDir, productSqliteFile, startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';
import type { Settings } from './lib/settings.ts';

const ROUTE = '/api/items';
const ITEMS = 10_000;
/** The line each side's product logs once per item update, after its commit (items.routes.ts). */
const UPDATE_LOGGED = /"message":"item updated"|^\S+ INFO (\[\S+\] )?item updated( \{|$)/;

type SideName = 'audited' | 'unaudited';

interface Side {
  name: SideName;
  product: Product;
  /** The product's own database, read by the benchmark before and after the load. */
  database: DbHandle;
  headers: Record<string, string>;
}

/** The write every request makes: item `index` renamed (a new name each send) and repriced. */
function updateBody(index: number, pass: number): string {
  const item = catalogueItem(index);
  // Two prices per item, alternating pass after pass, so a price is a change too.
  return JSON.stringify({
    name: `${item.name} {{send}}`,
    unit_cost: costText(item.unit_cost_cents + 1 + (pass % 2)),
  });
}

async function countEntries(database: DbHandle, action?: string): Promise<number> {
  let query = database.db
    .selectFrom('enterprise_audit_logs')
    .select((eb) => eb.fn.countAll<number>().as('n'));
  if (action) query = query.where('action', '=', action);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

async function countCheckpoints(database: DbHandle): Promise<number> {
  const row = await database.db
    .selectFrom('audit_checkpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Lines of a product log saying an item update committed (JSON lines, or STRUCTURED_LOGGING=false). */
async function loggedUpdates(logFile: string): Promise<number> {
  let count = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(logFile), crlfDelay: Infinity });
  for await (const line of lines) if (UPDATE_LOGGED.test(line)) count += 1;
  return count;
}

/** Writes the load sent and the product answered 2xx, warm-up included. */
function served(comparison: Comparison, side: 'product' | 'baseline'): number {
  const target = comparison[side];
  const loads = [...(target.warmup ? [target.warmup] : []), ...target.rounds];
  return loads.reduce((total, load) => total + load.requests - load.non2xx, 0);
}

/**
 * One case: two fresh products on two fresh databases of the same dialect, the same catalogue
 * seeded into each before its start, one with ENTERPRISE_AUDIT_ENABLED=true and one with false;
 * the same writes sent to both, alternating rounds; then the entries are counted.
 */
async function runCase(options: {
  label: 'sqlite' | 'postgres';
  workdir: string;
  settings: Settings;
  cpuProfileDir: string | null;
  cleanup: Cleanup;
  /** PostgreSQL: a fresh schema for the side; SQLite: null (the side's data dir). */
  schemaFor: ((side: SideName) => Promise<string>) | null;
  log(line: string): void;
}): Promise<Comparison> {
  const { label, settings, cleanup, log } = options;
  const timestamp = new Date().toISOString();
  const sides = {} as Record<SideName, Side>;
  for (const name of ['audited', 'unaudited'] as const) {
    const dir = path.join(options.workdir, `${label}-${name}`);
    const schema = options.schemaFor ? await options.schemaFor(name) : null;
    const open = () =>
      schema === null
        ? openDb({ databaseUrl: null, sqliteFile: productSqliteFile(productDataDir(dir)) })
        : openDb({ databaseUrl: options.settings.pgUrl, pgSchema: schema, pgPoolSize: 2 });
    // The product's migrations, then the catalogue, before the product starts.
    const setup = open();
    try {
      await migrateToLatest(setup.db, setup.dialect);
      await insertCatalogue(setup.db, ITEMS, timestamp);
    } finally {
      await setup.close();
    }
    const profileDir = options.cpuProfileDir ? path.join(options.cpuProfileDir, `${label}-${name}`) : null;
    if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
    const product = await startProduct({
      workdir: dir,
      overrides: { ...settings.productEnv, ENTERPRISE_AUDIT_ENABLED: name === 'audited' ? 'true' : 'false' },
      ...(schema !== null ? { databaseUrl: schemaUrl(settings.pgUrl, schema) } : {}),
      // Both sides: the difference between the two profiles is what the audit trail costs.
      ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    });
    cleanup.add(`stop the ${label} ${name} product`, product.stop);
    const database = open();
    cleanup.add(`close the ${label} ${name} database`, () => database.close());
    const headers = { ...(await signIn(product)), 'content-type': 'application/json' };
    sides[name] = { name, product, database, headers };
    log(
      `  ${label} ${name.padEnd(9)} product pid ${product.pid} at ${product.url}, ` +
        `ENTERPRISE_AUDIT_ENABLED=${name === 'audited'} (log: ${product.logFile})`,
    );
  }

  // Before any load: one write on each side answers 200 with the new name; only the audited
  // side records it.
  const probe = catalogueItem(0);
  for (const side of Object.values(sides)) {
    const name = `${probe.name} probe ${side.name}`;
    const answer = await expectOk(
      await fetch(`${side.product.url}${ROUTE}/${probe.id}`, {
        method: 'PATCH',
        headers: side.headers,
        body: JSON.stringify({ name, unit_cost: '1.01' }),
      }),
      `${side.name} PATCH ${ROUTE}/${probe.id}`,
    );
    const item = JSON.parse(answer) as { name?: string; unit_cost?: number };
    if (item.name !== name || item.unit_cost !== 1.01) {
      throw new Error(`${side.name} PATCH ${ROUTE}/${probe.id} did not apply the change: ${answer}`);
    }
  }
  const probed = {
    audited: await countEntries(sides.audited.database, 'item.update'),
    unaudited: await countEntries(sides.unaudited.database),
  };
  if (probed.audited !== 1 || probed.unaudited !== 0) {
    throw new Error(
      `after one write each, the audited product holds ${probed.audited} item.update entries (expected 1) ` +
        `and the unaudited one ${probed.unaudited} entries (expected 0)`,
    );
  }
  log(`  ${label}: one PATCH each answered 200; item.update entries: audited 1, unaudited none`);

  // Every item twice, in a scattered order; each send a new name, each pass the other price.
  const order = shuffledIndexes(ITEMS);
  const paths: string[] = [];
  const bodies: string[] = [];
  for (let pass = 0; pass < 2; pass += 1) {
    for (const index of order) {
      paths.push(`${ROUTE}/${catalogueItem(index).id}`);
      bodies.push(updateBody(index, pass));
    }
  }
  const pathsFile = path.join(options.workdir, `${label}-paths.txt`);
  const bodiesFile = path.join(options.workdir, `${label}-bodies.txt`);
  fs.writeFileSync(pathsFile, `${paths.join('\n')}\n`);
  fs.writeFileSync(bodiesFile, `${bodies.join('\n')}\n`);

  const target = (side: Side) => ({
    url: `${side.product.url}${ROUTE}`,
    method: 'PATCH' as const,
    headers: side.headers,
    pathsFile,
    bodiesFile,
    pid: side.product.pid,
  });
  const comparison = await compare(
    { product: target(sides.audited), baseline: target(sides.unaudited) },
    settings,
    log,
    { label, unit: 'writes' },
  );

  // After the load, with both products stopped (every write committed, every log line flushed):
  // one entry per committed write on the audited side, none on the other.
  for (const side of Object.values(sides)) await side.product.stop();
  const after = {
    auditedEntries: await countEntries(sides.audited.database, 'item.update'),
    auditedCheckpoints: await countCheckpoints(sides.audited.database),
    unauditedEntries: await countEntries(sides.unaudited.database),
    auditedLogged: await loggedUpdates(sides.audited.product.logFile),
    unauditedLogged: await loggedUpdates(sides.unaudited.product.logFile),
  };
  const sent = { audited: served(comparison, 'product') + 1, unaudited: served(comparison, 'baseline') + 1 };
  // A load that ends leaves up to one write per connection in flight: committed, never counted.
  const loads = settings.rounds + (settings.warmupSeconds > 0 ? 1 : 0);
  const inFlight = settings.connections * loads;
  const problems: string[] = [];
  // What each product logged as committed, when it logged it (not above LOG_LEVEL=INFO): between
  // what the load saw answered and that plus what was in flight.
  const committed = (name: SideName, logged: number): number | null => {
    if (logged === 0) return null;
    if (logged < sent[name] || logged > sent[name] + inFlight) {
      problems.push(
        `${name}: the product logged ${fmtInt(logged)} committed updates, the load saw ${fmtInt(sent[name])} ` +
          `answered (up to ${inFlight} more may have been in flight)`,
      );
    }
    return logged;
  };
  const audited = committed('audited', after.auditedLogged);
  committed('unaudited', after.unauditedLogged);
  if (audited !== null && after.auditedEntries !== audited) {
    problems.push(
      `audited: ${fmtInt(after.auditedEntries)} item.update entries for ${fmtInt(audited)} ` +
        'updates the product logged as committed: not one entry per write',
    );
  }
  if (
    audited === null &&
    (after.auditedEntries < sent.audited || after.auditedEntries > sent.audited + inFlight)
  ) {
    problems.push(
      `audited: ${fmtInt(after.auditedEntries)} item.update entries for ${fmtInt(sent.audited)} writes ` +
        `answered 2xx (up to ${inFlight} more may have been in flight): not one entry per write`,
    );
  }
  if (after.unauditedEntries !== 0) {
    problems.push(`unaudited: ${fmtInt(after.unauditedEntries)} audit entries, expected none`);
  }
  comparison.notes.push(
    `after the load: audited product ${fmtInt(after.auditedEntries)} item.update entries for ` +
      `${audited === null ? '?' : fmtInt(audited)} committed updates (${fmtInt(sent.audited)} answered 2xx), ` +
      `${fmtInt(after.auditedCheckpoints)} checkpoints signed; unaudited product ${fmtInt(after.unauditedEntries)} ` +
      `entries for ${fmtInt(after.unauditedLogged)} committed updates (${fmtInt(sent.unaudited)} answered 2xx)`,
    `writes: PATCH ${ROUTE}/:id of ${fmtInt(ITEMS)} seeded items, each twice per cycle in a scattered order, ` +
      'every send a new name and the other of two prices (DATA_UPDATE item.update on the audited side)',
  );
  if (problems.length > 0) {
    comparison.problems.push(...problems);
    comparison.valid = false;
  }
  return comparison;
}

/**
 * Audited writes per second: the same item updates sent to two fresh products, one writing the
 * audit trail (ENTERPRISE_AUDIT_ENABLED=true: the item.update entry in the write's own
 * transaction, hash-chained, the actor's personal data sealed, a signed checkpoint every 1,000
 * entries) and one not (false), alternating rounds, on SQLite and then on PostgreSQL. Both are the
 * product with its defaults otherwise; each side seeded with the same 10,000 items (the product's
 * migrations, then Kysely inserts, before it starts). Afterwards the entries are counted: one per
 * committed write on the audited side, none on the other, or the run is invalid. With
 * BENCH_PROFILE=1 both products write CPU profiles (<label>-audited/, <label>-unaudited/): the
 * difference between the two is what the audit trail costs.
 */
export const auditAppend: Benchmark = {
  name: 'audit-append',
  description: `audited writes/s (PATCH ${ROUTE}/:id) vs the same writes with the audit trail off`,
  product: `product PATCH ${ROUTE}/:id (Bearer token), ENTERPRISE_AUDIT_ENABLED=true; SQLite, then PostgreSQL`,
  baseline: 'the same product and writes with ENTERPRISE_AUDIT_ENABLED=false, on its own fresh database',
  aim: 0.7,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const cleanup = new Cleanup();
    try {
      const results: Comparison[] = [];
      results.push(
        await runCase({ label: 'sqlite', workdir, settings, cpuProfileDir, cleanup, schemaFor: null, log }),
      );
      const schemas = await scratchSchemas(settings.pgUrl, cleanup);
      results.push(
        await runCase({
          label: 'postgres',
          workdir,
          settings,
          cpuProfileDir,
          cleanup,
          schemaFor: (side) => schemas.create(`audit_append_${side}`),
          log,
        }),
      );
      return results;
    } finally {
      await cleanup.run();
    }
  },
};
