import { api } from '../../../api/client.ts';
import type { Page } from '../../../api/types.ts';

const BASE = '/api/enterprise/governance';
export const RETENTION_JOB = 'governance.retention';

export interface RetentionPolicy {
  collection_name: string;
  retention_days: number;
  archive_before_delete: boolean;
  description: string;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
}

export interface RetainableTable {
  name: string;
  purpose: string;
  age_column: string;
  archive_allowed: boolean;
  note: string | null;
  effective: { retention_days: number; archive_before_delete: boolean; source: 'policy' | 'default' };
}

export interface RetentionOverview {
  enabled: boolean;
  default_retention_days: number;
  accounting_retention_days: number;
  schedule: { daily_at: string; job: string };
  policies: RetentionPolicy[];
  retainable_tables: RetainableTable[];
}

export interface TableFigures {
  table: string;
  source: 'policy' | 'default' | 'dependent';
  parent: string | null;
  retention_days: number | null;
  archive_before_delete: boolean;
  cutoff: string | null;
  archived: number;
  deleted: number;
  held: number;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface RetentionRun {
  id: string;
  trigger: string;
  triggered_by: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  rows_archived: number;
  rows_deleted: number;
  rows_held: number;
  tables: TableFigures[];
  error: string | null;
}

/** The job run behind a retention run (the jobs API): its progress while it runs. */
export interface JobRun {
  id: string;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  progress: { processed: number; total: number | null };
  error: string | null;
}

export interface PolicyInput {
  collection_name: string;
  retention_days: number;
  archive_before_delete: boolean;
  description: string;
}

export const retentionKeys = {
  all: ['retention'] as const,
  overview: ['retention', 'overview'] as const,
  runs: ['retention', 'runs'] as const,
  jobRun: (id: string) => ['retention', 'job-run', id] as const,
};

export const getRetention = () => api<RetentionOverview>(`${BASE}/retention-policies`);
export const savePolicy = (input: PolicyInput) =>
  api<RetentionPolicy>(`${BASE}/retention-policies`, { method: 'POST', body: input });
export const removePolicy = (table: string) =>
  api<void>(`${BASE}/retention-policies/${encodeURIComponent(table)}`, { method: 'DELETE' });
export const applyRetention = () => api<JobRun>(`${BASE}/apply-retention`, { method: 'POST' });
export const listRetentionRuns = (limit = 5) =>
  api<Page<RetentionRun>>(`${BASE}/retention-runs?limit=${limit}`);
/** The newest runs of the retention job (progress of a running one). */
export const listJobRuns = () => api<Page<JobRun>>(`/api/integrations/jobs/${RETENTION_JOB}/runs?limit=5`);
