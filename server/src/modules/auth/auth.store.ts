import type { Kysely, Selectable, Transaction } from 'kysely';
import { compileOnce } from '../../platform/db/compiled-query.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { Role } from '../../platform/http/access.ts';

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  csrf_hash: string;
  auth_method: 'password' | 'pin';
  ip_address: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export type SessionRow = Selectable<SessionsTable>;
type Db = Kysely<Database> | Transaction<Database>;

export async function insertSession(db: Db, row: SessionRow): Promise<void> {
  await db.insertInto('security_sessions').values(row).execute();
}

/** A live session with its user's public columns (named as in `users`, so toUser reads them). */
export interface LiveSession {
  session_id: string;
  csrf_hash: string;
  last_seen_at: string;
  idle_expires_at: string;
  expires_at: string;
  id: string;
  username: string;
  display_name: string;
  role: Role;
  active: number;
  pin_hash: string | null;
  mfa_enabled_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * One indexed read per request: the session must be live and its user active, so revoking a
 * session or deactivating a user takes effect on the very next request, on every instance.
 * Compiled once per database handle: it runs on every authenticated request.
 */
function liveSessionQuery(db: Kysely<Database>) {
  return compileOnce<Database, 'tokenHash' | 'now', LiveSession>(db, (param) =>
    db
      .selectFrom('security_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([
        's.id as session_id',
        's.csrf_hash',
        's.last_seen_at',
        's.idle_expires_at',
        's.expires_at',
        'u.id',
        'u.username',
        'u.display_name',
        'u.role',
        'u.active',
        'u.pin_hash',
        'u.mfa_enabled_at',
        'u.created_at',
        'u.updated_at',
      ])
      .where('s.token_hash', '=', param('tokenHash'))
      .where('s.revoked_at', 'is', null)
      .where('s.idle_expires_at', '>', param('now'))
      .where('s.expires_at', '>', param('now'))
      .where('u.active', '=', 1),
  );
}

const liveSessionQueries = new WeakMap<Kysely<Database>, ReturnType<typeof liveSessionQuery>>();

export async function findLiveSession(
  db: Kysely<Database>,
  tokenHash: string,
  now: string,
): Promise<LiveSession | undefined> {
  let query = liveSessionQueries.get(db);
  if (!query) {
    query = liveSessionQuery(db);
    liveSessionQueries.set(db, query);
  }
  const { rows } = await query({ tokenHash, now });
  return rows[0];
}

export async function touchSession(
  db: Db,
  sessionId: string,
  lastSeen: string,
  idleExpires: string,
): Promise<void> {
  await db
    .updateTable('security_sessions')
    .set({ last_seen_at: lastSeen, idle_expires_at: idleExpires })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeSession(db: Db, sessionId: string, at: string, reason: string): Promise<boolean> {
  const result = await db
    .updateTable('security_sessions')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function revokeUserSessions(
  db: Db,
  userId: string,
  at: string,
  reason: string,
  exceptSessionId?: string,
): Promise<number> {
  let query = db
    .updateTable('security_sessions')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (exceptSessionId) query = query.where('id', '!=', exceptSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countActiveUsers(db: Db, now: string): Promise<number> {
  const row = await db
    .selectFrom('security_sessions')
    .select((eb) => eb.fn.count<number>('user_id').distinct().as('n'))
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', now)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A user's live sessions, newest first: what they can see and an admin can end. */
export async function listLiveSessions(db: Db, userId: string, now: string) {
  return db
    .selectFrom('security_sessions')
    .select(['id', 'auth_method', 'ip_address', 'user_agent', 'created_at', 'last_seen_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', now)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Ends every live session of the user but the newest `keep`; returns the ended ids. */
export async function revokeBeyond(db: Db, userId: string, keep: number, now: string, reason: string) {
  const live = await listLiveSessions(db, userId, now);
  const ended = live.slice(keep).map((session) => session.id);
  if (ended.length > 0) {
    await db
      .updateTable('security_sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', 'in', ended)
      .execute();
  }
  return ended;
}
