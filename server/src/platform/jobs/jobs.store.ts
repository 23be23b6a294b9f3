import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';

/** One row per job name: who runs it now, until when, and when it is next due. */
export interface JobLeasesTable {
  name: string;
  /** The instance running the job; null when nobody does. */
  holder: string | null;
  /** ISO time the lease runs out unless renewed; null when released. */
  lease_until: string | null;
  /** Grows by one with every claim: a holder whose lease was taken over no longer matches it. */
  fencing_token: number;
  /** The run the current holder is executing. */
  run_id: string | null;
  /** The next scheduled run (ISO); null: due now. */
  next_due_at: string | null;
  updated_at: string;
}

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RUN_TRIGGERS = ['schedule', 'manual'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export interface JobRunsTable {
  id: string;
  job_name: string;
  instance_id: string;
  trigger: RunTrigger;
  status: RunStatus;
  fencing_token: number;
  started_at: string;
  finished_at: string | null;
  /** Rows the job wrote (or, when it does not say, the last progress count). */
  rows_processed: number | null;
  progress_processed: number;
  progress_total: number | null;
  /** A message without secrets (job-runner.ts scrubs it); never a stack trace. */
  error: string | null;
  /** The user who triggered a manual run. */
  triggered_by: string | null;
}

type Db = Kysely<Database>;

export type LeaseRow = JobLeasesTable;
export type RunRow = JobRunsTable;

function toLease(row: JobLeasesTable): LeaseRow {
  return { ...row, fencing_token: Number(row.fencing_token) };
}

function toRun(row: JobRunsTable): RunRow {
  return {
    ...row,
    fencing_token: Number(row.fencing_token),
    rows_processed: row.rows_processed === null ? null : Number(row.rows_processed),
    progress_processed: Number(row.progress_processed),
    progress_total: row.progress_total === null ? null : Number(row.progress_total),
  };
}

/**
 * Makes sure the job has its lease row. A row that already exists keeps its schedule, except that
 * its next run is brought forward to `latestDue` (a shorter interval than before takes effect now).
 */
export async function ensureLease(
  db: Db,
  args: { name: string; firstDue: string; latestDue: string; now: string },
): Promise<void> {
  await db
    .insertInto('job_leases')
    .values({
      name: args.name,
      holder: null,
      lease_until: null,
      fencing_token: 0,
      run_id: null,
      next_due_at: args.firstDue,
      updated_at: args.now,
    })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        next_due_at: sql<string>`case when job_leases.next_due_at is null or job_leases.next_due_at > cast(${args.latestDue} as text) then cast(${args.latestDue} as text) else job_leases.next_due_at end`,
      }),
    )
    .execute();
}

/**
 * The claim: ONE conditional statement, the same on both dialects. It inserts the lease row, or
 * takes the existing one only if nobody holds it (released, or its lease ran out) and, for a
 * scheduled run, the job is due. The token grows by one with every claim.
 *
 * Racing instances: on PostgreSQL the second `ON CONFLICT DO UPDATE` waits for the first one's
 * row lock and re-evaluates its WHERE on the row the first one wrote, so it updates nothing; on
 * SQLite writes are serialised. Either way exactly one caller gets a row back.
 */
export async function claimLease(
  db: Db,
  args: {
    name: string;
    holder: string;
    runId: string;
    now: string;
    leaseUntil: string;
    /** A manual run does not wait for the schedule; it only needs the lease to be free. */
    ignoreSchedule: boolean;
  },
): Promise<number | null> {
  const { now } = args;
  const row = await db
    .insertInto('job_leases')
    .values({
      name: args.name,
      holder: args.holder,
      lease_until: args.leaseUntil,
      fencing_token: 1,
      run_id: args.runId,
      next_due_at: null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({
          holder: eb.ref('excluded.holder'),
          lease_until: eb.ref('excluded.lease_until'),
          fencing_token: sql<number>`job_leases.fencing_token + 1`,
          run_id: eb.ref('excluded.run_id'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where((eb) =>
          eb.and([
            eb.or([eb('job_leases.holder', 'is', null), eb('job_leases.lease_until', '<', now)]),
            ...(args.ignoreSchedule
              ? []
              : [eb.or([eb('job_leases.next_due_at', 'is', null), eb('job_leases.next_due_at', '<=', now)])]),
          ]),
        ),
    )
    .returning('fencing_token')
    .executeTakeFirst();
  return row ? Number(row.fencing_token) : null;
}

/** The heartbeat: extends the lease only while this holder still owns this token. */
export async function renewLease(
  db: Db,
  args: { name: string; holder: string; token: number; leaseUntil: string; now: string },
): Promise<boolean> {
  const result = await db
    .updateTable('job_leases')
    .set({ lease_until: args.leaseUntil, updated_at: args.now })
    .where('name', '=', args.name)
    .where('holder', '=', args.holder)
    .where('fencing_token', '=', args.token)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Frees the lease (fenced: a holder that lost it changes nothing); moves the schedule on if given. */
export async function releaseLease(
  db: Db,
  args: { name: string; token: number; now: string; nextDueAt?: string },
): Promise<boolean> {
  const result = await db
    .updateTable('job_leases')
    .set({
      holder: null,
      lease_until: null,
      run_id: null,
      updated_at: args.now,
      ...(args.nextDueAt !== undefined ? { next_due_at: args.nextDueAt } : {}),
    })
    .where('name', '=', args.name)
    .where('fencing_token', '=', args.token)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function leases(db: Db, names: readonly string[]): Promise<Map<string, LeaseRow>> {
  if (names.length === 0) return new Map();
  const rows = await db.selectFrom('job_leases').selectAll().where('name', 'in', names).execute();
  return new Map(rows.map((row) => [row.name, toLease(row)]));
}

export async function insertRun(db: Db, row: JobRunsTable): Promise<void> {
  await db.insertInto('job_runs').values(row).execute();
}

export async function updateProgress(
  db: Db,
  id: string,
  processed: number,
  total: number | null,
): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({ progress_processed: processed, progress_total: total })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
}

/** Records the outcome, unless the run was already closed (declared interrupted by a taker-over). */
export async function finishRun(
  db: Db,
  id: string,
  outcome: {
    status: Exclude<RunStatus, 'running'>;
    finishedAt: string;
    rows: number | null;
    processed: number;
    total: number | null;
    error: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('job_runs')
    .set({
      status: outcome.status,
      finished_at: outcome.finishedAt,
      rows_processed: outcome.rows,
      progress_processed: outcome.processed,
      progress_total: outcome.total,
      error: outcome.error,
    })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Runs still marked running whose lease is gone (the holder crashed, or lost the lease to another
 * instance) are closed as interrupted.
 */
export async function interruptStaleRuns(
  db: Db,
  args: { now: string; error: string; jobName?: string },
): Promise<number> {
  const result = await db
    .updateTable('job_runs')
    .set({ status: 'interrupted', finished_at: args.now, error: args.error })
    .where('status', '=', 'running')
    .$if(args.jobName !== undefined, (qb) => qb.where('job_name', '=', args.jobName!))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('job_leases')
            .select(sql`1`.as('one'))
            .whereRef('job_leases.run_id', '=', 'job_runs.id')
            .where('job_leases.lease_until', '>=', args.now),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function getRun(db: Db, id: string): Promise<RunRow | undefined> {
  const row = await db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

/** The newest run of the job, optionally only a finished one. */
export async function latestRun(db: Db, jobName: string, finished: boolean): Promise<RunRow | undefined> {
  const row = await db
    .selectFrom('job_runs')
    .selectAll()
    .where('job_name', '=', jobName)
    .$if(finished, (qb) => qb.where('status', '<>', 'running'))
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toRun(row) : undefined;
}

/** History, newest first; `before` is the (started_at, id) of the previous page's last run. */
export async function listRuns(
  db: Db,
  jobName: string,
  page: { before?: readonly [string, string]; limit: number },
): Promise<RunRow[]> {
  const before = page.before;
  const rows = await db
    .selectFrom('job_runs')
    .selectAll()
    .where('job_name', '=', jobName)
    .$if(before !== undefined, (qb) =>
      qb.where((eb) =>
        eb.or([
          eb('started_at', '<', before![0]),
          eb.and([eb('started_at', '=', before![0]), eb('id', '<', before![1])]),
        ]),
      ),
    )
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .execute();
  return rows.map(toRun);
}
