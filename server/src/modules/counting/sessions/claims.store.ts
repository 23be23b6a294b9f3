import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { CountClaimsTable } from '../counting.tables.ts';

type Db = Kysely<Database>;
export type ClaimRow = Selectable<CountClaimsTable>;

const claim = (column: keyof CountClaimsTable) => sql.ref(`count_claims.${column}`);

/**
 * Locks a location's claim row for the rest of the transaction and reads it as it is now (an
 * UPDATE takes the row lock on PostgreSQL and re-reads the latest committed version; SQLite runs
 * one writer at a time): SELECT … FOR UPDATE, portably. Undefined when there is no claim row.
 */
export async function lockClaim(
  trx: Db,
  sessionId: string,
  locationId: string,
): Promise<ClaimRow | undefined> {
  return trx
    .updateTable('count_claims')
    .set({ heartbeat_at: sql<string>`heartbeat_at` })
    .where('session_id', '=', sessionId)
    .where('location_id', '=', locationId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Takes or renews a claim in one statement: inserted when the location has none; otherwise
 * updated only when the caller holds it (a heartbeat: expiry pushed out, claimed_at kept while it
 * was live) or it has expired (taken over). Someone else's live claim is left alone and nothing
 * is returned — so of two parallel claims exactly one wins, on both dialects (PostgreSQL's
 * ON CONFLICT re-checks the condition against the winner's row).
 */
export async function upsertClaim(
  db: Db,
  input: { sessionId: string; locationId: string; userId: string; now: string; expiresAt: string },
): Promise<ClaimRow | undefined> {
  const { sessionId, locationId, userId, now, expiresAt } = input;
  const live = sql<boolean>`${claim('user_id')} = ${userId} and ${claim('expires_at')} > ${now}`;
  return db
    .insertInto('count_claims')
    .values({
      session_id: sessionId,
      location_id: locationId,
      user_id: userId,
      claimed_at: now,
      heartbeat_at: now,
      expires_at: expiresAt,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['session_id', 'location_id'])
        .doUpdateSet({
          claimed_at: sql<string>`case when ${live} then ${claim('claimed_at')} else ${now} end`,
          user_id: userId,
          heartbeat_at: now,
          expires_at: expiresAt,
        })
        .where(sql<boolean>`${claim('user_id')} = ${userId} or ${claim('expires_at')} <= ${now}`),
    )
    .returningAll()
    .executeTakeFirst();
}

export async function deleteClaim(db: Db, sessionId: string, locationId: string): Promise<void> {
  await db
    .deleteFrom('count_claims')
    .where('session_id', '=', sessionId)
    .where('location_id', '=', locationId)
    .execute();
}

export async function deleteClaimOf(
  db: Db,
  sessionId: string,
  locationId: string,
  userId: string,
): Promise<number> {
  const result = await db
    .deleteFrom('count_claims')
    .where('session_id', '=', sessionId)
    .where('location_id', '=', locationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A session that stops counting drops its claims: they only mean something while counting. */
export async function deleteSessionClaims(db: Db, sessionId: string): Promise<number> {
  const result = await db.deleteFrom('count_claims').where('session_id', '=', sessionId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface ClaimView extends ClaimRow {
  username: string;
  display_name: string;
  location_code: string;
  location_name: string;
  location_kind: string;
  location_path: string;
}

export async function findClaimView(
  db: Db,
  sessionId: string,
  locationId: string,
): Promise<ClaimView | undefined> {
  return claimViews(db)
    .where('c.session_id', '=', sessionId)
    .where('c.location_id', '=', locationId)
    .executeTakeFirst();
}

function claimViews(db: Db) {
  return db
    .selectFrom('count_claims as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .innerJoin('locations as l', 'l.id', 'c.location_id')
    .selectAll('c')
    .select([
      'u.username',
      'u.display_name',
      'l.code as location_code',
      'l.name as location_name',
      'l.kind as location_kind',
      'l.path as location_path',
    ]);
}

export interface ClaimListFilter {
  sessionId: string;
  /** Claims that expired at or before this time are left out unless `includeExpired`. */
  now: string;
  includeExpired: boolean;
  /** Keyset: after this location code (unique within the session's warehouse). */
  afterCode?: string;
  limit: number;
}

export async function listClaims(db: Db, filter: ClaimListFilter): Promise<ClaimView[]> {
  let query = claimViews(db)
    .where('c.session_id', '=', filter.sessionId)
    .orderBy('l.code')
    .limit(filter.limit);
  if (!filter.includeExpired) query = query.where('c.expires_at', '>', filter.now);
  if (filter.afterCode !== undefined) query = query.where('l.code', '>', filter.afterCode);
  return query.execute();
}
