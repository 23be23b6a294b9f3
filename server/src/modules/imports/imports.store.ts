import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';

export interface ImportJobsTable {
  id: string;
  kind: 'items' | 'stock_levels';
  format: 'csv' | 'xlsx';
  filename: string;
  size_bytes: number;
  dry_run: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  total: number | null;
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  /** JSON array of the header columns that were not known and so ignored (0006). */
  ignored_columns: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ImportErrorsTable {
  job_id: string;
  row_number: number;
  column_name: string | null;
  reason: string;
}

export type ImportJobRow = Selectable<ImportJobsTable>;
export type ImportErrorRow = Selectable<ImportErrorsTable>;
export type JobStatus = ImportJobsTable['status'];
type Db = Kysely<Database> | Transaction<Database>;

export async function insertJob(db: Db, row: ImportJobRow): Promise<void> {
  await db.insertInto('import_jobs').values(row).execute();
}

export async function findJob(db: Db, id: string): Promise<ImportJobRow | undefined> {
  return db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface JobListFilter {
  kind?: ImportJobsTable['kind'];
  status?: JobStatus;
  /** Keyset, newest first: only jobs created before this (created_at, id). */
  before?: { created_at: string; id: string };
  limit: number;
}

export async function listJobs(db: Db, filter: JobListFilter): Promise<ImportJobRow[]> {
  let query = db
    .selectFrom('import_jobs')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.status) query = query.where('status', '=', filter.status);
  const before = filter.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.created_at),
        eb.and([eb('created_at', '=', before.created_at), eb('id', '<', before.id)]),
      ]),
    );
  }
  return query.execute();
}

/** queued → running; false when the job is no longer queued (another instance failed it). */
export async function markRunning(db: Db, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('import_jobs')
    .set({ status: 'running', started_at: now })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Progress of a running job; false when it is no longer running (failed by a restart elsewhere). */
export async function updateProgress(
  db: Db,
  id: string,
  progress: { processed: number; total?: number | null },
): Promise<boolean> {
  const result = await db
    .updateTable('import_jobs')
    .set(progress)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface JobOutcome {
  total: number | null;
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/**
 * running → succeeded. Called inside the import's transaction, so the data and the status commit
 * together; false (the caller rolls back) when the job is no longer running.
 */
export async function finishSucceeded(
  db: Db,
  id: string,
  outcome: JobOutcome,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('import_jobs')
    .set({ ...outcome, status: 'succeeded', error: null, finished_at: now })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function finishFailed(
  db: Db,
  id: string,
  outcome: Partial<JobOutcome> & { error: string },
  now: string,
): Promise<void> {
  await db
    .updateTable('import_jobs')
    .set({ ...outcome, status: 'failed', finished_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/** Fails every job still queued or running (after a crash); returns their ids. */
export async function failUnfinished(db: Db, error: string, now: string): Promise<string[]> {
  const rows = await db
    .updateTable('import_jobs')
    .set({ status: 'failed', error, finished_at: now })
    .where('status', 'in', ['queued', 'running'])
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

export async function insertErrors(db: Db, rows: ImportErrorRow[]): Promise<void> {
  // 4 values a row: well under both dialects' limit on bound values.
  for (let i = 0; i < rows.length; i += 1000) {
    await db
      .insertInto('import_errors')
      .values(rows.slice(i, i + 1000))
      .execute();
  }
}

/** Rejected rows in row order; a row has at most one entry per column (null column first). */
export async function listErrors(
  db: Db,
  jobId: string,
  page: { after?: { row: number; column: string }; limit: number },
): Promise<ImportErrorRow[]> {
  const column = sql<string>`coalesce(column_name, '')`;
  let query = db
    .selectFrom('import_errors')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('row_number')
    .orderBy(column)
    .limit(page.limit);
  const after = page.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('row_number', '>', after.row),
        eb.and([eb('row_number', '=', after.row), eb(column, '>', after.column)]),
      ]),
    );
  }
  return query.execute();
}

export async function countErrors(db: Db, jobId: string): Promise<number> {
  const row = await db
    .selectFrom('import_errors')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
