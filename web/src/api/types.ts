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

export const AUDIT_CATEGORIES = ['authentication', 'data_access', 'system', 'security'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];
export const AUDIT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One entry of the audit trail: append-only, hash-chained to the entry before it. */
export interface AuditEntry {
  seq: number;
  event_id: string;
  timestamp: string;
  category: AuditCategory;
  /** LOGIN, DATA_UPDATE, CONFIG_CHANGE…: see AUDIT_EVENT_TYPES in features/audit/api.ts. */
  event_type: string;
  severity: AuditSeverity;
  outcome: AuditOutcome;
  /** `<resource>.<verb>`: item.update, auth.login. */
  action: string;
  actor: { user_id: string | null; username: string | null; role: string | null; ip_address: string | null };
  resource: { type: string; id: string | null } | null;
  details: Record<string, unknown>;
  /** Personal data by data subject; null once that subject's key was erased (GDPR). */
  personal: Record<string, Record<string, unknown> | null>;
  request_id: string | null;
  trace_id: string | null;
  hash_algorithm: string;
  hash: string;
  previous_hash: string;
}

/** A signed statement of the first `tree_size` entries: their Merkle root, signed with Ed25519. */
export interface AuditCheckpoint {
  tree_size: number;
  /** base64 */
  root_hash: string;
  timestamp: string;
  origin: string;
  key_id: string;
  /** base64 */
  signature: string;
  /** The exact text that was signed. */
  note: string;
}

/** That an entry is in a signed checkpoint: its leaf and the path up to the checkpoint's root. */
export interface AuditProof {
  checkpoint: AuditCheckpoint;
  leaf_index: number;
  /** base64 */
  leaf_hash: string;
  /** base64, from the leaf up. */
  audit_path: string[];
  verified: boolean;
}

export interface AuditEntryWithProof {
  entry: AuditEntry;
  /** null while no signed checkpoint covers the entry yet. */
  proof: AuditProof | null;
}

export interface AuditIntegrity {
  valid: boolean;
  checked: number;
  first_seq: number | null;
  last_seq: number | null;
  checkpoints_checked: number;
  first_bad: null | { seq: number | null; event_id: string | null; kind: string; message: string };
  verified_at: string;
}

export interface AuditComplianceReport {
  period: { days: number; from: string; to: string };
  totals: {
    entries: number;
    by_category: Record<string, number>;
    by_event_type: Record<string, number>;
    by_outcome: Record<string, number>;
    by_severity: Record<string, number>;
  };
  failed_sign_ins: number;
  denied_accesses: number;
  /** The newest configuration changes of the period (at most 100). */
  configuration_changes: AuditEntry[];
  integrity: AuditIntegrity;
  latest_checkpoint: AuditCheckpoint | null;
  generated_at: string;
}

export interface AuditPublicKey {
  key_id: string;
  algorithm: string;
  public_key_pem: string;
}
