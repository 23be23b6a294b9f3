import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A version number per in-memory cache that several instances keep (IP lists, feature flags): a
 * change bumps it in its own transaction, and every instance reloads when it sees it move.
 */
export interface CacheVersionsTable {
  name: string;
  version: number;
  updated_at: string;
}

export async function bumpCacheVersion(db: Kysely<Database>, name: string, now: string): Promise<void> {
  await db
    .insertInto('cache_versions')
    .values({ name, version: 1, updated_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ version: sql`cache_versions.version + 1`, updated_at: now }),
    )
    .execute();
}

/** 0 until the first change. */
export async function readCacheVersion(db: Kysely<Database>, name: string): Promise<number> {
  const row = await db
    .selectFrom('cache_versions')
    .select('version')
    .where('name', '=', name)
    .executeTakeFirst();
  return row === undefined ? 0 : Number(row.version);
}
