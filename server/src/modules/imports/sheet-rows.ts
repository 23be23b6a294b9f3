/**
 * What a spreadsheet reader (CSV or XLSX) hands to the import rules: one row at a time, with
 * the row number a person sees in a spreadsheet (the header is row 1), every cell as text, and
 * any cell that could not be read as text at all (invalid UTF-8, a spreadsheet error value).
 */
export interface CellProblem {
  /** 0-based cell index, or null for a problem with the whole row. */
  index: number | null;
  reason: string;
}

export interface SheetRow {
  rowNumber: number;
  values: string[];
  problems?: CellProblem[];
}

export type Delimiter = ',' | ';' | '\t';

/** The readers' knobs: the largest row (so memory stays bounded) and the CSV delimiter. */
export interface ReadOptions {
  /** null: detected from the header line. */
  delimiter: Delimiter | null;
  maxRowBytes: number;
}

export const DEFAULT_MAX_ROW_BYTES = 1024 * 1024;

/** A row made only of empty cells (blank lines, trailing `;;;;` rows): skipped, but still counted. */
export function isBlankRow(row: SheetRow): boolean {
  if (row.problems && row.problems.length > 0) return false;
  for (const value of row.values) if (value.trim() !== '') return false;
  return true;
}
