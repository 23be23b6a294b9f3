import type { QueryClient } from '@tanstack/react-query';
import { ApiError, api } from '../../api/client.ts';
import type { Page } from '../../api/types.ts';

/**
 * The ERP integration's API: source connectors, the sync jobs and their history, the sync state
 * per connector, circuit breakers, and delivery of posted adjustments (target, outbox, per
 * session). Admins manage all of it; auditors read it.
 */

const BASE = '/api/integrations';

// Connectors

export const CONNECTOR_KINDS = ['sql', 'http', 'file_drop'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

export const KIND_LABELS: Record<ConnectorKind, string> = {
  sql: 'SQL database',
  http: 'HTTP JSON API',
  file_drop: 'File drop',
};

export type TestStatus = 'ok' | 'failed';

export interface Connector {
  id: string;
  name: string;
  kind: ConnectorKind;
  role: string;
  enabled: boolean;
  /** Per kind, without the secret (connector-settings.ts on the server). */
  settings: Record<string, unknown>;
  /** A secret is stored; the secret itself is never returned. */
  has_secret: boolean;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  last_test: { status: TestStatus; message: string; tested_at: string } | null;
}

export type SampleRow = Record<string, unknown>;

export interface EntityCheck {
  entity: 'items' | 'stock_levels';
  status: TestStatus;
  rows: number;
  message: string;
  sample: SampleRow | null;
}

export interface TestReport {
  status: TestStatus;
  message: string;
  tested_at: string;
  duration_ms: number;
  checks: EntityCheck[];
}

export interface NewConnector {
  name: string;
  kind: ConnectorKind;
  enabled?: boolean;
  settings: Record<string, unknown>;
  secret?: string;
}

export interface ConnectorChanges {
  name?: string;
  enabled?: boolean;
  settings?: Record<string, unknown>;
  /** A new secret; null removes it; absent keeps it. */
  secret?: string | null;
}

const CONNECTORS = `${BASE}/connectors`;

export const listConnectors = () => api<Page<Connector>>(CONNECTORS, { query: { limit: 200 } });
export const getConnector = (id: string) => api<Connector>(`${CONNECTORS}/${encodeURIComponent(id)}`);
export const createConnector = (input: NewConnector) =>
  api<Connector>(CONNECTORS, { method: 'POST', body: input });
export const updateConnector = (id: string, changes: ConnectorChanges) =>
  api<Connector>(`${CONNECTORS}/${encodeURIComponent(id)}`, { method: 'PATCH', body: changes });
export const deleteConnector = (id: string) =>
  api<void>(`${CONNECTORS}/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const testConnector = (id: string) =>
  api<TestReport>(`${CONNECTORS}/${encodeURIComponent(id)}/test`, { method: 'POST' });

// Jobs

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface JobRun {
  id: string;
  job: string;
  instance_id: string;
  trigger: 'schedule' | 'manual';
  triggered_by: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  rows_processed: number | null;
  progress: { processed: number; total: number | null };
  error: string | null;
}

export interface JobStatus {
  name: string;
  description: string;
  schedule: { every_ms: number | null; daily_at: string | null };
  running: boolean;
  holder: string | null;
  current_run: JobRun | null;
  last_run: JobRun | null;
  next_run_at: string | null;
}

const JOBS = `${BASE}/jobs`;
export const RUNS_PAGE_SIZE = 20;

export const listJobs = () => api<{ items: JobStatus[] }>(JOBS);
export const listJobRuns = (name: string, cursor: string | null) =>
  api<Page<JobRun>>(`${JOBS}/${encodeURIComponent(name)}/runs`, {
    query: { limit: RUNS_PAGE_SIZE, cursor },
  });
export const runJob = (name: string) =>
  api<JobRun>(`${JOBS}/${encodeURIComponent(name)}/run`, { method: 'POST' });

// Sync state per connector

export type SyncEntity = 'items' | 'stock_levels';
export type SyncMode = 'changes' | 'new_items' | 'full';

export interface SyncCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface EntitySyncState {
  entity: SyncEntity;
  mode: SyncMode;
  in_progress: boolean;
  started_at: string | null;
  /** The counts of the pass in progress (or the last one), so far. */
  pass_counts: SyncCounts | null;
  last_completed_at: string | null;
  last_counts: SyncCounts | null;
  last_error: string | null;
  /** The first rows of the current or last pass that could not be taken. */
  rejects: { at: string; reason: string }[];
}

export interface ConnectorSyncState {
  connector_id: string;
  connector_name: string;
  kind: ConnectorKind;
  enabled: boolean;
  entities: EntitySyncState[];
}

export const getSyncState = () => api<{ items: ConnectorSyncState[] }>(`${BASE}/sync`);

// Circuit breakers

export type BreakerState = 'closed' | 'open' | 'half_open';

export const BREAKER_STATE_LABELS: Record<BreakerState, string> = {
  closed: 'Closed',
  open: 'Open',
  half_open: 'Half-open',
};

export interface CircuitBreaker {
  name: string;
  state: BreakerState;
  failure_count: number;
  success_count: number;
  half_open_in_flight: number;
  totals: {
    calls: number;
    successes: number;
    failures: number;
    timeouts: number;
    ignored_errors: number;
    cancelled: number;
    rejections: number;
  };
  last_failure: { at: string; message: string } | null;
  last_state_change_at: string | null;
  next_attempt_at: string | null;
  options: {
    failure_threshold: number;
    recovery_timeout_ms: number;
    half_open_max_calls: number;
    success_threshold: number;
    timeout_ms: number;
  };
}

export interface BreakerTransition {
  name: string;
  from: BreakerState;
  to: BreakerState;
  at: string;
  reason: string;
  consecutive_failures: number;
  last_failure: { at: string; message: string } | null;
  next_attempt_at: string | null;
}

export interface CircuitBreakers {
  circuit_breakers: CircuitBreaker[];
  summary: { total: number; closed: number; open: number; half_open: number };
  recent_transitions: BreakerTransition[];
}

export const getCircuitBreakers = () => api<CircuitBreakers>('/api/enterprise/circuit-breakers');

// Delivery of posted adjustments

export type DeliveryKind = 'webhook' | 'sql';

export const DELIVERY_KIND_LABELS: Record<DeliveryKind, string> = {
  webhook: 'Webhook (signed POST)',
  sql: 'SQL table',
};

export interface DeliveryTarget {
  kind: DeliveryKind;
  settings: Record<string, unknown>;
  /** A secret (signing key, password) is stored; it is never returned. */
  has_secret: boolean;
  updated_at?: string;
  updated_by?: string | null;
  last_test?: { status: TestStatus; message: string; tested_at: string } | null;
}

export interface DeliveryTargetInput {
  kind: DeliveryKind;
  settings: Record<string, unknown>;
  /** A new secret; null removes it; absent keeps it. */
  secret?: string | null;
}

export interface DeliveryTestReport {
  status: TestStatus;
  message: string;
  duration_ms?: number;
  tested_at?: string;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'failed'];
export const OUTBOX_STATUS_LABELS: Record<OutboxStatus, string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
};

export interface OutboxMessage {
  id: string;
  topic: string;
  idempotency_key: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
  last_error: string | null;
  session_id: string | null;
  /** What the ERP receives: for an adjustment, its codes and decimal quantities. */
  payload: Record<string, unknown>;
}

export interface SessionDelivery {
  session_id: string;
  total: number;
  pending: number;
  delivered: number;
  failed: number;
  last_attempt_at: string | null;
  last_error: string | null;
  next_attempt_at: string | null;
}

const TARGET = `${BASE}/delivery-target`;
export const OUTBOX_PAGE_SIZE = 50;

/** The target, or null while none is set (the server answers 404). */
export async function getDeliveryTarget(): Promise<DeliveryTarget | null> {
  try {
    return (await api<DeliveryTarget | null>(TARGET)) ?? null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
export const saveDeliveryTarget = (input: DeliveryTargetInput) =>
  api<DeliveryTarget>(TARGET, { method: 'PUT', body: input });
export const deleteDeliveryTarget = () => api<void>(TARGET, { method: 'DELETE' });
export const testDeliveryTarget = () => api<DeliveryTestReport>(`${TARGET}/test`, { method: 'POST' });
export const listOutbox = (status: OutboxStatus | '', cursor: string | null) =>
  api<Page<OutboxMessage>>(`${BASE}/outbox`, { query: { status, limit: OUTBOX_PAGE_SIZE, cursor } });
export const retryOutboxMessage = (id: string) =>
  api<OutboxMessage>(`${BASE}/outbox/${encodeURIComponent(id)}/retry`, { method: 'POST' });
export const getSessionDelivery = (sessionId: string) =>
  api<SessionDelivery>(`/api/count-sessions/${encodeURIComponent(sessionId)}/delivery`);

export const integrationsKeys = {
  all: ['integrations'] as const,
  connectors: ['integrations', 'connectors'] as const,
  connector: (id: string) => ['integrations', 'connectors', id] as const,
  jobs: ['integrations', 'jobs'] as const,
  runs: (name: string) => ['integrations', 'jobs', name, 'runs'] as const,
  sync: ['integrations', 'sync'] as const,
  breakers: ['integrations', 'circuit-breakers'] as const,
  target: ['integrations', 'delivery-target'] as const,
  outbox: (status: OutboxStatus | '') => ['integrations', 'outbox', status] as const,
  sessionDelivery: (sessionId: string) => ['integrations', 'session-delivery', sessionId] as const,
};

/** After a change to connectors: the list, the connector pages and the sync state are reloaded. */
export function refreshConnectors(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: integrationsKeys.connectors });
  void queryClient.invalidateQueries({ queryKey: integrationsKeys.sync });
}
