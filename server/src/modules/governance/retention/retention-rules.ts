import { DATA_REGISTRY } from '../../../platform/db/data-registry.ts';

/**
 * Which rows of a retainable table retention may remove besides their age, and what goes with
 * them. The registry says how a table ages (`retention.age_column`) and its key; these rules keep
 * rows that are still in use, and name the rows that depend on a removed row (removed, and
 * archived, in the same transaction, so no foreign key is ever left dangling).
 */

/** A row kind removed together with its parent, found by the parent's key. */
export interface Dependent {
  table: string;
  /** The dependent's own key, joined with `|` into data_archive.record_id. */
  key: readonly string[];
  /** Found by this column = a parent's key... */
  parentColumn: string;
  /** ...or, when set, through another dependent: `parentColumn` holds that table's `via.key`. */
  via?: { table: string; column: string };
}

export interface TableRule {
  /** Rows retention never removes, whatever their age (still in use, not finished). */
  removable?:
    | 'finished_imports'
    | 'delivered_messages'
    | 'finished_runs'
    | 'unlocked_accounts'
    | 'closed_counts';
  /** Removed with each parent row, in this order (children of children first). */
  dependents?: readonly Dependent[];
  /** Archiving is not offered (the archive's own rows). */
  neverArchived?: boolean;
  /** Shown next to the table in the retention screen. */
  note?: string;
}

export const RULES: Readonly<Record<string, TableRule>> = {
  count_sessions: {
    removable: 'closed_counts',
    note:
      'Only cancelled sessions, and posted sessions once ACCOUNTING_RETENTION_DAYS have passed since posting ' +
      '(legal hold); drafts and running counts are kept. Their snapshot, assignments, claims, entries, ' +
      'lines, rounds, completions and adjustments go with them.',
    dependents: [
      {
        table: 'count_line_rounds',
        key: ['line_id', 'round'],
        parentColumn: 'line_id',
        via: { table: 'count_lines', column: 'session_id' },
      },
      { table: 'count_adjustments', key: ['id'], parentColumn: 'session_id' },
      { table: 'count_entries', key: ['id'], parentColumn: 'session_id' },
      { table: 'count_claims', key: ['session_id', 'location_id'], parentColumn: 'session_id' },
      {
        table: 'count_assignments',
        key: ['session_id', 'location_id', 'user_id'],
        parentColumn: 'session_id',
      },
      { table: 'count_location_completions', key: ['session_id', 'location_id'], parentColumn: 'session_id' },
      {
        table: 'count_snapshot',
        key: ['session_id', 'location_id', 'item_id', 'lot'],
        parentColumn: 'session_id',
      },
      { table: 'count_lines', key: ['id'], parentColumn: 'session_id' },
    ],
  },
  import_jobs: {
    removable: 'finished_imports',
    note: 'Finished imports only; their rejected rows go with them.',
    dependents: [{ table: 'import_errors', key: ['job_id', 'row_number'], parentColumn: 'job_id' }],
  },
  erp_outbox: {
    removable: 'delivered_messages',
    note: 'Delivered messages only: pending and failed ones wait.',
  },
  job_runs: { removable: 'finished_runs', note: 'Finished runs only.' },
  security_locked_accounts: { removable: 'unlocked_accounts', note: 'Accounts that are not locked now.' },
  security_sessions: { note: 'Aged from when the session expired.' },
  security_trusted_devices: { note: 'Aged from when the trust expired.' },
  data_archive: {
    neverArchived: true,
    note: "The archive's own retention: archived rows are deleted, never archived again.",
  },
};

export interface RetainableTable {
  name: string;
  purpose: string;
  ageColumn: string;
  idColumn: string;
  columns: readonly string[];
  rule: TableRule;
}

/** Every table retention may purge, from the registry: those that say how their rows age. */
export function retainableTables(): RetainableTable[] {
  const out: RetainableTable[] = [];
  for (const [name, entry] of Object.entries(DATA_REGISTRY)) {
    if (!entry.retention) continue;
    const [idColumn, ...more] = entry.retention.id_columns;
    // One-column keys only: a batch deletes `WHERE key IN (…)`.
    if (!idColumn || more.length > 0) throw new Error(`retention of ${name}: one id column expected`);
    out.push({
      name,
      purpose: entry.purpose,
      ageColumn: entry.retention.age_column,
      idColumn,
      columns: Object.keys(entry.columns),
      rule: RULES[name] ?? {},
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The columns an archived copy keeps, when it must leave some out: secrets and their hashes
 * (SENSITIVE in the registry: session and device token hashes) are never copied to the archive.
 * Null: the whole row is archived.
 */
export function archivedColumns(table: string): readonly string[] | null {
  const entry = DATA_REGISTRY[table];
  if (!entry) return null;
  const columns = Object.entries(entry.columns);
  if (!columns.some(([, dataClass]) => dataClass === 'SENSITIVE')) return null;
  return columns.filter(([, dataClass]) => dataClass !== 'SENSITIVE').map(([column]) => column);
}
