import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { CellProblem, SheetRow } from './sheet-rows.ts';
import { openZipEntry, readZipDirectory, type ZipEntry, ZipError } from './zip-directory.ts';

/** Thrown when an XLSX file cannot be read as a workbook. */
export class UnreadableWorkbook extends Error {
  constructor(detail: string) {
    super(`not a readable XLSX workbook: ${detail}`);
    this.name = 'UnreadableWorkbook';
  }
}

/** The parts of exceljs's WorkbookReader (4.4) that parse one workbook entry each. */
interface ReaderInternals {
  model?: { sheets?: { name?: string; rId?: string }[] };
  workbookRels?: { Id: string; Target: string }[];
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: Readable, sheetNo: string): Generator<{ eventType: string; value: unknown }>;
}

/** Largest part of a workbook read (after decompression); more is a decompression bomb. */
const MAX_PART_BYTES = 2 * 1024 * 1024 * 1024;
/** The shared strings are all held in memory: bounded. */
const MAX_SHARED_STRINGS_BYTES = 512 * 1024 * 1024;

/**
 * exceljs's WorkbookReader, fed from the file's ZIP directory instead of a one-pass unzip: the
 * streaming unzip can miss entries (then exceljs fails on a workbook it has not read) and has to
 * spool worksheets to temporary files when the shared strings come after them. Here the parts are
 * read in the order the parser needs them — relationships, workbook, shared strings, styles —
 * then only the first worksheet (in the workbook's order), streamed.
 */
function workbookReader(file: string, zip: Map<string, ZipEntry>, opened: Readable[]) {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    // Styles say which numbers are dates.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const internals = reader as unknown as ReaderInternals;
  const open = async (name: string, maxBytes = MAX_PART_BYTES): Promise<Readable | null> => {
    const entry = zip.get(name);
    if (!entry) return null;
    const stream = await openZipEntry(file, entry, maxBytes);
    opened.push(stream);
    return stream;
  };
  (internals as unknown as { parse(): AsyncGenerator<{ eventType: string; value: unknown }> }).parse =
    async function* parse() {
      const rels = await open('xl/_rels/workbook.xml.rels');
      const workbook = await open('xl/workbook.xml');
      if (!rels || !workbook) throw new UnreadableWorkbook('it has no workbook part');
      await internals._parseRels(rels);
      await internals._parseWorkbook(workbook);
      const shared = await open('xl/sharedStrings.xml', MAX_SHARED_STRINGS_BYTES);
      if (shared) for await (const _ of internals._parseSharedStrings(shared)) void _;
      const styles = await open('xl/styles.xml');
      if (styles) await internals._parseStyles(styles);

      const first = internals.model?.sheets?.[0];
      const target = internals.workbookRels?.find((rel) => rel.Id === first?.rId)?.Target;
      if (!target) throw new UnreadableWorkbook('it has no worksheet');
      const part = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
      const sheetNo = /sheet(\d+)\.xml$/.exec(part)?.[1] ?? '1';
      const sheet = await open(part);
      if (!sheet) throw new UnreadableWorkbook(`its first worksheet (${part}) is missing`);
      yield* internals._parseWorksheet(sheet, sheetNo);
    };
  return reader;
}

/**
 * Reads the first worksheet of an XLSX workbook row by row with exceljs's streaming reader: the
 * sheet's XML is never held whole. (The workbook's shared-strings table is: exceljs keeps it to
 * resolve cells, so memory grows with the number of distinct texts in the workbook. CSV has no
 * such table.) Row numbers are the sheet's own.
 */
export async function* xlsxRows(file: string, maxCellChars: number): AsyncGenerator<SheetRow> {
  let zip: Map<string, ZipEntry>;
  try {
    zip = await readZipDirectory(file);
  } catch (error) {
    if (error instanceof ZipError) throw new UnreadableWorkbook(error.message);
    throw error;
  }
  const opened: Readable[] = [];
  try {
    for await (const sheet of workbookReader(file, zip, opened)) {
      let previous = 0;
      for await (const row of sheet) {
        const rowNumber = Number.isInteger(row.number) && row.number > previous ? row.number : previous + 1;
        previous = rowNumber;
        yield convertRow(rowNumber, row.values as unknown[], maxCellChars);
      }
      return;
    }
    throw new UnreadableWorkbook('it has no worksheet');
  } finally {
    for (const stream of opened) stream.destroy();
  }
}

function convertRow(rowNumber: number, cells: unknown[], maxCellChars: number): SheetRow {
  const values: string[] = [];
  const problems: CellProblem[] = [];
  // exceljs: index 0 is unused, cell n is at index n; gaps are holes.
  for (let column = 1; column < cells.length; column += 1) {
    const converted = cellText(cells[column]);
    if (typeof converted === 'string') {
      values.push(converted.length > maxCellChars ? converted.slice(0, maxCellChars + 1) : converted);
    } else {
      values.push('');
      problems.push({ index: column - 1, reason: converted.problem });
    }
  }
  return problems.length > 0 ? { rowNumber, values, problems } : { rowNumber, values };
}

/** A cell's value as the text a person sees, or why it has none. */
export function cellText(value: unknown): string | { problem: string } {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return { problem: 'is not a valid date' };
    const iso = value.toISOString();
    // A date without a time of day reads as the date.
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'object') {
    const cell = value as {
      richText?: { text?: string }[];
      text?: unknown;
      error?: string;
      formula?: string;
      sharedFormula?: string;
      result?: unknown;
    };
    if (Array.isArray(cell.richText)) return cell.richText.map((run) => run.text ?? '').join('');
    if (cell.error !== undefined) return { problem: `holds the spreadsheet error ${cell.error}` };
    if (cell.formula !== undefined || cell.sharedFormula !== undefined) {
      // The value the formula last computed, as Excel shows it; a formula never saved with a
      // value cannot be imported.
      if (cell.result === undefined || cell.result === null)
        return { problem: 'is a formula without a saved value: paste it as values' };
      return cellText(cell.result);
    }
    if (cell.text !== undefined) return cellText(cell.text);
  }
  return { problem: 'has a value that is not text, a number or a date' };
}
