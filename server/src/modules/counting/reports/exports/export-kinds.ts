import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../../../platform/db/schema.ts';
import { valueE4 } from '../../../../platform/decimal.ts';
import type { Role } from '../../../../platform/http/access.ts';
import type { CountSessionRow, SessionStatus } from '../../counting.tables.ts';
import * as postingStore from '../../posting/posting.store.ts';
import { assignedPaths } from '../../sessions/session-access.ts';
import { money, qty } from '../figures.ts';
import * as store from '../reports.store.ts';
import { countSheetPdf, type SheetLine } from './count-sheet-pdf.ts';
import { csvStream, type Table, type TableColumn, xlsxStream } from './table-writers.ts';

/**
 * What `GET /api/count-sessions/:id/export` can produce, one entry per `kind`. A kind names the
 * formats it comes in, who may have it, the session statuses it makes sense in, and how it is
 * written. Adding a kind (posted adjustments, say) is one more entry in EXPORT_KINDS.
 */

export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

export interface ExportViewer {
  id: string;
  role: Role;
}

export interface ExportRequest {
  db: Kysely<Database>;
  session: CountSessionRow;
  viewer: ExportViewer;
  format: ExportFormat;
  /** ISO timestamp of the export (printed on sheets). */
  now: string;
}

export interface ExportKind {
  formats: readonly ExportFormat[];
  /** Staff, when listed, get only the locations they are assigned to (the kind sees to that). */
  roles: readonly Role[];
  /** Statuses the export is ready in; in any other: 409 with `notReadyCode`. */
  statuses: readonly SessionStatus[];
  notReadyCode: string;
  /** The part of the file name after the session's name: `<session>-<label>.<format>`. */
  label: string;
  write(request: ExportRequest): Promise<Readable>;
}

const PAGE = 1000;

/** A session's lines in print order, page by page (optionally only under some locations). */
export async function* linesOf(
  db: Kysely<Database>,
  sessionId: string,
  locationPaths?: readonly string[],
): AsyncGenerator<store.ReportLine> {
  let after: store.SheetKey | null = null;
  for (;;) {
    const page = await store.linesInPrintOrder(db, sessionId, {
      after,
      limit: PAGE,
      ...(locationPaths ? { locationPaths } : {}),
    });
    yield* page;
    if (page.length < PAGE) return;
    after = store.sheetKeyOf(page[page.length - 1]!);
  }
}

function table(format: ExportFormat, spec: Table): Readable {
  return format === 'xlsx' ? xlsxStream(spec) : csvStream(spec);
}

const VARIANCE_COLUMNS: TableColumn[] = [
  { header: 'location_code', width: 14 },
  { header: 'location_name', width: 20 },
  { header: 'item_code', width: 16 },
  { header: 'item_name', width: 32 },
  { header: 'category', width: 14 },
  { header: 'lot' },
  { header: 'unit' },
  { header: 'expected' },
  { header: 'status', width: 14 },
  { header: 'round' },
  { header: 'book_qty', numeric: true },
  { header: 'counted_qty', numeric: true, width: 12 },
  { header: 'variance_qty', numeric: true, width: 12 },
  { header: 'unit_cost', numeric: true },
  { header: 'variance_value', numeric: true, width: 14 },
  { header: 'reason_code', width: 16 },
  { header: 'flags', width: 24 },
  { header: 'decided_by', width: 38 },
  { header: 'decided_at', width: 26 },
];

const variance: ExportKind = {
  formats: ['csv', 'xlsx'],
  roles: ['admin', 'supervisor', 'auditor'],
  statuses: ['review', 'approved', 'posted'],
  notReadyCode: 'REPORT_NOT_READY',
  label: 'variance',
  async write({ db, session, format }) {
    async function* rows() {
      for await (const line of linesOf(db, session.id)) {
        const counted = line.counted_qty_e3;
        const varianceE3 = counted === null ? null : counted - line.book_qty_e3;
        yield [
          line.location_code,
          line.location_name,
          line.item_code,
          line.item_name,
          line.category,
          line.lot,
          line.base_uom,
          line.expected === 1,
          line.status,
          line.round,
          qty(line.book_qty_e3),
          counted === null ? null : qty(counted),
          varianceE3 === null ? null : qty(varianceE3),
          money(line.unit_cost_e4),
          varianceE3 === null ? null : money(valueE4(varianceE3, line.unit_cost_e4)),
          line.reason_code,
          (JSON.parse(line.flags) as string[]).join(';'),
          line.decided_by,
          line.decided_at,
        ];
      }
    }
    return table(format, { sheetName: 'Variance', columns: VARIANCE_COLUMNS, rows: rows() });
  },
};

/**
 * A line's book quantity on a sheet: never in a blind session (for anyone: the sheet is what a
 * counter holds), and blank on a line being recounted, which is counted blind in every mode.
 */
function sheetBook(session: CountSessionRow, line: store.ReportLine): string | null {
  if (session.mode === 'blind' || line.status === 'recount') return null;
  return qty(line.book_qty_e3);
}

const countSheet: ExportKind = {
  formats: ['pdf', 'csv'],
  roles: ['admin', 'supervisor', 'auditor', 'staff'],
  statuses: ['counting', 'review', 'approved', 'posted', 'cancelled'],
  notReadyCode: 'SESSION_NOT_STARTED',
  label: 'count-sheet',
  async write({ db, session, viewer, format, now }) {
    const paths = viewer.role === 'staff' ? await assignedPaths(db, session.id, viewer.id) : undefined;
    const showBook = session.mode !== 'blind';
    async function* sheetLines(): AsyncGenerator<SheetLine> {
      for await (const line of linesOf(db, session.id, paths)) {
        yield {
          location_code: line.location_code,
          location_name: line.location_name,
          item_code: line.item_code,
          item_name: line.item_name,
          lot: line.lot,
          unit: line.base_uom,
          book_qty: sheetBook(session, line),
        };
      }
    }
    if (format === 'pdf') {
      return countSheetPdf({
        sessionName: session.name,
        subtitle: `${session.mode} count · ${session.status}`,
        printedAt: now,
        showBook,
        lines: sheetLines(),
        // Uncompressed: a count sheet is mostly text and lines, and stays searchable.
        compress: false,
      });
    }
    const columns: TableColumn[] = [
      { header: 'location_code' },
      { header: 'location_name' },
      { header: 'item_code' },
      { header: 'item_name' },
      { header: 'lot' },
      { header: 'unit' },
      ...(showBook ? [{ header: 'book_qty', numeric: true }] : []),
      { header: 'counted_qty' },
    ];
    async function* rows() {
      for await (const line of sheetLines()) {
        yield [
          line.location_code,
          line.location_name,
          line.item_code,
          line.item_name,
          line.lot,
          line.unit,
          ...(showBook ? [line.book_qty] : []),
          null,
        ];
      }
    }
    return table(format, { sheetName: 'Count sheet', columns, rows: rows() });
  },
};

const ADJUSTMENT_COLUMNS: TableColumn[] = [
  { header: 'location_code', width: 14 },
  { header: 'item_code', width: 16 },
  { header: 'item_name', width: 32 },
  { header: 'lot' },
  { header: 'unit' },
  { header: 'quantity', numeric: true, width: 12 },
  { header: 'unit_cost', numeric: true },
  { header: 'value', numeric: true, width: 14 },
  { header: 'reason_code', width: 16 },
  { header: 'resolution', width: 12 },
  { header: 'erp_status', width: 12 },
  { header: 'adjustment_id', width: 38 },
  { header: 'line_id', width: 38 },
  { header: 'created_at', width: 26 },
];

/** The adjustments a posted session wrote (posting/), as the ERP receives them. */
const adjustments: ExportKind = {
  formats: ['csv', 'xlsx'],
  roles: ['admin', 'supervisor', 'auditor'],
  statuses: ['posted'],
  notReadyCode: 'SESSION_NOT_POSTED',
  label: 'adjustments',
  async write({ db, session, format }) {
    async function* rows() {
      let afterId: string | undefined;
      for (;;) {
        const page = await postingStore.listAdjustments(db, {
          sessionId: session.id,
          limit: PAGE,
          ...(afterId !== undefined ? { afterId } : {}),
        });
        for (const row of page) {
          yield [
            row.location_code,
            row.item_code,
            row.item_name,
            row.lot,
            row.base_uom,
            qty(Number(row.qty_e3)),
            money(Number(row.unit_cost_e4)),
            money(Number(row.value_e4)),
            row.reason_code,
            row.resolution,
            row.erp_status,
            row.id,
            row.line_id,
            row.created_at,
          ];
        }
        if (page.length < PAGE) return;
        afterId = page[page.length - 1]!.id;
      }
    }
    return table(format, { sheetName: 'Adjustments', columns: ADJUSTMENT_COLUMNS, rows: rows() });
  },
};

export const EXPORT_KINDS = {
  variance,
  count_sheet: countSheet,
  adjustments,
} satisfies Record<string, ExportKind>;

export type ExportKindName = keyof typeof EXPORT_KINDS;
export const EXPORT_KIND_NAMES = Object.keys(EXPORT_KINDS) as ExportKindName[];

/** A file name from the session's name: letters, digits, dot, dash and underscore only. */
export function exportFileName(sessionName: string, label: string, format: ExportFormat): string {
  const base =
    sessionName
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 80) || 'count-session';
  return `${base}-${label}.${format}`;
}
