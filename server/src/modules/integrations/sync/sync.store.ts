import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { SourceEntity } from '../connectors/erp-source.ts';

/** How a pass reads: `changes` all stock levels (writing only what moved), `new_items` only unknown item codes, `full` everything. */
export type SyncMode = 'changes' | 'new_items' | 'full';
export const SYNC_MODES: readonly SyncMode[] = ['changes', 'new_items', 'full'];

export interface ErpSyncStateTable {
  connector_id: string;
  entity: SourceEntity;
  mode: SyncMode;
  cursor: string | null;
  in_progress: number;
  fencing_token: number | null;
  started_at: string | null;
  /** JSON text: SyncCounts of the pass under way. */
  pass_counts: string | null;
  /** JSON text: the first rejected rows of the pass under way ({at, reason}[]). */
  rejects: string | null;
  last_completed_at: string | null;
  last_counts: string | null;
  last_error: string | null;
  updated_at: string;
}

export type SyncStateRow = Selectable<ErpSyncStateTable>;
type Db = Kysely<Database> | Transaction<Database>;

export interface StateKey {
  connector_id: string;
  entity: SourceEntity;
  mode: SyncMode;
}

export async function findState(db: Db, key: StateKey): Promise<SyncStateRow | undefined> {
  return db
    .selectFrom('erp_sync_state')
    .selectAll()
    .where('connector_id', '=', key.connector_id)
    .where('entity', '=', key.entity)
    .where('mode', '=', key.mode)
    .executeTakeFirst();
}

export async function listStates(db: Db): Promise<SyncStateRow[]> {
  return db.selectFrom('erp_sync_state').selectAll().orderBy('connector_id').orderBy('entity').execute();
}

/** The row for `key`, created empty when missing (a concurrent creation is fine: same content). */
export async function ensureState(db: Db, key: StateKey, now: string): Promise<void> {
  await db
    .insertInto('erp_sync_state')
    .values({ ...key, in_progress: 0, updated_at: now })
    .onConflict((conflict) => conflict.columns(['connector_id', 'entity', 'mode']).doNothing())
    .execute();
}

/**
 * Moves the state on, but only for a holder whose lease token is not older than the one that
 * last wrote it: false when a newer holder took the pass over (the caller's transaction must
 * then roll back, so its rows are not written either).
 */
export async function advanceState(
  db: Db,
  key: StateKey,
  fencingToken: number,
  values: Partial<Omit<SyncStateRow, 'connector_id' | 'entity' | 'mode' | 'fencing_token'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('erp_sync_state')
    .set({ ...values, fencing_token: fencingToken })
    .where('connector_id', '=', key.connector_id)
    .where('entity', '=', key.entity)
    .where('mode', '=', key.mode)
    .where((eb) => eb.or([eb('fencing_token', 'is', null), eb('fencing_token', '<=', fencingToken)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Forgets the cursors of a connector's passes (its settings changed: old cursors mean nothing now). */
export async function resetCursors(db: Db, connectorId: string, now: string): Promise<void> {
  await db
    .updateTable('erp_sync_state')
    .set({ cursor: null, in_progress: 0, pass_counts: null, rejects: null, updated_at: now })
    .where('connector_id', '=', connectorId)
    .execute();
}
