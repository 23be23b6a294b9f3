export interface ImportJobsTable {
  id: string;
  kind: 'items' | 'stock_levels';
  format: 'csv' | 'xlsx';
  filename: string;
  size_bytes: number;
  dry_run: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  total: number | null;
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ImportErrorsTable {
  job_id: string;
  row_number: number;
  column_name: string | null;
  reason: string;
}
