import { type Kysely, sql } from 'kysely';
import { compileOnce } from '../../platform/db/compiled-query.ts';
import type { Database } from '../../platform/db/schema.ts';
import { AUDIT_COLUMNS, type AuditRow } from './entry-hash.ts';

export type AuditLogsTable = AuditRow;

export interface AuditCheckpointsTable {
  tree_size: number;
  root_hash: string;
  timestamp: string;
  origin: string;
  key_id: string;
  signature: string;
  last_hash: string;
  frontier: string;
}
export type CheckpointRow = AuditCheckpointsTable;

export interface AuditRetentionCutsTable {
  through_seq: number;
  cut_at: string;
  archived: number;
}

export interface AuditSubjectKeysTable {
  subject_id: string;
  key_material: string | null;
  created_at: string;
  erased_at: string | null;
}

export interface DataArchiveTable {
  id: string;
  source: string;
  record_id: string;
  payload: string;
  archived_at: string;
}

type Db = Kysely<Database>;

/**
 * Appends are serialized so that the chain never forks: on PostgreSQL a transaction-scoped
 * advisory lock (keyed by schema, so separate schemas do not wait on each other) is held from
 * reading the tail until commit; SQLite has one writer at a time already. The primary key on
 * `seq` is the last line of defence: a second entry with the same number cannot be stored.
 */
export async function lockAppends(db: Db, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.enterprise_audit_logs'))`.execute(db);
}

export interface Tail {
  seq: number;
  hash: string;
}

/**
 * The queries on every audited write, built and compiled once: building a 20-column insert with
 * Kysely costs more than SQLite takes to run it. Each takes the transaction to run in.
 */
export function appendQueries(db: Db) {
  const lastEntry = compileOnce<Database, never, Tail>(db, () =>
    db.selectFrom('enterprise_audit_logs').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
  );
  const insert = compileOnce<Database, keyof AuditRow, never>(db, (param) =>
    db
      .insertInto('enterprise_audit_logs')
      .values(
        Object.fromEntries(AUDIT_COLUMNS.map((column) => [column, param(column)])) as unknown as AuditRow,
      ),
  );
  const subjectKey = compileOnce<Database, 'subject', { key_material: string | null }>(db, (param) =>
    db.selectFrom('audit_subject_keys').select('key_material').where('subject_id', '=', param('subject')),
  );
  return {
    async readTail(trx: Db): Promise<Tail | null> {
      const { rows } = await lastEntry({} as Record<never, unknown>, trx);
      return rows[0] ?? (await latestCut(trx));
    },
    async insert(trx: Db, rows: readonly AuditRow[]): Promise<void> {
      for (const row of rows) await insert(row, trx);
    },
    /** The stored key: a Buffer, null when erased, undefined when the subject has none yet. */
    async subjectKey(trx: Db, subject: string): Promise<Buffer | null | undefined> {
      const { rows } = await subjectKey({ subject }, trx);
      if (rows.length === 0) return undefined;
      return rows[0]!.key_material ? Buffer.from(rows[0]!.key_material, 'base64') : null;
    },
  };
}

/** The last entry, or where retention cut the log, or nothing yet. */
export async function readTail(db: Db): Promise<Tail | null> {
  const last = await db
    .selectFrom('enterprise_audit_logs')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last) return last;
  return (await latestCut(db)) ?? null;
}

export async function latestCut(db: Db): Promise<Tail | null> {
  const cut = await db
    .selectFrom('audit_retention_cuts')
    .innerJoin('audit_checkpoints', 'audit_checkpoints.tree_size', 'audit_retention_cuts.through_seq')
    .select(['audit_retention_cuts.through_seq as seq', 'audit_checkpoints.last_hash as hash'])
    .orderBy('audit_retention_cuts.through_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return cut ?? null;
}

export async function maxSeq(db: Db): Promise<number> {
  const tail = await readTail(db);
  return tail?.seq ?? 0;
}

export async function latestCheckpoint(db: Db, atMost?: number): Promise<CheckpointRow | undefined> {
  let query = db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1);
  if (atMost !== undefined) query = query.where('tree_size', '<=', atMost);
  return query.executeTakeFirst();
}

export async function checkpointAt(db: Db, treeSize: number): Promise<CheckpointRow | undefined> {
  return db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', treeSize).executeTakeFirst();
}

export async function insertCheckpoint(db: Db, row: CheckpointRow): Promise<boolean> {
  const result = await db
    .insertInto('audit_checkpoints')
    .values(row)
    .onConflict((oc) => oc.column('tree_size').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function allCheckpoints(db: Db): Promise<CheckpointRow[]> {
  return db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size').execute();
}

/**
 * Entries with seq in (after, through] (through: to the end), in seq order, in batches, with only
 * the columns asked for: checkpoint signing and proofs read hashes, verification whole rows.
 */
export async function* entryBatches<C extends keyof AuditRow>(
  db: Db,
  columns: readonly C[],
  range: { after: number; through?: number },
  batch = 2000,
): AsyncGenerator<Pick<AuditRow, C | 'seq'>[]> {
  const selected = [...new Set<keyof AuditRow>(['seq', ...columns])];
  let from = range.after;
  for (;;) {
    let query = db.selectFrom('enterprise_audit_logs').select(selected).where('seq', '>', from);
    if (range.through !== undefined) query = query.where('seq', '<=', range.through);
    const rows = (await query.orderBy('seq').limit(batch).execute()) as Pick<AuditRow, C | 'seq'>[];
    if (rows.length === 0) return;
    yield rows;
    from = rows[rows.length - 1]!.seq;
    if (rows.length < batch) return;
  }
}
