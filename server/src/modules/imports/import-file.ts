import fs from 'node:fs';
import { CsvReader } from './csv-rows.ts';
import {
  type HeaderResult,
  type ImportKind,
  type RowContext,
  readHeader,
  type SheetHeader,
} from './import-rules.ts';
import { type Delimiter, isBlankRow, type SheetRow } from './sheet-rows.ts';
import { UnreadableWorkbook, xlsxRows } from './xlsx-rows.ts';

export { UnreadableWorkbook };

export type ImportFormat = 'csv' | 'xlsx';

export interface ImportFileSpec {
  file: string;
  format: ImportFormat;
  kind: ImportKind;
  delimiter: Delimiter | null;
  maxRowBytes: number;
}

/** An opened import file: its header, then its non-blank data rows, streamed. */
export type OpenedFile =
  | { state: 'empty' }
  | { state: 'bad-header'; header: Extract<HeaderResult, { ok: false }> }
  | {
      state: 'ready';
      header: SheetHeader;
      context: RowContext;
      rows: AsyncGenerator<SheetRow>;
      /** Stops reading early (closes the file). */
      close(): Promise<void>;
    };

const READ_CHUNK = 256 * 1024;

export async function openImportFile(spec: ImportFileSpec): Promise<OpenedFile> {
  let source: AsyncGenerator<SheetRow>;
  let decimalComma: () => boolean;
  if (spec.format === 'csv') {
    const reader = new CsvReader(fs.createReadStream(spec.file, { highWaterMark: READ_CHUNK }), {
      delimiter: spec.delimiter,
      maxRowBytes: spec.maxRowBytes,
    });
    source = reader.rows();
    decimalComma = () => reader.delimiter() !== ',';
  } else {
    source = wrapWorkbookErrors(xlsxRows(spec.file, spec.maxRowBytes));
    decimalComma = () => false;
  }
  let headerRow: SheetRow | undefined;
  for (;;) {
    const next = await source.next();
    if (next.done) break;
    if (!isBlankRow(next.value)) {
      headerRow = next.value;
      break;
    }
  }
  if (!headerRow) {
    await source.return(undefined);
    return { state: 'empty' };
  }
  const header = readHeader(spec.kind, headerRow);
  if (!header.ok) {
    await source.return(undefined);
    return { state: 'bad-header', header };
  }
  async function* dataRows(): AsyncGenerator<SheetRow> {
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      if (!isBlankRow(next.value)) yield next.value;
    }
  }
  return {
    state: 'ready',
    header: header.header,
    context: { decimalComma: decimalComma() },
    rows: dataRows(),
    close: async () => {
      await source.return(undefined);
    },
  };
}

async function* wrapWorkbookErrors(rows: AsyncGenerator<SheetRow>): AsyncGenerator<SheetRow> {
  try {
    yield* rows;
  } catch (error) {
    if (error instanceof UnreadableWorkbook) throw error;
    throw new UnreadableWorkbook(error instanceof Error ? error.message : String(error));
  }
}
