import type { FastifyRequest } from 'fastify';
import type { Role } from '../../platform/http/access.ts';
import { clientIp } from '../../platform/http/client-ip.ts';

/** The guide's four categories and their event types (DATA_* for data access, as in its schema). */
export const AUDIT_EVENT_TYPES = {
  authentication: ['LOGIN', 'LOGOUT', 'LOGIN_FAILED', 'PASSWORD_CHANGE', 'MFA_ENABLE', 'MFA_DISABLE'],
  data_access: [
    'DATA_READ',
    'DATA_CREATE',
    'DATA_UPDATE',
    'DATA_DELETE',
    'DATA_EXPORT',
    'DATA_BULK_OPERATION',
  ],
  system: [
    'CONFIG_CHANGE',
    'BACKUP',
    'RESTORE',
    'MIGRATION',
    'CIRCUIT_OPENED',
    'CIRCUIT_HALF_OPENED',
    'CIRCUIT_CLOSED',
  ],
  security: [
    'IP_BLOCKED',
    'RATE_LIMITED',
    'PERMISSION_DENIED',
    'SESSION_TERMINATED',
    'ACCOUNT_LOCKED',
    'ACCOUNT_UNLOCKED',
  ],
} as const;

export type AuditCategory = keyof typeof AUDIT_EVENT_TYPES;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[AuditCategory][number];
export const AUDIT_CATEGORIES = Object.keys(AUDIT_EVENT_TYPES) as AuditCategory[];
export const ALL_EVENT_TYPES = AUDIT_CATEGORIES.flatMap((category) => AUDIT_EVENT_TYPES[category]);

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AuditSeverity = (typeof SEVERITIES)[number];
export const OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof OUTCOMES)[number];

const CATEGORY_OF = new Map<string, AuditCategory>(
  AUDIT_CATEGORIES.flatMap((category) =>
    AUDIT_EVENT_TYPES[category].map((type) => [type, category] as const),
  ),
);

export function categoryOf(type: AuditEventType): AuditCategory {
  return CATEGORY_OF.get(type)!;
}

/** Severity when an event does not state one. */
export function defaultSeverity(type: AuditEventType, outcome: AuditOutcome): AuditSeverity {
  switch (type) {
    case 'LOGIN_FAILED':
    case 'PERMISSION_DENIED':
    case 'RATE_LIMITED':
      return 'medium';
    case 'IP_BLOCKED':
    case 'ACCOUNT_LOCKED':
    case 'MFA_DISABLE':
    case 'RESTORE':
      return 'high';
    case 'CONFIG_CHANGE':
    case 'PASSWORD_CHANGE':
    case 'SESSION_TERMINATED':
    case 'DATA_DELETE':
    case 'DATA_BULK_OPERATION':
    case 'DATA_EXPORT':
    case 'MIGRATION':
    case 'BACKUP':
      return 'low';
    default:
      return outcome === 'success' ? 'info' : 'low';
  }
}

/**
 * Who did it, from where. `username` and `ip_address` are personal data: they are stored
 * encrypted under the actor's subject key, never in plain columns.
 */
export interface AuditActor {
  user_id: string | null;
  username: string | null;
  role: Role | null;
  ip_address: string | null;
}

/** Everything an entry knows about the request behind it. Routes build it with auditContextOf. */
export interface AuditContext {
  actor: AuditActor;
  request_id: string | null;
  trace_id: string | null;
}

/** The process itself (startup, timers): no user, no request. */
export const SYSTEM_CONTEXT: AuditContext = Object.freeze({
  actor: Object.freeze({ user_id: null, username: null, role: null, ip_address: null }),
  request_id: null,
  trace_id: null,
});

export function auditContextOf(request: FastifyRequest): AuditContext {
  const user = request.principal?.user;
  return {
    actor: {
      user_id: user?.id ?? null,
      username: user?.username ?? null,
      role: user?.role ?? null,
      ip_address: clientIp(request) || null,
    },
    request_id: request.ctx?.request_id ?? null,
    trace_id: request.ctx?.trace_id ?? null,
  };
}

/** JSON values only: what canonical JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One thing that happened. The module that makes the change states it; the audit service does the rest. */
export interface AuditEvent {
  type: AuditEventType;
  /** What was done, `<resource>.<verb>`: `item.update`, `user.password_reset`, `auth.login`. */
  action: string;
  resource?: { type: string; id: string | null };
  /** Never personal data, passwords, tokens or secrets: ids, codes, changed field values. */
  details?: JsonObject;
  /**
   * Personal data about other people (names, emails, addresses), by the data subject it belongs
   * to (a user id): encrypted under that subject's key, unreadable once the key is erased.
   */
  personal?: Record<string, JsonObject>;
  outcome?: AuditOutcome;
  severity?: AuditSeverity;
  /** Overrides the context's actor (sign-in failure of an unknown username). */
  actor?: Partial<AuditActor>;
}
