import { api } from '../../api/client.ts';
import type { ImportJob, ImportKind, ImportRowError, ImportStatus, Page } from '../../api/types.ts';

export const KIND_LABELS: Record<ImportKind, string> = { items: 'Items', stock_levels: 'Stock levels' };

export const STATUS_LABELS: Record<ImportStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

export const isFinished = (status: ImportStatus): boolean => status === 'succeeded' || status === 'failed';

/** The columns each kind of file may have, in the order the templates use. */
export const COLUMNS: Record<ImportKind, string[]> = {
  items: [
    'item_code',
    'name',
    'category',
    'sub_category',
    'base_uom',
    'unit_cost',
    'mrp',
    'abc_class',
    'tracking',
    'active',
    'barcode',
  ],
  stock_levels: ['item_code', 'warehouse_code', 'location_code', 'lot', 'quantity', 'as_of'],
};

export interface NewImport {
  kind: ImportKind;
  dryRun: boolean;
  /** Empty: the server detects it. */
  delimiter: string;
  file: File;
}

export const importsKeys = {
  list: ['imports', 'list'] as const,
  detail: (id: string) => ['imports', 'detail', id] as const,
  errors: (id: string) => ['imports', 'errors', id] as const,
};

/** multipart/form-data: the fields first, the file last, so the server knows what it is reading. */
export function uploadImport(input: NewImport) {
  const form = new FormData();
  form.append('kind', input.kind);
  form.append('dry_run', String(input.dryRun));
  if (input.delimiter) form.append('delimiter', input.delimiter);
  form.append('file', input.file, input.file.name);
  return api<ImportJob>('/api/imports', { method: 'POST', body: form });
}

export const listImports = (cursor: string | null) =>
  api<Page<ImportJob>>('/api/imports', { query: { limit: 20, cursor } });

const importPath = (id: string) => `/api/imports/${encodeURIComponent(id)}`;

export const getImport = (id: string) => api<ImportJob>(importPath(id));

export const listImportErrors = (id: string, cursor: string | null) =>
  api<Page<ImportRowError>>(`${importPath(id)}/errors`, { query: { limit: 100, cursor } });
