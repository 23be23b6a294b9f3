import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../../platform/clock.ts';
import type { Dialect } from '../../../platform/db/database.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError, badRequest, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import { uuidv7 } from '../../../platform/ids.ts';
import {
  type JobContext,
  type JobDefinition,
  type JobRun,
  type JobRunner,
  safeErrorText,
} from '../../../platform/jobs/job-runner.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import { type AuditContext, SYSTEM_CONTEXT } from '../../audit/events.ts';
import * as store from './retention.store.ts';
import { archivedColumns, type RetainableTable, retainableTables } from './retention-rules.ts';

export const RETENTION_JOB = 'governance.retention';
const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** DATA_GOVERNANCE_ENABLED: false makes the routes 404 and the job do nothing. */
  enabled: boolean;
  defaultRetentionDays: number;
  accountingRetentionDays: number;
  /** RETENTION_RUN_AT (HH:MM, UTC). */
  runAt: string;
  /** Rows per batch transaction (tables without dependents). */
  batchSize?: number;
  /** Parent rows per batch transaction for tables whose rows take dependents along (count sessions). */
  parentBatchSize?: number;
}

export interface RetentionDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  trail: AuditTrail;
  logger: Logger;
  jobs: JobRunner;
  settings: RetentionSettings;
  /** The data_governance flag, system-wide: scheduled runs do nothing while it is off. */
  flagOn: () => boolean;
}

export interface Policy {
  collection_name: string;
  retention_days: number;
  archive_before_delete: boolean;
  description: string;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
}

export interface EffectiveRetention {
  retention_days: number;
  archive_before_delete: boolean;
  source: 'policy' | 'default';
}

export interface RetainableTableInfo {
  name: string;
  purpose: string;
  age_column: string;
  archive_allowed: boolean;
  note: string | null;
  effective: EffectiveRetention;
}

export interface RetentionOverview {
  enabled: boolean;
  default_retention_days: number;
  accounting_retention_days: number;
  schedule: { daily_at: string; job: string };
  policies: Policy[];
  retainable_tables: RetainableTableInfo[];
}

export interface TableFigures {
  table: string;
  /** policy | default: the table's own retention; dependent: removed with its parent rows. */
  source: 'policy' | 'default' | 'dependent';
  parent: string | null;
  retention_days: number | null;
  archive_before_delete: boolean;
  cutoff: string | null;
  archived: number;
  deleted: number;
  held: number;
}

export interface RetentionRun {
  id: string;
  trigger: string;
  triggered_by: string | null;
  status: store.RetentionRunStatus;
  started_at: string;
  finished_at: string | null;
  rows_archived: number;
  rows_deleted: number;
  rows_held: number;
  tables: TableFigures[];
  error: string | null;
}

export interface PolicyInput {
  collection_name: string;
  retention_days: number;
  archive_before_delete?: boolean;
  description?: string;
}

export interface Retention {
  readonly enabled: boolean;
  overview(): Promise<RetentionOverview>;
  setPolicy(input: PolicyInput, context: AuditContext): Promise<{ policy: Policy; created: boolean }>;
  deletePolicy(table: string, context: AuditContext): Promise<void>;
  /** Starts the retention job now (409 JOB_RUNNING while it runs anywhere); audited. */
  apply(context: AuditContext): Promise<JobRun>;
  /** The report of a run this instance started, once it has finished. */
  waitFor(runId: string): Promise<RetentionRun>;
  runs(page: { cursor?: string; limit: number }): Promise<Page<RetentionRun>>;
  /** The daily job (app.ts registers it as RETENTION_JOB). */
  job(): JobDefinition;
}

export const governanceDisabled = () =>
  new AppError(
    404,
    'DATA_GOVERNANCE_DISABLED',
    'Data governance is switched off (DATA_GOVERNANCE_ENABLED=false)',
  );

function toPolicy(row: store.RetentionPoliciesTable): Policy {
  return {
    collection_name: row.table_name,
    retention_days: row.retention_days,
    archive_before_delete: row.archive_before_delete === 1,
    description: row.description,
    created_at: row.created_at,
    created_by: row.created_by,
    updated_at: row.updated_at,
    updated_by: row.updated_by,
  };
}

function toRun(row: {
  id: string;
  trigger: string;
  triggered_by: string | null;
  status: store.RetentionRunStatus;
  started_at: string;
  finished_at: string | null;
  rows_archived: number;
  rows_deleted: number;
  rows_held: number;
  tables: string;
  error: string | null;
}): RetentionRun {
  return {
    ...row,
    rows_archived: Number(row.rows_archived),
    rows_deleted: Number(row.rows_deleted),
    rows_held: Number(row.rows_held),
    tables: JSON.parse(row.tables) as TableFigures[],
  };
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Archive ids of one batch: a fresh UUIDv7's time-ordered first 24 hex digits and the row's number
 * in the batch as the last 12, so a batch's rows go to the end of the archive's indexes (random
 * ids scattered every insert over the whole B-tree) and stay unique across batches and instances.
 */
export function archiveIdPrefix(): string {
  return uuidv7().slice(0, 24);
}

const archiveId = (prefix: string, index: number) => prefix + (index + 1).toString(16).padStart(12, '0');

/**
 * The archived form of a row: the row as the database returned it (its columns in the table's
 * order) as JSON, secrets left out (archivedColumns), and that text's SHA-256.
 */
export function archiveRows(
  table: string,
  key: readonly string[],
  rows: readonly store.Row[],
  archivedAt: string,
): store.ArchiveRow[] {
  const prefix = archiveIdPrefix();
  const kept = archivedColumns(table);
  return rows.map((row, index) => {
    const payload = JSON.stringify(
      kept === null ? row : Object.fromEntries(kept.map((c) => [c, row[c] ?? null])),
    );
    return {
      id: archiveId(prefix, index),
      source: table,
      record_id: key.length === 1 ? String(row[key[0]!]) : JSON.stringify(key.map((column) => row[column])),
      payload,
      archived_at: archivedAt,
      hash: sha256Hex(payload),
    };
  });
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Retention (issue 9): per-table policies over the tables the data registry says age, the daily
 * job that applies them (once across instances), and each run's report.
 *
 * A batch is one transaction: the oldest expired rows are deleted with RETURNING, exactly those
 * rows are written to data_archive (payload + SHA-256) when the policy archives, the run's figures
 * are updated and an audit entry is appended. A crash between batches loses nothing and
 * duplicates nothing; the next run carries on. Posted counts inside ACCOUNTING_RETENTION_DAYS
 * are never candidates (legal hold) and are reported as held.
 */
export function createRetention(deps: RetentionDeps): Retention {
  const { db, dialect, clock, trail, logger, jobs, settings } = deps;
  const batchSize = settings.batchSize ?? 5000;
  const parentBatchSize = settings.parentBatchSize ?? 5;
  const log = logger.child({ component: 'retention' });
  const tables = retainableTables();
  const byName = new Map(tables.map((table) => [table.name, table]));
  const waiters = new Map<string, Deferred>();
  let nextTriggeredBy: string | null = null;

  function track(runId: string): Deferred {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    const deferred = { promise, resolve, reject };
    waiters.set(runId, deferred);
    // Nobody may ever wait for a scheduled run: forget it after a while.
    setTimeout(() => waiters.delete(runId), 10 * 60_000).unref();
    return deferred;
  }

  function retainable(name: string): RetainableTable {
    const table = byName.get(name);
    if (!table)
      throw badRequest(
        `"${name}" is not a table retention applies to; retainable tables: ${tables.map((t) => t.name).join(', ')}`,
        [{ field: 'collection_name', message: 'is not a retainable table' }],
      );
    return table;
  }

  function effective(table: RetainableTable, policy: Policy | undefined): EffectiveRetention {
    if (policy)
      return {
        retention_days: policy.retention_days,
        archive_before_delete: policy.archive_before_delete && !table.rule.neverArchived,
        source: 'policy',
      };
    return {
      retention_days: settings.defaultRetentionDays,
      archive_before_delete: !table.rule.neverArchived,
      source: 'default',
    };
  }

  async function policyMap(): Promise<Map<string, Policy>> {
    return new Map((await store.listPolicies(db)).map((row) => [row.table_name, toPolicy(row)]));
  }

  interface Plan {
    table: RetainableTable;
    target: store.Target;
    retention: EffectiveRetention;
  }

  async function plan(now: Date): Promise<Plan[]> {
    const policies = await policyMap();
    const accountingCutoff = new Date(
      now.getTime() - settings.accountingRetentionDays * DAY_MS,
    ).toISOString();
    return tables.map((table) => {
      const retention = effective(table, policies.get(table.name));
      return {
        table,
        retention,
        target: {
          table: table.name,
          idColumn: table.idColumn,
          ageColumn: table.ageColumn,
          rule: table.rule,
          cutoff: new Date(now.getTime() - retention.retention_days * DAY_MS).toISOString(),
          now: now.toISOString(),
          accountingCutoff,
        },
      };
    });
  }

  /** One batch of one table, inside the caller's transaction: figures per table touched. */
  async function batch(
    trx: Kysely<Database>,
    step: Plan,
    archivedAt: string,
  ): Promise<{ parents: number; touched: Map<string, { archived: number; deleted: number }> }> {
    const { table, target } = step;
    const archive = step.retention.archive_before_delete;
    const touched = new Map<string, { archived: number; deleted: number }>();
    const note = async (
      name: string,
      key: readonly string[],
      removed: { rows: store.Row[]; count: number },
    ) => {
      if (archive && removed.rows.length > 0)
        await store.insertArchive(trx, archiveRows(name, key, removed.rows, archivedAt));
      touched.set(name, { archived: archive ? removed.rows.length : 0, deleted: removed.count });
    };
    const dependents = table.rule.dependents ?? [];
    if (dependents.length === 0 && archive && dialect === 'postgres') {
      const moved = await store.archiveOldestInDatabase(
        trx,
        target,
        batchSize,
        archivedAt,
        archiveIdPrefix(),
      );
      touched.set(table.name, { archived: moved, deleted: moved });
      return { parents: moved, touched };
    }
    if (dependents.length === 0) {
      const removed = await store.deleteOldest(trx, target, batchSize, archive);
      await note(table.name, [table.idColumn], removed);
      return { parents: removed.count, touched };
    }
    const parentIds = await store.oldestIds(trx, target, parentBatchSize);
    if (parentIds.length === 0) return { parents: 0, touched };
    for (const dependent of dependents)
      await note(
        dependent.table,
        dependent.key,
        await store.deleteDependents(trx, dependent, parentIds, archive),
      );
    const removed = await store.deleteByIds(trx, target, parentIds, archive);
    await note(table.name, [table.idColumn], removed);
    return { parents: removed.count, touched };
  }

  async function run(ctx: JobContext, done: Deferred): Promise<{ rows: number }> {
    const triggeredBy = ctx.trigger === 'manual' ? nextTriggeredBy : null;
    nextTriggeredBy = null;
    const now = clock.now();
    const startedAt = now.toISOString();
    await store.interruptRunning(db, startedAt);
    const steps = await plan(now);
    const figures: TableFigures[] = [];
    const figureOf = new Map<string, TableFigures>();
    let total = 0;
    for (const step of steps) {
      const { table, target, retention } = step;
      const held = await store.countHeld(db, target);
      total += await store.countExpired(db, target);
      const own: TableFigures = {
        table: table.name,
        source: retention.source,
        parent: null,
        retention_days: retention.retention_days,
        archive_before_delete: retention.archive_before_delete,
        cutoff: target.cutoff,
        archived: 0,
        deleted: 0,
        held,
      };
      figures.push(own);
      figureOf.set(table.name, own);
      for (const dependent of table.rule.dependents ?? []) {
        const row: TableFigures = {
          table: dependent.table,
          source: 'dependent',
          parent: table.name,
          retention_days: null,
          archive_before_delete: retention.archive_before_delete,
          cutoff: null,
          archived: 0,
          deleted: 0,
          held: 0,
        };
        figures.push(row);
        figureOf.set(dependent.table, row);
      }
    }
    const sum = (field: 'archived' | 'deleted' | 'held') => figures.reduce((n, f) => n + f[field], 0);
    await store.insertRun(db, {
      id: ctx.runId,
      trigger: ctx.trigger,
      triggered_by: triggeredBy,
      status: 'running',
      started_at: startedAt,
      finished_at: null,
      rows_held: sum('held'),
      tables: JSON.stringify(figures),
      error: null,
    });
    await ctx.progress(0, total);
    let processed = 0;
    try {
      for (const step of steps) {
        for (;;) {
          if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
          const result = await trail.transaction(SYSTEM_CONTEXT, async (trx, record) => {
            const outcome = await batch(trx, step, clock.now().toISOString());
            const removed = [...outcome.touched.values()].reduce((n, t) => n + t.deleted, 0);
            if (removed === 0) return outcome;
            // The run's figures move in the batch's own transaction: they match what was removed.
            const next = figures.map((f) => {
              const delta = outcome.touched.get(f.table);
              return delta && (f.table === step.table.name || f.parent === step.table.name)
                ? { ...f, archived: f.archived + delta.archived, deleted: f.deleted + delta.deleted }
                : f;
            });
            const add = (field: 'archived' | 'deleted') => next.reduce((n, f) => n + f[field], 0);
            await store.updateRun(trx, ctx.runId, {
              rows_archived: add('archived'),
              rows_deleted: add('deleted'),
              tables: JSON.stringify(next),
            });
            record({
              type: 'DATA_DELETE',
              action: 'retention.batch',
              resource: { type: 'table', id: step.table.name },
              details: {
                run_id: ctx.runId,
                cutoff: step.target.cutoff,
                retention_days: step.retention.retention_days,
                archived: step.retention.archive_before_delete,
                rows: Object.fromEntries(
                  [...outcome.touched].map(([name, n]) => [
                    name,
                    { archived: n.archived, deleted: n.deleted },
                  ]),
                ),
              },
            });
            return { ...outcome, next };
          });
          if ('next' in result) {
            for (const updated of result.next) Object.assign(figureOf.get(updated.table)!, updated);
          }
          if (result.parents === 0) break;
          processed += result.parents;
          await ctx.progress(processed, Math.max(total, processed));
          const limit = step.table.rule.dependents?.length ? parentBatchSize : batchSize;
          if (result.parents < limit) break;
        }
      }
    } catch (error) {
      const status = ctx.signal.aborted ? 'interrupted' : 'failed';
      await store.updateRun(db, ctx.runId, {
        status,
        finished_at: clock.now().toISOString(),
        error: safeErrorText(error),
      });
      log.warn({ run_id: ctx.runId, err: error }, `retention run ${status}`);
      throw error;
    }
    await store.updateRun(db, ctx.runId, { status: 'succeeded', finished_at: clock.now().toISOString() });
    const deleted = sum('deleted');
    log.info(
      { run_id: ctx.runId, archived: sum('archived'), deleted, held: sum('held') },
      'retention applied',
    );
    done.resolve();
    return { rows: deleted };
  }

  async function audited<T>(
    context: AuditContext,
    work: (
      trx: Kysely<Database>,
      record: Parameters<Parameters<AuditTrail['transaction']>[1]>[1],
    ) => Promise<T>,
  ): Promise<T> {
    return trail.transaction(context, work);
  }

  return {
    enabled: settings.enabled,

    async overview() {
      const policies = await policyMap();
      return {
        enabled: settings.enabled,
        default_retention_days: settings.defaultRetentionDays,
        accounting_retention_days: settings.accountingRetentionDays,
        schedule: { daily_at: settings.runAt, job: RETENTION_JOB },
        policies: [...policies.values()],
        retainable_tables: tables.map((table) => ({
          name: table.name,
          purpose: table.purpose,
          age_column: table.ageColumn,
          archive_allowed: !table.rule.neverArchived,
          note: table.rule.note ?? null,
          effective: effective(table, policies.get(table.name)),
        })),
      };
    },

    async setPolicy(input, context) {
      const table = retainable(input.collection_name);
      const archive = input.archive_before_delete ?? !table.rule.neverArchived;
      if (archive && table.rule.neverArchived)
        throw badRequest(
          `${table.name} rows are deleted, never archived again: archive_before_delete must be false`,
          [{ field: 'archive_before_delete', message: 'must be false for this table' }],
        );
      const now = clock.now().toISOString();
      const by = context.actor.user_id;
      const created = await audited(context, async (trx, record) => {
        const before = await store.getPolicy(trx, table.name);
        const outcome = await store.upsertPolicy(
          trx,
          {
            table_name: table.name,
            retention_days: input.retention_days,
            archive_before_delete: archive ? 1 : 0,
            description: input.description ?? before?.description ?? '',
          },
          by,
          now,
        );
        record({
          type: 'CONFIG_CHANGE',
          action: outcome === 'created' ? 'retention_policy.create' : 'retention_policy.update',
          resource: { type: 'retention_policy', id: table.name },
          details: {
            retention_days: input.retention_days,
            archive_before_delete: archive,
            ...(before
              ? {
                  previous: {
                    retention_days: before.retention_days,
                    archive_before_delete: before.archive_before_delete === 1,
                  },
                }
              : {}),
          },
        });
        return outcome === 'created';
      });
      const row = await store.getPolicy(db, table.name);
      return { policy: toPolicy(row!), created };
    },

    async deletePolicy(name, context) {
      retainable(name);
      await audited(context, async (trx, record) => {
        const before = await store.getPolicy(trx, name);
        if (!before || !(await store.deletePolicy(trx, name))) throw notFound('Retention policy');
        record({
          type: 'CONFIG_CHANGE',
          action: 'retention_policy.delete',
          resource: { type: 'retention_policy', id: name },
          details: {
            previous: {
              retention_days: before.retention_days,
              archive_before_delete: before.archive_before_delete === 1,
            },
            now_applies: { retention_days: settings.defaultRetentionDays },
          },
        });
      });
    },

    async apply(context) {
      nextTriggeredBy = context.actor.user_id;
      try {
        return await jobs.trigger(RETENTION_JOB, {
          ...(context.actor.user_id ? { triggeredBy: context.actor.user_id } : {}),
          transaction: (claim) =>
            audited(context, async (trx, record) => {
              const run = await claim(trx);
              record({
                type: 'DATA_BULK_OPERATION',
                action: 'retention.apply',
                resource: { type: 'job', id: RETENTION_JOB },
                details: { run_id: run.id, trigger: 'manual' },
              });
              return run;
            }),
        });
      } catch (error) {
        nextTriggeredBy = null;
        throw error;
      }
    },

    async waitFor(runId) {
      const waiter = waiters.get(runId);
      if (waiter) {
        try {
          await waiter.promise;
        } catch {
          // The report below says how it ended.
        } finally {
          waiters.delete(runId);
        }
      }
      const row = await store.getRun(db, runId);
      if (!row) throw notFound('Retention run');
      return toRun(row);
    },

    async runs(page) {
      const before = page.cursor
        ? decodeCursor<[string, string]>(
            page.cursor,
            (key) => key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string',
          )
        : undefined;
      const rows = await store.listRuns(db, { ...(before ? { before } : {}), limit: page.limit + 1 });
      return toPage(rows, page.limit, toRun, (row) => [row.started_at, row.id]);
    },

    job() {
      return {
        dailyAt: settings.runAt,
        description: 'Retention: expired rows archived (per policy) and removed, in batches',
        run: async (ctx) => {
          // Before any await: a caller of waitFor right after trigger() finds it.
          const done = track(ctx.runId);
          if (!settings.enabled || (ctx.trigger === 'schedule' && !deps.flagOn())) {
            log.info({ run_id: ctx.runId }, 'retention skipped: data governance is off');
            done.resolve();
            return { rows: 0 };
          }
          try {
            return await run(ctx, done);
          } catch (error) {
            done.reject(error);
            throw error;
          }
        },
      };
    },
  };
}
