import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { Role } from '../../../platform/http/access.ts';
import type { CountScope, CountSessionRow } from '../counting.tables.ts';

/**
 * What the rest of counting (entries, lines, reports) asks about a session: read-only, in the
 * caller's transaction. The sessions service owns every change to sessions and assignments.
 */

export async function findSession(db: Kysely<Database>, id: string): Promise<CountSessionRow | undefined> {
  return db.selectFrom('count_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export function scopeOf(session: Pick<CountSessionRow, 'scope'>): CountScope {
  return JSON.parse(session.scope) as CountScope;
}

/**
 * Whether the user is assigned to count the location in the session: an assignment covers the
 * assigned location and its whole subtree (a counter assigned to aisle A01 counts its racks and
 * bins), so the location itself or any ancestor may carry the assignment.
 */
export async function isAssigned(
  db: Kysely<Database>,
  sessionId: string,
  locationId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('count_assignments as a')
    .innerJoin('locations as target', (join) => join.on('target.id', '=', locationId))
    .select('a.user_id')
    .where('a.session_id', '=', sessionId)
    .where('a.user_id', '=', userId)
    // A path is '/<root id>/…/<own id>/': the assigned location is on it. Ids hold no LIKE wildcard.
    .where(sql<boolean>`target.path like ('%/' || a.location_id || '/%')`)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The materialised paths of the locations the user is assigned to in the session: a location is
 * theirs to count when its path starts with one of these (`path like '<p>%'`), as isAssigned says.
 */
export async function assignedPaths(
  db: Kysely<Database>,
  sessionId: string,
  userId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('count_assignments as a')
    .innerJoin('locations as l', 'l.id', 'a.location_id')
    .select('l.path')
    .where('a.session_id', '=', sessionId)
    .where('a.user_id', '=', userId)
    .execute();
  return rows.map((row) => row.path);
}

/** The location is in the session's warehouse and, when the scope names locations, under one of them. */
export async function locationInScope(
  db: Kysely<Database>,
  session: Pick<CountSessionRow, 'warehouse_id' | 'scope'>,
  locationId: string,
): Promise<boolean> {
  const location = await db
    .selectFrom('locations')
    .select(['warehouse_id', 'path'])
    .where('id', '=', locationId)
    .executeTakeFirst();
  if (!location || location.warehouse_id !== session.warehouse_id) return false;
  const { location_ids } = scopeOf(session);
  if (location_ids.length === 0) return true;
  // A path is '/<root id>/…/<own id>/': the location is under a scope root when the root's id is on it.
  return location_ids.some((root) => location.path.includes(`/${root}/`));
}

/**
 * Whether the viewer may see book quantities and variances of the session. Blind mode hides them
 * from counters (staff) everywhere — lines, lookups, exports, errors, live updates — on the server.
 */
export function seesBook(session: Pick<CountSessionRow, 'mode'>, role: Role): boolean {
  return !(session.mode === 'blind' && role === 'staff');
}
