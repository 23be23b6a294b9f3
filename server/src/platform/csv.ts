/**
 * The one CSV writer of the API: RFC 4180 quoting, CRLF line ends, and cells that a spreadsheet
 * cannot run as a formula (CSV injection, OWASP). A text cell beginning with `=`, `+`, `-`, `@`,
 * a tab or a carriage return gets a leading apostrophe, which spreadsheets show as text; a plain
 * decimal number ("-2.5") is left alone: it can only ever be read as that number, and a prefix
 * would turn every negative variance into text.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;
const NEEDS_QUOTES = /[",\n\r]/;

export function csvCell(value: CsvValue): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !PLAIN_DECIMAL.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, with its line end. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
