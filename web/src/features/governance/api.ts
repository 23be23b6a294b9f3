import { api } from '../../api/client.ts';

/** The classes of the data registry (server/src/platform/db/data-registry.ts). */
export type DataClass = 'PERSONAL' | 'SENSITIVE' | 'OPERATIONAL' | 'AUDIT';
export const DATA_CLASSES: readonly DataClass[] = ['PERSONAL', 'SENSITIVE', 'OPERATIONAL', 'AUDIT'];

export interface InventoryTable {
  table: string;
  purpose: string;
  row_count: number;
  columns: { name: string; class: DataClass | null }[];
  by_class: Record<DataClass, number>;
  subject_columns: string[];
  retention: {
    retainable: boolean;
    retention_days: number | null;
    archive_before_delete: boolean | null;
    source: 'policy' | 'default' | null;
    age_column: string | null;
    note: string | null;
  };
}

export interface Inventory {
  generated_at: string;
  tables: InventoryTable[];
  summary: { tables: number; columns: number; by_class: Record<DataClass, number>; unclassified: string[] };
}

export interface ComplianceReport {
  generated_at: string;
  period_days: number;
  settings: {
    data_governance_enabled: boolean;
    gdpr_compliance_mode: boolean;
    default_retention_days: number;
  };
  classification: {
    tables: number;
    columns: number;
    classified_columns: number;
    coverage_percent: number;
    by_class: Record<DataClass, number>;
    unclassified: string[];
  };
  retention: {
    policies: number;
    runs: number;
    runs_in_period: number;
    failed_runs_in_period: number;
    rows_archived: number;
    rows_deleted: number;
    rows_held: number;
    rows_deleted_in_period: number;
    last_run: {
      id: string;
      status: string;
      started_at: string;
      finished_at: string | null;
      rows_deleted: number;
    } | null;
  };
  requests: {
    total: number;
    by_type: Record<string, number>;
    by_status: Record<string, number>;
    open: number;
    overdue: number;
    overdue_requests: { id: string; request_type: string; status: string; due_at: string }[];
    erasures_completed: number;
    completed_in_period: number;
  };
}

export const governanceKeys = {
  inventory: ['governance', 'inventory'] as const,
  report: (days: number) => ['governance', 'compliance-report', days] as const,
};

export const getInventory = () => api<Inventory>('/api/enterprise/governance/inventory');
export const getComplianceReport = (days: number) =>
  api<ComplianceReport>(`/api/enterprise/governance/compliance-report?days=${days}`);
