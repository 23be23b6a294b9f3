import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { type CsvValue, csvRow } from '../../../../platform/csv.ts';

/**
 * A tabular export: a header and rows produced lazily (the caller pages through its store), so a
 * file of any size is written as it is read and never held whole in memory.
 */
export interface TableColumn {
  header: string;
  /** Decimal strings that a spreadsheet should hold as numbers (XLSX). */
  numeric?: boolean;
  /** Column width in characters (XLSX). */
  width?: number;
}

export interface Table {
  sheetName: string;
  columns: readonly TableColumn[];
  rows: AsyncIterable<readonly CsvValue[]>;
}

export function csvStream(table: Table): Readable {
  async function* lines() {
    yield csvRow(table.columns.map((column) => column.header));
    for await (const row of table.rows) yield csvRow(row);
  }
  return Readable.from(lines(), { objectMode: false });
}

/**
 * XLSX through exceljs's streaming writer: each row is committed (written out) as it comes. Cells
 * are written as values, never as formulas, so a name like `=HYPERLINK(…)` stays inert text.
 */
export function xlsxStream(table: Table): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(table.sheetName.slice(0, 31) || 'Sheet1');
  sheet.columns = table.columns.map((column, index) => ({
    key: String(index),
    width: column.width ?? Math.max(10, column.header.length + 2),
  }));
  const write = async () => {
    const header = sheet.addRow(table.columns.map((column) => column.header));
    header.font = { bold: true };
    header.commit();
    for await (const row of table.rows) {
      sheet
        .addRow(
          row.map((value, index) => {
            if (value === null || value === undefined) return null;
            if (table.columns[index]?.numeric && typeof value === 'string' && value !== '')
              return Number(value);
            return value;
          }),
        )
        .commit();
    }
    sheet.commit();
    await workbook.commit();
  };
  write().catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  return out;
}
