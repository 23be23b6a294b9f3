import type { Kysely } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import {
  type AuditContext,
  type AuditEvent,
  type AuditSeverity,
  defaultSeverity,
  type JsonObject,
} from '../../audit/events.ts';

/** The security events the product raises; each is also an entry in the audit trail. */
export const SECURITY_EVENT_TYPES = [
  'IP_BLOCKED',
  'RATE_LIMITED',
  'PERMISSION_DENIED',
  'SESSION_TERMINATED',
  'ACCOUNT_LOCKED',
  'ACCOUNT_UNLOCKED',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export interface SecurityEventsTable {
  id: string;
  timestamp: string;
  event_type: SecurityEventType;
  severity: AuditSeverity;
  user_id: string | null;
  ip_address: string | null;
  details: string;
  request_id: string | null;
}

export interface SecurityEvent {
  type: SecurityEventType;
  /** What happened, as the audit action: `request.forbidden`, `session.limit`... */
  action: string;
  severity?: AuditSeverity;
  /** The user it concerns (the locked account, whose session ended), when not the actor. */
  user_id?: string | null;
  details?: JsonObject;
  outcome?: AuditEvent['outcome'];
  /** What the audit entry is about, when not the user (the refused route, the blocked address). */
  resource?: { type: string; id: string | null };
}

export interface SecurityEventView {
  id: string;
  timestamp: string;
  event_type: SecurityEventType;
  severity: AuditSeverity;
  user_id: string | null;
  /** The user's current username, when the event concerns a user who still exists. */
  username: string | null;
  ip_address: string | null;
  details: JsonObject;
  request_id: string | null;
}

export interface SecurityEvents {
  /** Within the caller's transaction, with its audit entry; call it before the trail appends. */
  record(trx: Kysely<Database>, context: AuditContext, event: SecurityEvent): Promise<AuditEvent>;
  /** An event on its own (a refused request): its own transaction, row and audit entry together. */
  recordAlone(context: AuditContext, event: SecurityEvent): Promise<void>;
  /** Counts since a time, by type and by severity (the summary's last 24 hours). */
  countSince(
    since: string,
  ): Promise<{ total: number; by_type: Record<string, number>; by_severity: Record<string, number> }>;
  list(filter: {
    severity?: AuditSeverity;
    type?: SecurityEventType;
    cursor?: string;
    limit: number;
  }): Promise<Page<SecurityEventView>>;
}

const isKey = (key: unknown[]) =>
  key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string';

export function createSecurityEvents(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  trail: AuditTrail;
}): SecurityEvents {
  const { db, clock, ids, trail } = deps;

  async function insert(
    trx: Kysely<Database>,
    context: AuditContext,
    event: SecurityEvent,
  ): Promise<AuditEvent> {
    const outcome = event.outcome ?? (event.type === 'ACCOUNT_UNLOCKED' ? 'success' : 'denied');
    const severity = event.severity ?? defaultSeverity(event.type, outcome);
    await trx
      .insertInto('security_events')
      .values({
        id: ids.uuid(),
        timestamp: clock.now().toISOString(),
        event_type: event.type,
        severity,
        user_id: event.user_id ?? context.actor.user_id,
        ip_address: context.actor.ip_address,
        details: JSON.stringify(event.details ?? {}),
        request_id: context.request_id,
      })
      .execute();
    return {
      type: event.type,
      action: event.action,
      severity,
      outcome,
      actor: { ...context.actor },
      ...(event.resource
        ? { resource: event.resource }
        : event.user_id
          ? { resource: { type: 'user', id: event.user_id } }
          : {}),
      details: event.details ?? {},
    };
  }

  return {
    record: insert,

    async recordAlone(context, event) {
      await trail.transaction(context, async (trx, record) => {
        record(await insert(trx, context, event));
      });
    },

    async countSince(since) {
      const rows = await db
        .selectFrom('security_events')
        .select(['event_type', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
        .where('timestamp', '>=', since)
        .groupBy(['event_type', 'severity'])
        .execute();
      const byType: Record<string, number> = {};
      const bySeverity: Record<string, number> = {};
      let total = 0;
      for (const row of rows) {
        const n = Number(row.n);
        byType[row.event_type] = (byType[row.event_type] ?? 0) + n;
        bySeverity[row.severity] = (bySeverity[row.severity] ?? 0) + n;
        total += n;
      }
      return { total, by_type: byType, by_severity: bySeverity };
    },

    async list({ severity, type, cursor, limit }) {
      let query = db
        .selectFrom('security_events as e')
        .leftJoin('users as u', 'u.id', 'e.user_id')
        .selectAll('e')
        .select('u.username');
      if (severity) query = query.where('e.severity', '=', severity);
      if (type) query = query.where('e.event_type', '=', type);
      if (cursor) {
        const [timestamp, id] = decodeCursor<[string, string]>(cursor, isKey);
        query = query.where((eb) =>
          eb.or([
            eb('e.timestamp', '<', timestamp),
            eb.and([eb('e.timestamp', '=', timestamp), eb('e.id', '<', id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('e.timestamp', 'desc')
        .orderBy('e.id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(
        rows,
        limit,
        (row) => ({ ...row, username: row.username ?? null, details: JSON.parse(row.details) as JsonObject }),
        (row) => [row.timestamp, row.id],
      );
    },
  };
}

/**
 * At most one event per key per interval (one IP_BLOCKED per address per minute...): a flood of
 * refused requests must not become a flood of events. Bounded: past 10,000 keys it starts afresh.
 */
export function eventThrottle(clock: Clock, everyMs = 60_000): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const now = clock.now().getTime();
    if ((last.get(key) ?? Number.NEGATIVE_INFINITY) + everyMs > now) return false;
    if (last.size >= 10_000) last.clear();
    last.set(key, now);
    return true;
  };
}
