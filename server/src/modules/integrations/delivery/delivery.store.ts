import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { OutboxStatus } from '../../counting/counting.tables.ts';

/**
 * SQL of adjustment delivery: the delivery target, and the ERP outbox as its consumer. The outbox
 * is written by posting (counting/posting) and read and updated here only — posting queues a
 * message, delivery owns everything that happens to it afterwards.
 */

export type DeliveryKind = 'webhook' | 'sql';

export interface ErpDeliveryTargetTable {
  /** Always `default`: one target per installation. */
  id: string;
  kind: DeliveryKind;
  /** JSON text: the kind's settings, never a secret. */
  settings: string;
  /** AES-256-GCM under the integrations key, bound to the target (delivery-target key owner); null: none. */
  secret_sealed: string | null;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  last_test_status: 'ok' | 'failed' | null;
  last_test_message: string | null;
  last_tested_at: string | null;
}

/** What delivery adds to erp_outbox (migration 0020); null until the first attempt. */
export interface OutboxDeliveryColumns {
  last_attempt_at: string | null;
}

export type TargetRow = Selectable<ErpDeliveryTargetTable>;
type Db = Kysely<Database> | Transaction<Database>;

export const TARGET_ID = 'default';

/** The prefix of a count adjustment's outbox key (posting.store.ts): `count-adjustment:<line id>`. */
const ADJUSTMENT_KEY_PREFIX = 'count-adjustment:';

export async function findTarget(db: Db): Promise<TargetRow | undefined> {
  return db.selectFrom('erp_delivery_target').selectAll().where('id', '=', TARGET_ID).executeTakeFirst();
}

/** Inserts or replaces the target whole (a change of kind leaves nothing of the old one). */
export async function saveTarget(db: Db, row: TargetRow): Promise<void> {
  const { id: _id, created_at: _at, created_by: _by, ...replace } = row;
  await db
    .insertInto('erp_delivery_target')
    .values(row)
    .onConflict((conflict) => conflict.column('id').doUpdateSet(replace))
    .execute();
}

export async function deleteTarget(db: Db): Promise<boolean> {
  const result = await db.deleteFrom('erp_delivery_target').where('id', '=', TARGET_ID).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function recordTestResult(
  db: Db,
  result: { status: 'ok' | 'failed'; message: string; at: string },
): Promise<void> {
  await db
    .updateTable('erp_delivery_target')
    .set({ last_test_status: result.status, last_test_message: result.message, last_tested_at: result.at })
    .where('id', '=', TARGET_ID)
    .execute();
}

export interface OutboxRow {
  id: string;
  topic: string;
  idempotency_key: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  delivered_at: string | null;
  last_error: string | null;
  last_attempt_at: string | null;
}

const OUTBOX_COLUMNS = [
  'id',
  'topic',
  'idempotency_key',
  'payload',
  'status',
  'attempts',
  'next_attempt_at',
  'created_at',
  'delivered_at',
  'last_error',
  'last_attempt_at',
] as const;

function outboxRow(row: Omit<OutboxRow, 'attempts'> & { attempts: number | string }): OutboxRow {
  return { ...row, attempts: Number(row.attempts) };
}

/** Pending messages due at `now`, by due time then id (the due index): the oldest first. */
export async function duePending(db: Db, now: string, limit: number): Promise<OutboxRow[]> {
  const rows = await db
    .selectFrom('erp_outbox')
    .select(OUTBOX_COLUMNS)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(outboxRow);
}

export async function findOutbox(db: Db, id: string): Promise<OutboxRow | undefined> {
  const row = await db
    .selectFrom('erp_outbox')
    .select(OUTBOX_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? outboxRow(row) : undefined;
}

/** The ERP has it. Only a pending message moves: a concurrent admin action is not overwritten. */
export async function markDelivered(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('erp_outbox')
    .set((eb) => ({
      status: 'delivered',
      attempts: eb('attempts', '+', 1),
      delivered_at: at,
      last_attempt_at: at,
      last_error: null,
    }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A failed attempt: retried at `nextAttemptAt`, or `failed` for good. */
export async function markAttemptFailed(
  db: Db,
  id: string,
  outcome: { at: string; error: string; status: 'pending' | 'failed'; nextAttemptAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('erp_outbox')
    .set((eb) => ({
      status: outcome.status,
      attempts: eb('attempts', '+', 1),
      last_attempt_at: outcome.at,
      last_error: outcome.error,
      next_attempt_at: outcome.nextAttemptAt,
    }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A failed message back to pending, due now, with a fresh count of attempts. */
export async function requeueFailed(db: Db, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('erp_outbox')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Newest first; keyset after (created_at, id) descending. */
export async function listOutbox(
  db: Db,
  options: { status: OutboxStatus | null; before: readonly [string, string] | null; limit: number },
): Promise<OutboxRow[]> {
  let query = db.selectFrom('erp_outbox').select(OUTBOX_COLUMNS);
  if (options.status !== null) query = query.where('status', '=', options.status);
  if (options.before) {
    const [createdAt, id] = options.before;
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', createdAt),
        eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
      ]),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
  return rows.map(outboxRow);
}

export interface SessionDeliveryCounts {
  total: number;
  pending: number;
  delivered: number;
  failed: number;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

/**
 * The messages of a session's adjustments, counted by status. Each adjustment finds its message
 * through the UNIQUE idempotency key (`count-adjustment:<line id>`), from the session's index on
 * count_adjustments: no scan of the outbox.
 */
export async function sessionCounts(db: Db, sessionId: string): Promise<SessionDeliveryCounts> {
  const row = await db
    .selectFrom('count_adjustments as a')
    .innerJoin('erp_outbox as o', (join) =>
      join.on('o.idempotency_key', '=', sql<string>`cast(${ADJUSTMENT_KEY_PREFIX} as text) || a.line_id`),
    )
    .select((eb) => [
      eb.fn.countAll().as('total'),
      eb.fn.sum(sql<number>`case when o.status = 'pending' then 1 else 0 end`).as('pending'),
      eb.fn.sum(sql<number>`case when o.status = 'delivered' then 1 else 0 end`).as('delivered'),
      eb.fn.sum(sql<number>`case when o.status = 'failed' then 1 else 0 end`).as('failed'),
      eb.fn.max('o.last_attempt_at').as('last_attempt_at'),
      eb.fn
        .min(sql<string | null>`case when o.status = 'pending' then o.next_attempt_at end`)
        .as('next_attempt_at'),
    ])
    .where('a.session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return {
    total: Number(row.total ?? 0),
    pending: Number(row.pending ?? 0),
    delivered: Number(row.delivered ?? 0),
    failed: Number(row.failed ?? 0),
    last_attempt_at: (row.last_attempt_at as string | null) ?? null,
    next_attempt_at: (row.next_attempt_at as string | null) ?? null,
  };
}

/** The error of the session's most recently attempted message that is not delivered. */
export async function sessionLastError(db: Db, sessionId: string): Promise<string | null> {
  const row = await db
    .selectFrom('count_adjustments as a')
    .innerJoin('erp_outbox as o', (join) =>
      join.on('o.idempotency_key', '=', sql<string>`cast(${ADJUSTMENT_KEY_PREFIX} as text) || a.line_id`),
    )
    .select('o.last_error')
    .where('a.session_id', '=', sessionId)
    .where('o.status', '!=', 'delivered')
    .where('o.last_error', 'is not', null)
    .orderBy('o.last_attempt_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.last_error ?? null;
}
