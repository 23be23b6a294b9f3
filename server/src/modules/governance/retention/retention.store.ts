import { type ColumnType, type Insertable, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { archivedColumns, type Dependent, type TableRule } from './retention-rules.ts';

export interface RetentionPoliciesTable {
  table_name: string;
  retention_days: number;
  /** 0 | 1 */
  archive_before_delete: number;
  description: string;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
}

export type RetentionRunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface RetentionRunsTable {
  id: string;
  trigger: string;
  triggered_by: string | null;
  status: RetentionRunStatus;
  started_at: string;
  finished_at: string | null;
  rows_archived: ColumnType<number, number | undefined, number>;
  rows_deleted: ColumnType<number, number | undefined, number>;
  rows_held: ColumnType<number, number | undefined, number>;
  /** JSON: TableFigures[] */
  tables: ColumnType<string, string | undefined, string>;
  error: string | null;
}

/** Added to data_archive by migration 0021 (the audit module's own rows leave it null). */
export interface ArchiveHashColumn {
  hash: ColumnType<string | null, string | null | undefined, string | null>;
}

type Db = Kysely<Database>;
export type Row = Record<string, unknown>;

export interface ArchiveRow {
  id: string;
  source: string;
  record_id: string;
  payload: string;
  archived_at: string;
  hash: string;
}

/** Table and column names come from the data registry only; every value is a parameter. */
const t = (name: string) => sql.table(name);
const c = (name: string) => sql.ref(name);

/** Rows retention may remove besides their age (retention-rules.ts). */
function removable(rule: TableRule, now: string, accountingCutoff: string): RawBuilder<unknown> {
  switch (rule.removable) {
    case 'closed_counts':
      return sql`(status = 'cancelled' or (status = 'posted' and posted_at < ${accountingCutoff}))`;
    case 'finished_imports':
      return sql`status in ('succeeded', 'failed')`;
    case 'delivered_messages':
      return sql`status = 'delivered'`;
    case 'finished_runs':
      return sql`status <> 'running'`;
    case 'unlocked_accounts':
      return sql`(locked_until is null or locked_until < ${now})`;
    default:
      return sql`1 = 1`;
  }
}

export interface Target {
  table: string;
  idColumn: string;
  ageColumn: string;
  rule: TableRule;
  cutoff: string;
  now: string;
  accountingCutoff: string;
}

const expired = (target: Target) =>
  sql`${c(target.ageColumn)} < ${target.cutoff} and ${removable(target.rule, target.now, target.accountingCutoff)}`;

export async function countExpired(db: Db, target: Target): Promise<number> {
  const result = await sql<{ n: number | string }>`
    select count(*) as n from ${t(target.table)} where ${expired(target)}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** Posted counts past their table's retention but inside the accounting period: kept (legal hold). */
export async function countHeld(db: Db, target: Target): Promise<number> {
  if (target.rule.removable !== 'closed_counts') return 0;
  const result = await sql<{ n: number | string }>`
    select count(*) as n from ${t(target.table)}
    where ${c(target.ageColumn)} < ${target.cutoff}
      and status = 'posted' and (posted_at is null or posted_at >= ${target.accountingCutoff})`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * One batch of a table without dependents: its oldest expired rows, removed in one statement.
 * `returning` gives back exactly the rows this statement deleted (so a row is archived by the
 * transaction that removed it, never twice, even if two runs raced).
 */
export async function deleteOldest(
  trx: Db,
  target: Target,
  limit: number,
  returning: boolean,
): Promise<{ rows: Row[]; count: number }> {
  const id = c(target.idColumn);
  const pick = sql`select ${id} from ${t(target.table)} where ${expired(target)}
    order by ${c(target.ageColumn)}, ${id} limit ${limit}`;
  if (returning) {
    const result =
      await sql<Row>`delete from ${t(target.table)} where ${id} in (${pick}) returning *`.execute(trx);
    return { rows: result.rows, count: result.rows.length };
  }
  const result = await sql`delete from ${t(target.table)} where ${id} in (${pick})`.execute(trx);
  return { rows: [], count: Number(result.numAffectedRows ?? 0n) };
}

/** The archived JSON of a deleted row (`gone`): all of it, or the columns the archive may keep. */
function payloadOf(table: string): RawBuilder<unknown> {
  const kept = archivedColumns(table);
  if (kept === null) return sql`row_to_json(gone)::text`;
  const columns = sql.join(kept.map((column) => sql`gone.${c(column)}`));
  return sql`(select row_to_json(x)::text from (select ${columns}) x)`;
}

/**
 * PostgreSQL: one batch archived and deleted in one statement, the database building each row's
 * JSON (`row_to_json`, the table's column order) and its SHA-256: no row travels to Node and back.
 * Answers the rows archived (= deleted: a row is archived by the statement that removed it).
 */
export async function archiveOldestInDatabase(
  trx: Db,
  target: Target,
  limit: number,
  archivedAt: string,
  idPrefix: string,
): Promise<number> {
  const id = c(target.idColumn);
  const result = await sql`
    with picked as (
      select ${id} from ${t(target.table)} where ${expired(target)}
      order by ${c(target.ageColumn)}, ${id} limit ${limit}
    ), gone as (
      delete from ${t(target.table)} where ${id} in (select ${id} from picked) returning *
    )
    insert into data_archive (id, source, record_id, payload, archived_at, hash)
    select ${idPrefix} || lpad(to_hex(row_number() over ()), 12, '0'), ${target.table}, gone.${id}::text,
           p.payload, ${archivedAt},
           encode(sha256(convert_to(p.payload, 'UTF8')), 'hex')
    from gone cross join lateral (select ${payloadOf(target.table)} as payload) p`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/** The keys of the oldest expired rows (tables whose rows take dependents with them). */
export async function oldestIds(trx: Db, target: Target, limit: number): Promise<unknown[]> {
  const id = c(target.idColumn);
  const result = await sql<Row>`select ${id} as k from ${t(target.table)} where ${expired(target)}
    order by ${c(target.ageColumn)}, ${id} limit ${limit}`.execute(trx);
  return result.rows.map((row) => row.k);
}

/** Removes the rows that depend on these parents (one dependent kind). */
export async function deleteDependents(
  trx: Db,
  dependent: Dependent,
  parentIds: readonly unknown[],
  returning: boolean,
): Promise<{ rows: Row[]; count: number }> {
  const ids = sql.join(parentIds.map((value) => sql`${value}`));
  const where = dependent.via
    ? sql`${c(dependent.parentColumn)} in (select id from ${t(dependent.via.table)} where ${c(dependent.via.column)} in (${ids}))`
    : sql`${c(dependent.parentColumn)} in (${ids})`;
  if (returning) {
    const result = await sql<Row>`delete from ${t(dependent.table)} where ${where} returning *`.execute(trx);
    return { rows: result.rows, count: result.rows.length };
  }
  const result = await sql`delete from ${t(dependent.table)} where ${where}`.execute(trx);
  return { rows: [], count: Number(result.numAffectedRows ?? 0n) };
}

/** Removes these parents, checking again that each is still expired and removable. */
export async function deleteByIds(
  trx: Db,
  target: Target,
  parentIds: readonly unknown[],
  returning: boolean,
): Promise<{ rows: Row[]; count: number }> {
  const ids = sql.join(parentIds.map((value) => sql`${value}`));
  const where = sql`${c(target.idColumn)} in (${ids}) and ${expired(target)}`;
  if (returning) {
    const result = await sql<Row>`delete from ${t(target.table)} where ${where} returning *`.execute(trx);
    return { rows: result.rows, count: result.rows.length };
  }
  const result = await sql`delete from ${t(target.table)} where ${where}`.execute(trx);
  return { rows: [], count: Number(result.numAffectedRows ?? 0n) };
}

/** 6 parameters a row: 5,000 rows stay under SQLite's 32,766 and PostgreSQL's 65,535. */
const ARCHIVE_CHUNK = 5000;

export async function insertArchive(trx: Db, rows: readonly ArchiveRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ARCHIVE_CHUNK)
    await trx
      .insertInto('data_archive')
      .values(rows.slice(start, start + ARCHIVE_CHUNK))
      .execute();
}

// Policies.

export async function listPolicies(db: Db) {
  return db.selectFrom('retention_policies').selectAll().orderBy('table_name').execute();
}

export async function getPolicy(db: Db, table: string) {
  return db.selectFrom('retention_policies').selectAll().where('table_name', '=', table).executeTakeFirst();
}

export async function upsertPolicy(
  db: Db,
  policy: Pick<
    RetentionPoliciesTable,
    'table_name' | 'retention_days' | 'archive_before_delete' | 'description'
  >,
  by: string | null,
  now: string,
): Promise<'created' | 'updated'> {
  const updated = await db
    .updateTable('retention_policies')
    .set({
      retention_days: policy.retention_days,
      archive_before_delete: policy.archive_before_delete,
      description: policy.description,
      updated_at: now,
      updated_by: by,
    })
    .where('table_name', '=', policy.table_name)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return 'updated';
  await db
    .insertInto('retention_policies')
    .values({ ...policy, created_at: now, created_by: by, updated_at: now, updated_by: by })
    .execute();
  return 'created';
}

export async function deletePolicy(db: Db, table: string): Promise<boolean> {
  const result = await db.deleteFrom('retention_policies').where('table_name', '=', table).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// Runs.

export async function insertRun(db: Db, run: Insertable<RetentionRunsTable>): Promise<void> {
  await db.insertInto('retention_runs').values(run).execute();
}

/** Any run still marked running when a new one starts was cut short (runs never overlap). */
export async function interruptRunning(db: Db, now: string): Promise<void> {
  await db
    .updateTable('retention_runs')
    .set({ status: 'interrupted', finished_at: now, error: 'the run stopped before it finished' })
    .where('status', '=', 'running')
    .execute();
}

export async function updateRun(
  db: Db,
  id: string,
  changes: Partial<{
    status: RetentionRunStatus;
    finished_at: string | null;
    rows_archived: number;
    rows_deleted: number;
    rows_held: number;
    tables: string;
    error: string | null;
  }>,
): Promise<void> {
  await db.updateTable('retention_runs').set(changes).where('id', '=', id).execute();
}

export async function getRun(db: Db, id: string) {
  return db.selectFrom('retention_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRuns(db: Db, page: { before?: readonly [string, string]; limit: number }) {
  let query = db.selectFrom('retention_runs').selectAll();
  if (page.before) {
    const [startedAt, id] = page.before;
    query = query.where((eb) =>
      eb.or([
        eb('started_at', '<', startedAt),
        eb.and([eb('started_at', '=', startedAt), eb('id', '<', id)]),
      ]),
    );
  }
  return query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}
