import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import { catalogueColumns } from '../../../platform/db/catalogue.ts';
import { DATA_CLASSES, DATA_REGISTRY, type DataClass } from '../../../platform/db/data-registry.ts';
import type { Dialect } from '../../../platform/db/database.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { OPEN_STATUSES, REQUEST_STATUSES, REQUEST_TYPES } from '../requests/requests.store.ts';
import type { Retention } from '../retention/retention.service.ts';

/**
 * What a data protection officer reads: the inventory (every table, its columns' classes, its
 * rows, why we keep it and for how long) and the compliance report (classification coverage,
 * retention runs and rows removed, data subject requests by type and status, overdue ones,
 * erasures done). Both are computed from the data registry, the database's own catalogue and the
 * governance tables — never from a second list.
 */

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

export interface Compliance {
  inventory(): Promise<Inventory>;
  report(options: { days: number }): Promise<ComplianceReport>;
}

const zeroClasses = (): Record<DataClass, number> =>
  Object.fromEntries(DATA_CLASSES.map((dataClass) => [dataClass, 0])) as Record<DataClass, number>;

export function createCompliance(deps: {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  retention: Retention;
  settings: { dataGovernanceEnabled: boolean; gdprComplianceMode: boolean; defaultRetentionDays: number };
}): Compliance {
  const { db, dialect, clock, retention } = deps;

  /** Columns in the database the registry does not classify (a test keeps this empty). */
  async function coverage() {
    const catalogue = await catalogueColumns(db, dialect);
    const unclassified: string[] = [];
    let columns = 0;
    for (const [table, present] of catalogue) {
      for (const column of present) {
        columns += 1;
        if (!DATA_REGISTRY[table]?.columns[column.name]) unclassified.push(`${table}.${column.name}`);
      }
    }
    return { catalogue, columns, unclassified };
  }

  async function rowCount(table: string): Promise<number> {
    // The name comes from the database's own catalogue, quoted as an identifier.
    const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
      db,
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  return {
    async inventory() {
      const [{ catalogue, unclassified }, overview] = await Promise.all([coverage(), retention.overview()]);
      const retainable = new Map(overview.retainable_tables.map((table) => [table.name, table]));
      const tables: InventoryTable[] = [];
      const total = zeroClasses();
      let columnCount = 0;
      for (const [table, present] of [...catalogue].sort(([a], [b]) => a.localeCompare(b))) {
        const entry = DATA_REGISTRY[table];
        const byClass = zeroClasses();
        const columns = present.map((column) => {
          const dataClass = entry?.columns[column.name] ?? null;
          if (dataClass) {
            byClass[dataClass] += 1;
            total[dataClass] += 1;
          }
          return { name: column.name, class: dataClass };
        });
        columnCount += columns.length;
        const rule = retainable.get(table);
        tables.push({
          table,
          purpose: entry?.purpose ?? 'Not in the data registry',
          row_count: await rowCount(table),
          columns,
          by_class: byClass,
          subject_columns: [...(entry?.subject_columns ?? [])],
          retention: rule
            ? {
                retainable: true,
                retention_days: rule.effective.retention_days,
                archive_before_delete: rule.effective.archive_before_delete,
                source: rule.effective.source,
                age_column: rule.age_column,
                note: rule.note,
              }
            : {
                retainable: false,
                retention_days: null,
                archive_before_delete: null,
                source: null,
                age_column: null,
                note:
                  table === 'enterprise_audit_logs'
                    ? 'The audit trail has its own retention (AUDIT_RETENTION_DAYS)'
                    : 'Kept while in use (master data, configuration or records tied to kept ones)',
              },
        });
      }
      return {
        generated_at: clock.now().toISOString(),
        tables,
        summary: { tables: tables.length, columns: columnCount, by_class: total, unclassified },
      };
    },

    async report({ days }) {
      const now = clock.now();
      const since = new Date(now.getTime() - days * 86_400_000).toISOString();
      const { catalogue, columns, unclassified } = await coverage();
      const byClass = zeroClasses();
      for (const [table, present] of catalogue)
        for (const column of present) {
          const dataClass = DATA_REGISTRY[table]?.columns[column.name];
          if (dataClass) byClass[dataClass] += 1;
        }

      const runs = await db
        .selectFrom('retention_runs')
        .select(({ fn }) => [
          fn.countAll<number>().as('runs'),
          fn.coalesce(fn.sum<number>('rows_archived'), sql<number>`0`).as('archived'),
          fn.coalesce(fn.sum<number>('rows_deleted'), sql<number>`0`).as('deleted'),
          fn.coalesce(fn.sum<number>('rows_held'), sql<number>`0`).as('held'),
        ])
        .executeTakeFirstOrThrow();
      const recent = await db
        .selectFrom('retention_runs')
        .select(({ fn }) => [
          fn.countAll<number>().as('runs'),
          fn.coalesce(fn.sum<number>('rows_deleted'), sql<number>`0`).as('deleted'),
        ])
        .where('started_at', '>=', since)
        .executeTakeFirstOrThrow();
      const failedRecent = await db
        .selectFrom('retention_runs')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .where('started_at', '>=', since)
        .where('status', '=', 'failed')
        .executeTakeFirstOrThrow();
      const lastRun = await db
        .selectFrom('retention_runs')
        .select(['id', 'status', 'started_at', 'finished_at', 'rows_deleted'])
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const policies = await db
        .selectFrom('retention_policies')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();

      const grouped = await db
        .selectFrom('data_subject_requests')
        .select(['request_type', 'status', ({ fn }) => fn.countAll<number>().as('n')])
        .groupBy(['request_type', 'status'])
        .execute();
      const byType = Object.fromEntries(REQUEST_TYPES.map((type) => [type, 0]));
      const byStatus = Object.fromEntries(REQUEST_STATUSES.map((status) => [status, 0]));
      let total = 0;
      let erasures = 0;
      for (const row of grouped) {
        const n = Number(row.n);
        total += n;
        byType[row.request_type] = (byType[row.request_type] ?? 0) + n;
        byStatus[row.status] = (byStatus[row.status] ?? 0) + n;
        if (row.request_type === 'erasure' && row.status === 'completed') erasures += n;
      }
      const overdue = await db
        .selectFrom('data_subject_requests')
        .select(['id', 'request_type', 'status', 'due_at'])
        .where('status', 'in', OPEN_STATUSES)
        .where('due_at', '<', now.toISOString())
        .orderBy('due_at')
        .execute();
      const completedRecent = await db
        .selectFrom('data_subject_requests')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .where('status', '=', 'completed')
        .where('completed_at', '>=', since)
        .executeTakeFirstOrThrow();

      const classified = columns - unclassified.length;
      return {
        generated_at: now.toISOString(),
        period_days: days,
        settings: {
          data_governance_enabled: deps.settings.dataGovernanceEnabled,
          gdpr_compliance_mode: deps.settings.gdprComplianceMode,
          default_retention_days: deps.settings.defaultRetentionDays,
        },
        classification: {
          tables: catalogue.size,
          columns,
          classified_columns: classified,
          coverage_percent: columns === 0 ? 100 : Math.floor((classified / columns) * 10_000) / 100,
          by_class: byClass,
          unclassified,
        },
        retention: {
          policies: Number(policies.n),
          runs: Number(runs.runs),
          runs_in_period: Number(recent.runs),
          failed_runs_in_period: Number(failedRecent.n),
          rows_archived: Number(runs.archived),
          rows_deleted: Number(runs.deleted),
          rows_held: Number(runs.held),
          rows_deleted_in_period: Number(recent.deleted),
          last_run: lastRun
            ? {
                id: lastRun.id,
                status: lastRun.status,
                started_at: lastRun.started_at,
                finished_at: lastRun.finished_at,
                rows_deleted: Number(lastRun.rows_deleted),
              }
            : null,
        },
        requests: {
          total,
          by_type: byType,
          by_status: byStatus,
          open: OPEN_STATUSES.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0),
          overdue: overdue.length,
          overdue_requests: overdue.slice(0, 50),
          erasures_completed: erasures,
          completed_in_period: Number(completedRecent.n),
        },
      };
    },
  };
}
