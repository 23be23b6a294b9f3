import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import type {
  AuditSeverity,
  IpFilterMode,
  IpListEntry,
  IpLists,
  IpListType,
  LockedAccount,
  Page,
  SecurityEvent,
  SecurityEventType,
  SecuritySummary,
  UserSession,
} from '../../api/types.ts';

const BASE = '/api/enterprise/security';

export const LIST_LABELS: Record<IpListType, string> = {
  blacklist: 'Blacklist',
  whitelist: 'Whitelist',
};

/** What each IP filter mode does with the lists. */
export const MODE_TEXT: Record<IpFilterMode, string> = {
  blacklist: 'Blacklist mode: requests from a blacklisted address are refused; everyone else may connect.',
  whitelist:
    'Whitelist mode: once the whitelist has entries, only its addresses may connect. Blacklist entries still apply, unless a whitelist entry at least as specific covers the address.',
};

/** The longest expiry the server accepts: ten years, in hours. */
export const MAX_EXPIRY_HOURS = 24 * 3650;

export const PAGE_SIZE = 50;

/** The events list's filters: '' is "any". */
export interface EventFilters {
  severity: AuditSeverity | '';
  type: SecurityEventType | '';
}

export const securityKeys = {
  all: ['security'] as const,
  summary: ['security', 'summary'] as const,
  events: (filters: EventFilters) => ['security', 'events', filters] as const,
  ipLists: ['security', 'ip-lists'] as const,
  locked: ['security', 'locked-accounts'] as const,
  sessions: (userId: string) => ['security', 'sessions', userId] as const,
};

export const getSummary = () => api<SecuritySummary>(`${BASE}/summary`);

export const listEvents = (filters: EventFilters, cursor: string | null) =>
  api<Page<SecurityEvent>>(`${BASE}/events`, {
    query: { limit: PAGE_SIZE, cursor, severity: filters.severity, type: filters.type },
  });

export const getIpLists = () => api<IpLists>(`${BASE}/ip-lists`);

export interface NewIpEntry {
  list_type: IpListType;
  ip_address: string;
  reason: string;
  expires_hours?: number;
  /** Needed when the change would block the caller's own address. */
  force?: boolean;
}

export const addIpEntry = (entry: NewIpEntry) =>
  api<IpListEntry>(`${BASE}/ip-list`, { method: 'POST', body: entry });

/** The entry's CIDR goes in the path, encoded: 10.0.0.0/8 is 10.0.0.0%2F8. */
export const removeIpEntry = (entry: { ip_address: string; list_type: IpListType; force?: boolean }) =>
  api<void>(`${BASE}/ip-list/${encodeURIComponent(entry.ip_address)}`, {
    method: 'DELETE',
    query: { list_type: entry.list_type, force: entry.force ? true : undefined },
  });

export const listLockedAccounts = () => api<{ items: LockedAccount[] }>(`${BASE}/locked-accounts`);

export const unlockAccount = (username: string) =>
  api<{ unlocked: boolean }>(`${BASE}/unlock-account`, { method: 'POST', body: { username } });

export const listSessions = (userId: string) =>
  api<{ items: UserSession[] }>(`${BASE}/sessions/${encodeURIComponent(userId)}`);

export const endSessions = (userId: string) =>
  api<{ terminated: number }>(`${BASE}/sessions/${encodeURIComponent(userId)}`, { method: 'DELETE' });

/** After a change: the summary's figures (and the lists it counts) are reloaded. */
export function refreshSecurity(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: securityKeys.all });
}

/** The server's answer when a change would block the caller's own address: it offers `force`. */
export const SELF_BLOCK = 'SELF_BLOCK';
