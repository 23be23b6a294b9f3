import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { Role } from '../../../platform/http/access.ts';
import { AppError, badRequest, notFound, unauthenticated } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { AuditContext, JsonObject, JsonValue } from '../../audit/events.ts';
import {
  type CountMode,
  type CountScope,
  type CountSessionRow,
  LINE_STATUSES,
  type LineStatus,
  type SessionStatus,
} from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import { type LiveProgress, liveProgress } from '../reports/progress.ts';
import * as claimsStore from './claims.store.ts';
import {
  canTransition,
  checkBookBeforeApprove,
  decideLineStatuses,
  illegalTransition,
  type LifecycleAction,
  PENDING_LINE_STATUSES,
  refuseBookChangedAtApprove,
  TRANSITIONS,
  writeAdjustments,
} from './lifecycle.ts';
import { findSession, isAssigned, locationInScope, scopeOf, seesBook } from './session-access.ts';
import * as store from './sessions.store.ts';
import * as snapshot from './snapshot.store.ts';
import {
  parseStoredTolerance,
  parseTolerance,
  type ToleranceInput,
  type ToleranceProfile,
  type ToleranceView,
  toleranceView,
} from './tolerance.ts';

/** Who is asking: what they may see depends on it (staff: only their sessions; blind mode). */
export interface Viewer {
  id: string;
  role: Role;
}

export interface CountSession {
  id: string;
  name: string;
  warehouse_id: string;
  mode: CountMode;
  status: SessionStatus;
  scope: CountScope;
  /** Omitted for staff in a blind session. */
  tolerance?: ToleranceView;
  notes: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  submitted_at: string | null;
  approved_at: string | null;
  approved_by: string | null;
  posted_at: string | null;
  cancelled_at: string | null;
  cancel_reason: string | null;
  version: number;
}

export interface SessionProgress {
  snapshot_size: number;
  lines_total: number;
  lines_counted: number;
  /** Omitted for staff in a blind session: a line's status hints at its variance. */
  lines_by_status?: Record<LineStatus, number>;
  assignments: number;
  assigned_locations: number;
  counters: number;
  /** Counted/total lines per location (reports/progress.ts), by location code. */
  by_location: LiveProgress['by_location'];
  by_location_truncated: boolean;
  /** Variance of the lines counted so far; omitted for staff in a blind session. */
  variance?: LiveProgress['variance'];
}

export interface CountSessionDetail extends CountSession {
  progress: SessionProgress;
}

export interface ScopeInput {
  location_ids?: string[];
  categories?: string[];
  item_ids?: string[];
}

export interface CreateSessionInput {
  name: string;
  warehouse_id: string;
  mode: CountMode;
  scope?: ScopeInput;
  tolerance?: ToleranceInput;
  notes?: string | null;
}

export interface UpdateSessionInput extends Partial<CreateSessionInput> {
  version?: number;
}

export interface TransitionInput {
  /** The version the caller last read; a mismatch is a 409 VERSION_CONFLICT. */
  version?: number;
}

export interface LocationRef {
  location_id: string;
  location_code: string;
  location_name: string;
  location_kind: string;
  path_codes: string[];
}

export interface Assignment extends LocationRef {
  session_id: string;
  user_id: string;
  username: string;
  display_name: string;
  role: Role;
  assigned_by: string;
  assigned_at: string;
}

export interface AssignInput {
  assignments: { location_id: string; user_ids: string[] }[];
}

export interface AssignResult {
  added: number;
  unchanged: number;
  items: Assignment[];
}

export interface ClaimState {
  user_id: string;
  display_name: string;
  claimed_at: string;
  heartbeat_at: string;
  expires_at: string;
  mine: boolean;
}

export interface MyAssignment extends LocationRef {
  session_id: string;
  session_name: string;
  session_mode: CountMode;
  session_status: SessionStatus;
  warehouse_id: string;
  assigned_at: string;
  /** Lines under the location waiting for a recount (the session is then in review). */
  recount_lines: number;
  claim: ClaimState | null;
}

export interface Claim {
  session_id: string;
  location_id: string;
  user_id: string;
  display_name: string;
  claimed_at: string;
  heartbeat_at: string;
  expires_at: string;
  ttl_seconds: number;
}

export interface ClaimView extends LocationRef {
  session_id: string;
  user_id: string;
  username: string;
  display_name: string;
  claimed_at: string;
  heartbeat_at: string;
  expires_at: string;
  expired: boolean;
}

interface PageRequest {
  cursor?: string;
  limit: number;
}

/**
 * Count sessions: planning, the lifecycle with its snapshot, assignments of counters to locations
 * and location claims. Every change is recorded in the audit trail, in its transaction, under the
 * `context` passed last; the actor of that context is the user acting.
 */
export interface CountSessions {
  create(input: CreateSessionInput, context: AuditContext): Promise<CountSession>;
  /** Newest first. Staff see only sessions in which they have an assignment. */
  list(
    filter: PageRequest & { status?: SessionStatus; warehouse_id?: string },
    viewer: Viewer,
  ): Promise<Page<CountSession>>;
  /** With progress figures. A session staff have no assignment in is not found for them. */
  get(id: string, viewer: Viewer): Promise<CountSessionDetail>;
  /** While draft only; scope and tolerance are replaced as a whole. */
  update(id: string, input: UpdateSessionInput, context: AuditContext): Promise<CountSession>;
  /** draft → counting: freezes the snapshot and creates the expected lines, in one transaction. */
  start(id: string, input: TransitionInput, context: AuditContext): Promise<CountSession>;
  submit(id: string, input: TransitionInput, context: AuditContext): Promise<CountSession>;
  approve(id: string, input: TransitionInput, context: AuditContext): Promise<CountSession>;
  post(id: string, input: TransitionInput, context: AuditContext): Promise<CountSession>;
  cancel(
    id: string,
    input: TransitionInput & { reason: string },
    context: AuditContext,
  ): Promise<CountSession>;

  /** Adds counter-location pairs (draft or counting); pairs assigned already are left as they are. */
  assign(id: string, input: AssignInput, context: AuditContext): Promise<AssignResult>;
  /** Removes one pair, and the user's claims that it alone covered. */
  unassign(id: string, locationId: string, userId: string, context: AuditContext): Promise<void>;
  /** Sorted by location code. Staff see only their own. */
  listAssignments(
    id: string,
    filter: PageRequest & { user_id?: string; location_id?: string },
    viewer: Viewer,
  ): Promise<Page<Assignment>>;
  /** The viewer's assigned locations in counting sessions, newest session first, with claim state. */
  myAssignments(filter: PageRequest & { session_id?: string }, viewer: Viewer): Promise<Page<MyAssignment>>;

  /** Claims a location for the actor, or renews their claim (heartbeat). */
  claim(locationId: string, sessionId: string, context: AuditContext): Promise<Claim>;
  /** By the holder, a supervisor or an admin; nothing to release is not an error. */
  release(locationId: string, sessionId: string, context: AuditContext): Promise<void>;
  listClaims(
    sessionId: string,
    filter: PageRequest & { include_expired?: boolean },
  ): Promise<Page<ClaimView>>;
}

export interface CountSessionsDeps extends CountingDeps {
  /** A claim lapses this long after its last heartbeat (COUNT_CLAIM_TTL_SECONDS). */
  claimTtlSeconds?: number;
}

/** Roles a counter may have. */
const COUNTER_ROLES: readonly Role[] = ['staff', 'supervisor'];
const ASSIGNABLE_STATUSES: readonly SessionStatus[] = ['draft', 'counting'];
/** Counting, and review while recounts are counted. */
const CLAIMABLE_STATUSES: readonly SessionStatus[] = ['counting', 'review'];
/** Pairs one assign request may name. */
const MAX_PAIRS = 2000;

function invalid(field: string, message: string): AppError {
  return badRequest(`${field} ${message}`, [{ field, message }]);
}

function viewerOf(context: AuditContext): Viewer {
  const { user_id, role } = context.actor;
  if (!user_id || !role) throw unauthenticated();
  return { id: user_id, role };
}

function sessionNotFound(): AppError {
  return notFound('Count session');
}

function notEditable(status: SessionStatus): AppError {
  return new AppError(
    409,
    'SESSION_NOT_EDITABLE',
    `Only a draft session can be edited; this one is ${status}`,
  );
}

function assignmentsLocked(status: SessionStatus): AppError {
  return new AppError(
    409,
    'SESSION_NOT_EDITABLE',
    `Assignments can change only while a session is draft or counting; this one is ${status}`,
  );
}

function versionConflict(current: number, sent: number): AppError {
  return new AppError(
    409,
    'VERSION_CONFLICT',
    `The session changed meanwhile: it is at version ${current}, you sent ${sent}; reload it and try again`,
  );
}

function notCounting(status: SessionStatus): AppError {
  return new AppError(
    409,
    'SESSION_NOT_COUNTING',
    `Locations can be claimed only while the session is counting (or in review, for recounts); it is ${status}`,
  );
}

function locationClaimed(holder: {
  display_name: string;
  user_id: string;
  expires_at: string;
  location_code: string;
}) {
  return new AppError(
    409,
    'LOCATION_CLAIMED',
    `Location ${holder.location_code} is claimed by ${holder.display_name} until ${holder.expires_at}`,
    [
      { field: 'holder', message: holder.display_name },
      { field: 'holder_user_id', message: holder.user_id },
      { field: 'expires_at', message: holder.expires_at },
    ],
  );
}

/** Ids from the root down to the location itself. */
function pathIds(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

const isString = (value: unknown) => typeof value === 'string';

function toSession(row: CountSessionRow, viewer: Viewer): CountSession {
  const session: CountSession = {
    id: row.id,
    name: row.name,
    warehouse_id: row.warehouse_id,
    mode: row.mode,
    status: row.status,
    scope: scopeOf(row),
    notes: row.notes,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    started_at: row.started_at,
    submitted_at: row.submitted_at,
    approved_at: row.approved_at,
    approved_by: row.approved_by,
    posted_at: row.posted_at,
    cancelled_at: row.cancelled_at,
    cancel_reason: row.cancel_reason,
    version: Number(row.version),
  };
  // A counter in a blind count needs no tolerances, and value thresholds speak of book values.
  if (seesBook(row, viewer.role)) session.tolerance = toleranceView(parseStoredTolerance(row.tolerance));
  return session;
}

/** The audit form of a tolerance profile: every figure but the item-location rules, which are counted. */
function toleranceDetails(profile: ToleranceProfile): JsonObject {
  const { by_item_location, ...rest } = toleranceView(profile);
  return { ...(rest as unknown as JsonObject), by_item_location: by_item_location.length };
}

function scopeDetails(scope: CountScope): JsonObject {
  return {
    location_ids: scope.location_ids,
    categories: scope.categories,
    item_ids: scope.item_ids.length,
  };
}

export function createCountSessions(deps: CountSessionsDeps): CountSessions {
  const { db, clock, ids, audit } = deps;
  const claimTtlSeconds = deps.claimTtlSeconds ?? 300;

  /** The session as the viewer may see it: staff only where they have an assignment. */
  async function visibleSession(
    handle: Kysely<Database>,
    id: string,
    viewer: Viewer,
  ): Promise<CountSessionRow> {
    const row = await findSession(handle, id);
    if (!row) throw sessionNotFound();
    if (viewer.role === 'staff') {
      const mine = await store.listAssignments(handle, { sessionId: id, userId: viewer.id, limit: 1 });
      if (mine.length === 0) throw sessionNotFound();
    }
    return row;
  }

  async function checkedWarehouse(handle: Kysely<Database>, warehouseId: string): Promise<void> {
    const warehouse = await store.findWarehouse(handle, warehouseId);
    if (!warehouse) throw notFound('Warehouse');
    if (warehouse.active !== 1) throw invalid('warehouse_id', 'is an inactive warehouse');
  }

  /** The scope as stored: deduplicated, every location in the warehouse, every item known. */
  async function checkedScope(
    handle: Kysely<Database>,
    warehouseId: string,
    input: ScopeInput | undefined,
  ): Promise<CountScope> {
    const locationIds = input?.location_ids ?? [];
    const itemIds = input?.item_ids ?? [];
    const scope: CountScope = {
      location_ids: [...new Set(locationIds)],
      categories: [...new Set((input?.categories ?? []).map((category) => category.trim()))],
      item_ids: [...new Set(itemIds)],
    };
    // Errors name the field by its place in the request, duplicates included.
    const locations = await store.findLocations(handle, locationIds);
    locationIds.forEach((id, index) => {
      const location = locations.get(id);
      if (!location) throw invalid(`scope.location_ids.${index}`, 'is not a known location');
      if (location.warehouse_id !== warehouseId)
        throw invalid(`scope.location_ids.${index}`, "is a location of another warehouse than the session's");
    });
    const items = await store.existingItemIds(handle, itemIds);
    itemIds.forEach((id, index) => {
      if (!items.has(id)) throw invalid(`scope.item_ids.${index}`, 'is not a known item');
    });
    return scope;
  }

  async function checkedTolerance(
    handle: Kysely<Database>,
    warehouseId: string,
    profile: ToleranceProfile,
  ): Promise<ToleranceProfile> {
    const rules = profile.by_item_location;
    const items = await store.existingItemIds(
      handle,
      rules.map((rule) => rule.item_id),
    );
    const locations = await store.findLocations(
      handle,
      rules.map((rule) => rule.location_id),
    );
    rules.forEach((rule, index) => {
      const field = `tolerance.by_item_location.${index}`;
      if (!items.has(rule.item_id)) throw invalid(`${field}.item_id`, 'is not a known item');
      if (locations.get(rule.location_id)?.warehouse_id !== warehouseId)
        throw invalid(`${field}.location_id`, "is not a location of the session's warehouse");
    });
    return profile;
  }

  async function withPathCodes<T extends { location_path: string }>(
    handle: Kysely<Database>,
    rows: T[],
  ): Promise<(T & { path_codes: string[] })[]> {
    const codes = await store.locationCodes(
      handle,
      rows.flatMap((row) => pathIds(row.location_path)),
    );
    return rows.map((row) => ({
      ...row,
      path_codes: pathIds(row.location_path).map((id) => codes.get(id) ?? '?'),
    }));
  }

  function toAssignment(row: store.AssignmentView & { path_codes: string[] }): Assignment {
    return {
      session_id: row.session_id,
      location_id: row.location_id,
      location_code: row.location_code,
      location_name: row.location_name,
      location_kind: row.location_kind,
      path_codes: row.path_codes,
      user_id: row.user_id,
      username: row.username,
      display_name: row.display_name,
      role: row.role,
      assigned_by: row.assigned_by,
      assigned_at: row.assigned_at,
    };
  }

  /**
   * One lifecycle step. The conditional update comes first: it takes the session's row lock and
   * decides which of two racing steps wins; the step's own work follows in the same transaction,
   * so a refusal further on (lines pending) undoes the status change too.
   */
  async function transition(
    action: LifecycleAction,
    id: string,
    input: TransitionInput & { reason?: string },
    context: AuditContext,
  ): Promise<CountSession> {
    const viewer = viewerOf(context);
    return audit.transaction(context, async (trx, record) => {
      const row = await findSession(trx, id);
      if (!row) throw sessionNotFound();
      if (!canTransition(action, row.status)) throw illegalTransition(action, row.status);
      if (input.version !== undefined && input.version !== Number(row.version))
        throw versionConflict(Number(row.version), input.version);
      const now = clock.now().toISOString();
      const { to, from } = TRANSITIONS[action];
      const changes: store.SessionChanges = { status: to, updated_at: now };
      if (action === 'start') changes.started_at = now;
      if (action === 'submit') changes.submitted_at = now;
      if (action === 'approve') {
        changes.approved_at = now;
        changes.approved_by = viewer.id;
      }
      if (action === 'post') changes.posted_at = now;
      if (action === 'cancel') {
        changes.cancelled_at = now;
        changes.cancel_reason = input.reason?.trim() ?? null;
      }
      const won = await store.updateSessionIfCurrent(
        trx,
        id,
        { version: Number(row.version), statuses: from },
        changes,
      );
      if (!won) {
        // Lost a race: the other step has committed by now (PostgreSQL waited for it).
        const current = await findSession(trx, id);
        if (!current) throw sessionNotFound();
        if (!canTransition(action, current.status)) throw illegalTransition(action, current.status);
        throw versionConflict(Number(current.version), Number(row.version));
      }
      const after: CountSessionRow = { ...row, ...changes, version: Number(row.version) + 1 };
      const details: JsonObject = { name: row.name, from: row.status, to };

      if (action === 'start') {
        const scope = scopeOf(row);
        const roots = await store.findLocations(trx, scope.location_ids);
        details.snapshot_size = await snapshot.takeSnapshot(trx, {
          sessionId: id,
          warehouseId: row.warehouse_id,
          rootPaths: scope.location_ids.map((rootId) => roots.get(rootId)?.path ?? `/${rootId}/`),
          categories: scope.categories,
          itemIds: scope.item_ids,
        });
        details.lines_created = await snapshot.createExpectedLines(trx, {
          sessionId: id,
          idPrefix: ids.uuid().slice(0, 24),
          now,
        });
      }
      if (action === 'submit' || action === 'cancel') {
        details.claims_released = await claimsStore.deleteSessionClaims(trx, id);
      }
      if (action === 'submit') Object.assign(details, await decideLineStatuses(trx, after));
      if (action === 'approve') {
        const pending = await store.countLinesIn(trx, id, PENDING_LINE_STATUSES);
        if (pending > 0) {
          throw new AppError(
            409,
            'LINES_PENDING',
            `${pending} ${pending === 1 ? 'line is' : 'lines are'} still pending (open, counted, recount or review): decide ${pending === 1 ? 'it' : 'them'} before approving the session`,
          );
        }
        await refuseBookChangedAtApprove(trx, after);
      }
      if (action === 'post') Object.assign(details, await writeAdjustments(trx, after));
      if (action === 'cancel') details.reason = changes.cancel_reason ?? null;

      record({
        type: 'DATA_UPDATE',
        action: `count_session.${action}`,
        resource: { type: 'count_session', id },
        details,
      });
      return toSession(after, viewer);
    });
  }

  return {
    async create(input, context) {
      const viewer = viewerOf(context);
      const tolerance = parseTolerance(input.tolerance);
      const now = clock.now().toISOString();
      const id = ids.uuid();
      return audit.transaction(context, async (trx, record) => {
        await checkedWarehouse(trx, input.warehouse_id);
        const scope = await checkedScope(trx, input.warehouse_id, input.scope);
        await checkedTolerance(trx, input.warehouse_id, tolerance);
        const notes = input.notes?.trim() || null;
        const row: CountSessionRow = {
          id,
          name: input.name.trim(),
          warehouse_id: input.warehouse_id,
          mode: input.mode,
          status: 'draft',
          scope: JSON.stringify(scope),
          tolerance: JSON.stringify(tolerance),
          notes,
          created_by: viewer.id,
          created_at: now,
          updated_at: now,
          started_at: null,
          submitted_at: null,
          approved_at: null,
          approved_by: null,
          posted_at: null,
          cancelled_at: null,
          cancel_reason: null,
          version: 1,
        };
        await store.insertSession(trx, row);
        record({
          type: 'DATA_CREATE',
          action: 'count_session.create',
          resource: { type: 'count_session', id },
          details: {
            name: row.name,
            warehouse_id: row.warehouse_id,
            mode: row.mode,
            scope: scopeDetails(scope),
            tolerance: toleranceDetails(tolerance),
            has_notes: notes !== null,
          },
        });
        return toSession(row, viewer);
      });
    },

    async list(filter, viewer) {
      const before = filter.cursor
        ? decodeCursor<[string, string]>(filter.cursor, (key) => key.length === 2 && key.every(isString))
        : undefined;
      const rows = await store.listSessions(db, {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.warehouse_id ? { warehouseId: filter.warehouse_id } : {}),
        ...(viewer.role === 'staff' ? { assignedTo: viewer.id } : {}),
        ...(before ? { before } : {}),
        limit: filter.limit + 1,
      });
      return toPage(
        rows,
        filter.limit,
        (row) => toSession(row, viewer),
        (row) => [row.created_at, row.id],
      );
    },

    async get(id, viewer) {
      const row = await visibleSession(db, id, viewer);
      const counts = await store.sessionCounts(db, id);
      let total = 0;
      let counted = 0;
      const byStatus = Object.fromEntries(LINE_STATUSES.map((status) => [status, 0])) as Record<
        LineStatus,
        number
      >;
      for (const [status, figures] of counts.linesByStatus) {
        total += figures.lines;
        counted += figures.counted;
        if (status in byStatus) byStatus[status as LineStatus] = figures.lines;
      }
      const live = await liveProgress(db, id, { seesBook: seesBook(row, viewer.role) });
      const progress: SessionProgress = {
        snapshot_size: counts.snapshotSize,
        lines_total: total,
        lines_counted: counted,
        assignments: counts.assignments,
        assigned_locations: counts.assignedLocations,
        counters: counts.counters,
        by_location: live.by_location,
        by_location_truncated: live.by_location_truncated,
      };
      if (seesBook(row, viewer.role)) progress.lines_by_status = byStatus;
      if (live.variance) progress.variance = live.variance;
      return { ...toSession(row, viewer), progress };
    },

    async update(id, input, context) {
      const viewer = viewerOf(context);
      if (Object.keys(input).every((key) => key === 'version'))
        throw invalid('body', 'names nothing to change besides version');
      const tolerance = input.tolerance === undefined ? undefined : parseTolerance(input.tolerance);
      return audit.transaction(context, async (trx, record) => {
        const row = await findSession(trx, id);
        if (!row) throw sessionNotFound();
        if (row.status !== 'draft') throw notEditable(row.status);
        if (input.version !== undefined && input.version !== Number(row.version))
          throw versionConflict(Number(row.version), input.version);
        const now = clock.now().toISOString();
        const warehouseId = input.warehouse_id ?? row.warehouse_id;
        const warehouseMoved = warehouseId !== row.warehouse_id;
        if (warehouseMoved) await checkedWarehouse(trx, warehouseId);
        const oldScope = scopeOf(row);
        const scope =
          input.scope !== undefined || warehouseMoved
            ? await checkedScope(trx, warehouseId, input.scope ?? oldScope)
            : oldScope;
        const oldTolerance = parseStoredTolerance(row.tolerance);
        const newTolerance =
          tolerance !== undefined || warehouseMoved
            ? await checkedTolerance(trx, warehouseId, tolerance ?? oldTolerance)
            : oldTolerance;

        const changes: store.SessionChanges = { updated_at: now };
        const changed: JsonObject = {};
        const note = (field: string, old: JsonValue, next: JsonValue) => {
          if (JSON.stringify(old) !== JSON.stringify(next)) changed[field] = { old, new: next };
        };
        if (input.name !== undefined) {
          changes.name = input.name.trim();
          note('name', row.name, changes.name);
        }
        if (input.mode !== undefined) {
          changes.mode = input.mode;
          note('mode', row.mode, input.mode);
        }
        if (warehouseMoved) {
          changes.warehouse_id = warehouseId;
          note('warehouse_id', row.warehouse_id, warehouseId);
        }
        if (input.scope !== undefined || warehouseMoved) {
          changes.scope = JSON.stringify(scope);
          note('scope', scopeDetails(oldScope), scopeDetails(scope));
          const roots = await store.findLocations(trx, scope.location_ids);
          const outside = await store.assignmentsOutside(trx, id, {
            warehouseId,
            rootPaths: scope.location_ids.map((rootId) => roots.get(rootId)?.path ?? `/${rootId}/`),
          });
          if (outside > 0) {
            throw new AppError(
              409,
              'ASSIGNMENTS_OUT_OF_SCOPE',
              `${outside} ${outside === 1 ? 'assignment is' : 'assignments are'} on locations outside the new scope: remove ${outside === 1 ? 'it' : 'them'} first`,
            );
          }
        }
        if (tolerance !== undefined) {
          changes.tolerance = JSON.stringify(newTolerance);
          note('tolerance', toleranceDetails(oldTolerance), toleranceDetails(newTolerance));
        }
        if (input.notes !== undefined) {
          changes.notes = input.notes?.trim() || null;
          if (changes.notes !== row.notes) changed.notes_changed = true;
        }
        const won = await store.updateSessionIfCurrent(
          trx,
          id,
          { version: Number(row.version), statuses: ['draft'] },
          changes,
        );
        if (!won) {
          const current = await findSession(trx, id);
          if (!current) throw sessionNotFound();
          if (current.status !== 'draft') throw notEditable(current.status);
          throw versionConflict(Number(current.version), Number(row.version));
        }
        record({
          type: 'DATA_UPDATE',
          action: 'count_session.update',
          resource: { type: 'count_session', id },
          details: { name: changes.name ?? row.name, changes: changed },
        });
        return toSession({ ...row, ...changes, version: Number(row.version) + 1 }, viewer);
      });
    },

    start: (id, input, context) => transition('start', id, input, context),
    submit: (id, input, context) => transition('submit', id, input, context),
    approve: async (id, input, context) => {
      await checkBookBeforeApprove({ audit, clock }, id, context);
      return transition('approve', id, input, context);
    },
    post: (id, input, context) => transition('post', id, input, context),
    cancel: (id, input, context) => transition('cancel', id, input, context),

    async assign(id, input, context) {
      const viewer = viewerOf(context);
      const pairs: store.AssignmentKey[] = [];
      const seen = new Set<string>();
      for (const entry of input.assignments) {
        for (const userId of entry.user_ids) {
          const key = `${entry.location_id}/${userId}`;
          if (seen.has(key)) continue;
          seen.add(key);
          pairs.push({ location_id: entry.location_id, user_id: userId });
        }
      }
      if (pairs.length > MAX_PAIRS)
        throw invalid(
          'assignments',
          `name ${pairs.length} counter-location pairs; at most ${MAX_PAIRS} at once`,
        );
      const now = clock.now().toISOString();
      return audit.transaction(context, async (trx, record) => {
        const row = await findSession(trx, id);
        if (!row) throw sessionNotFound();
        if (!ASSIGNABLE_STATUSES.includes(row.status)) throw assignmentsLocked(row.status);
        const checked = new Set<string>();
        for (const [index, entry] of input.assignments.entries()) {
          if (checked.has(entry.location_id)) continue;
          if (!(await locationInScope(trx, row, entry.location_id)))
            throw invalid(`assignments.${index}.location_id`, "is not a location in the session's scope");
          checked.add(entry.location_id);
        }
        const users = await store.findUsers(
          trx,
          pairs.map((pair) => pair.user_id),
        );
        input.assignments.forEach((entry, index) => {
          entry.user_ids.forEach((userId, position) => {
            const user = users.get(userId);
            const field = `assignments.${index}.user_ids.${position}`;
            if (!user) throw invalid(field, 'is not a known user');
            if (user.active !== 1) throw invalid(field, 'is an inactive user');
            if (!COUNTER_ROLES.includes(user.role))
              throw invalid(field, `is a user with role ${user.role}; counters are staff or supervisors`);
          });
        });
        // Takes the session's row lock: ordered against a concurrent lifecycle step.
        if (!(await store.touchSession(trx, id, ASSIGNABLE_STATUSES, now))) {
          const current = await findSession(trx, id);
          throw assignmentsLocked(current?.status ?? row.status);
        }
        const added = await store.insertAssignments(trx, id, pairs, {
          assigned_by: viewer.id,
          assigned_at: now,
        });
        const rows = await store.listAssignments(trx, {
          sessionId: id,
          locationIds: [...checked],
          userIds: [...new Set(pairs.map((pair) => pair.user_id))],
          limit: MAX_PAIRS * 100,
        });
        const items = (await withPathCodes(trx, rows))
          .filter((view) => seen.has(`${view.location_id}/${view.user_id}`))
          .map(toAssignment);
        record({
          type: 'DATA_CREATE',
          action: 'count_assignment.add',
          resource: { type: 'count_session', id },
          details: {
            session_name: row.name,
            assignments: input.assignments.map((entry) => ({
              location_id: entry.location_id,
              user_ids: [...new Set(entry.user_ids)],
            })),
            added,
            unchanged: pairs.length - added,
          },
        });
        return { added, unchanged: pairs.length - added, items };
      });
    },

    async unassign(id, locationId, userId, context) {
      const now = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        const row = await findSession(trx, id);
        if (!row) throw sessionNotFound();
        if (!ASSIGNABLE_STATUSES.includes(row.status)) throw assignmentsLocked(row.status);
        if (!(await store.touchSession(trx, id, ASSIGNABLE_STATUSES, now))) {
          const current = await findSession(trx, id);
          throw assignmentsLocked(current?.status ?? row.status);
        }
        if (!(await store.deleteAssignment(trx, id, { location_id: locationId, user_id: userId })))
          throw notFound('Assignment');
        // The user's claims under the location that no other assignment of theirs covers.
        const location = (await store.findLocations(trx, [locationId])).get(locationId);
        let released = 0;
        if (location) {
          for (const claimed of await store.claimedLocationsUnder(trx, id, userId, location.path)) {
            if (await isAssigned(trx, id, claimed, userId)) continue;
            released += await claimsStore.deleteClaimOf(trx, id, claimed, userId);
          }
        }
        record({
          type: 'DATA_DELETE',
          action: 'count_assignment.remove',
          resource: { type: 'count_session', id },
          details: {
            session_name: row.name,
            location_id: locationId,
            location_code: location?.code ?? null,
            user_id: userId,
            claims_released: released,
          },
        });
      });
    },

    async listAssignments(id, filter, viewer) {
      await visibleSession(db, id, viewer);
      const after = filter.cursor
        ? decodeCursor<[string, string]>(filter.cursor, (key) => key.length === 2 && key.every(isString))
        : undefined;
      const userId = viewer.role === 'staff' ? viewer.id : filter.user_id;
      if (viewer.role === 'staff' && filter.user_id !== undefined && filter.user_id !== viewer.id) {
        return { items: [], next_cursor: null };
      }
      const rows = await store.listAssignments(db, {
        sessionId: id,
        ...(userId ? { userId } : {}),
        ...(filter.location_id ? { locationId: filter.location_id } : {}),
        ...(after ? { after } : {}),
        limit: filter.limit + 1,
      });
      return toPage(await withPathCodes(db, rows), filter.limit, toAssignment, (row) => [
        row.location_code,
        row.user_id,
      ]);
    },

    async myAssignments(filter, viewer) {
      const after = filter.cursor
        ? decodeCursor<[string, string]>(filter.cursor, (key) => key.length === 2 && key.every(isString))
        : undefined;
      const rows = await store.listMyAssignments(db, {
        userId: viewer.id,
        ...(filter.session_id ? { sessionId: filter.session_id } : {}),
        now: clock.now().toISOString(),
        ...(after ? { after } : {}),
        limit: filter.limit + 1,
      });
      return toPage(
        await withPathCodes(db, rows),
        filter.limit,
        (row): MyAssignment => ({
          session_id: row.session_id,
          session_name: row.session_name,
          session_mode: row.session_mode as CountMode,
          session_status: row.session_status,
          warehouse_id: row.warehouse_id,
          location_id: row.location_id,
          location_code: row.location_code,
          location_name: row.location_name,
          location_kind: row.location_kind,
          path_codes: row.path_codes,
          assigned_at: row.assigned_at,
          recount_lines: Number(row.recount_lines),
          claim:
            row.claim_user_id && row.claimed_at && row.heartbeat_at && row.claim_expires_at
              ? {
                  user_id: row.claim_user_id,
                  display_name: row.claim_display_name ?? '',
                  claimed_at: row.claimed_at,
                  heartbeat_at: row.heartbeat_at,
                  expires_at: row.claim_expires_at,
                  mine: row.claim_user_id === viewer.id,
                }
              : null,
        }),
        (row) => [row.session_id, row.location_code],
      );
    },

    async claim(locationId, sessionId, context) {
      const viewer = viewerOf(context);
      const at = clock.now();
      const now = at.toISOString();
      const expiresAt = new Date(at.getTime() + claimTtlSeconds * 1000).toISOString();
      return audit.transaction(context, async (trx, record) => {
        const session = await findSession(trx, sessionId);
        if (!session) throw sessionNotFound();
        const location = (await store.findLocations(trx, [locationId])).get(locationId);
        if (!location) throw notFound('Location');
        if (!CLAIMABLE_STATUSES.includes(session.status)) throw notCounting(session.status);
        if (
          session.status === 'review' &&
          (await store.recountLinesUnder(trx, sessionId, location.path)) === 0
        ) {
          throw new AppError(
            409,
            'NOTHING_TO_RECOUNT',
            `Nothing under location ${location.code} waits for a recount in session ${session.name}`,
          );
        }
        if (!(await locationInScope(trx, session, locationId))) {
          throw new AppError(
            409,
            'LOCATION_NOT_IN_SCOPE',
            `Location ${location.code} is not in the scope of session ${session.name}`,
          );
        }
        if (viewer.role === 'staff' && !(await isAssigned(trx, sessionId, locationId, viewer.id))) {
          throw new AppError(
            403,
            'NOT_ASSIGNED',
            `You are not assigned to location ${location.code} in session ${session.name}`,
          );
        }
        const before = await claimsStore.lockClaim(trx, sessionId, locationId);
        const row = await claimsStore.upsertClaim(trx, {
          sessionId,
          locationId,
          userId: viewer.id,
          now,
          expiresAt,
        });
        if (!row) {
          const holder = await claimsStore.findClaimView(trx, sessionId, locationId);
          throw locationClaimed({
            display_name: holder?.display_name ?? 'another user',
            user_id: holder?.user_id ?? '',
            expires_at: holder?.expires_at ?? '',
            location_code: location.code,
          });
        }
        const renewed = before !== undefined && before.user_id === viewer.id && before.expires_at > now;
        const takenOver = before !== undefined && before.user_id !== viewer.id;
        // A heartbeat only moves the expiry and is not recorded: one entry per counter per minute
        // would drown the trail. Taking, taking over and releasing a claim are.
        if (!renewed)
          record({
            type: takenOver ? 'DATA_UPDATE' : 'DATA_CREATE',
            action: takenOver ? 'count_claim.take_over' : 'count_claim.claim',
            resource: { type: 'location', id: locationId },
            details: {
              session_id: sessionId,
              location_code: location.code,
              expires_at: expiresAt,
              ...(takenOver && before
                ? { previous_user_id: before.user_id, previous_expires_at: before.expires_at }
                : {}),
            },
          });
        const holder = (await store.findUsers(trx, [viewer.id])).get(viewer.id);
        return {
          session_id: row.session_id,
          location_id: row.location_id,
          user_id: row.user_id,
          display_name: holder?.display_name ?? '',
          claimed_at: row.claimed_at,
          heartbeat_at: row.heartbeat_at,
          expires_at: row.expires_at,
          ttl_seconds: claimTtlSeconds,
        };
      });
    },

    async release(locationId, sessionId, context) {
      const viewer = viewerOf(context);
      const now = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        const session = await findSession(trx, sessionId);
        if (!session) throw sessionNotFound();
        const location = (await store.findLocations(trx, [locationId])).get(locationId);
        if (!location) throw notFound('Location');
        // A posted session is immutable: every write on it is a 409, even one with nothing to do.
        if (session.status === 'posted')
          throw new AppError(409, 'SESSION_POSTED', 'The session is posted: nothing in it changes any more');
        const current = await claimsStore.lockClaim(trx, sessionId, locationId);
        if (!current) return;
        const byHolder = current.user_id === viewer.id;
        const live = current.expires_at > now;
        if (!byHolder && viewer.role === 'staff') {
          if (!live) return;
          const holder = await claimsStore.findClaimView(trx, sessionId, locationId);
          throw locationClaimed({
            display_name: holder?.display_name ?? 'another user',
            user_id: current.user_id,
            expires_at: current.expires_at,
            location_code: location.code,
          });
        }
        await claimsStore.deleteClaim(trx, sessionId, locationId);
        record({
          type: 'DATA_DELETE',
          action: 'count_claim.release',
          resource: { type: 'location', id: locationId },
          details: {
            session_id: sessionId,
            location_code: location.code,
            holder_user_id: current.user_id,
            by_holder: byHolder,
            expired: !live,
          },
        });
      });
    },

    async listClaims(sessionId, filter) {
      if (!(await findSession(db, sessionId))) throw sessionNotFound();
      const after = filter.cursor
        ? decodeCursor<[string]>(filter.cursor, (key) => key.length === 1 && isString(key[0]))
        : undefined;
      const now = clock.now().toISOString();
      const rows = await claimsStore.listClaims(db, {
        sessionId,
        now,
        includeExpired: filter.include_expired === true,
        ...(after ? { afterCode: after[0] } : {}),
        limit: filter.limit + 1,
      });
      return toPage(
        await withPathCodes(db, rows),
        filter.limit,
        (row): ClaimView => ({
          session_id: row.session_id,
          location_id: row.location_id,
          location_code: row.location_code,
          location_name: row.location_name,
          location_kind: row.location_kind,
          path_codes: row.path_codes,
          user_id: row.user_id,
          username: row.username,
          display_name: row.display_name,
          claimed_at: row.claimed_at,
          heartbeat_at: row.heartbeat_at,
          expires_at: row.expires_at,
          expired: row.expires_at <= now,
        }),
        (row) => [row.location_code],
      );
    },
  };
}
