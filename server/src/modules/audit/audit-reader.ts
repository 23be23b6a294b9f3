import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import { usernameKey } from '../users/users.store.ts';
import { anonymousSubject } from './audit.service.ts';
import type { AuditRow } from './entry-hash.ts';
import type { AuditActor, JsonObject } from './events.ts';
import { openPersonal, subjectKeys } from './personal-data.ts';

/** An entry as the API shows it: the guide's schema, personal data opened where the key exists. */
export interface AuditEntryView {
  seq: number;
  event_id: string;
  timestamp: string;
  category: string;
  event_type: string;
  severity: string;
  outcome: string;
  action: string;
  actor: AuditActor;
  resource: { type: string; id: string | null } | null;
  details: JsonObject;
  /** Per data subject: the opened fields, or null when the subject was erased. */
  personal: Record<string, JsonObject | null>;
  request_id: string | null;
  trace_id: string | null;
  hash_algorithm: string;
  hash: string;
  previous_hash: string;
}

export interface AuditFilter {
  username?: string;
  user_id?: string;
  start_date?: string;
  end_date?: string;
  event_type?: string;
  category?: string;
  resource_type?: string;
  resource_id?: string;
  severity?: string;
  outcome?: string;
  cursor?: string;
  limit: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A query date as stored text: YYYY-MM-DD is midnight UTC (or the next midnight, for an end). */
export function parseDateParam(value: string, field: string, endOfDay = false): string {
  const date = new Date(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(date.getTime())) {
    throw badRequest(`${field} is not a date`, [
      { field, message: 'must be YYYY-MM-DD or an ISO-8601 time' },
    ]);
  }
  if (endOfDay && DATE_ONLY.test(value)) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

export async function toViews(db: Kysely<Database>, rows: AuditRow[]): Promise<AuditEntryView[]> {
  const subjects = new Set<string>();
  const sealedByRow = rows.map((row) => {
    const sealed = row.personal ? (JSON.parse(row.personal) as Record<string, string>) : {};
    for (const subject of Object.keys(sealed)) subjects.add(subject);
    return sealed;
  });
  const keys = await subjectKeys.readable(db, [...subjects]);
  return rows.map((row, index) => {
    const personal: Record<string, JsonObject | null> = {};
    for (const [subject, sealed] of Object.entries(sealedByRow[index]!)) {
      const key = keys.get(subject);
      personal[subject] = key ? openPersonal(key, row.event_id, subject, sealed) : null;
    }
    const actorData = (row.actor_subject ? personal[row.actor_subject]?.actor : undefined) as
      | { username?: string; ip_address?: string }
      | undefined;
    return {
      seq: row.seq,
      event_id: row.event_id,
      timestamp: row.timestamp,
      category: row.category,
      event_type: row.event_type,
      severity: row.severity,
      outcome: row.outcome,
      action: row.action,
      actor: {
        user_id: row.actor_user_id,
        username: actorData?.username ?? null,
        role: row.actor_role as AuditActor['role'],
        ip_address: actorData?.ip_address ?? null,
      },
      resource: row.resource_type ? { type: row.resource_type, id: row.resource_id } : null,
      details: JSON.parse(row.details) as JsonObject,
      personal,
      request_id: row.request_id,
      trace_id: row.trace_id,
      hash_algorithm: row.hash_algorithm,
      hash: row.hash,
      previous_hash: row.previous_hash,
    };
  });
}

const isSeqKey = (key: unknown[]) =>
  key.length === 1 && Number.isSafeInteger(key[0]) && (key[0] as number) > 0;

/** Newest first, keyset-paginated on seq. */
export async function searchEntries(
  db: Kysely<Database>,
  filter: AuditFilter,
): Promise<Page<AuditEntryView>> {
  let query = db.selectFrom('enterprise_audit_logs').selectAll();
  if (filter.username) {
    const user = await db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', usernameKey(filter.username))
      .executeTakeFirst();
    const subjects = [anonymousSubject(filter.username), ...(user ? [user.id] : [])];
    query = query.where('actor_subject', 'in', subjects);
  }
  if (filter.user_id) query = query.where('actor_user_id', '=', filter.user_id);
  if (filter.start_date)
    query = query.where('timestamp', '>=', parseDateParam(filter.start_date, 'start_date'));
  if (filter.end_date)
    query = query.where('timestamp', '<', parseDateParam(filter.end_date, 'end_date', true));
  if (filter.event_type) query = query.where('event_type', '=', filter.event_type);
  if (filter.category) query = query.where('category', '=', filter.category);
  if (filter.resource_type) query = query.where('resource_type', '=', filter.resource_type);
  if (filter.resource_id) query = query.where('resource_id', '=', filter.resource_id);
  if (filter.severity) query = query.where('severity', '=', filter.severity);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.cursor) query = query.where('seq', '<', decodeCursor<[number]>(filter.cursor, isSeqKey)[0]);
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = toPage(
    rows,
    filter.limit,
    (row) => row,
    (row) => [row.seq],
  );
  return { items: await toViews(db, page.items), next_cursor: page.next_cursor };
}

export async function findEntry(db: Kysely<Database>, eventId: string): Promise<AuditEntryView | undefined> {
  const row = await db
    .selectFrom('enterprise_audit_logs')
    .selectAll()
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  return row ? (await toViews(db, [row]))[0] : undefined;
}
