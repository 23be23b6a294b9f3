import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { escapeLike } from '../../../platform/db/escape-like.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { anonymousSubject } from '../../audit/audit.service.ts';
import type { JsonValue } from '../../audit/events.ts';
import { subjectKeys } from '../../audit/personal-data.ts';
import { accountKey } from '../../security/lockout/lockout.service.ts';
import { usernameKey } from '../../users/users.store.ts';
import { scrubSubjectRequests } from './requests.store.ts';

/**
 * GDPR erasure of one person, inside the caller's transaction. Personal data is removed or
 * replaced everywhere it is kept; operational records (counts, decisions, adjustments, imports)
 * stay, attributed to the user id, which from now on is a pseudonym nobody can link to a person:
 *
 * - users: username `erased-<random>`, display name "Erased user", no password or PIN that can
 *   ever match, inactive, no second factor;
 * - sessions: revoked, address and user agent removed; trusted devices, MFA secrets and recovery
 *   codes deleted; lockout rows of the account (by user id and by the username's key) and the
 *   per-address lockout counters of the addresses they used deleted;
 * - security events about them: address removed, personal fields of the details removed, and
 *   any text naming them replaced by "[erased]" (also in other people's events);
 * - count entries they made: the device id removed;
 * - audit trail: the keys sealing their personal fields destroyed (their user id, and the
 *   pseudonym of their username as typed at failed sign-ins): the chain still verifies;
 * - data_archive: archived rows of personal tables about them, and any archived row naming them
 *   or their addresses, deleted — the erased data is not kept in the archive either;
 * - data subject requests about them: reference, e-mail, notes and corrections cleared.
 */

const PERSONAL_KEYS = new Set([
  'username',
  'display_name',
  'ip',
  'ip_address',
  'user_agent',
  'email',
  'subject_email',
  'subject_ref',
]);

/** Archive sources whose rows are about a person, so are deleted when they name the user id. */
const PERSONAL_SOURCES = [
  'security_sessions',
  'security_events',
  'security_locked_accounts',
  'security_trusted_devices',
  'security_mfa',
  'security_mfa_recovery_codes',
  'security_lockout_addresses',
  'users',
  'data_subject_requests',
];

export const ERASED_DISPLAY_NAME = 'Erased user';
/** Not an argon2 hash: verification can never succeed. */
const UNUSABLE_HASH = '!erased';

export interface ErasureSummary {
  sessions: number;
  security_events: number;
  lockouts: number;
  trusted_devices: number;
  mfa: number;
  count_entries: number;
  archive_rows: number;
  requests: number;
  audit_subjects: number;
}

function containsAny(text: string, needles: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return needles.some((needle) => lower.includes(needle));
}

/** The JSON with personal keys removed and any text naming the person replaced. */
export function scrubJson(value: JsonValue, needles: readonly string[]): JsonValue {
  if (typeof value === 'string') return containsAny(value, needles) ? '[erased]' : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubJson(item, needles));
  const out: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) {
    if (PERSONAL_KEYS.has(key)) continue;
    out[key] = scrubJson(item, needles);
  }
  return out;
}

function scrubText(text: string, needles: readonly string[]): string {
  try {
    return JSON.stringify(scrubJson(JSON.parse(text) as JsonValue, needles));
  } catch {
    return containsAny(text, needles) ? '[erased]' : text;
  }
}

const mentions = (column: string, needle: string) =>
  sql<boolean>`lower(${sql.ref(column)}) like ${`%${escapeLike(needle)}%`} escape '\\'`;

export async function eraseSubject(
  trx: Kysely<Database>,
  userId: string,
  now: string,
): Promise<ErasureSummary> {
  const user = await trx
    .selectFrom('users')
    .select(['username', 'display_name'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();

  // Everything that identifies them, lower-cased, to find it wherever it was copied.
  const sessions = await trx
    .selectFrom('security_sessions')
    .select(['ip_address', 'user_agent'])
    .where('user_id', '=', userId)
    .execute();
  const events = await trx
    .selectFrom('security_events')
    .select('ip_address')
    .where('user_id', '=', userId)
    .execute();
  const lockouts = await trx
    .selectFrom('security_locked_accounts')
    .select('try_sources')
    .where((eb) => eb.or([eb('user_id', '=', userId), eb('account_key', '=', accountKey(user.username))]))
    .execute();
  const requests = await trx
    .selectFrom('data_subject_requests')
    .select(['subject_ref', 'subject_email'])
    .where('subject_user_id', '=', userId)
    .execute();
  const ips = new Set<string>();
  const values = new Set<string>([user.username, user.display_name]);
  for (const session of sessions) {
    if (session.ip_address) ips.add(session.ip_address);
    if (session.user_agent) values.add(session.user_agent);
  }
  for (const event of events) if (event.ip_address) ips.add(event.ip_address);
  for (const lockout of lockouts)
    for (const source of lockout.try_sources.split(',')) if (source) ips.add(source);
  for (const ip of ips) values.add(ip);
  const addresses = [...ips];
  for (const request of requests) {
    if (request.subject_email) values.add(request.subject_email);
    // The user id itself is the pseudonym that stays.
    if (request.subject_ref && request.subject_ref !== userId) values.add(request.subject_ref);
  }
  // Very short values ("A", a one-letter name) would match everything: names of 3+ characters only.
  const needles = [...values].map((value) => value.trim().toLowerCase()).filter((value) => value.length >= 3);

  const summary: ErasureSummary = {
    sessions: 0,
    security_events: 0,
    lockouts: 0,
    trusted_devices: 0,
    mfa: 0,
    count_entries: 0,
    archive_rows: 0,
    requests: 0,
    audit_subjects: 0,
  };

  const pseudonym = `erased-${randomBytes(8).toString('hex')}`;
  await trx
    .updateTable('users')
    .set({
      username: pseudonym,
      username_key: usernameKey(pseudonym),
      display_name: ERASED_DISPLAY_NAME,
      password_hash: UNUSABLE_HASH,
      pin_hash: null,
      active: 0,
      mfa_enabled_at: null,
      updated_at: now,
    })
    .where('id', '=', userId)
    .execute();

  const revoked = await trx
    .updateTable('security_sessions')
    .set((eb) => ({
      ip_address: null,
      user_agent: null,
      revoked_at: eb.fn.coalesce('revoked_at', sql.val(now)),
      revoked_reason: eb.fn.coalesce('revoked_reason', sql.val('subject_erased')),
    }))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  summary.sessions = Number(revoked.numUpdatedRows);

  summary.trusted_devices = Number(
    (await trx.deleteFrom('security_trusted_devices').where('user_id', '=', userId).executeTakeFirst())
      .numDeletedRows,
  );
  await trx.deleteFrom('security_mfa_recovery_codes').where('user_id', '=', userId).execute();
  summary.mfa = Number(
    (await trx.deleteFrom('security_mfa').where('user_id', '=', userId).executeTakeFirst()).numDeletedRows,
  );
  summary.lockouts = Number(
    (
      await trx
        .deleteFrom('security_locked_accounts')
        .where((eb) => eb.or([eb('user_id', '=', userId), eb('account_key', '=', accountKey(user.username))]))
        .executeTakeFirst()
    ).numDeletedRows,
  );

  // Lockout counters of the addresses they used: an address is personal data once linked to them.
  if (addresses.length > 0)
    await trx.deleteFrom('security_lockout_addresses').where('ip_address', 'in', addresses).execute();

  // Security events about them, from their addresses, or naming them.
  const namedEvents = await trx
    .selectFrom('security_events')
    .select(['id', 'user_id', 'ip_address', 'details'])
    .where((eb) =>
      eb.or([
        eb('user_id', '=', userId),
        ...(addresses.length > 0 ? [eb('ip_address', 'in', addresses)] : []),
        ...needles.map((needle) => mentions('details', needle)),
      ]),
    )
    .execute();
  for (const event of namedEvents) {
    const ownEvent = event.user_id === userId;
    const ipIsTheirs = event.ip_address !== null && addresses.includes(event.ip_address);
    await trx
      .updateTable('security_events')
      .set({
        details: ownEvent ? scrubText(event.details, needles) : scrubTextOnly(event.details, needles),
        ip_address: ownEvent || ipIsTheirs ? null : event.ip_address,
      })
      .where('id', '=', event.id)
      .execute();
  }
  summary.security_events = namedEvents.length;

  summary.count_entries = Number(
    (
      await trx
        .updateTable('count_entries')
        .set({ device_id: null })
        .where('counted_by', '=', userId)
        .where('device_id', 'is not', null)
        .executeTakeFirst()
    ).numUpdatedRows,
  );

  // The archive keeps nothing of them: rows of personal tables about them, and any row naming them.
  const archived = await trx
    .deleteFrom('data_archive')
    .where((eb) =>
      eb.or([
        eb.and([eb('source', 'in', PERSONAL_SOURCES), mentions('payload', userId.toLowerCase())]),
        ...needles.map((needle) => mentions('payload', needle)),
      ]),
    )
    .executeTakeFirst();
  summary.archive_rows = Number(archived.numDeletedRows);

  summary.requests = await scrubSubjectRequests(trx, userId, now);

  // Crypto-shredding: their sealed personal fields in the audit trail become unreadable.
  const auditSubjects = [userId, anonymousSubject(user.username)];
  for (const subject of auditSubjects) await subjectKeys.erase(trx, subject, now);
  summary.audit_subjects = auditSubjects.length;
  return summary;
}

/** Other people's events: only the text naming this person goes. */
function scrubTextOnly(text: string, needles: readonly string[]): string {
  try {
    const scrub = (value: JsonValue): JsonValue => {
      if (typeof value === 'string') return containsAny(value, needles) ? '[erased]' : value;
      if (value === null || typeof value !== 'object') return value;
      if (Array.isArray(value)) return value.map(scrub);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)]));
    };
    return JSON.stringify(scrub(JSON.parse(text) as JsonValue));
  } catch {
    return containsAny(text, needles) ? '[erased]' : text;
  }
}

/** The audit subjects whose keys erasure destroys (for the trail's own cache, after commit). */
export function erasedAuditSubjects(userId: string, username: string): string[] {
  return [userId, anonymousSubject(username)];
}
