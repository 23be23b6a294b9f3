import type { QueryClient } from '@tanstack/react-query';
import { ApiError, api } from '../../../api/client.ts';
import type { Item, Location, Page, Warehouse } from '../../../api/types.ts';

/** The supervisor's side of counting: sessions, their plan, progress, review and reports. */

export const SESSION_STATUSES = ['draft', 'counting', 'review', 'approved', 'posted', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const COUNT_MODES = ['standard', 'blind', 'strict'] as const;
export type CountMode = (typeof COUNT_MODES)[number];

export const LINE_STATUSES = ['open', 'counted', 'auto_approved', 'recount', 'review', 'approved'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/** Lines that keep a session from being approved (the server's PENDING_LINE_STATUSES). */
export const PENDING_STATUSES: readonly LineStatus[] = ['open', 'counted', 'recount', 'review'];

export interface CountScope {
  location_ids: string[];
  categories: string[];
  item_ids: string[];
}

/** One level of tolerance: each figure left out means no tolerance on that axis. */
export interface ToleranceRule {
  qty_abs?: number;
  qty_pct?: number;
  value_abs?: number;
  value_pct?: number;
  auto_approve?: boolean;
}

export interface ToleranceProfile extends ToleranceRule {
  auto_approve: boolean;
  by_abc?: Partial<Record<'A' | 'B' | 'C', ToleranceRule>>;
  by_item_location?: (ToleranceRule & { item_id: string; location_id: string })[];
}

export interface CountSession {
  id: string;
  name: string;
  warehouse_id: string;
  mode: CountMode;
  status: SessionStatus;
  scope: CountScope;
  tolerance?: ToleranceProfile;
  notes: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  submitted_at: string | null;
  approved_at: string | null;
  approved_by: string | null;
  posted_at: string | null;
  cancelled_at: string | null;
  cancel_reason: string | null;
  version: number;
}

export interface SessionProgress {
  snapshot_size: number;
  lines_total: number;
  lines_counted: number;
  lines_by_status?: Record<LineStatus, number>;
  assignments: number;
  assigned_locations: number;
  counters: number;
  by_location?: {
    location_id: string;
    location_code: string;
    location_name: string;
    lines_total: number;
    lines_counted: number;
  }[];
  by_location_truncated?: boolean;
  /** Exact decimal strings; left out where the viewer may not see variances. */
  variance?: VarianceTotals;
}

export interface VarianceTotals {
  lines_with_variance: number;
  quantity_positive: string;
  quantity_negative: string;
  quantity_net: string;
  value_positive: string;
  value_negative: string;
  value_net: string;
}

export interface CountSessionDetail extends CountSession {
  progress: SessionProgress;
}

export interface SessionInput {
  name?: string;
  warehouse_id?: string;
  mode?: CountMode;
  scope?: Partial<CountScope>;
  tolerance?: Omit<ToleranceProfile, 'auto_approve'> & { auto_approve?: boolean };
  notes?: string | null;
  version?: number;
}

export interface Assignment {
  session_id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  location_kind: string;
  path_codes: string[];
  user_id: string;
  username: string;
  display_name: string;
  role: string;
  assigned_by: string;
  assigned_at: string;
}

export interface Claim {
  session_id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  path_codes: string[];
  user_id: string;
  username: string;
  display_name: string;
  claimed_at: string;
  heartbeat_at: string;
  expires_at: string;
  expired: boolean;
}

export interface UnknownItem {
  barcode: string;
  location_id: string;
  location_code: string;
  entry_count: number;
  quantity: number;
  counters: number;
  first_counted_at: string;
  last_counted_at: string;
}

export interface CountLine {
  id: string;
  session_id: string;
  location_id: string;
  location_code: string;
  item_id: string;
  item_code: string;
  item_name: string;
  base_uom: string;
  lot: string | null;
  expected: boolean;
  round: number;
  counted_qty: number | null;
  entry_count: number;
  status: LineStatus;
  flags: string[];
  updated_at: string;
  rounds?: { round: number; counted_qty: number; entry_count: number }[];
  book_qty?: number;
  /** The book quantity now, when it moved after the snapshot (flag book_changed); null otherwise. */
  current_book_qty?: number | null;
  unit_cost?: number;
  variance_qty?: number | null;
  variance_value?: number | null;
  reason_code?: string | null;
}

export interface VarianceReason {
  code: string;
  label: string;
}

export interface LineFilters {
  status: LineStatus | '';
  location_id: string;
  has_variance: boolean;
}

export interface BulkApproveFilter {
  status?: 'review' | 'counted';
  location_id?: string;
  max_abs_variance?: number;
}

export interface BulkApproveResult {
  approved: number;
  skipped_own_count: number;
  skipped_reason_required: number;
  skipped_not_counted: number;
}

export interface CloseRecountsResult {
  confirmed: number;
  disagreed: number;
  still_open: number;
}

export const PAGE_SIZE = 25;

export const countingKeys = {
  all: ['counting'] as const,
  lists: ['counting', 'list'] as const,
  list: (status: string) => ['counting', 'list', status] as const,
  detail: (id: string) => ['counting', 'detail', id] as const,
  /** Everything of one session below its detail: lines, claims, assignments, report. */
  session: (id: string) => ['counting', 'session', id] as const,
  assignments: (id: string) => ['counting', 'session', id, 'assignments'] as const,
  claims: (id: string) => ['counting', 'session', id, 'claims'] as const,
  unknown: (id: string) => ['counting', 'session', id, 'unknown'] as const,
  lines: (id: string, filters: LineFilters) => ['counting', 'session', id, 'lines', filters] as const,
  allLines: (id: string) => ['counting', 'session', id, 'all-lines'] as const,
  report: (id: string) => ['counting', 'session', id, 'report'] as const,
  adjustments: (id: string) => ['counting', 'session', id, 'adjustments'] as const,
  reasons: ['counting', 'variance-reasons'] as const,
  counters: () => ['counting', 'counters'] as const,
  periodReport: (kind: string, period: PeriodFilter) => ['counting', 'reports', kind, period] as const,
  warehouses: ['warehouses'] as const,
  location: (id: string) => ['locations', 'detail', id] as const,
  item: (id: string) => ['items', 'detail', id] as const,
};

const enc = encodeURIComponent;
const sessionPath = (id: string) => `/api/count-sessions/${enc(id)}`;

export const listSessions = (status: SessionStatus | '', cursor: string | null) =>
  api<Page<CountSession>>('/api/count-sessions', { query: { limit: PAGE_SIZE, cursor, status } });

export const getSession = (id: string) => api<CountSessionDetail>(sessionPath(id));

export const createSession = (input: SessionInput) =>
  api<CountSession>('/api/count-sessions', { method: 'POST', body: input });

export const updateSession = (id: string, changes: SessionInput) =>
  api<CountSession>(sessionPath(id), { method: 'PATCH', body: changes });

export type Step = 'start' | 'submit' | 'approve' | 'post';

export const stepSession = (id: string, step: Step, version: number) =>
  api<CountSession>(`${sessionPath(id)}/${step}`, { method: 'POST', body: { version } });

export const cancelSession = (id: string, reason: string, version: number) =>
  api<CountSession>(`${sessionPath(id)}/cancel`, { method: 'POST', body: { reason, version } });

export const listAssignments = (id: string, cursor: string | null) =>
  api<Page<Assignment>>(`${sessionPath(id)}/assignments`, { query: { limit: 200, cursor } });

export const assignCounters = (id: string, locationId: string, userIds: string[]) =>
  api<{ added: number; unchanged: number; items: Assignment[] }>(`${sessionPath(id)}/assignments`, {
    method: 'POST',
    body: { assignments: [{ location_id: locationId, user_ids: userIds }] },
  });

export const unassignCounter = (id: string, locationId: string, userId: string) =>
  api<void>(`${sessionPath(id)}/assignments/${enc(locationId)}/${enc(userId)}`, { method: 'DELETE' });

export const listClaims = (id: string) =>
  api<Page<Claim>>(`${sessionPath(id)}/claims`, { query: { limit: 200 } });

export const listUnknownItems = (id: string, cursor: string | null) =>
  api<Page<UnknownItem>>(`${sessionPath(id)}/unknown-items`, { query: { limit: PAGE_SIZE, cursor } });

export const listLines = (id: string, filters: LineFilters, cursor: string | null, limit = PAGE_SIZE) =>
  api<Page<CountLine>>(`${sessionPath(id)}/lines`, {
    query: {
      limit,
      cursor,
      status: filters.status,
      location_id: filters.location_id,
      has_variance: filters.has_variance || undefined,
    },
  });

/** The first `maxPages` pages of every line: enough for a live summary by location. */
export async function listAllLines(
  id: string,
  maxPages = 10,
): Promise<{ lines: CountLine[]; complete: boolean }> {
  const lines: CountLine[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const result: Page<CountLine> = await listLines(
      id,
      { status: '', location_id: '', has_variance: false },
      cursor,
      200,
    );
    lines.push(...result.items);
    cursor = result.next_cursor;
    if (!cursor) return { lines, complete: true };
  }
  return { lines, complete: false };
}

export const listVarianceReasons = () => api<{ items: VarianceReason[] }>('/api/variance-reasons');

export const approveLine = (lineId: string, reasonCode: string | null) =>
  api<unknown>(`/api/count-lines/${enc(lineId)}/approve`, {
    method: 'POST',
    body: reasonCode ? { reason_code: reasonCode } : {},
  });

export const rejectLine = (lineId: string, note: string) =>
  api<unknown>(`/api/count-lines/${enc(lineId)}/reject`, {
    method: 'POST',
    body: note.trim() ? { note: note.trim() } : {},
  });

export type ResolveKeep = 'counted' | 'difference';

export const resolveLine = (lineId: string, keep: ResolveKeep, reasonCode: string | null) =>
  api<unknown>(`/api/count-lines/${enc(lineId)}/resolve`, {
    method: 'POST',
    body: reasonCode ? { keep, reason_code: reasonCode } : { keep },
  });

export const approveLinesInBulk = (id: string, filter: BulkApproveFilter, reasonCode: string | null) =>
  api<BulkApproveResult>(`${sessionPath(id)}/lines/approve`, {
    method: 'POST',
    body: reasonCode ? { filter, reason_code: reasonCode } : { filter },
  });

export const closeRecounts = (id: string) =>
  api<CloseRecountsResult>(`${sessionPath(id)}/recounts/close`, { method: 'POST' });

// Reports. Their shapes are read loosely (see report-shapes.ts): each figure is optional.

export const getSessionReport = (id: string) => api<unknown>(`${sessionPath(id)}/report`);

export const listAdjustments = (id: string, cursor: string | null) =>
  api<Page<Record<string, unknown>>>(`${sessionPath(id)}/adjustments`, {
    query: { limit: PAGE_SIZE, cursor },
  });

export type ExportFormat = 'csv' | 'xlsx' | 'pdf';
export type ExportKind = 'variance' | 'count_sheet' | 'adjustments';

/** A download link: same origin, so the session cookie goes with it. */
export const exportUrl = (id: string, format: ExportFormat, kind: ExportKind) =>
  `${sessionPath(id)}/export?${new URLSearchParams({ format, kind })}`;

export interface PeriodFilter {
  from: string;
  to: string;
  warehouse_id: string;
}

export type PeriodReportKind = 'accuracy' | 'shrinkage' | 'productivity';

export const getPeriodReport = (kind: PeriodReportKind, period: PeriodFilter) =>
  api<unknown>(`/api/reports/${kind}`, {
    // Whole UTC days (YYYY-MM-DD), both included.
    query: { from: period.from, to: period.to, warehouse_id: period.warehouse_id },
  });

// Master data the plan refers to.

export const listWarehouses = () => api<Page<Warehouse>>('/api/warehouses', { query: { limit: 200 } });

export const searchLocations = (warehouseId: string, q: string) =>
  api<Page<Location>>('/api/locations', { query: { warehouse_id: warehouseId, q, limit: 10 } }).then(
    (page) => page.items,
  );

export const getLocation = (id: string) => api<Location>(`/api/locations/${enc(id)}`);

export const searchItems = (q: string) =>
  api<Page<Item>>('/api/items', { query: { q, limit: 10, active: true } }).then((page) => page.items);

export const getItem = (id: string) => api<Item>(`/api/items/${enc(id)}`);

/** Someone who can be assigned to count: an active staff user. */
export interface Counter {
  id: string;
  username: string;
  display_name: string;
}

/** The active staff, by username (GET /api/counters: admins and supervisors). */
export async function listCounters(): Promise<Counter[]> {
  return (await api<Page<Counter>>('/api/counters', { query: { limit: 200 } })).items;
}

/** Keeps a session the server just returned and refreshes what depends on it. */
export function storeSession(queryClient: QueryClient, session: CountSession): void {
  queryClient.setQueryData<CountSessionDetail>(countingKeys.detail(session.id), (current) =>
    current ? { ...current, ...session } : current,
  );
  void queryClient.invalidateQueries({ queryKey: countingKeys.detail(session.id) });
  void queryClient.invalidateQueries({ queryKey: countingKeys.session(session.id) });
  void queryClient.invalidateQueries({ queryKey: countingKeys.lists });
}

/** A 404 from an endpoint that this server does not have (yet), as opposed to a missing record. */
export const isMissingEndpoint = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 404 && error.message.startsWith('No route for');

export const countingUrl = (id: string, tab = '') => `/counting/${enc(id)}${tab ? `/${tab}` : ''}`;
