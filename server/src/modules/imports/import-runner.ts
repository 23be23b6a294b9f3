import fsp from 'node:fs/promises';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext } from '../audit/events.ts';
import {
  BulkConflict,
  findBarcodeOwners,
  type ItemImportRow,
  type OptionalItemField,
  type UpsertCounts,
  upsertItemBatch,
} from '../items/items.bulk.ts';
import {
  locationKey,
  resolveItemCodes,
  resolveLocationCodes,
  StockLevelConflict,
  type StockLevelImportRow,
  upsertStockLevelBatch,
} from '../stock-levels/stock-levels.bulk.ts';
import { type ImportFileSpec, type OpenedFile, openImportFile } from './import-file.ts';
import {
  checkItemRow,
  checkStockLevelRow,
  columnName,
  presentItemFields,
  type RowContext,
  type RowIssue,
  type RowResult,
  type SheetHeader,
} from './import-rules.ts';
import * as store from './imports.store.ts';
import { KeyTable } from './key-table.ts';
import type { SheetRow } from './sheet-rows.ts';

/**
 * Runs one import job, all or nothing:
 *
 * 1. Check: stream the file, check every row (its cells, duplicates anywhere in the file, codes
 *    against the database, a batch at a time) and record each rejected row. `processed` counts
 *    the rows checked; `total` is set at the end of this pass.
 * 2. If any row was rejected, nothing is written: the job fails with the count.
 * 3. Write: stream the file again and upsert it batch by batch inside ONE transaction, which
 *    also marks the job succeeded, so a crash or a failure leaves nothing half-imported. A dry
 *    run counts what it would insert, update and leave unchanged, and writes nothing.
 *
 * Memory is bounded by a batch, not by the file: the only per-row state kept across the whole
 * file is the duplicate-key table (16 bytes a key, see KeyTable).
 */

type Db = Kysely<Database> | Transaction<Database>;

export interface RunnerSettings {
  /** Rows per write (and per database check). */
  batchSize: number;
  /** Write `processed` every this many checked rows. */
  progressEveryRows: number;
  /** Rejected rows whose reasons are stored; all are counted. */
  maxStoredRejectedRows: number;
  maxRowBytes: number;
}

export const DEFAULT_RUNNER_SETTINGS: RunnerSettings = {
  batchSize: 1000,
  progressEveryRows: 5000,
  maxStoredRejectedRows: 10_000,
  maxRowBytes: 1024 * 1024,
};

export interface RunnerDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
  settings: RunnerSettings;
}

export interface ImportJobSpec extends Omit<ImportFileSpec, 'maxRowBytes'> {
  id: string;
  dryRun: boolean;
  /** Who uploaded the file, captured with the request: the job's data write is recorded under it. */
  context: AuditContext;
}

/** A reason the job failed that is meant for the user, stored as the job's `error`. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly outcome: Partial<store.JobOutcome> = {},
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** The runner was asked to stop (shutdown), or the job was failed by someone else. */
export class JobStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JobStopped';
  }
}

interface Pending<T> {
  rowNumber: number;
  result: RowResult<T>;
  /** Issues found beyond the row itself (duplicates, database). */
  extra: RowIssue[];
}

/** What differs between items and stock levels. */
interface KindPlan<T> {
  check(row: SheetRow): RowResult<T>;
  /** Duplicates of keys seen earlier in the file; records this row's keys. */
  duplicates(keys: Partial<T>, rowNumber: number): RowIssue[];
  /** Checks against the database for a batch; adds issues to its rows. */
  verify(db: Db, batch: Pending<T>[]): Promise<void>;
  upsert(db: Db, rows: T[], write: boolean, now: string): Promise<UpsertCounts>;
}

function itemsPlan(header: SheetHeader, context: RowContext, deps: RunnerDeps): KindPlan<ItemImportRow> {
  const codes = new KeyTable();
  const barcodes = new KeyTable();
  const codeColumn = columnName(header, 'item_code');
  const barcodeColumn = columnName(header, 'barcode');
  const present: ReadonlySet<OptionalItemField> = presentItemFields(header);
  return {
    check: (row) => checkItemRow(header, row, context),
    duplicates(keys, rowNumber) {
      const issues: RowIssue[] = [];
      if (keys.item_code !== undefined) {
        const first = codes.firstRow(keys.item_code, rowNumber);
        if (first)
          issues.push({ column: codeColumn, reason: `item_code ${keys.item_code} is also on row ${first}` });
      }
      for (const barcode of keys.barcodes ?? []) {
        const first = barcodes.firstRow(barcode.barcode, rowNumber);
        if (first)
          issues.push({
            column: barcodeColumn,
            reason: `barcode ${barcode.barcode} is also on row ${first}`,
          });
      }
      return issues;
    },
    async verify(db, batch) {
      const listed = batch.flatMap((pending) =>
        pending.result.keys.item_code !== undefined
          ? (pending.result.keys.barcodes ?? []).map((barcode) => barcode.barcode)
          : [],
      );
      if (listed.length === 0) return;
      const owners = await findBarcodeOwners(db, listed);
      for (const pending of batch) {
        const code = pending.result.keys.item_code;
        if (code === undefined) continue;
        for (const barcode of pending.result.keys.barcodes ?? []) {
          const owner = owners.get(barcode.barcode);
          if (owner && owner.item_code !== code) {
            pending.extra.push({
              column: barcodeColumn,
              reason: `barcode ${barcode.barcode} already belongs to item ${owner.item_code}`,
            });
          }
        }
      }
    },
    upsert: (db, rows, write, now) =>
      upsertItemBatch(db, rows, { present, now, write, newId: () => deps.ids.uuid() }),
  };
}

function stockLevelsPlan(
  header: SheetHeader,
  context: RowContext,
  deps: RunnerDeps,
): KindPlan<StockLevelImportRow> {
  const keysSeen = new KeyTable();
  const codeColumn = columnName(header, 'item_code');
  const locationColumn = columnName(header, 'location_code');
  return {
    check: (row) => checkStockLevelRow(header, row, context),
    duplicates(keys, rowNumber) {
      const { item_code, warehouse_code, location_code, lot } = keys;
      if (
        item_code === undefined ||
        warehouse_code === undefined ||
        location_code === undefined ||
        lot === undefined
      )
        return [];
      const first = keysSeen.firstRow(
        `${item_code}\u0000${warehouse_code}\u0000${location_code}\u0000${lot}`,
        rowNumber,
      );
      if (!first) return [];
      const what = `${item_code} at ${warehouse_code}/${location_code}${lot ? ` lot ${lot}` : ''}`;
      return [{ column: codeColumn, reason: `${what} is also on row ${first}` }];
    },
    async verify(db, batch) {
      const items = await resolveItemCodes(
        db,
        batch.flatMap((pending) => (pending.result.keys.item_code ? [pending.result.keys.item_code] : [])),
      );
      const pairs = batch.flatMap((pending) => {
        const { warehouse_code, location_code } = pending.result.keys;
        return warehouse_code !== undefined && location_code !== undefined
          ? [{ warehouse_code, location_code }]
          : [];
      });
      const locations = await resolveLocationCodes(db, pairs);
      for (const pending of batch) {
        const { item_code, warehouse_code, location_code } = pending.result.keys;
        if (item_code !== undefined && !items.has(item_code))
          pending.extra.push({ column: codeColumn, reason: `unknown item ${item_code}` });
        if (
          warehouse_code !== undefined &&
          location_code !== undefined &&
          !locations.has(locationKey(warehouse_code, location_code))
        ) {
          pending.extra.push({
            column: locationColumn,
            reason: `unknown location ${warehouse_code}/${location_code}`,
          });
        }
      }
    },
    upsert: (db, rows, write, now) =>
      upsertStockLevelBatch(db, rows, { now, write, newId: () => deps.ids.uuid() }),
  };
}

function planFor(header: SheetHeader, context: RowContext, deps: RunnerDeps): KindPlan<unknown> {
  return (
    header.kind === 'items' ? itemsPlan(header, context, deps) : stockLevelsPlan(header, context, deps)
  ) as KindPlan<unknown>;
}

/** Stores rejected rows, a row's issues merged into one entry per column; counts every row. */
class RejectedRows {
  rejected = 0;
  private stored = 0;
  private buffer: store.ImportErrorRow[] = [];
  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobId: string,
    private readonly cap: number,
  ) {}

  async add(rowNumber: number, issues: RowIssue[]): Promise<void> {
    this.rejected += 1;
    if (this.stored >= this.cap) return;
    this.stored += 1;
    const byColumn = new Map<string | null, string[]>();
    for (const issue of issues) {
      const reasons = byColumn.get(issue.column);
      if (reasons) {
        if (!reasons.includes(issue.reason)) reasons.push(issue.reason);
      } else byColumn.set(issue.column, [issue.reason]);
    }
    for (const [column, reasons] of byColumn) {
      this.buffer.push({
        job_id: this.jobId,
        row_number: rowNumber,
        column_name: column,
        reason: reasons.join('; ').slice(0, 2000),
      });
    }
    if (this.buffer.length >= 500) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    await store.insertErrors(this.db, rows);
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

async function open(spec: ImportJobSpec, deps: RunnerDeps): Promise<Extract<OpenedFile, { state: 'ready' }>> {
  const opened = await openImportFile({ ...spec, maxRowBytes: deps.settings.maxRowBytes });
  if (opened.state === 'empty') throw new JobFailure('The file has no rows; nothing was imported');
  if (opened.state === 'bad-header') throw new JobFailure(opened.header.message);
  return opened;
}

/**
 * Runs a job that is `queued`. Resolves when the job has ended (succeeded or failed); throws only
 * on an error that is not the file's fault (the caller records it).
 */
export async function runImportJob(
  spec: ImportJobSpec,
  deps: RunnerDeps,
  stopping: () => string | null,
): Promise<void> {
  const { db, clock, settings } = deps;
  if (!(await store.markRunning(db, spec.id, clock.now().toISOString()))) return;

  // Pass 1: check every row.
  const checked = await open(spec, deps);
  const plan = planFor(checked.header, checked.context, deps);
  const rejected = new RejectedRows(db, spec.id, settings.maxStoredRejectedRows);
  let processed = 0;
  let batch: Pending<unknown>[] = [];
  const settle = async () => {
    await plan.verify(db, batch);
    for (const pending of batch) {
      const issues = [...(pending.result.issues ?? []), ...pending.extra];
      if (issues.length > 0) await rejected.add(pending.rowNumber, issues);
    }
    batch = [];
  };
  try {
    for await (const row of checked.rows) {
      const stop = stopping();
      if (stop) throw new JobStopped(stop);
      const result = plan.check(row);
      batch.push({ rowNumber: row.rowNumber, result, extra: plan.duplicates(result.keys, row.rowNumber) });
      processed += 1;
      if (batch.length >= settings.batchSize) await settle();
      if (processed % settings.progressEveryRows === 0) {
        if (!(await store.updateProgress(db, spec.id, { processed })))
          throw new JobStopped('the job was ended elsewhere');
      }
    }
    await settle();
    await rejected.flush();
  } finally {
    await checked.close();
  }

  const total = processed;
  if (rejected.rejected > 0) {
    throw new JobFailure(`${plural(rejected.rejected, 'row')} rejected; nothing was imported`, {
      total,
      processed,
      rejected: rejected.rejected,
    });
  }
  if (total === 0)
    throw new JobFailure('The file has a header but no rows; nothing was imported', { total, processed });
  if (!(await store.updateProgress(db, spec.id, { processed, total })))
    throw new JobStopped('the job was ended elsewhere');

  // Pass 2: write (or, for a dry run, count).
  const now = clock.now().toISOString();
  const write = async (target: Db): Promise<UpsertCounts> => {
    const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const opened = await open(spec, deps);
    const writePlan = planFor(opened.header, opened.context, deps);
    let values: unknown[] = [];
    let rowNumbers: number[] = [];
    const flush = async () => {
      try {
        const done = await writePlan.upsert(target, values, !spec.dryRun, now);
        counts.inserted += done.inserted;
        counts.updated += done.updated;
        counts.unchanged += done.unchanged;
      } catch (error) {
        if (error instanceof BulkConflict || error instanceof StockLevelConflict) {
          throw new JobFailure(
            `Row ${rowNumbers[error.index]}: ${error.message}. The database changed while the file was imported; nothing was imported`,
            { total, processed },
          );
        }
        throw error;
      }
      values = [];
      rowNumbers = [];
    };
    try {
      for await (const row of opened.rows) {
        const stop = stopping();
        if (stop) throw new JobStopped(stop);
        const result = writePlan.check(row);
        if (result.value === null)
          throw new Error(`row ${row.rowNumber} read differently on the second pass`);
        values.push(result.value);
        rowNumbers.push(row.rowNumber);
        if (values.length >= settings.batchSize) await flush();
      }
      if (values.length > 0) await flush();
    } finally {
      await opened.close();
    }
    return counts;
  };

  const finishedAt = () => clock.now().toISOString();
  if (spec.dryRun) {
    const counts = await write(db);
    await fsp.rm(spec.file, { force: true });
    if (
      !(await store.finishSucceeded(db, spec.id, { ...counts, total, processed, rejected: 0 }, finishedAt()))
    )
      throw new JobStopped('the job was ended elsewhere');
    return;
  }
  await db.transaction().execute(async (trx) => {
    const counts = await write(trx);
    // Read for the last time: gone before the job shows as ended.
    await fsp.rm(spec.file, { force: true });
    // In the same transaction: the rows and "succeeded" commit together, or neither does.
    if (
      !(await store.finishSucceeded(trx, spec.id, { ...counts, total, processed, rejected: 0 }, finishedAt()))
    )
      throw new JobStopped('the job was ended elsewhere');
    // Last, just before commit: the rows and their audit entry commit together, or neither does.
    await deps.audit.append(trx, spec.context, [
      {
        type: 'DATA_BULK_OPERATION',
        action: 'import.apply',
        resource: { type: 'import_job', id: spec.id },
        details: { kind: spec.kind, ...counts, rejected: 0 },
      },
    ]);
  });
}
