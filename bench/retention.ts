import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import type { Database } from '../server/src/platform/db/schema.ts';
import { uuidv7 } from '../server/src/platform/ids.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { type DialectCaseOptions, dialectCase } from './lib/dialect-case.ts';
import { fmtInt } from './lib/format.ts';
import { sqliteThenPostgres } from './lib/postgres.ts';
import { startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';
import { type WorkComparison, workComparison, workFigure } from './lib/work.ts';

const ROWS = 100_000;
const RETENTION_DAYS = 30;
const DAY = 86_400_000;

/**
 * 100,000 security events, 60 to 31 days old, written in time order as the product writes them
 * (uuidv7 ids follow time): every one expired under a 30-day policy.
 */
async function seedEvents(db: Kysely<Database>, round: string): Promise<void> {
  const now = Date.now();
  const CHUNK = 1000;
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < ROWS; start += CHUNK) {
      const rows = [];
      for (let i = start; i < Math.min(ROWS, start + CHUNK); i += 1) {
        rows.push({
          id: uuidv7(),
          timestamp: new Date(now - 60 * DAY + Math.floor((i * 29 * DAY) / ROWS)).toISOString(),
          event_type: 'LOGIN_FAILED' as never,
          severity: 'medium' as const,
          user_id: null,
          ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          details: JSON.stringify({ round, reason: 'invalid_credentials', attempt: i % 5 }),
          request_id: `req_${randomBytes(12).toString('hex')}`,
        });
      }
      await trx.insertInto('security_events').values(rows).execute();
    }
  });
}

async function expiredEvents(db: Kysely<Database>): Promise<number> {
  const cutoff = new Date(Date.now() - RETENTION_DAYS * DAY).toISOString();
  const row = await db
    .selectFrom('security_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('timestamp', '<', cutoff)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function runCase(options: DialectCaseOptions): Promise<WorkComparison> {
  const { label, settings, cleanup, log } = options;
  const { open, productOptions } = dialectCase(options);

  const setup = open();
  try {
    await migrateToLatest(setup.db, setup.dialect);
  } finally {
    await setup.close();
  }
  const product = await startProduct(productOptions);
  cleanup.add(`stop the ${label} product`, product.stop);
  log(`  ${label}: product pid ${product.pid} at ${product.url} (log: ${product.logFile})`);
  // No kept-alive sockets: the seeding below blocks this process for seconds (synchronous SQLite),
  // and a socket the product closed meanwhile would be reused and fail the next request.
  const headers = { ...(await signIn(product)), 'content-type': 'application/json', connection: 'close' };
  let policySet = false;
  const setPolicy = async (archive: boolean) => {
    await expectOk(
      await fetch(`${product.url}/api/enterprise/governance/retention-policies`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          collection_name: 'security_events',
          retention_days: RETENTION_DAYS,
          archive_before_delete: archive,
        }),
      }),
      'POST /api/enterprise/governance/retention-policies',
      policySet ? 200 : 201,
    );
    policySet = true;
  };
  const applyNow = async () => {
    const response = await fetch(`${product.url}/api/enterprise/governance/apply-retention?wait=true`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    return JSON.parse(await expectOk(response, 'POST /api/enterprise/governance/apply-retention')) as {
      status: string;
      tables: { table: string; archived: number; deleted: number }[];
    };
  };
  await setPolicy(true);
  const database = open();
  cleanup.add(`close the ${label} database`, () => database.close());

  const problems: string[] = [];
  const ms = { product: [] as number[], baseline: [] as number[], deleteOnly: [] as number[] };
  for (let round = 1; round <= settings.rounds; round += 1) {
    // Product: the retention run, archive (payload + SHA-256) then delete, batch by batch.
    await seedEvents(database.db, `p${round}`);
    if (database.dialect === 'postgres') await sql`analyze security_events`.execute(database.db);
    const archivedBefore = await archived(database.db);
    const started = performance.now();
    const report = await applyNow();
    ms.product.push(performance.now() - started);
    const events = report.tables.find((t) => t.table === 'security_events');
    const newlyArchived = (await archived(database.db)) - archivedBefore;
    if (report.status !== 'succeeded' || events?.deleted !== ROWS || newlyArchived !== ROWS)
      problems.push(
        `round ${round}: run ${report.status}, ${events?.deleted} deleted, ${newlyArchived} archived; expected ${ROWS}`,
      );
    if ((await expiredEvents(database.db)) !== 0) problems.push(`round ${round}: expired events left`);

    // For the notes: the same run with archive_before_delete false (batches and audit, no archive).
    await seedEvents(database.db, `d${round}`);
    if (database.dialect === 'postgres') await sql`analyze security_events`.execute(database.db);
    await setPolicy(false);
    const plain = performance.now();
    const deleteOnly = await applyNow();
    ms.deleteOnly.push(performance.now() - plain);
    await setPolicy(true);
    if (deleteOnly.tables.find((t) => t.table === 'security_events')?.deleted !== ROWS)
      problems.push(`round ${round}: the delete-only run did not remove ${ROWS} rows`);

    // Baseline: one plain DELETE of the same rows, in one transaction.
    await seedEvents(database.db, `b${round}`);
    if (database.dialect === 'postgres') await sql`analyze security_events`.execute(database.db);
    const cutoff = new Date(Date.now() - RETENTION_DAYS * DAY).toISOString();
    const began = performance.now();
    const deleted = await database.db
      .transaction()
      .execute(async (trx) =>
        Number(
          (await trx.deleteFrom('security_events').where('timestamp', '<', cutoff).executeTakeFirst())
            .numDeletedRows,
        ),
      );
    ms.baseline.push(performance.now() - began);
    if (deleted !== ROWS) problems.push(`round ${round}: the plain DELETE removed ${fmtInt(deleted)} rows`);
    log(
      `  ${label} round ${round}  product ${(ms.product.at(-1)! / 1000).toFixed(2)} s  ` +
        `baseline ${(ms.baseline.at(-1)! / 1000).toFixed(2)} s`,
    );
  }

  const figure = (side: 'product' | 'baseline') =>
    workFigure(ROWS * ms[side].length, ms[side].reduce((a, b) => a + b, 0) / 1000);
  const each = (side: 'product' | 'baseline' | 'deleteOnly') =>
    ms[side].map((v) => `${(v / 1000).toFixed(2)} s`).join(', ');
  return workComparison({
    label,
    unit: 'rows',
    product: figure('product'),
    baseline: figure('baseline'),
    notes: [
      `${fmtInt(ROWS)} expired security events per round: product ${each('product')}; baseline ${each('baseline')}`,
      'product: POST apply-retention?wait=true (every retainable table planned; batches of 5,000 rows, each one ' +
        'transaction: DELETE … RETURNING, archive INSERT with JSON payload and SHA-256 (PostgreSQL: one statement, ' +
        'row_to_json and sha256 in the database), run figures, audit entry)',
      `the same run with archive_before_delete false (batches and audit, no archive): ${each('deleteOnly')}`,
    ],
    problems,
  });
}

async function archived(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('data_archive')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('source', '=', 'security_events')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Retention: 100,000 expired security events (a 30-day policy, archive before delete) removed by
 * `POST /api/enterprise/governance/apply-retention?wait=true`, timed from the request to the
 * finished run's report: every row copied to data_archive with its JSON payload and SHA-256, then
 * deleted, batch by batch, each batch one transaction with its audit entry. The baseline is a
 * plain `DELETE … WHERE timestamp < cutoff` of the same number of rows (seeded again the same way)
 * in one transaction from the bench process. Rows are seeded untimed before each side; rounds
 * alternate. SQLite, then PostgreSQL.
 *
 * Aim (the issue's): 0.3 — archiving writes every row a second time (and hashes it).
 */
export const retention: Benchmark = {
  name: 'retention',
  description: 'rows/s archived and deleted by apply-retention vs a plain DELETE of the same rows',
  product: 'POST /api/enterprise/governance/apply-retention?wait=true over 100,000 expired security events',
  baseline: 'one plain DELETE of 100,000 security events in one transaction',
  aim: 0.3,

  run: ({ settings, workdir, cpuProfileDir, log }) =>
    sqliteThenPostgres(settings.pgUrl, 'retention', (label, cleanup, schema) =>
      runCase({ label, workdir, settings, cpuProfileDir, cleanup, schema, log }),
    ),
};
