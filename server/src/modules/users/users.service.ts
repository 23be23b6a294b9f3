import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { isUniqueViolation } from '../../platform/db/unique-violation.ts';
import type { PrincipalUser, Role } from '../../platform/http/access.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext } from '../audit/events.ts';
import { type PasswordHasher, passwordProblem, pinProblem } from '../auth/credentials.ts';
import type { SessionsService } from '../auth/sessions.service.ts';
import * as store from './users.store.ts';

/** The public view of a user: never a hash. The same shape the access guard puts on a request. */
export type User = PrincipalUser;

export function toUser(
  row: Pick<
    store.UserRow,
    | 'id'
    | 'username'
    | 'display_name'
    | 'role'
    | 'active'
    | 'pin_hash'
    | 'mfa_enabled_at'
    | 'created_at'
    | 'updated_at'
  >,
): User {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    role: row.role,
    active: row.active === 1,
    has_pin: row.pin_hash !== null,
    mfa_enabled: row.mfa_enabled_at !== null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface CreateUserInput {
  username: string;
  display_name: string;
  role: Role;
  password: string;
  pin?: string | null;
}

export interface UpdateUserInput {
  display_name?: string;
  role?: Role;
  active?: boolean;
  /** A new PIN, or null to remove it. */
  pin?: string | null;
}

/** Every change is recorded in the audit trail, in the same transaction, under `context`. */
export interface UsersService {
  create(input: CreateUserInput, context: AuditContext): Promise<User>;
  get(id: string): Promise<User>;
  list(filter: {
    role?: Role;
    active?: boolean;
    q?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<User>>;
  update(id: string, input: UpdateUserInput, context: AuditContext): Promise<User>;
  /** An admin sets another user's password; their own goes through changeOwnPassword. */
  resetPassword(id: string, newPassword: string, context: AuditContext): Promise<void>;
  changeOwnPassword(
    id: string,
    current: string,
    next: string,
    keepSessionId: string,
    context: AuditContext,
  ): Promise<void>;
  /** For sign-in only: the stored hashes of an active user, or undefined. */
  findCredentials(username: string): Promise<store.UserRow | undefined>;
  isEmpty(): Promise<boolean>;
}

function requireValidPassword(password: string, username: string, field: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw badRequest(`${field} ${problem}`, [{ field, message: problem }]);
}

function requireValidPin(pin: string): void {
  const problem = pinProblem(pin);
  if (problem) throw badRequest(`pin ${problem}`, [{ field: 'pin', message: problem }]);
}

const isUsernameKey = (key: unknown[]) =>
  key.length === 1 && typeof key[0] === 'string' && /^[a-z0-9._@-]{1,64}$/.test(key[0]);

export function createUsersService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  hasher: PasswordHasher;
  sessions: SessionsService;
  audit: AuditTrail;
}): UsersService {
  const { db, clock, ids, hasher, sessions, audit } = deps;

  async function load(id: string): Promise<store.UserRow> {
    const row = await store.findUserById(db, id);
    if (!row) throw notFound('User');
    return row;
  }

  return {
    async create(input, context) {
      requireValidPassword(input.password, input.username, 'password');
      if (input.pin) requireValidPin(input.pin);
      const now = clock.now().toISOString();
      const row: store.UserRow = {
        id: ids.uuid(),
        username: input.username.trim(),
        username_key: store.usernameKey(input.username),
        display_name: input.display_name.trim(),
        role: input.role,
        password_hash: await hasher.hash(input.password),
        pin_hash: input.pin ? await hasher.hash(input.pin) : null,
        active: 1,
        password_changed_at: now,
        mfa_enabled_at: null,
        created_at: now,
        updated_at: now,
      };
      try {
        await audit.transaction(context, async (trx, record) => {
          await store.insertUser(trx, row);
          record({
            type: 'DATA_CREATE',
            action: 'user.create',
            resource: { type: 'user', id: row.id },
            details: { role: row.role, has_pin: row.pin_hash !== null },
            personal: { [row.id]: { username: row.username, display_name: row.display_name } },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict('A user with this username already exists', 'USERNAME_TAKEN');
        throw error;
      }
      return toUser(row);
    },

    async get(id) {
      return toUser(await load(id));
    },

    async list(filter) {
      const rows = await store.listUsers(db, {
        ...(filter.role ? { role: filter.role } : {}),
        ...(filter.active !== undefined ? { active: filter.active } : {}),
        ...(filter.q ? { q: filter.q } : {}),
        ...(filter.cursor
          ? { afterUsernameKey: decodeCursor<[string]>(filter.cursor, isUsernameKey)[0] }
          : {}),
        limit: filter.limit + 1,
      });
      return toPage(rows, filter.limit, toUser, (row) => [row.username_key]);
    },

    async update(id, input, context) {
      const actorId = context.actor.user_id;
      const row = await load(id);
      const losesAdmin =
        row.role === 'admin' &&
        row.active === 1 &&
        ((input.role !== undefined && input.role !== 'admin') || input.active === false);
      if (losesAdmin) {
        if (id === actorId) {
          throw new AppError(
            409,
            'SELF_LOCKOUT',
            'You cannot remove your own admin role or deactivate yourself',
          );
        }
        if ((await store.countActiveAdmins(db, id)) === 0) {
          throw new AppError(409, 'LAST_ADMIN', 'At least one active admin must remain');
        }
      }
      if (input.pin) requireValidPin(input.pin);
      const changes: store.UserChanges = { updated_at: clock.now().toISOString() };
      if (input.display_name !== undefined) changes.display_name = input.display_name.trim();
      if (input.role !== undefined) changes.role = input.role;
      if (input.active !== undefined) changes.active = input.active ? 1 : 0;
      if (input.pin !== undefined)
        changes.pin_hash = input.pin === null ? null : await hasher.hash(input.pin);
      await audit.transaction(context, async (trx, record) => {
        await store.updateUser(trx, id, changes);
        let sessionsEnded = 0;
        if (input.active === false)
          sessionsEnded += await sessions.revokeAllForUser(id, 'user_deactivated', undefined, trx);
        if (input.role !== undefined && input.role !== row.role)
          sessionsEnded += await sessions.revokeAllForUser(id, 'role_changed', undefined, trx);
        const changed: Record<string, { old: string | boolean; new: string | boolean }> = {};
        if (changes.role !== undefined && changes.role !== row.role)
          changed.role = { old: row.role, new: changes.role };
        if (changes.active !== undefined && changes.active !== row.active)
          changed.active = { old: row.active === 1, new: changes.active === 1 };
        const nameChanged = changes.display_name !== undefined && changes.display_name !== row.display_name;
        record({
          type: 'DATA_UPDATE',
          action: 'user.update',
          resource: { type: 'user', id },
          details: {
            changes: changed,
            ...(nameChanged ? { display_name_changed: true } : {}),
            ...(input.pin !== undefined ? { pin_changed: input.pin === null ? 'removed' : 'set' } : {}),
            sessions_ended: sessionsEnded,
          },
          ...(nameChanged
            ? { personal: { [id]: { display_name: { old: row.display_name, new: changes.display_name! } } } }
            : {}),
        });
      });
      return toUser(await load(id));
    },

    async resetPassword(id, newPassword, context) {
      const actorId = context.actor.user_id;
      if (id === actorId) {
        throw new AppError(409, 'SELF_RESET', 'Use /api/auth/change-password to change your own password');
      }
      const row = await load(id);
      requireValidPassword(newPassword, row.username, 'new_password');
      const now = clock.now().toISOString();
      const passwordHash = await hasher.hash(newPassword);
      await audit.transaction(context, async (trx, record) => {
        await store.updateUser(trx, id, {
          password_hash: passwordHash,
          password_changed_at: now,
          updated_at: now,
        });
        const ended = await sessions.revokeAllForUser(id, 'password_reset', undefined, trx);
        record({
          type: 'PASSWORD_CHANGE',
          action: 'user.password_reset',
          resource: { type: 'user', id },
          details: { by_admin: true, sessions_ended: ended },
        });
      });
    },

    async changeOwnPassword(id, current, next, keepSessionId, context) {
      const row = await load(id);
      if (!(await hasher.verify(row.password_hash, current))) {
        await audit.record(context, {
          type: 'PASSWORD_CHANGE',
          action: 'auth.password_change',
          outcome: 'failure',
          severity: 'medium',
          resource: { type: 'user', id },
          details: { reason: 'wrong_current_password' },
        });
        throw new AppError(400, 'WRONG_PASSWORD', 'current_password is not correct', [
          { field: 'current_password', message: 'is not correct' },
        ]);
      }
      if (current === next) {
        throw badRequest('new_password must differ from the current one', [
          { field: 'new_password', message: 'must differ from the current password' },
        ]);
      }
      requireValidPassword(next, row.username, 'new_password');
      const now = clock.now().toISOString();
      const passwordHash = await hasher.hash(next);
      await audit.transaction(context, async (trx, record) => {
        await store.updateUser(trx, id, {
          password_hash: passwordHash,
          password_changed_at: now,
          updated_at: now,
        });
        const ended = await sessions.revokeAllForUser(id, 'password_changed', keepSessionId, trx);
        record({
          type: 'PASSWORD_CHANGE',
          action: 'auth.password_change',
          resource: { type: 'user', id },
          details: { by_admin: false, sessions_ended: ended },
        });
      });
    },

    async findCredentials(username) {
      const row = await store.findUserByUsername(db, username);
      return row && row.active === 1 ? row : undefined;
    },

    async isEmpty() {
      return (await store.countUsers(db)) === 0;
    },
  };
}
