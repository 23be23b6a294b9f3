import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { escapeLike } from '../../platform/db/escape-like.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { Role } from '../../platform/http/access.ts';

export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  display_name: string;
  role: Role;
  password_hash: string;
  pin_hash: string | null;
  active: number;
  password_changed_at: string;
  /** When two-factor sign-in was switched on; null: off. */
  mfa_enabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export type UserRow = Selectable<UsersTable>;
type Db = Kysely<Database> | Transaction<Database>;

export function usernameKey(username: string): string {
  return username.trim().toLowerCase();
}

export async function insertUser(db: Db, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('username_key', '=', usernameKey(username))
    .executeTakeFirst();
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface UserListFilter {
  role?: Role;
  active?: boolean;
  /** Matches the start of the username, case-insensitively. */
  q?: string;
  /** Keyset: only users whose username sorts after this one (lower-cased). */
  afterUsernameKey?: string;
  limit: number;
}

export async function listUsers(db: Db, filter: UserListFilter): Promise<UserRow[]> {
  let query = db.selectFrom('users').selectAll().orderBy('username_key').limit(filter.limit);
  if (filter.role) query = query.where('role', '=', filter.role);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
  if (filter.q) {
    const pattern = `${escapeLike(filter.q.toLowerCase())}%`;
    query = query.where(sql<boolean>`username_key like ${pattern} escape '\\'`);
  }
  if (filter.afterUsernameKey) query = query.where('username_key', '>', filter.afterUsernameKey);
  return query.execute();
}

export type UserChanges = Partial<
  Pick<UsersTable, 'display_name' | 'role' | 'active' | 'pin_hash' | 'password_hash' | 'password_changed_at'>
> & { updated_at: string };

export async function updateUser(db: Db, id: string, changes: UserChanges): Promise<boolean> {
  const result = await db.updateTable('users').set(changes).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countActiveAdmins(db: Db, excludingId?: string): Promise<number> {
  let query = db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('active', '=', 1);
  if (excludingId) query = query.where('id', '!=', excludingId);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}
