/** The server's shapes (JSON, snake_case), as the web app uses them. */

export const ROLES = ['admin', 'supervisor', 'auditor', 'staff'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  supervisor: 'Supervisor',
  auditor: 'Auditor',
  staff: 'Staff',
};

export interface User {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
  has_pin: boolean;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Who may change master data (warehouses, locations, items) and run imports. */
export const canEditMasterData = (role: Role): boolean => role === 'admin' || role === 'supervisor';

export interface Warehouse {
  id: string;
  code: string;
  name: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface Location {
  id: string;
  warehouse_id: string;
  parent_id: string | null;
  code: string;
  name: string;
  kind: string;
  barcode: string | null;
  depth: number;
  /** The codes from the root down to this location, itself included. */
  path_codes: string[];
  active: boolean;
  created_at: string;
  updated_at: string;
}

export type Tracking = 'none' | 'lot' | 'serial';
export type AbcClass = 'A' | 'B' | 'C';

export interface ItemBarcode {
  barcode: string;
  pack_qty: number;
  kind: 'gtin' | 'internal';
}

export interface Item {
  id: string;
  item_code: string;
  name: string;
  category: string | null;
  sub_category: string | null;
  base_uom: string;
  unit_cost: number;
  mrp: number | null;
  abc_class: AbcClass | null;
  tracking: Tracking;
  active: boolean;
  barcodes: ItemBarcode[];
  created_at: string;
  updated_at: string;
}

export interface StockLevel {
  id: string;
  item_id: string;
  item_code: string;
  item_name: string;
  location_id: string;
  location_code: string;
  warehouse_id: string;
  /** null for items without lots. */
  lot: string | null;
  quantity: number;
  source: string;
  as_of: string;
  updated_at: string;
}

export type ImportKind = 'items' | 'stock_levels';
export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ImportRowError {
  row: number;
  column: string | null;
  reason: string;
}

export interface ImportJob {
  id: string;
  kind: ImportKind;
  format: 'csv' | 'xlsx';
  filename: string;
  size_bytes: number;
  dry_run: boolean;
  status: ImportStatus;
  total: number | null;
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  ignored_columns: string[];
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The first rejected rows (up to 100); all of them come from the errors endpoint. */
  errors?: ImportRowError[];
  errors_total?: number;
}
