import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { isUniqueViolation } from '../../platform/db/unique-violation.ts';
import type { PrincipalUser, Role } from '../../platform/http/access.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import { type PasswordHasher, passwordProblem, pinProblem } from '../auth/credentials.ts';
import type { SessionsService } from '../auth/sessions.service.ts';
import * as store from './users.store.ts';

/** The public view of a user: never a hash. The same shape the access guard puts on a request. */
export type User = PrincipalUser;

export function toUser(
  row: Pick<
    store.UserRow,
    'id' | 'username' | 'display_name' | 'role' | 'active' | 'pin_hash' | 'created_at' | 'updated_at'
  >,
): User {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    role: row.role,
    active: row.active === 1,
    has_pin: row.pin_hash !== null,
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

export interface UsersService {
  create(input: CreateUserInput): Promise<User>;
  get(id: string): Promise<User>;
  list(filter: {
    role?: Role;
    active?: boolean;
    q?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<User>>;
  update(id: string, input: UpdateUserInput, actorId: string): Promise<User>;
  /** An admin sets another user's password; their own goes through changeOwnPassword. */
  resetPassword(id: string, newPassword: string, actorId: string): Promise<void>;
  changeOwnPassword(id: string, current: string, next: string, keepSessionId: string): Promise<void>;
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
}): UsersService {
  const { db, clock, ids, hasher, sessions } = deps;

  async function load(id: string): Promise<store.UserRow> {
    const row = await store.findUserById(db, id);
    if (!row) throw notFound('User');
    return row;
  }

  return {
    async create(input) {
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
        created_at: now,
        updated_at: now,
      };
      try {
        await store.insertUser(db, row);
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

    async update(id, input, actorId) {
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
      await store.updateUser(db, id, changes);
      if (input.active === false) await sessions.revokeAllForUser(id, 'user_deactivated');
      if (input.role !== undefined && input.role !== row.role)
        await sessions.revokeAllForUser(id, 'role_changed');
      return toUser(await load(id));
    },

    async resetPassword(id, newPassword, actorId) {
      if (id === actorId) {
        throw new AppError(409, 'SELF_RESET', 'Use /api/auth/change-password to change your own password');
      }
      const row = await load(id);
      requireValidPassword(newPassword, row.username, 'new_password');
      const now = clock.now().toISOString();
      await store.updateUser(db, id, {
        password_hash: await hasher.hash(newPassword),
        password_changed_at: now,
        updated_at: now,
      });
      await sessions.revokeAllForUser(id, 'password_reset');
    },

    async changeOwnPassword(id, current, next, keepSessionId) {
      const row = await load(id);
      if (!(await hasher.verify(row.password_hash, current))) {
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
      await store.updateUser(db, id, {
        password_hash: await hasher.hash(next),
        password_changed_at: now,
        updated_at: now,
      });
      await sessions.revokeAllForUser(id, 'password_changed', keepSessionId);
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
