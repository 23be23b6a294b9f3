import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

export interface ErpConnectorsTable {
  id: string;
  name: string;
  kind: 'sql' | 'http' | 'file_drop';
  role: 'source';
  /** JSON text: the kind's settings, never a secret. */
  settings: string;
  /** AES-256-GCM under the integrations key, bound to the id (connector-key.ts); null: none. */
  secret_sealed: string | null;
  enabled: number;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  last_test_status: 'ok' | 'failed' | null;
  last_test_message: string | null;
  last_tested_at: string | null;
}

export type ConnectorRow = Selectable<ErpConnectorsTable>;
type Db = Kysely<Database> | Transaction<Database>;

export async function insertConnector(db: Db, row: ConnectorRow): Promise<void> {
  await db.insertInto('erp_connectors').values(row).execute();
}

export async function findConnector(db: Db, id: string): Promise<ConnectorRow | undefined> {
  return db.selectFrom('erp_connectors').selectAll().where('id', '=', id).executeTakeFirst();
}

/** By name, then id; keyset after (name, id). */
export async function listConnectors(
  db: Db,
  options: { after: readonly [string, string] | null; limit: number },
): Promise<ConnectorRow[]> {
  let query = db.selectFrom('erp_connectors').selectAll();
  if (options.after) {
    const [name, id] = options.after;
    query = query.where((eb) =>
      eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]),
    );
  }
  return query.orderBy('name').orderBy('id').limit(options.limit).execute();
}

export type ConnectorChanges = Partial<
  Pick<ConnectorRow, 'name' | 'settings' | 'secret_sealed' | 'enabled' | 'updated_at' | 'updated_by'>
>;

export async function updateConnector(db: Db, id: string, changes: ConnectorChanges): Promise<boolean> {
  const result = await db.updateTable('erp_connectors').set(changes).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function recordTestResult(
  db: Db,
  id: string,
  result: { status: 'ok' | 'failed'; message: string; at: string },
): Promise<void> {
  await db
    .updateTable('erp_connectors')
    .set({ last_test_status: result.status, last_test_message: result.message, last_tested_at: result.at })
    .where('id', '=', id)
    .execute();
}

export async function deleteConnector(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('erp_connectors').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
