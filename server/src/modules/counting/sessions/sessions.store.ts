import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { Role } from '../../../platform/http/access.ts';
import type { CountSessionRow, CountSessionsTable, LineStatus, SessionStatus } from '../counting.tables.ts';

/**
 * Sessions and assignments. Scope checks and names read `warehouses`, `locations`, `items` and
 * `users` directly (as session-access.ts does): one query for a whole list of ids instead of a
 * service call per id, and only ever reads.
 */

type Db = Kysely<Database>;

export async function insertSession(db: Db, row: CountSessionRow): Promise<void> {
  await db.insertInto('count_sessions').values(row).execute();
}

export type SessionChanges = Partial<
  Omit<CountSessionsTable, 'id' | 'version' | 'created_by' | 'created_at'>
>;

/**
 * Changes a session only if it is still at `version` and in one of `statuses`, and bumps the
 * version: the optimistic check that lets exactly one of two racing changes win. On PostgreSQL
 * the loser's UPDATE waits for the winner's commit, then finds the version moved and changes
 * nothing; SQLite runs one writer at a time. Returns false when nothing was changed.
 */
export async function updateSessionIfCurrent(
  db: Db,
  id: string,
  expected: { version: number; statuses: readonly SessionStatus[] },
  changes: SessionChanges,
): Promise<boolean> {
  const result = await db
    .updateTable('count_sessions')
    .set({ ...changes, version: sql<number>`version + 1` })
    .where('id', '=', id)
    .where('version', '=', expected.version)
    .where('status', 'in', expected.statuses)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Bumps the version of a session in one of `statuses` (whatever its version): a change beside the
 * session row — assignments — takes the row lock, so it is ordered against lifecycle steps on
 * PostgreSQL. Returns false when the session is in another status.
 */
export async function touchSession(
  db: Db,
  id: string,
  statuses: readonly SessionStatus[],
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('count_sessions')
    .set({ updated_at: now, version: sql<number>`version + 1` })
    .where('id', '=', id)
    .where('status', 'in', statuses)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface SessionListFilter {
  status?: SessionStatus;
  warehouseId?: string;
  /** Only sessions in which this user has an assignment (what staff see). */
  assignedTo?: string;
  /** Keyset, newest first: sessions created before `[created_at, id]`. */
  before?: readonly [string, string];
  limit: number;
}

export async function listSessions(db: Db, filter: SessionListFilter): Promise<CountSessionRow[]> {
  let query = db
    .selectFrom('count_sessions')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.warehouseId !== undefined) query = query.where('warehouse_id', '=', filter.warehouseId);
  const assignedTo = filter.assignedTo;
  if (assignedTo !== undefined) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('count_assignments as a')
          .select('a.session_id')
          .whereRef('a.session_id', '=', 'count_sessions.id')
          .where('a.user_id', '=', assignedTo),
      ),
    );
  }
  if (filter.before) {
    const [createdAt, id] = filter.before;
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', createdAt),
        eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
      ]),
    );
  }
  return query.execute();
}

export interface SessionCounts {
  snapshotSize: number;
  linesByStatus: Map<string, { lines: number; counted: number }>;
  assignments: number;
  assignedLocations: number;
  counters: number;
}

export async function sessionCounts(db: Db, sessionId: string): Promise<SessionCounts> {
  const [snapshot, lines, assignments] = await Promise.all([
    db
      .selectFrom('count_snapshot')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('session_id', '=', sessionId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('count_lines')
      .select((eb) => [
        'status',
        eb.fn.countAll<number>().as('lines'),
        eb.fn.count<number>('counted_qty_e3').as('counted'),
      ])
      .where('session_id', '=', sessionId)
      .groupBy('status')
      .execute(),
    db
      .selectFrom('count_assignments')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.count<number>('location_id').distinct().as('locations'),
        eb.fn.count<number>('user_id').distinct().as('users'),
      ])
      .where('session_id', '=', sessionId)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    snapshotSize: Number(snapshot.n),
    linesByStatus: new Map(
      lines.map((row) => [row.status, { lines: Number(row.lines), counted: Number(row.counted) }]),
    ),
    assignments: Number(assignments.n),
    assignedLocations: Number(assignments.locations),
    counters: Number(assignments.users),
  };
}

export async function countLinesIn(
  db: Db,
  sessionId: string,
  statuses: readonly LineStatus[],
): Promise<number> {
  const row = await db
    .selectFrom('count_lines')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', '=', sessionId)
    .where('status', 'in', statuses)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// What the checks and the answers need from master data.

export async function findWarehouse(
  db: Db,
  id: string,
): Promise<{ id: string; code: string; active: number } | undefined> {
  return db.selectFrom('warehouses').select(['id', 'code', 'active']).where('id', '=', id).executeTakeFirst();
}

export interface LocationInfo {
  id: string;
  warehouse_id: string;
  code: string;
  name: string;
  kind: string;
  path: string;
}

const CHUNK = 500;

async function inChunks<T>(ids: readonly string[], read: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const out: T[] = [];
  // Chunked: well below either dialect's limit on bound parameters.
  for (let start = 0; start < unique.length; start += CHUNK) {
    out.push(...(await read(unique.slice(start, start + CHUNK))));
  }
  return out;
}

export async function findLocations(db: Db, ids: readonly string[]): Promise<Map<string, LocationInfo>> {
  const rows = await inChunks(ids, (chunk) =>
    db
      .selectFrom('locations')
      .select(['id', 'warehouse_id', 'code', 'name', 'kind', 'path'])
      .where('id', 'in', chunk)
      .execute(),
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** id → code, for the path_codes of locations (their ancestors' codes). */
export async function locationCodes(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await inChunks(ids, (chunk) =>
    db.selectFrom('locations').select(['id', 'code']).where('id', 'in', chunk).execute(),
  );
  return new Map(rows.map((row) => [row.id, row.code]));
}

export async function existingItemIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const rows = await inChunks(ids, (chunk) =>
    db.selectFrom('items').select('id').where('id', 'in', chunk).execute(),
  );
  return new Set(rows.map((row) => row.id));
}

export interface UserInfo {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  active: number;
}

export async function findUsers(db: Db, ids: readonly string[]): Promise<Map<string, UserInfo>> {
  const rows = await inChunks(ids, (chunk) =>
    db
      .selectFrom('users')
      .select(['id', 'username', 'display_name', 'role', 'active'])
      .where('id', 'in', chunk)
      .execute(),
  );
  return new Map(rows.map((row) => [row.id, row]));
}

// Assignments

export interface AssignmentKey {
  location_id: string;
  user_id: string;
}

/** Adds the pairs not assigned yet; returns how many were new. */
export async function insertAssignments(
  db: Db,
  sessionId: string,
  pairs: readonly AssignmentKey[],
  by: { assigned_by: string; assigned_at: string },
): Promise<number> {
  let added = 0;
  // 5 values a row: well under both dialects' limit on bound values.
  for (let start = 0; start < pairs.length; start += 1000) {
    const chunk = pairs.slice(start, start + 1000);
    const result = await db
      .insertInto('count_assignments')
      .values(chunk.map((pair) => ({ session_id: sessionId, ...pair, ...by })))
      .onConflict((conflict) => conflict.columns(['session_id', 'location_id', 'user_id']).doNothing())
      .executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return added;
}

export async function deleteAssignment(db: Db, sessionId: string, pair: AssignmentKey): Promise<boolean> {
  const result = await db
    .deleteFrom('count_assignments')
    .where('session_id', '=', sessionId)
    .where('location_id', '=', pair.location_id)
    .where('user_id', '=', pair.user_id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The session's assigned locations that are not under any of these paths (after a scope change). */
export async function assignmentsOutside(
  db: Db,
  sessionId: string,
  scope: { warehouseId: string; rootPaths: readonly string[] },
): Promise<number> {
  let query = db
    .selectFrom('count_assignments as a')
    .innerJoin('locations as l', 'l.id', 'a.location_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('a.session_id', '=', sessionId);
  const { warehouseId, rootPaths } = scope;
  query = query.where((eb) => {
    const outside = [eb('l.warehouse_id', '<>', warehouseId)];
    if (rootPaths.length > 0)
      outside.push(eb.and(rootPaths.map((path) => eb('l.path', 'not like', `${path}%`))));
    return eb.or(outside);
  });
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface AssignmentView {
  session_id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  location_kind: string;
  location_path: string;
  user_id: string;
  username: string;
  display_name: string;
  role: Role;
  assigned_by: string;
  assigned_at: string;
}

export interface AssignmentListFilter {
  sessionId: string;
  userId?: string;
  locationId?: string;
  /** Only these locations and users (the answer to an assign request). */
  locationIds?: readonly string[];
  userIds?: readonly string[];
  /** Keyset: after `[location code, user id]`. */
  after?: readonly [string, string];
  limit: number;
}

/** Sorted by location code (unique within the warehouse), then user id. */
export async function listAssignments(db: Db, filter: AssignmentListFilter): Promise<AssignmentView[]> {
  let query = db
    .selectFrom('count_assignments as a')
    .innerJoin('locations as l', 'l.id', 'a.location_id')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .select([
      'a.session_id',
      'a.location_id',
      'l.code as location_code',
      'l.name as location_name',
      'l.kind as location_kind',
      'l.path as location_path',
      'a.user_id',
      'u.username',
      'u.display_name',
      'u.role',
      'a.assigned_by',
      'a.assigned_at',
    ])
    .where('a.session_id', '=', filter.sessionId)
    .orderBy('l.code')
    .orderBy('a.user_id')
    .limit(filter.limit);
  if (filter.userId !== undefined) query = query.where('a.user_id', '=', filter.userId);
  if (filter.locationId !== undefined) query = query.where('a.location_id', '=', filter.locationId);
  if (filter.locationIds !== undefined)
    query = query.where('a.location_id', 'in', filter.locationIds as string[]);
  if (filter.userIds !== undefined) query = query.where('a.user_id', 'in', filter.userIds as string[]);
  if (filter.after) {
    const [code, userId] = filter.after;
    query = query.where((eb) =>
      eb.or([eb('l.code', '>', code), eb.and([eb('l.code', '=', code), eb('a.user_id', '>', userId)])]),
    );
  }
  return query.execute();
}

export interface MyAssignmentView {
  session_id: string;
  session_name: string;
  session_mode: string;
  session_status: SessionStatus;
  warehouse_id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  location_kind: string;
  location_path: string;
  assigned_at: string;
  /** Lines ordered for a recount under the location (its subtree). */
  recount_lines: number | string;
  claim_user_id: string | null;
  claim_display_name: string | null;
  claimed_at: string | null;
  heartbeat_at: string | null;
  claim_expires_at: string | null;
}

export interface MyAssignmentFilter {
  userId: string;
  sessionId?: string;
  /** Claims that expired at or before this time are shown as none. */
  now: string;
  /** Keyset: newest session first, then location code: after `[session id, location code]`. */
  after?: readonly [string, string];
  limit: number;
}

/**
 * A user's assigned locations with the current (live) claim on each: those of sessions that are
 * counting, and of sessions in review where lines under the location wait for a recount.
 */
export async function listMyAssignments(db: Db, filter: MyAssignmentFilter): Promise<MyAssignmentView[]> {
  // Correlated on the outer a (assignment) and l (its location). Paths hold only hex ids, '-'
  // and '/': no LIKE wildcard to escape.
  const recountLines = sql<number | string>`(
    select count(*) from count_lines rl
    join locations rloc on rloc.id = rl.location_id
    where rl.session_id = a.session_id and rl.status = 'recount' and rloc.path like l.path || '%'
  )`;
  let query = db
    .selectFrom('count_assignments as a')
    .innerJoin('count_sessions as s', 's.id', 'a.session_id')
    .innerJoin('locations as l', 'l.id', 'a.location_id')
    .leftJoin('count_claims as c', (join) =>
      join
        .onRef('c.session_id', '=', 'a.session_id')
        .onRef('c.location_id', '=', 'a.location_id')
        .on('c.expires_at', '>', filter.now),
    )
    .leftJoin('users as cu', 'cu.id', 'c.user_id')
    .select([
      'a.session_id',
      's.name as session_name',
      's.mode as session_mode',
      's.status as session_status',
      's.warehouse_id',
      'a.location_id',
      'l.code as location_code',
      'l.name as location_name',
      'l.kind as location_kind',
      'l.path as location_path',
      'a.assigned_at',
      recountLines.as('recount_lines'),
      'c.user_id as claim_user_id',
      'cu.display_name as claim_display_name',
      'c.claimed_at',
      'c.heartbeat_at',
      'c.expires_at as claim_expires_at',
    ])
    .where('a.user_id', '=', filter.userId)
    .where((eb) =>
      eb.or([
        eb('s.status', '=', 'counting'),
        eb.and([eb('s.status', '=', 'review'), eb(recountLines, '>', 0)]),
      ]),
    )
    .orderBy('a.session_id', 'desc')
    .orderBy('l.code')
    .limit(filter.limit);
  if (filter.sessionId !== undefined) query = query.where('a.session_id', '=', filter.sessionId);
  if (filter.after) {
    const [sessionId, code] = filter.after;
    query = query.where((eb) =>
      eb.or([
        eb('a.session_id', '<', sessionId),
        eb.and([eb('a.session_id', '=', sessionId), eb('l.code', '>', code)]),
      ]),
    );
  }
  return query.execute();
}

/** Locations in a subtree (`path` prefix) on which the user holds a claim in the session. */
export async function claimedLocationsUnder(
  db: Db,
  sessionId: string,
  userId: string,
  path: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('count_claims as c')
    .innerJoin('locations as l', 'l.id', 'c.location_id')
    .select('c.location_id')
    .where('c.session_id', '=', sessionId)
    .where('c.user_id', '=', userId)
    .where('l.path', 'like', `${path}%`)
    .execute();
  return rows.map((row) => row.location_id);
}

/** Lines waiting for a recount under a location (its subtree). */
export async function recountLinesUnder(db: Db, sessionId: string, locationPath: string): Promise<number> {
  // Paths hold only hex ids, '-' and '/': no LIKE wildcard to escape.
  const row = await db
    .selectFrom('count_lines as ln')
    .innerJoin('locations as l', 'l.id', 'ln.location_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('ln.session_id', '=', sessionId)
    .where('ln.status', '=', 'recount')
    .where('l.path', 'like', `${locationPath}%`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
