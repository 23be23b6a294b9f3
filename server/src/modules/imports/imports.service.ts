import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { AppError, badRequest, type FieldError, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext } from '../audit/events.ts';
import { type ImportFormat, openImportFile, UnreadableWorkbook } from './import-file.ts';
import { IMPORT_KINDS, type ImportKind } from './import-rules.ts';
import {
  DEFAULT_RUNNER_SETTINGS,
  type ImportJobSpec,
  JobFailure,
  JobStopped,
  type RunnerSettings,
  runImportJob,
} from './import-runner.ts';
import * as store from './imports.store.ts';
import type { Delimiter } from './sheet-rows.ts';

/** The public view of an import job. */
export interface ImportJob {
  id: string;
  kind: ImportKind;
  format: ImportFormat;
  filename: string;
  size_bytes: number;
  dry_run: boolean;
  status: store.JobStatus;
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
}

export interface ImportRowError {
  row: number;
  column: string | null;
  reason: string;
}

export interface ImportJobDetail extends ImportJob {
  /** The first rejected rows; all of them come from errors(). */
  errors: ImportRowError[];
  errors_total: number;
}

/** One part of a multipart upload, as the HTTP layer hands it over. */
export type UploadPart =
  | { type: 'field'; fieldname: string; value: unknown }
  | { type: 'file'; fieldname: string; filename: string; file: Readable & { truncated?: boolean } };

export interface ImportsService {
  /**
   * Takes an upload: the form fields (`kind`, `dry_run`, `delimiter`) and one `file`, streamed to
   * DATA_DIR/imports. Refuses (4xx, nothing kept) a file that is too large, empty, neither CSV nor
   * XLSX, or whose header lacks the required columns; otherwise creates a queued job and runs it
   * in the background. The job (and, once it commits, its data write) is recorded in the audit
   * trail under `context`, which the queued job keeps.
   */
  accept(
    parts: AsyncIterable<UploadPart>,
    actorId: string,
    context: AuditContext,
    options?: { bulkAllowed?: boolean },
  ): Promise<ImportJob>;
  list(filter: {
    kind?: ImportKind;
    status?: store.JobStatus;
    cursor?: string;
    limit: number;
  }): Promise<Page<ImportJob>>;
  get(id: string): Promise<ImportJobDetail>;
  errors(id: string, page: { cursor?: string; limit: number }): Promise<Page<ImportRowError>>;
  /** At start-up: jobs a crash left queued or running are failed (nothing of them was written). */
  recoverInterrupted(): Promise<number>;
  /** Resolves once no job is queued or running. */
  idle(): Promise<void>;
  /** Stops: the running job is rolled back and failed, queued ones are failed. */
  close(): Promise<void>;
}

export interface ImportsServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
  logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  dataDir: string;
  /** IMPORT_MAX_BYTES */
  maxBytes: number;
  settings?: Partial<RunnerSettings>;
}

export const INTERRUPTED_BY_RESTART = 'interrupted by a restart; nothing was imported';
export const INTERRUPTED_BY_SHUTDOWN = 'interrupted by a shutdown; nothing was imported';
const FIRST_ERRORS = 100;
const SNIFF_BYTES = 64 * 1024;
const UPLOAD_SUFFIX = '.upload';
/** Upload leftovers older than this, of no known job, are removed at start-up. */
const ORPHAN_AGE_MS = 24 * 3600_000;

export function toImportJob(row: store.ImportJobRow): ImportJob {
  let ignored: string[] = [];
  if (row.ignored_columns) {
    try {
      const parsed: unknown = JSON.parse(row.ignored_columns);
      if (Array.isArray(parsed)) ignored = parsed.map(String);
    } catch {
      ignored = [];
    }
  }
  return {
    id: row.id,
    kind: row.kind,
    format: row.format,
    filename: row.filename,
    size_bytes: Number(row.size_bytes),
    dry_run: row.dry_run === 1,
    status: row.status,
    total: row.total === null ? null : Number(row.total),
    processed: Number(row.processed),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    unchanged: Number(row.unchanged),
    rejected: Number(row.rejected),
    error: row.error,
    ignored_columns: ignored,
    created_by: row.created_by,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}

function toRowError(row: store.ImportErrorRow): ImportRowError {
  return { row: Number(row.row_number), column: row.column_name, reason: row.reason };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}

/** The name a person gave the file, without any path, control characters or shell-special marks. */
export function safeFilename(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return clean || 'upload';
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError(
    413,
    'PAYLOAD_TOO_LARGE',
    `The file is larger than the ${formatBytes(maxBytes)} import limit (IMPORT_MAX_BYTES)`,
  );
}

/** What the first bytes say the file is: CSV (UTF-8 text) or XLSX (a zip), or why it is neither. */
export function sniffFormat(head: Buffer): ImportFormat {
  const starts = (...bytes: number[]) => bytes.every((byte, i) => head[i] === byte);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'xlsx';
  const refuse = (what: string) =>
    new AppError(
      415,
      'UNSUPPORTED_FILE_TYPE',
      `The file is ${what}: upload a CSV (UTF-8) or an XLSX workbook`,
      [{ field: 'file', message: `is ${what}, not CSV or XLSX` }],
    );
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) throw refuse('UTF-16 text (save it as "CSV UTF-8")');
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) throw refuse('an Excel 97-2003 .xls workbook (save it as .xlsx)');
  if (starts(0x25, 0x50, 0x44, 0x46)) throw refuse('a PDF document');
  if (starts(0x50, 0x4b)) throw refuse('a ZIP archive that is not a workbook');
  // Text never holds a NUL byte; every binary format does, early on.
  if (head.includes(0)) throw refuse('binary data');
  return 'csv';
}

interface ImportOptions {
  kind: ImportKind;
  dryRun: boolean;
  delimiter: Delimiter | null;
}

const DELIMITERS: Record<string, Delimiter> = {
  ',': ',',
  ';': ';',
  '\t': '\t',
  '\\t': '\t',
  tab: '\t',
  comma: ',',
  semicolon: ';',
};

/** The form fields; `complete` false while the file has not been read (kind may come later). */
function parseOptions(raw: Map<string, string>, complete: boolean): ImportOptions {
  const details: FieldError[] = [];
  for (const name of raw.keys()) {
    if (!['kind', 'dry_run', 'delimiter'].includes(name))
      details.push({ field: name, message: 'is not a field of this form (kind, dry_run, delimiter, file)' });
  }
  const kind = raw.get('kind')?.trim();
  if (kind === undefined || kind === '') {
    if (complete) details.push({ field: 'kind', message: `is required: ${IMPORT_KINDS.join(' or ')}` });
  } else if (!IMPORT_KINDS.includes(kind as ImportKind)) {
    details.push({
      field: 'kind',
      message: `must be ${IMPORT_KINDS.join(' or ')}, got "${kind.slice(0, 40)}"`,
    });
  }
  const dryRunText = raw.get('dry_run')?.trim().toLowerCase();
  let dryRun = false;
  if (dryRunText !== undefined && dryRunText !== '') {
    if (['true', '1', 'yes', 'on'].includes(dryRunText)) dryRun = true;
    else if (!['false', '0', 'no', 'off'].includes(dryRunText))
      details.push({ field: 'dry_run', message: 'must be true or false' });
  }
  const delimiterText = raw.get('delimiter');
  let delimiter: Delimiter | null = null;
  if (delimiterText !== undefined && delimiterText !== '') {
    const found = DELIMITERS[delimiterText] ?? DELIMITERS[delimiterText.trim().toLowerCase()];
    if (found) delimiter = found;
    else details.push({ field: 'delimiter', message: 'must be "," ";" or a tab (or empty to detect it)' });
  }
  if (details.length > 0) {
    const first = details[0]!;
    throw badRequest(`Invalid upload: ${first.field} ${first.message}`, details);
  }
  return { kind: kind as ImportKind, dryRun, delimiter };
}

/** @fastify/multipart's own errors, as this API's error shape. */
/**
 * An upload larger than this is a bulk operation: it needs the `bulk_operations` feature flag
 * (on for admins only by default). About 10,000 item rows.
 */
export const LARGE_IMPORT_BYTES = 1024 * 1024;

export function largeImportRefused(): AppError {
  return new AppError(
    403,
    'FEATURE_DISABLED',
    `Files over ${LARGE_IMPORT_BYTES / 1024 / 1024} MiB are a bulk operation, which is not enabled for you (feature flag bulk_operations)`,
  );
}

function uploadError(error: unknown, maxBytes: number): unknown {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxBytes);
    case 'FST_FILES_LIMIT':
      return badRequest('Upload one file at a time', [{ field: 'file', message: 'must be a single file' }]);
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return badRequest('The form has too many fields: send kind, dry_run, delimiter and file');
    case 'FST_MP_PREMATURE_CLOSE':
      return badRequest('The upload ended before the whole file arrived');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return badRequest('The multipart form is not valid');
    default:
      if (error instanceof Error && /multipart|boundary|Unexpected end/i.test(error.message))
        return badRequest(`The multipart form is not valid: ${error.message}`);
      return error;
  }
}

export function createImportsService(deps: ImportsServiceDeps): ImportsService {
  const { db, clock, ids, audit, logger, maxBytes } = deps;
  const settings: RunnerSettings = { ...DEFAULT_RUNNER_SETTINGS, ...deps.settings };
  const dir = path.join(deps.dataDir, 'imports');
  const queue: ImportJobSpec[] = [];
  let active: Promise<void> | null = null;
  let stopReason: string | null = null;

  const removeQuietly = (file: string) => fsp.rm(file, { force: true }).catch(() => {});
  const jobFiles = (id: string) =>
    ['csv', 'xlsx']
      .map((ext) => path.join(dir, `${id}.${ext}`))
      .concat(path.join(dir, `${id}${UPLOAD_SUFFIX}`));

  async function stage(part: Extract<UploadPart, { type: 'file' }>, id: string) {
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${id}${UPLOAD_SUFFIX}`);
    let size = 0;
    const head: Buffer[] = [];
    let headLength = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (headLength < SNIFF_BYTES) {
          const piece = chunk.subarray(0, SNIFF_BYTES - headLength);
          head.push(Buffer.from(piece));
          headLength += piece.length;
        }
        if (size > maxBytes) callback(tooLarge(maxBytes));
        else callback(null, chunk);
      },
    });
    try {
      await pipeline(part.file, measure, fs.createWriteStream(file, { flags: 'wx' }));
    } catch (error) {
      await removeQuietly(file);
      throw error;
    }
    if (part.file.truncated) {
      await removeQuietly(file);
      throw tooLarge(maxBytes);
    }
    return { file, size, head: Buffer.concat(head), filename: safeFilename(part.filename ?? '') };
  }

  async function checkHeader(spec: {
    file: string;
    format: ImportFormat;
    kind: ImportKind;
    delimiter: Delimiter | null;
  }) {
    let opened: Awaited<ReturnType<typeof openImportFile>>;
    try {
      opened = await openImportFile({ ...spec, maxRowBytes: settings.maxRowBytes });
    } catch (error) {
      if (error instanceof UnreadableWorkbook) {
        throw new AppError(
          415,
          'UNSUPPORTED_FILE_TYPE',
          'The file is a ZIP archive but not a readable XLSX workbook',
          [{ field: 'file', message: 'is not a readable XLSX workbook' }],
        );
      }
      throw error;
    }
    if (opened.state === 'empty') {
      throw new AppError(422, 'EMPTY_FILE', 'The file has no rows: the first row must be the header', [
        { field: 'file', message: 'has no rows' },
      ]);
    }
    if (opened.state === 'bad-header') {
      throw new AppError(422, 'INVALID_HEADER', opened.header.message, [
        { field: 'file', message: opened.header.message },
      ]);
    }
    await opened.close();
    return opened.header.ignored;
  }

  async function runOne(spec: ImportJobSpec): Promise<void> {
    const started = Date.now();
    try {
      await runImportJob(spec, { db, clock, ids, audit, settings }, () => stopReason);
      const job = await store.findJob(db, spec.id);
      logger.info(
        { job_id: spec.id, kind: spec.kind, status: job?.status, rows: job?.total, ms: Date.now() - started },
        'import finished',
      );
    } catch (error) {
      let message: string;
      let outcome: Partial<store.JobOutcome> = {};
      if (error instanceof JobFailure) {
        message = error.message;
        outcome = error.outcome;
      } else if (error instanceof JobStopped) {
        message = error.reason;
      } else if (error instanceof UnreadableWorkbook) {
        message = `The file is ${error.message}; nothing was imported`;
      } else {
        logger.error({ err: error, job_id: spec.id }, 'import failed on an unexpected error');
        message = 'The import failed on an unexpected error (see the server log); nothing was imported';
      }
      await removeQuietly(spec.file);
      // Its write was rolled back, entry and all; the attempt is recorded (a dry run writes nothing),
      // before the job shows as failed.
      if (!spec.dryRun) {
        try {
          await audit.record(spec.context, {
            type: 'DATA_BULK_OPERATION',
            action: 'import.apply',
            outcome: 'failure',
            resource: { type: 'import_job', id: spec.id },
            details: {
              kind: spec.kind,
              total: outcome.total ?? null,
              rejected: outcome.rejected ?? 0,
              reason: message.slice(0, 500),
            },
          });
        } catch (auditError) {
          logger.error({ err: auditError, job_id: spec.id }, 'could not audit the failed import');
        }
      }
      try {
        await store.finishFailed(db, spec.id, { ...outcome, error: message }, clock.now().toISOString());
      } catch (storeError) {
        logger.error({ err: storeError, job_id: spec.id }, 'could not record the failed import');
      }
      logger.info(
        { job_id: spec.id, kind: spec.kind, error: message, ms: Date.now() - started },
        'import failed',
      );
    } finally {
      await removeQuietly(spec.file);
    }
  }

  function schedule(spec: ImportJobSpec): void {
    queue.push(spec);
    if (active) return;
    active = (async () => {
      while (queue.length > 0 && stopReason === null) await runOne(queue.shift()!);
    })().finally(() => {
      active = null;
    });
  }

  async function load(id: string): Promise<store.ImportJobRow> {
    const row = await store.findJob(db, id);
    if (!row) throw notFound('Import job');
    return row;
  }

  return {
    async accept(parts, actorId, context, acceptOptions = {}) {
      if (stopReason !== null)
        throw new AppError(503, 'SHUTTING_DOWN', 'The server is shutting down; try again shortly');
      const id = ids.uuid();
      const fields = new Map<string, string>();
      let staged: Awaited<ReturnType<typeof stage>> | null = null;
      try {
        for await (const part of parts) {
          if (part.type === 'field') {
            fields.set(part.fieldname, String(part.value ?? ''));
            continue;
          }
          if (part.fieldname !== 'file' || staged !== null) {
            part.file.resume();
            throw badRequest('Upload one file, in the form field "file"', [
              { field: part.fieldname, message: 'must be the one file field, named "file"' },
            ]);
          }
          // Fail fast on a bad kind before reading a large file (drained, so the request ends).
          try {
            parseOptions(fields, false);
          } catch (error) {
            part.file.resume();
            throw error;
          }
          staged = await stage(part, id);
        }
        const options = parseOptions(fields, true);
        if (!staged)
          throw badRequest('file is required: a CSV or XLSX file', [
            { field: 'file', message: 'is required' },
          ]);
        if (staged.size > LARGE_IMPORT_BYTES && acceptOptions.bulkAllowed === false)
          throw largeImportRefused();
        if (staged.size === 0) {
          throw new AppError(422, 'EMPTY_FILE', 'The file is empty', [
            { field: 'file', message: 'is empty' },
          ]);
        }
        const format = sniffFormat(staged.head);
        const ignored = await checkHeader({
          file: staged.file,
          format,
          kind: options.kind,
          delimiter: options.delimiter,
        });
        const file = path.join(dir, `${id}.${format}`);
        await fsp.rename(staged.file, file);
        staged.file = file;
        const row: store.ImportJobRow = {
          id,
          kind: options.kind,
          format,
          filename: staged.filename,
          size_bytes: staged.size,
          dry_run: options.dryRun ? 1 : 0,
          status: 'queued',
          total: null,
          processed: 0,
          inserted: 0,
          updated: 0,
          unchanged: 0,
          rejected: 0,
          error: null,
          ignored_columns: JSON.stringify(ignored),
          created_by: actorId,
          created_at: clock.now().toISOString(),
          started_at: null,
          finished_at: null,
        };
        await audit.transaction(context, async (trx, record) => {
          await store.insertJob(trx, row);
          record({
            type: 'DATA_CREATE',
            action: 'import.create',
            resource: { type: 'import_job', id },
            details: { kind: row.kind, format, size_bytes: row.size_bytes, dry_run: options.dryRun },
          });
        });
        schedule({
          id,
          kind: options.kind,
          format,
          file,
          delimiter: options.delimiter,
          dryRun: options.dryRun,
          context,
        });
        return toImportJob(row);
      } catch (error) {
        if (staged) await removeQuietly(staged.file);
        else await removeQuietly(path.join(dir, `${id}${UPLOAD_SUFFIX}`));
        throw uploadError(error, maxBytes);
      }
    },

    async list(filter) {
      const before = filter.cursor
        ? decodeCursor<[string, string]>(
            filter.cursor,
            (key) => key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string',
          )
        : undefined;
      const rows = await store.listJobs(db, {
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(before ? { before: { created_at: before[0], id: before[1] } } : {}),
        limit: filter.limit + 1,
      });
      return toPage(rows, filter.limit, toImportJob, (row) => [row.created_at, row.id]);
    },

    async get(id) {
      const row = await load(id);
      const [errors, total] = await Promise.all([
        store.listErrors(db, id, { limit: FIRST_ERRORS }),
        store.countErrors(db, id),
      ]);
      return { ...toImportJob(row), errors: errors.map(toRowError), errors_total: total };
    },

    async errors(id, page) {
      await load(id);
      const after = page.cursor
        ? decodeCursor<[number, string]>(
            page.cursor,
            (key) => key.length === 2 && Number.isInteger(key[0]) && typeof key[1] === 'string',
          )
        : undefined;
      const rows = await store.listErrors(db, id, {
        ...(after ? { after: { row: after[0], column: after[1] } } : {}),
        limit: page.limit + 1,
      });
      return toPage(rows, page.limit, toRowError, (row) => [Number(row.row_number), row.column_name ?? '']);
    },

    async recoverInterrupted() {
      const failed = await store.failUnfinished(db, INTERRUPTED_BY_RESTART, clock.now().toISOString());
      for (const id of failed) for (const file of jobFiles(id)) await removeQuietly(file);
      // Uploads cut short by a crash before their job row existed.
      const entries = await fsp.readdir(dir).catch(() => [] as string[]);
      const cutoff = clock.now().getTime() - ORPHAN_AGE_MS;
      for (const name of entries) {
        if (!/^[0-9a-f-]{36}\.(upload|csv|xlsx)$/.test(name)) continue;
        const file = path.join(dir, name);
        const stat = await fsp.stat(file).catch(() => null);
        if (stat && stat.mtimeMs < cutoff && !queue.some((spec) => spec.file === file))
          await removeQuietly(file);
      }
      if (failed.length > 0) logger.info({ jobs: failed }, 'imports interrupted by a restart marked failed');
      return failed.length;
    },

    idle: async () => {
      while (active) await active;
    },

    async close() {
      stopReason = INTERRUPTED_BY_SHUTDOWN;
      while (active) await active;
      const now = clock.now().toISOString();
      for (const spec of queue.splice(0)) {
        await store.finishFailed(db, spec.id, { error: INTERRUPTED_BY_SHUTDOWN }, now).catch(() => {});
        await removeQuietly(spec.file);
      }
    },
  };
}
