import { MONEY_SCALE, QUANTITY_SCALE, toScaled } from '../../platform/decimal.ts';
import type { FieldError } from '../../platform/http/errors.ts';
import { parseBarcode } from '../items/barcodes.ts';
import type { BarcodeImport, ItemImportRow, OptionalItemField } from '../items/items.bulk.ts';
import type { StockLevelImportRow } from '../stock-levels/stock-levels.bulk.ts';
import type { SheetRow } from './sheet-rows.ts';

/**
 * The rules of an import file, without I/O: which columns it has, and what each row means or why
 * it is rejected. The import runner adds the checks that need the whole file (duplicates) or the
 * database (unknown codes, barcodes of other items).
 */

export type ImportKind = 'items' | 'stock_levels';
export const IMPORT_KINDS: readonly ImportKind[] = ['items', 'stock_levels'];

interface ColumnSpec {
  field: string;
  required: boolean;
  /** Other header names that mean this column (after normalising). */
  aliases: readonly string[];
}

export const COLUMNS: Record<ImportKind, readonly ColumnSpec[]> = {
  items: [
    { field: 'item_code', required: true, aliases: ['sku'] },
    { field: 'name', required: true, aliases: ['item_name'] },
    { field: 'category', required: false, aliases: [] },
    { field: 'sub_category', required: false, aliases: ['subcategory'] },
    { field: 'base_uom', required: true, aliases: ['uom'] },
    { field: 'unit_cost', required: true, aliases: ['cost'] },
    { field: 'mrp', required: false, aliases: [] },
    { field: 'abc_class', required: false, aliases: ['abc'] },
    { field: 'tracking', required: false, aliases: [] },
    { field: 'active', required: false, aliases: [] },
    { field: 'barcode', required: false, aliases: ['barcodes'] },
  ],
  stock_levels: [
    { field: 'item_code', required: true, aliases: ['sku'] },
    { field: 'warehouse_code', required: true, aliases: ['warehouse'] },
    { field: 'location_code', required: true, aliases: ['location'] },
    { field: 'lot', required: false, aliases: ['lot_number'] },
    { field: 'quantity', required: true, aliases: ['qty'] },
    { field: 'as_of', required: false, aliases: [] },
  ],
};

/** Longest accepted value per text column, in characters. */
export const MAX_LENGTH = {
  item_code: 64,
  name: 200,
  category: 100,
  sub_category: 100,
  base_uom: 16,
  barcode: 2000,
  warehouse_code: 32,
  location_code: 32,
  lot: 64,
  number: 40,
  as_of: 40,
} as const;

/** "Item Code", "item-code" and " ITEM_CODE " all name item_code. */
export function normaliseHeader(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface SheetHeader {
  kind: ImportKind;
  rowNumber: number;
  /** Cell index of each known column in the file. */
  index: Map<string, number>;
  /** The header text of each cell, as written: rejected rows name their column this way. */
  names: string[];
  /** Header cells that are not a known column: ignored. */
  ignored: string[];
}

export type HeaderResult =
  | { ok: true; header: SheetHeader }
  | { ok: false; message: string; details: FieldError[] };

export function readHeader(kind: ImportKind, row: SheetRow): HeaderResult {
  const specs = COLUMNS[kind];
  const byName = new Map<string, string>();
  for (const spec of specs) {
    byName.set(spec.field, spec.field);
    for (const alias of spec.aliases) byName.set(alias, spec.field);
  }
  const expected = specs.map((spec) => spec.field).join(', ');
  if (row.problems && row.problems.length > 0) {
    const problem = row.problems[0]!;
    return {
      ok: false,
      message: `The header row (row ${row.rowNumber}) cannot be read: it ${problem.reason}`,
      details: [{ field: 'file', message: `header ${problem.reason}` }],
    };
  }
  const index = new Map<string, number>();
  const names: string[] = [];
  const ignored: string[] = [];
  const details: FieldError[] = [];
  row.values.forEach((raw, cell) => {
    const name = raw.trim().replace(/^\uFEFF/, '');
    names.push(name);
    if (name === '') return;
    const field = byName.get(normaliseHeader(name));
    if (!field) {
      ignored.push(name.slice(0, 100));
      return;
    }
    const earlier = index.get(field);
    if (earlier !== undefined) {
      details.push({
        field,
        message: `appears twice: columns "${names[earlier]}" and "${name}"`,
      });
      return;
    }
    index.set(field, cell);
  });
  if (index.size === 0) {
    return {
      ok: false,
      message: `The header row (row ${row.rowNumber}) has none of the ${kind} columns: expected ${expected}`,
      details: specs
        .filter((spec) => spec.required)
        .map((spec) => ({ field: spec.field, message: 'is a required column and is missing' })),
    };
  }
  const missing = specs.filter((spec) => spec.required && !index.has(spec.field)).map((spec) => spec.field);
  for (const field of missing) details.push({ field, message: 'is a required column and is missing' });
  if (details.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0)
      parts.push(`is missing the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    const twice = details.filter((detail) => !missing.includes(detail.field));
    if (twice.length > 0)
      parts.push(`has ${twice.map((detail) => `${detail.field} ${detail.message}`).join('; ')}`);
    return { ok: false, message: `The header row (row ${row.rowNumber}) ${parts.join(' and ')}`, details };
  }
  return { ok: true, header: { kind, rowNumber: row.rowNumber, index, names, ignored } };
}

/** One reason a row is rejected; `column` is the header text of the cell, null for the whole row. */
export interface RowIssue {
  column: string | null;
  reason: string;
}

export interface RowContext {
  /** The file is `;`- or tab-separated: "12,5" is read as 12.5 (spreadsheets in comma-decimal locales). */
  decimalComma: boolean;
}

/**
 * A checked row: its value, or the reasons it is rejected. `keys` holds the identifying fields
 * that were valid even on a rejected row, so duplicates and unknown codes are reported at once.
 */
export type RowResult<T> =
  | { value: T; issues: null; keys: Partial<T> }
  | { value: null; issues: RowIssue[]; keys: Partial<T> };

/** Collects the issues of one row; the first problem of a cell is the one reported. */
class RowReader {
  readonly issues: RowIssue[] = [];
  private readonly flagged = new Set<number>();
  constructor(
    private readonly header: SheetHeader,
    private readonly row: SheetRow,
  ) {
    for (const problem of row.problems ?? []) {
      if (problem.index === null) this.issues.push({ column: null, reason: problem.reason });
      else this.flag(problem.index, problem.reason);
    }
    const width = header.names.length;
    for (let cell = width; cell < row.values.length; cell += 1) {
      if ((row.values[cell] ?? '').trim() !== '') {
        this.issues.push({
          column: null,
          reason: `has more values than the header has columns (${row.values.length} > ${width}): quote values that contain the delimiter`,
        });
        break;
      }
    }
  }

  has(field: string): boolean {
    return this.header.index.has(field);
  }

  column(field: string): string {
    const cell = this.header.index.get(field);
    return cell === undefined ? field : this.header.names[cell] || field;
  }

  /** The trimmed cell of a column, or null when the cell already has a problem or the column is absent. */
  raw(field: string): string | null {
    const cell = this.header.index.get(field);
    if (cell === undefined || this.flagged.has(cell)) return null;
    return (this.row.values[cell] ?? '').trim();
  }

  fail(field: string, reason: string): null {
    const cell = this.header.index.get(field);
    if (cell !== undefined) this.flag(cell, reason);
    else this.issues.push({ column: field, reason });
    return null;
  }

  private flag(cell: number, reason: string): void {
    if (this.flagged.has(cell)) return;
    this.flagged.add(cell);
    this.issues.push({ column: this.header.names[cell] || `column ${cell + 1}`, reason });
  }

  get failed(): boolean {
    return this.issues.length > 0;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_IN_CODE = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** What a spreadsheet would run as a formula (CSV injection): =…, @…, or + / - before a non-digit. */
const FORMULA = /^(?:[=@]|[+-][^0-9])/;

export function looksLikeFormula(value: string): boolean {
  return FORMULA.test(value);
}

interface TextRule {
  required: boolean;
  max: number;
  /** Codes allow no line breaks or tabs; free text does. */
  code: boolean;
  /** Characters allowed, with how to say it. */
  pattern?: { test: RegExp; says: string };
}

/** The item API's rule for codes, so an imported item is one the API could have created. */
const ITEM_CODE_PATTERN = { test: /^[A-Za-z0-9._/-]+$/, says: 'must be letters, digits or . _ / - only' };

function text(reader: RowReader, field: string, rule: TextRule): string | null | undefined {
  const value = reader.raw(field);
  if (value === null) return undefined;
  if (value === '') {
    if (rule.required) reader.fail(field, 'is required');
    return rule.required ? undefined : null;
  }
  if (value.length > rule.max) {
    reader.fail(field, `is longer than ${rule.max} characters (${value.length})`);
    return undefined;
  }
  if (looksLikeFormula(value)) {
    reader.fail(field, 'looks like a spreadsheet formula (starts with =, @, + or -): rejected for safety');
    return undefined;
  }
  if ((rule.code ? CONTROL_IN_CODE : CONTROL_IN_TEXT).test(value)) {
    reader.fail(
      field,
      rule.code ? 'contains a line break, tab or control character' : 'contains a control character',
    );
    return undefined;
  }
  if (rule.pattern && !rule.pattern.test.test(value)) {
    reader.fail(field, rule.pattern.says);
    return undefined;
  }
  return value;
}

/** 1.5e3 → "1500": an exact shift of the written digits (XLSX numbers can come this way). */
function expandExponent(value: string): string | null {
  const match = /^([+-]?)(\d+)(?:\.(\d*))?e([+-]?\d+)$/i.exec(value);
  if (!match) return value;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > 40) return null;
  const digits = whole + fraction;
  const point = whole.length + exponent;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A non-negative decimal with at most `scale` decimals, as a scaled integer; or why not. */
export function parseAmount(raw: string, scale: number, context: RowContext): number | string {
  let value = raw.trim();
  if (value.length > MAX_LENGTH.number) return `is longer than ${MAX_LENGTH.number} characters`;
  if (context.decimalComma && /^[+-]?\d*,\d+$/.test(value)) value = value.replace(',', '.');
  const expanded = expandExponent(value);
  if (expanded === null) return 'is out of range';
  value = expanded;
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(value))
    return 'is not a number (write it like 12.5, without currency or thousands separators)';
  value = value.replace(/^([+-]?)\./, '$10.').replace(/\.$/, '');
  const fraction = (value.split('.')[1] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return `has more than ${scale} decimal places`;
  const scaled = toScaled(value, scale);
  if (scaled === null) return 'is too large';
  if (scaled < 0) return 'must not be negative';
  return scaled === 0 ? 0 : scaled; // no -0
}

function amount(
  reader: RowReader,
  field: string,
  scale: number,
  required: boolean,
  context: RowContext,
): number | null | undefined {
  const value = reader.raw(field);
  if (value === null) return undefined;
  if (value === '') {
    if (required) reader.fail(field, 'is required');
    return required ? undefined : null;
  }
  const parsed = parseAmount(value, scale, context);
  if (typeof parsed === 'string') {
    reader.fail(field, parsed);
    return undefined;
  }
  return parsed;
}

function choice<T extends string>(
  reader: RowReader,
  field: string,
  map: Record<string, T>,
  message: string,
): T | null | undefined {
  const value = reader.raw(field);
  if (value === null) return undefined;
  if (value === '') return null;
  const found = map[value.toLowerCase()];
  if (found === undefined) {
    reader.fail(field, message);
    return undefined;
  }
  return found;
}

const ABC: Record<string, 'A' | 'B' | 'C'> = { a: 'A', b: 'B', c: 'C' };
const TRACKING: Record<string, 'none' | 'lot' | 'serial'> = { none: 'none', lot: 'lot', serial: 'serial' };
const ACTIVE: Record<string, '1' | '0'> = {
  true: '1',
  false: '0',
  '1': '1',
  '0': '0',
  yes: '1',
  no: '0',
  y: '1',
  n: '0',
};

/**
 * The barcode cell: codes separated by `|`, each a GTIN or an internal code (parseBarcode), each
 * optionally `CODE*12` for a pack of 12 base units.
 */
export function parseBarcodeCell(value: string): { barcodes: BarcodeImport[] } | { reason: string } {
  if (value.length > MAX_LENGTH.barcode)
    return { reason: `is longer than ${MAX_LENGTH.barcode} characters (${value.length})` };
  const barcodes: BarcodeImport[] = [];
  const reasons: string[] = [];
  const seen = new Set<string>();
  for (const part of value.split('|')) {
    const entry = part.trim();
    if (entry === '') continue;
    const star = entry.lastIndexOf('*');
    const code = star === -1 ? entry : entry.slice(0, star);
    let pack = 1000;
    if (star !== -1) {
      const parsed = parseAmount(entry.slice(star + 1), QUANTITY_SCALE, { decimalComma: false });
      if (typeof parsed === 'string' || parsed === 0) {
        reasons.push(
          `"${entry.slice(0, 80)}": the pack size after * must be a positive number, like CODE*12`,
        );
        continue;
      }
      pack = parsed;
    }
    const parsed = parseBarcode(code);
    if (!parsed.ok) {
      reasons.push(`"${code.slice(0, 80)}" ${parsed.reason}`);
      continue;
    }
    if (seen.has(parsed.barcode)) {
      reasons.push(`"${code}" is listed twice`);
      continue;
    }
    seen.add(parsed.barcode);
    barcodes.push({ barcode: parsed.barcode, kind: parsed.kind, pack_qty_e3: pack });
  }
  if (reasons.length > 0) return { reason: `barcode ${reasons.join('; ')}` };
  return { barcodes };
}

/** The optional item columns a file has: an absent one leaves that field as it is on existing items. */
export function presentItemFields(header: SheetHeader): Set<OptionalItemField> {
  const present = new Set<OptionalItemField>();
  const map: Record<string, OptionalItemField> = {
    category: 'category',
    sub_category: 'sub_category',
    mrp: 'mrp_e4',
    abc_class: 'abc_class',
    tracking: 'tracking',
    active: 'active',
    barcode: 'barcodes',
  };
  for (const [column, field] of Object.entries(map)) if (header.index.has(column)) present.add(field);
  return present;
}

export function checkItemRow(
  header: SheetHeader,
  row: SheetRow,
  context: RowContext,
): RowResult<ItemImportRow> {
  const reader = new RowReader(header, row);
  const item_code = text(reader, 'item_code', {
    required: true,
    max: MAX_LENGTH.item_code,
    code: true,
    pattern: ITEM_CODE_PATTERN,
  });
  const name = text(reader, 'name', { required: true, max: MAX_LENGTH.name, code: false });
  const category = text(reader, 'category', { required: false, max: MAX_LENGTH.category, code: false });
  const sub_category = text(reader, 'sub_category', {
    required: false,
    max: MAX_LENGTH.sub_category,
    code: false,
  });
  const base_uom = text(reader, 'base_uom', { required: true, max: MAX_LENGTH.base_uom, code: true });
  const unit_cost_e4 = amount(reader, 'unit_cost', MONEY_SCALE, true, context);
  const mrp_e4 = amount(reader, 'mrp', MONEY_SCALE, false, context);
  const abc_class = choice(reader, 'abc_class', ABC, 'must be A, B or C (or empty)');
  const tracking = choice(reader, 'tracking', TRACKING, 'must be none, lot or serial (or empty for none)');
  const active = choice(reader, 'active', ACTIVE, 'must be true or false (also 1/0, yes/no)');
  let barcodes: BarcodeImport[] | undefined = [];
  const barcodeCell = reader.raw('barcode');
  if (barcodeCell) {
    const parsed = parseBarcodeCell(barcodeCell);
    if ('reason' in parsed) {
      reader.fail('barcode', parsed.reason);
      barcodes = undefined;
    } else barcodes = parsed.barcodes;
  }
  const keys: Partial<ItemImportRow> = {};
  if (item_code) keys.item_code = item_code;
  if (barcodes) keys.barcodes = barcodes;
  if (reader.failed) return { value: null, issues: reader.issues, keys };
  return {
    keys,
    value: {
      item_code: item_code!,
      name: name!,
      category: category ?? null,
      sub_category: sub_category ?? null,
      base_uom: base_uom!,
      unit_cost_e4: unit_cost_e4!,
      mrp_e4: mrp_e4 ?? null,
      abc_class: abc_class ?? null,
      tracking: tracking ?? null,
      active: active === undefined || active === null ? null : active === '1' ? 1 : 0,
      barcodes: barcodes ?? [],
    },
    issues: null,
  };
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO date (midnight UTC) or date-time (UTC when it names no offset), as stored; or null. */
export function parseAsOf(value: string): string | null {
  const dateOnly = DATE_ONLY.exec(value);
  if (dateOnly) {
    const iso = `${value}T00:00:00.000Z`;
    const date = new Date(iso);
    return !Number.isNaN(date.getTime()) && date.toISOString() === iso ? iso : null;
  }
  const match = DATE_TIME.exec(value);
  if (!match) return null;
  const [, day = '', hours = '', minutes = '', seconds = '00', fraction = '', zone = 'Z'] = match;
  const check = new Date(`${day}T00:00:00.000Z`);
  if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 10) !== day) return null;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return null;
  const offset =
    zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const date = new Date(`${day}T${hours}:${minutes}:${seconds}${fraction.slice(0, 4)}${offset}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function checkStockLevelRow(
  header: SheetHeader,
  row: SheetRow,
  context: RowContext,
): RowResult<StockLevelImportRow> {
  const reader = new RowReader(header, row);
  const item_code = text(reader, 'item_code', { required: true, max: MAX_LENGTH.item_code, code: true });
  const warehouse_code = text(reader, 'warehouse_code', {
    required: true,
    max: MAX_LENGTH.warehouse_code,
    code: true,
  });
  const location_code = text(reader, 'location_code', {
    required: true,
    max: MAX_LENGTH.location_code,
    code: true,
  });
  const lot = text(reader, 'lot', { required: false, max: MAX_LENGTH.lot, code: true });
  const quantity_e3 = amount(reader, 'quantity', QUANTITY_SCALE, true, context);
  let as_of: string | null = null;
  const asOfCell = reader.raw('as_of');
  if (asOfCell) {
    if (asOfCell.length > MAX_LENGTH.as_of)
      reader.fail('as_of', `is longer than ${MAX_LENGTH.as_of} characters`);
    else {
      as_of = parseAsOf(asOfCell);
      if (as_of === null)
        reader.fail('as_of', 'is not a date: write it like 2026-03-31 or 2026-03-31T18:00:00Z');
    }
  }
  const keys: Partial<StockLevelImportRow> = {};
  if (item_code) keys.item_code = item_code;
  if (warehouse_code) keys.warehouse_code = warehouse_code;
  if (location_code) keys.location_code = location_code;
  if (lot !== undefined) keys.lot = lot ?? '';
  if (reader.failed) return { value: null, issues: reader.issues, keys };
  return {
    keys,
    value: {
      item_code: item_code!,
      warehouse_code: warehouse_code!,
      location_code: location_code!,
      lot: lot ?? '',
      quantity_e3: quantity_e3!,
      as_of,
    },
    issues: null,
  };
}

/** The column name to report a row's issue under, for checks made outside this file. */
export function columnName(header: SheetHeader, field: string): string {
  const cell = header.index.get(field);
  return cell === undefined ? field : header.names[cell] || field;
}
