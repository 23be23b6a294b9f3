import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

/** Failure counters and lockouts, one row per username tried (see lockout.service.ts). */
export interface LockedAccountsTable {
  /** SHA-256 hex of the lower-cased username as typed, whether or not a user has it. */
  account_key: string;
  user_id: string | null;
  failed_count: number;
  window_started_at: string | null;
  /** ",addr,addr,…": the client address of each try of the current run ("," alone: unknown). */
  try_sources: string;
  locked_until: string | null;
  lockout_count_24h: number;
  last_lockout_at: string | null;
  updated_at: string;
}

export interface TrustedDevicesTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  failed_count: number;
  window_started_at: string | null;
  locked_until: string | null;
}

export interface LockoutAddressesTable {
  ip_address: string;
  /** JSON array of ISO times, oldest first. */
  recent_lockouts: string;
  updated_at: string;
}

export type LockedAccountRow = Selectable<LockedAccountsTable>;
export type TrustedDeviceRow = Selectable<TrustedDevicesTable>;
type Db = Kysely<Database>;

export interface Reservation {
  now: string;
  /** Failures that started at or before this are forgotten: the next one starts a new run. */
  windowStart: string;
  maxAttempts: number;
}

const account = (column: keyof LockedAccountsTable) => sql.ref(`security_locked_accounts.${column}`);

/**
 * Takes one try from an account's budget in one statement (an upsert, atomic on both dialects:
 * PostgreSQL locks the row, SQLite runs one writer at a time). Refused — no row returned — while
 * the account is locked or every try of the current run is taken. A run starts afresh after an
 * expired lock, after a success, or when its window has passed. Returns the try's number (1..max).
 */
export async function reserveAccountTry(
  db: Db,
  key: string,
  userId: string | null,
  ip: string | null,
  { now, windowStart, maxAttempts }: Reservation,
): Promise<number | undefined> {
  const source = `,${ip ?? ''}`;
  const fresh = sql<boolean>`(${account('failed_count')} = 0 or ${account('window_started_at')} is null or ${account('window_started_at')} <= ${windowStart} or ${account('locked_until')} is not null)`;
  const row = await db
    .insertInto('security_locked_accounts')
    .values({
      account_key: key,
      user_id: userId,
      failed_count: 1,
      window_started_at: now,
      try_sources: source,
      locked_until: null,
      lockout_count_24h: 0,
      last_lockout_at: null,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict
        .column('account_key')
        .doUpdateSet({
          failed_count: sql<number>`case when ${fresh} then 1 else ${account('failed_count')} + 1 end`,
          window_started_at: sql<string>`case when ${fresh} then ${now} else ${account('window_started_at')} end`,
          try_sources: sql<string>`case when ${fresh} then ${source} else ${account('try_sources')} || ${source} end`,
          // Only reached when the lock, if any, has expired.
          locked_until: null,
          user_id: userId,
          updated_at: now,
        })
        .where(
          sql<boolean>`(${account('locked_until')} is null or ${account('locked_until')} <= ${now}) and (${fresh} or ${account('failed_count')} < ${maxAttempts})`,
        ),
    )
    .returning('failed_count')
    .executeTakeFirst();
  return row ? Number(row.failed_count) : undefined;
}

/** The same for a trusted device's own budget; the device row exists already. */
export async function reserveDeviceTry(
  db: Db,
  deviceId: string,
  { now, windowStart, maxAttempts }: Reservation,
): Promise<number | undefined> {
  const fresh = sql<boolean>`(failed_count = 0 or window_started_at is null or window_started_at <= ${windowStart} or locked_until is not null)`;
  const row = await db
    .updateTable('security_trusted_devices')
    .set({
      failed_count: sql<number>`case when ${fresh} then 1 else failed_count + 1 end`,
      window_started_at: sql<string>`case when ${fresh} then ${now} else window_started_at end`,
      locked_until: null,
    })
    .where('id', '=', deviceId)
    .where('expires_at', '>', now)
    .where(
      sql<boolean>`(locked_until is null or locked_until <= ${now}) and (${fresh} or failed_count < ${maxAttempts})`,
    )
    .returning('failed_count')
    .executeTakeFirst();
  return row ? Number(row.failed_count) : undefined;
}

/**
 * Locks an account's row for the rest of the transaction and reads it as it is now: an UPDATE
 * takes the row lock on PostgreSQL (and re-reads the latest committed version), and SQLite runs
 * one writer at a time — SELECT ... FOR UPDATE, portably.
 */
export async function lockAccount(trx: Db, key: string, now: string): Promise<LockedAccountRow | undefined> {
  return trx
    .updateTable('security_locked_accounts')
    .set({ updated_at: now })
    .where('account_key', '=', key)
    .returningAll()
    .executeTakeFirst();
}

export async function updateAccount(
  trx: Db,
  key: string,
  patch: Partial<Omit<LockedAccountRow, 'account_key'>>,
): Promise<void> {
  await trx.updateTable('security_locked_accounts').set(patch).where('account_key', '=', key).execute();
}

/** Gives one reserved try back, unless a lock fell meanwhile; the run and its failures stay. */
export async function releaseAccountTry(db: Db, key: string, now: string): Promise<void> {
  await db
    .updateTable('security_locked_accounts')
    .set({ failed_count: sql<number>`failed_count - 1`, updated_at: now })
    .where('account_key', '=', key)
    .where('failed_count', '>', 0)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
}

export async function releaseDeviceTry(db: Db, deviceId: string, now: string): Promise<void> {
  await db
    .updateTable('security_trusted_devices')
    .set({ failed_count: sql<number>`failed_count - 1` })
    .where('id', '=', deviceId)
    .where('failed_count', '>', 0)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
}

/** A success ends the failure run — unless a lock is in force: only time or an admin lifts that. */
export async function resetAccountRun(trx: Db, key: string, now: string): Promise<void> {
  await trx
    .updateTable('security_locked_accounts')
    .set({ failed_count: 0, window_started_at: null, try_sources: '', updated_at: now })
    .where('account_key', '=', key)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
}

/** The rows an admin unlock concerns: the name's own row, and any row of that user under an older name. */
export async function lockAccountsFor(
  trx: Db,
  key: string,
  userId: string | null,
  now: string,
): Promise<LockedAccountRow[]> {
  return trx
    .updateTable('security_locked_accounts')
    .set({ updated_at: now })
    .where((eb) =>
      userId ? eb.or([eb('account_key', '=', key), eb('user_id', '=', userId)]) : eb('account_key', '=', key),
    )
    .returningAll()
    .execute();
}

export async function clearAccounts(trx: Db, keys: string[], now: string): Promise<void> {
  if (keys.length === 0) return;
  await trx
    .updateTable('security_locked_accounts')
    .set({
      failed_count: 0,
      window_started_at: null,
      try_sources: '',
      locked_until: null,
      updated_at: now,
    })
    .where('account_key', 'in', keys)
    .execute();
}

export async function findDevice(db: Db, tokenHash: string): Promise<TrustedDeviceRow | undefined> {
  return db
    .selectFrom('security_trusted_devices')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function lockDevice(trx: Db, deviceId: string): Promise<TrustedDeviceRow | undefined> {
  return trx
    .updateTable('security_trusted_devices')
    .set((eb) => ({ failed_count: eb.ref('failed_count') }))
    .where('id', '=', deviceId)
    .returningAll()
    .executeTakeFirst();
}

export async function updateDevice(
  trx: Db,
  deviceId: string,
  patch: Partial<Omit<TrustedDeviceRow, 'id' | 'user_id' | 'token_hash'>>,
): Promise<void> {
  await trx.updateTable('security_trusted_devices').set(patch).where('id', '=', deviceId).execute();
}

export async function insertDevice(trx: Db, row: TrustedDeviceRow): Promise<void> {
  await trx.insertInto('security_trusted_devices').values(row).execute();
}

/** Forgets a user's expired devices and all but the `keep` most recently used. */
export async function trimDevices(trx: Db, userId: string, now: string, keep: number): Promise<void> {
  await trx
    .deleteFrom('security_trusted_devices')
    .where('user_id', '=', userId)
    .where('expires_at', '<=', now)
    .execute();
  const beyond = await trx
    .selectFrom('security_trusted_devices')
    .select('id')
    .where('user_id', '=', userId)
    .orderBy('last_used_at', 'desc')
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1000)
    .execute();
  if (beyond.length > 0) {
    await trx
      .deleteFrom('security_trusted_devices')
      .where(
        'id',
        'in',
        beyond.map((row) => row.id),
      )
      .execute();
  }
}

/** Clears the failures and locks of a user's devices; returns how many were locked. */
export async function clearDevices(trx: Db, userId: string, now: string): Promise<number> {
  const locked = await trx
    .selectFrom('security_trusted_devices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('locked_until', '>', now)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('security_trusted_devices')
    .set({ failed_count: 0, window_started_at: null, locked_until: null })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('failed_count', '>', 0), eb('locked_until', 'is not', null)]))
    .execute();
  return Number(locked.n);
}

/** The address's row, created if new and locked for the rest of the transaction (see lockAccount). */
export async function lockAddress(trx: Db, ip: string, now: string): Promise<string[]> {
  const row = await trx
    .insertInto('security_lockout_addresses')
    .values({ ip_address: ip, recent_lockouts: '[]', updated_at: now })
    .onConflict((conflict) => conflict.column('ip_address').doUpdateSet({ updated_at: now }))
    .returning('recent_lockouts')
    .executeTakeFirstOrThrow();
  return JSON.parse(row.recent_lockouts) as string[];
}

export async function saveAddress(trx: Db, ip: string, recent: string[], now: string): Promise<void> {
  await trx
    .updateTable('security_lockout_addresses')
    .set({ recent_lockouts: JSON.stringify(recent), updated_at: now })
    .where('ip_address', '=', ip)
    .execute();
}

/** Accounts of existing users locked now; names that match no user are never listed. */
export async function listLocked(db: Db, now: string) {
  return db
    .selectFrom('security_locked_accounts as l')
    .innerJoin('users as u', 'u.id', 'l.user_id')
    .select([
      'u.id as user_id',
      'u.username',
      'l.locked_until',
      'l.failed_count',
      'l.lockout_count_24h',
      'l.last_lockout_at',
    ])
    .where('l.locked_until', '>', now)
    .orderBy('u.username_key')
    .execute();
}

export async function findUserIdByKey(db: Db, usernameKey: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('username_key', '=', usernameKey)
    .executeTakeFirst();
  return row?.id;
}

/** Removes state that no longer decides anything: rows untouched since `before`, expired devices. */
export async function prune(db: Db, before: string, now: string): Promise<number> {
  const accounts = await db
    .deleteFrom('security_locked_accounts')
    .where('updated_at', '<', before)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .executeTakeFirst();
  const addresses = await db
    .deleteFrom('security_lockout_addresses')
    .where('updated_at', '<', before)
    .executeTakeFirst();
  const devices = await db
    .deleteFrom('security_trusted_devices')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(accounts.numDeletedRows) + Number(addresses.numDeletedRows) + Number(devices.numDeletedRows);
}
