import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

export type ListType = 'whitelist' | 'blacklist';

export interface IpListsTable {
  id: string;
  list_type: ListType;
  cidr: string;
  reason: string;
  /** `manual` (an admin) or `automatic` (brute-force protection). */
  source: 'manual' | 'automatic';
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
}
export type IpListRow = IpListsTable;

type Db = Kysely<Database>;
/** The name of this cache's version (platform/db/cache-versions.ts). */
export const CACHE_NAME = 'security_ip_lists';

export async function allEntries(db: Db): Promise<IpListRow[]> {
  return db.selectFrom('security_ip_lists').selectAll().orderBy('list_type').orderBy('cidr').execute();
}

export async function findEntry(db: Db, listType: ListType, cidr: string): Promise<IpListRow | undefined> {
  return db
    .selectFrom('security_ip_lists')
    .selectAll()
    .where('list_type', '=', listType)
    .where('cidr', '=', cidr)
    .executeTakeFirst();
}

/** Adds the entry, or replaces reason and expiry of the same list and CIDR. */
export async function upsertEntry(db: Db, row: IpListRow): Promise<void> {
  await db
    .insertInto('security_ip_lists')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['list_type', 'cidr']).doUpdateSet({
        reason: row.reason,
        source: row.source,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
      }),
    )
    .execute();
}

export async function deleteEntry(db: Db, listType: ListType, cidr: string): Promise<boolean> {
  const result = await db
    .deleteFrom('security_ip_lists')
    .where('list_type', '=', listType)
    .where('cidr', '=', cidr)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
