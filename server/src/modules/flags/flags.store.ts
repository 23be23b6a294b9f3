import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';
import type { FlagState } from './evaluate.ts';

export interface FeatureFlagsTable {
  key: string;
  name: string;
  description: string;
  state: FlagState;
  percentage: number | null;
  /** JSON array of user ids. */
  allowed_users: string;
  /** JSON array of roles. */
  allowed_roles: string;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

/** A stored flag with its lists parsed. */
export interface FlagRow extends Omit<FeatureFlagsTable, 'allowed_users' | 'allowed_roles'> {
  allowed_users: string[];
  allowed_roles: string[];
}

type Db = Kysely<Database>;
/** The name of this cache's version (platform/db/cache-versions.ts). */
export const CACHE_NAME = 'feature_flags';

function parseList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

function toRow(row: FeatureFlagsTable): FlagRow {
  return {
    ...row,
    // pg hands integers back as numbers, SQLite too; a null stays null.
    percentage: row.percentage === null ? null : Number(row.percentage),
    allowed_users: parseList(row.allowed_users),
    allowed_roles: parseList(row.allowed_roles),
  };
}

function toTable(row: FlagRow): FeatureFlagsTable {
  return {
    ...row,
    allowed_users: JSON.stringify(row.allowed_users),
    allowed_roles: JSON.stringify(row.allowed_roles),
  };
}

export async function allFlags(db: Db): Promise<FlagRow[]> {
  const rows = await db.selectFrom('feature_flags').selectAll().orderBy('key').execute();
  return rows.map(toRow);
}

export async function findFlag(db: Db, key: string): Promise<FlagRow | undefined> {
  const row = await db.selectFrom('feature_flags').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? toRow(row) : undefined;
}

/** Inserts the flag; false when the key is taken (the primary key decides, under concurrency too). */
export async function insertFlag(db: Db, row: FlagRow): Promise<boolean> {
  const result = await db
    .insertInto('feature_flags')
    .values(toTable(row))
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function updateFlag(db: Db, row: FlagRow): Promise<void> {
  const { key, created_at: _created, created_by: _by, ...changes } = toTable(row);
  await db.updateTable('feature_flags').set(changes).where('key', '=', key).execute();
}

export async function deleteFlag(db: Db, key: string): Promise<boolean> {
  const result = await db.deleteFrom('feature_flags').where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Reads the flag inside a change's transaction, locking its row on PostgreSQL. */
export async function lockFlag(
  db: Db,
  key: string,
  dialect: 'sqlite' | 'postgres',
): Promise<FlagRow | undefined> {
  let query = db.selectFrom('feature_flags').selectAll().where('key', '=', key);
  if (dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toRow(row) : undefined;
}
