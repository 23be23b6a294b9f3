import { api } from '../../api/client.ts';
import type {
  AuditCategory,
  AuditCheckpoint,
  AuditComplianceReport,
  AuditEntry,
  AuditEntryWithProof,
  AuditIntegrity,
  AuditOutcome,
  AuditPublicKey,
  AuditSeverity,
  Page,
} from '../../api/types.ts';

const BASE = '/api/enterprise/audit';

/** The event types of each category, in the order the server documents them. */
export const AUDIT_EVENT_TYPES: Record<AuditCategory, readonly string[]> = {
  authentication: ['LOGIN', 'LOGOUT', 'LOGIN_FAILED', 'PASSWORD_CHANGE', 'MFA_ENABLE', 'MFA_DISABLE'],
  data_access: [
    'DATA_READ',
    'DATA_CREATE',
    'DATA_UPDATE',
    'DATA_DELETE',
    'DATA_EXPORT',
    'DATA_BULK_OPERATION',
  ],
  system: ['CONFIG_CHANGE', 'BACKUP', 'RESTORE', 'MIGRATION'],
  security: ['IP_BLOCKED', 'RATE_LIMITED', 'PERMISSION_DENIED', 'SESSION_TERMINATED'],
};

export const CATEGORY_LABELS: Record<AuditCategory, string> = {
  authentication: 'Authentication',
  data_access: 'Data access',
  system: 'System',
  security: 'Security',
};

export const SEVERITY_LABELS: Record<AuditSeverity, string> = {
  info: 'Info',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

export const OUTCOME_LABELS: Record<AuditOutcome, string> = {
  success: 'Success',
  failure: 'Failure',
  denied: 'Denied',
};

/** The periods the compliance report offers, in days. */
export const REPORT_PERIODS = [7, 30, 90, 365] as const;
export type ReportDays = (typeof REPORT_PERIODS)[number];

/** The log's filters as the form holds them: '' is "any"; dates are local YYYY-MM-DD. */
export interface AuditFilters {
  username: string;
  event_type: string;
  category: AuditCategory | '';
  severity: AuditSeverity | '';
  outcome: AuditOutcome | '';
  resource_type: string;
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = {
  username: '',
  event_type: '',
  category: '',
  severity: '',
  outcome: '',
  resource_type: '',
  from: '',
  to: '',
};

export const PAGE_SIZE = 50;

export const auditKeys = {
  all: ['audit'] as const,
  list: (filters: AuditFilters) => ['audit', 'list', filters] as const,
  entry: (id: string) => ['audit', 'entry', id] as const,
  checkpoints: ['audit', 'checkpoints'] as const,
  report: (days: number) => ['audit', 'report', days] as const,
  publicKey: ['audit', 'public-key'] as const,
};

/**
 * The dates are the user's local days, sent as ISO instants so the server's time zone does not
 * matter: "from" is its local midnight (inclusive), "to" the next local midnight (the server's
 * end_date is exclusive), so the whole of the "to" day is included.
 */
export function startOfDay(date: string): string {
  return date ? new Date(`${date}T00:00:00`).toISOString() : '';
}

export function endOfDay(date: string): string {
  if (!date) return '';
  const next = new Date(`${date}T00:00:00`);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
}

export const listAuditLogs = (filters: AuditFilters, cursor: string | null) =>
  api<Page<AuditEntry>>(`${BASE}/logs`, {
    query: {
      limit: PAGE_SIZE,
      cursor,
      username: filters.username.trim(),
      event_type: filters.event_type,
      category: filters.category,
      severity: filters.severity,
      outcome: filters.outcome,
      resource_type: filters.resource_type.trim(),
      start_date: startOfDay(filters.from),
      end_date: endOfDay(filters.to),
    },
  });

export const getAuditEntry = (id: string) =>
  api<AuditEntryWithProof>(`${BASE}/logs/${encodeURIComponent(id)}`);

export const verifyIntegrity = (from: string) =>
  api<AuditIntegrity>(`${BASE}/verify-integrity`, { query: { start_date: startOfDay(from) } });

export const getComplianceReport = (days: number) =>
  api<AuditComplianceReport>(`${BASE}/compliance-report`, { query: { days } });

/** The same report as a CSV file: a plain link, so the browser downloads it with the session cookie. */
export const complianceCsvUrl = (days: number) => `${BASE}/compliance-report?days=${days}&format=csv`;

export const listCheckpoints = (cursor: string | null) =>
  api<Page<AuditCheckpoint>>(`${BASE}/checkpoints`, { query: { limit: 20, cursor } });

export const getPublicKey = () => api<AuditPublicKey>(`${BASE}/public-key`);
