import fs from 'node:fs/promises';
import path from 'node:path';
import { MONEY_SCALE, QUANTITY_SCALE, toDecimalString } from '../../../platform/decimal.ts';
import { type ImportFormat, type OpenedFile, openImportFile } from '../../imports/import-file.ts';
import { checkItemRow, checkStockLevelRow, type SheetHeader } from '../../imports/import-rules.ts';
import { DEFAULT_MAX_ROW_BYTES, type SheetRow } from '../../imports/sheet-rows.ts';
import type { FileDropSettings } from './connector-settings.ts';
import {
  decodeSourceCursor,
  type ErpSource,
  encodeSourceCursor,
  isReason,
  type RejectedRow,
  SourceError,
  type SourceItem,
  type SourcePage,
  type SourceStockLevel,
} from './erp-source.ts';

/**
 * A directory the ERP drops CSV or XLSX files into, in the import format (README, Imports): the
 * files are read in name order with the import pipeline's own readers and row rules, so a file
 * that imports by hand reads the same here. The cursor is the file name and the last row number
 * read; a file that disappeared is skipped, new files sorting after the cursor are picked up.
 * (Moving finished files aside is the sync job's part.)
 */

const FORMATS: Record<string, ImportFormat> = { '.csv': 'csv', '.xlsx': 'xlsx' };

export function dropFormat(name: string): ImportFormat | null {
  return FORMATS[path.extname(name).toLowerCase()] ?? null;
}

/** The CSV and XLSX files waiting in the directory, in name order. */
export async function listDropFiles(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && dropFormat(entry.name) !== null && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

interface FileCursor {
  /** The file the last row came from. */
  f: string;
  /** Its last row number read; -1 when the whole file was read. */
  r: number;
}

/** An open file kept between two pages, so the next page continues without reading from the top. */
interface OpenReader {
  file: string;
  lastRow: number;
  header: SheetHeader;
  context: Extract<OpenedFile, { state: 'ready' }>['context'];
  rows: AsyncGenerator<SheetRow>;
  close(): Promise<void>;
}

export function createFileDropSource(settings: FileDropSettings): ErpSource {
  let open: OpenReader | null = null;

  async function closeOpen(): Promise<void> {
    const current = open;
    open = null;
    if (current) await current.close().catch(() => undefined);
  }

  async function readerAt(
    file: string,
    afterRow: number,
    signal: AbortSignal,
  ): Promise<OpenReader | RejectedRow | null> {
    if (open && open.file === file && open.lastRow === afterRow) return open;
    await closeOpen();
    const format = dropFormat(file)!;
    let opened: OpenedFile;
    try {
      opened = await openImportFile({
        file: path.join(settings.directory, file),
        format,
        kind: settings.kind,
        delimiter: null,
        maxRowBytes: DEFAULT_MAX_ROW_BYTES,
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') return null; // picked up by someone else meanwhile
      return { at: `${file}`, reason: `cannot be read: ${(error as Error).message.slice(0, 200)}` };
    }
    if (opened.state === 'empty') return null;
    if (opened.state === 'bad-header') return { at: `${file}, header`, reason: opened.header.message };
    const reader: OpenReader = {
      file,
      lastRow: opened.header.rowNumber,
      header: opened.header,
      context: opened.context,
      rows: opened.rows,
      close: opened.close,
    };
    open = reader;
    // Skip what an earlier page already handed out (a resume in another process).
    while (reader.lastRow < afterRow) {
      signal.throwIfAborted();
      const next = await reader.rows.next();
      if (next.done) break;
      reader.lastRow = next.value.rowNumber;
    }
    return reader;
  }

  async function readPage<T>(
    entity: 'items' | 'stock_levels',
    cursor: string | null,
    limit: number,
    signal: AbortSignal,
    map: (header: SheetHeader, row: SheetRow, reader: OpenReader) => T | { reason: string },
  ): Promise<SourcePage<T>> {
    if (settings.kind !== entity) return { rows: [], rejected: [], next_cursor: null };
    if (!Number.isInteger(limit) || limit < 1) throw new SourceError('limit must be a positive whole number');
    const position = cursor
      ? decodeSourceCursor<FileCursor & { e: string }>(
          cursor,
          (value) => value.e === entity && typeof value.f === 'string' && Number.isInteger(value.r),
        )
      : null;
    let files: string[];
    try {
      files = await listDropFiles(settings.directory);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new SourceError(
        code === 'ENOENT'
          ? `Directory ${settings.directory} does not exist`
          : `Directory ${settings.directory} cannot be read`,
        { cause: error },
      );
    }
    const pending = files.filter((file) =>
      position === null ? true : file > position.f || (file === position.f && position.r !== -1),
    );
    const rows: T[] = [];
    const rejected: RejectedRow[] = [];
    let last: FileCursor | null = position;
    try {
      for (const file of pending) {
        const after = position && file === position.f ? position.r : 0;
        const reader = await readerAt(file, after, signal);
        if (reader === null || !('rows' in reader)) {
          if (reader) rejected.push(reader);
          last = { f: file, r: -1 };
          continue;
        }
        while (rows.length + rejected.length < limit) {
          signal.throwIfAborted();
          const next = await reader.rows.next();
          if (next.done) break;
          reader.lastRow = next.value.rowNumber;
          last = { f: file, r: reader.lastRow };
          const mapped = map(reader.header, next.value, reader);
          if (isReason(mapped))
            rejected.push({ at: `${file}, row ${next.value.rowNumber}`, reason: mapped.reason });
          else rows.push(mapped);
        }
        if (rows.length + rejected.length >= limit) {
          // The open reader stays for the next page, which continues right here.
          return { rows, rejected, next_cursor: encodeSourceCursor({ e: entity, ...last! }) };
        }
        await closeOpen();
        last = { f: file, r: -1 };
      }
    } catch (error) {
      await closeOpen();
      if (signal.aborted) throw new SourceError('The call was cancelled', { cause: error });
      if (error instanceof SourceError) throw error;
      throw new SourceError(
        `Reading ${last?.f ?? settings.directory} failed: ${(error as Error).message.slice(0, 200)}`,
        {
          cause: error,
        },
      );
    }
    return { rows, rejected, next_cursor: null };
  }

  const issues = (issues: { column: string | null; reason: string }[]) => ({
    reason: issues
      .map((issue) => (issue.column ? `${issue.column} ${issue.reason}` : issue.reason))
      .join('; '),
  });

  return {
    kind: 'file_drop',
    entities: [settings.kind],

    readItems(cursor, limit, signal): Promise<SourcePage<SourceItem>> {
      return readPage<SourceItem>('items', cursor, limit, signal, (header, row, reader) => {
        const checked = checkItemRow(header, row, reader.context);
        if (checked.issues) return issues(checked.issues);
        const value = checked.value;
        return {
          item_code: value.item_code,
          name: value.name,
          base_uom: value.base_uom,
          category: value.category,
          unit_cost: toDecimalString(value.unit_cost_e4, MONEY_SCALE),
          barcodes: header.index.has('barcode')
            ? value.barcodes.map((barcode) => ({
                barcode: barcode.barcode,
                kind: barcode.kind,
                pack_qty: toDecimalString(barcode.pack_qty_e3, QUANTITY_SCALE),
              }))
            : null,
        };
      });
    },

    readStockLevels(cursor, limit, signal): Promise<SourcePage<SourceStockLevel>> {
      return readPage<SourceStockLevel>('stock_levels', cursor, limit, signal, (header, row, reader) => {
        const checked = checkStockLevelRow(header, row, reader.context);
        if (checked.issues) return issues(checked.issues);
        const value = checked.value;
        return {
          item_code: value.item_code,
          warehouse_code: value.warehouse_code,
          location_code: value.location_code,
          lot: value.lot,
          quantity: toDecimalString(value.quantity_e3, QUANTITY_SCALE),
        };
      });
    },

    close: closeOpen,
  };
}
