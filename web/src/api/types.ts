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
  /** Two-factor sign-in (an authenticator app's codes) is on. */
  mfa_enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Your own two-factor sign-in: whether it is on, and whether your role requires it. */
export interface MfaStatus {
  enabled: boolean;
  /** The role must use two-factor sign-in (MFA_REQUIRED_ROLES): it cannot be switched off. */
  required: boolean;
  /** Unused recovery codes; 0 while it is off. */
  recovery_codes_left: number;
}

/** A new authenticator-app secret, not in use until a code from it is confirmed. */
export interface MfaSetup {
  /** Base32, for typing into the app by hand. */
  secret: string;
  /** otpauth://totp/…: what the QR code holds; opens the app on the same device. */
  otpauth_url: string;
  /** The otpauth URL as a QR code: an SVG document. */
  qr_svg: string;
  /** Confirm a code before this, or start again. */
  expires_at: string;
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

/** The security events the server raises (each is also in the audit trail), in its order. */
export const SECURITY_EVENT_TYPES = [
  'IP_BLOCKED',
  'RATE_LIMITED',
  'PERMISSION_DENIED',
  'SESSION_TERMINATED',
  'ACCOUNT_LOCKED',
  'ACCOUNT_UNLOCKED',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export interface SecurityEvent {
  id: string;
  timestamp: string;
  event_type: SecurityEventType;
  severity: AuditSeverity;
  /** The user it concerns: the locked account, whose sessions ended, who was refused. */
  user_id: string | null;
  /** That user's current username; null when there is no user, or they no longer exist. */
  username: string | null;
  ip_address: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
}

export type IpFilterMode = 'whitelist' | 'blacklist';

/** Security at a glance: the settings in force, list sizes, lockouts, and the last 24 hours. */
export interface SecuritySummary {
  /** ENTERPRISE_SECURITY_ENABLED: off, nothing is filtered, counted or locked. */
  enabled: boolean;
  ip_filter_mode: IpFilterMode;
  ip_lists: { whitelist: number; blacklist: number };
  locked_accounts: number;
  /** Users with a live session. */
  active_users: number;
  events_24h: {
    total: number;
    by_type: Record<string, number>;
    by_severity: Record<string, number>;
  };
  generated_at: string;
}

export const IP_LIST_TYPES = ['blacklist', 'whitelist'] as const;
export type IpListType = (typeof IP_LIST_TYPES)[number];

export interface IpListEntry {
  id: string;
  list_type: IpListType;
  /** Canonical CIDR: 203.0.113.7/32, 10.0.0.0/8, 2001:db8::/32. */
  ip_address: string;
  reason: string;
  /** manual, or automatic (brute-force protection blacklisted the address). */
  source: 'manual' | 'automatic';
  /** The admin's user id; null for automatic entries. */
  created_by: string | null;
  created_at: string;
  /** null: never expires. */
  expires_at: string | null;
}

/** Both lists (entries not yet expired), with the settings that decide how they apply. */
export interface IpLists {
  mode: IpFilterMode;
  enabled: boolean;
  whitelist: IpListEntry[];
  blacklist: IpListEntry[];
}

/** An account refused after too many failed sign-ins, until `locked_until`. */
export interface LockedAccount {
  user_id: string;
  username: string;
  locked_until: string;
  /** Failed attempts of the run that caused the lock. */
  failed_count: number;
  /** Lockouts in a row, each within 24 hours of the previous (each doubles the length). */
  lockouts_24h: number;
}

/** One live session of a user: where and how they signed in; never its token. */
export interface UserSession {
  id: string;
  auth_method: string;
  ip_address: string | null;
  /** The device, as its browser names itself. */
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  /** The session making the request (in the app: this browser's). */
  current: boolean;
}
