import { MONEY_SCALE, QUANTITY_SCALE, toDecimalString, toScaled } from '../../../platform/decimal.ts';
import { parseBarcode } from '../../items/barcodes.ts';

/**
 * What every connector reads, whatever it reads from: rows already in our shapes (codes as text,
 * quantities and money as decimal strings), a page at a time, with a cursor that resumes exactly
 * after the last row handed out — a sync interrupted between two pages starts again from its
 * stored cursor and neither skips nor repeats a row. Every call takes an AbortSignal and honours
 * it: the query or request in flight is cancelled, not just abandoned.
 */
export interface ErpSource {
  readonly kind: ConnectorKind;
  /** What this source can supply (a file drop supplies one kind; SQL and HTTP what is mapped). */
  readonly entities: readonly SourceEntity[];
  readItems(cursor: string | null, limit: number, signal: AbortSignal): Promise<SourcePage<SourceItem>>;
  readStockLevels(
    cursor: string | null,
    limit: number,
    signal: AbortSignal,
  ): Promise<SourcePage<SourceStockLevel>>;
  /**
   * The item one of these barcodes belongs to in the ERP (the live refresh of a scan we do not
   * know), or null when the ERP has none. `candidates` are the forms a code may be stored in (a
   * GTIN with and without its leading zeros). Absent when the source cannot look a code up.
   */
  findItemByBarcode?(candidates: readonly string[], signal: AbortSignal): Promise<SourceItem | null>;
  /** Releases connections and open files. */
  close(): Promise<void>;
}

export type ConnectorKind = 'sql' | 'http' | 'file_drop';
export const CONNECTOR_KINDS: readonly ConnectorKind[] = ['sql', 'http', 'file_drop'];
export type SourceEntity = 'items' | 'stock_levels';

export interface SourceBarcode {
  /** As parseBarcode normalises it (GTINs to 14 digits). */
  barcode: string;
  kind: 'gtin' | 'internal';
  /** Base units one scan stands for, a decimal string ("1", "12"). */
  pack_qty: string;
}

export interface SourceItem {
  item_code: string;
  name: string;
  /** null: the source does not say (new items need one; existing ones keep theirs). */
  base_uom: string | null;
  category: string | null;
  /** Decimal string, up to 4 decimals; null: not given. */
  unit_cost: string | null;
  /** null: the source maps no barcodes (an item's barcodes are then left as they are). */
  barcodes: SourceBarcode[] | null;
}

export interface SourceStockLevel {
  item_code: string;
  /** null: the source names no warehouse (a single-warehouse ERP; the sync supplies it). */
  warehouse_code: string | null;
  location_code: string;
  /** '' when the stock is not in a lot. */
  lot: string;
  /** Decimal string, up to 3 decimals. */
  quantity: string;
}

/** A source row that could not be mapped: skipped with its reason, never silently. */
export interface RejectedRow {
  /** Where it is: the key values, the page and index, or file and row number. */
  at: string;
  reason: string;
}

export interface SourcePage<T> {
  rows: T[];
  rejected: RejectedRow[];
  /** Resumes after this page; null when the source has nothing more (for now). */
  next_cursor: string | null;
}

/** A connector failure whose message is safe to show an admin (no secret, no connection string). */
export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
  }
}

export function encodeSourceCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The cursor's content, or a SourceError: a cursor from another entity or connector kind is refused. */
export function decodeSourceCursor<T extends object>(
  cursor: string,
  valid: (value: Record<string, unknown>) => boolean,
): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !valid(value as never))
    throw new SourceError('The cursor is not one this source returned for this entity');
  return value as T;
}

/** Text of a value as a driver returns it (string, number, bigint, Date, Buffer); null when absent. */
export function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8').trim();
  return null;
}

/** A decimal string with at most `scale` decimals, canonical ("12.50" → "12.5"); or why not. */
export function decimalOf(value: unknown, scale: number, field: string): string | { reason: string } {
  const text = textOf(value);
  if (text === null || text === '') return { reason: `${field} is missing` };
  const plain = /e/i.test(text) && typeof value === 'number' ? value.toFixed(scale) : text;
  const scaled = toScaled(plain, scale);
  if (scaled === null)
    return {
      reason: `${field} is not a decimal number with at most ${scale} decimals: "${text.slice(0, 40)}"`,
    };
  if (scaled < 0) return { reason: `${field} must not be negative` };
  return toDecimalString(scaled, scale);
}

const MAX_CODE = 64;
const MAX_NAME = 200;

function code(value: unknown, field: string, required: boolean): string | null | { reason: string } {
  const text = textOf(value);
  if (text === null || text === '') return required ? { reason: `${field} is missing` } : null;
  if (text.length > MAX_CODE) return { reason: `${field} is longer than ${MAX_CODE} characters` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a code with control characters is refused
  if (/[\u0000-\u001f\u007f]/.test(text)) return { reason: `${field} contains a control character` };
  return text;
}

const isReason = (value: unknown): value is { reason: string } =>
  typeof value === 'object' && value !== null && 'reason' in value;

export function mapBarcode(raw: unknown, packQty: unknown): SourceBarcode | { reason: string } | null {
  const text = textOf(raw);
  if (text === null || text === '') return null;
  const parsed = parseBarcode(text);
  if (!parsed.ok) return { reason: `barcode "${text.slice(0, 40)}" ${parsed.reason}` };
  const pack =
    packQty === null || packQty === undefined || textOf(packQty) === ''
      ? '1'
      : decimalOf(packQty, QUANTITY_SCALE, 'pack_qty');
  if (isReason(pack)) return pack;
  if (pack === '0') return { reason: 'pack_qty must be more than 0' };
  return { barcode: parsed.barcode, kind: parsed.kind, pack_qty: pack };
}

/** One item from the mapped fields of a source row; `barcodes` as the source gives them. */
export function mapItem(
  fields: {
    item_code: unknown;
    name: unknown;
    base_uom?: unknown;
    category?: unknown;
    unit_cost?: unknown;
  },
  barcodes: SourceBarcode[] | null,
): SourceItem | { reason: string } {
  const itemCode = code(fields.item_code, 'item_code', true);
  if (isReason(itemCode)) return itemCode;
  const name = textOf(fields.name);
  if (!name) return { reason: 'name is missing' };
  if (name.length > MAX_NAME) return { reason: `name is longer than ${MAX_NAME} characters` };
  const uom = code(fields.base_uom, 'base_uom', false);
  if (isReason(uom)) return uom;
  const category = textOf(fields.category);
  let unitCost: string | null = null;
  if (fields.unit_cost !== undefined && fields.unit_cost !== null && textOf(fields.unit_cost) !== '') {
    const cost = decimalOf(fields.unit_cost, MONEY_SCALE, 'unit_cost');
    if (isReason(cost)) return cost;
    unitCost = cost;
  }
  return {
    item_code: itemCode!,
    name,
    base_uom: uom,
    category: category ? category.slice(0, 100) : null,
    unit_cost: unitCost,
    barcodes,
  };
}

export function mapStockLevel(fields: {
  item_code: unknown;
  warehouse_code?: unknown;
  location_code: unknown;
  lot?: unknown;
  quantity: unknown;
}): SourceStockLevel | { reason: string } {
  const itemCode = code(fields.item_code, 'item_code', true);
  if (isReason(itemCode)) return itemCode;
  const warehouse = code(fields.warehouse_code, 'warehouse_code', false);
  if (isReason(warehouse)) return warehouse;
  const location = code(fields.location_code, 'location_code', true);
  if (isReason(location)) return location;
  const lot = code(fields.lot, 'lot', false);
  if (isReason(lot)) return lot;
  const quantity = decimalOf(fields.quantity, QUANTITY_SCALE, 'quantity');
  if (isReason(quantity)) return quantity;
  return {
    item_code: itemCode!,
    warehouse_code: warehouse,
    location_code: location!,
    lot: lot ?? '',
    quantity,
  };
}

export { isReason };

/**
 * A message about a failure that is safe to show and store: the secret and any credentials in a
 * URL are taken out, whatever the driver put in its error.
 */
export function safeMessage(error: unknown, secrets: readonly (string | null | undefined)[]): string {
  let message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  message = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1[REDACTED]@');
  message = message.replace(/(password|pwd|token)\s*[=:]\s*\S+/gi, '$1=[REDACTED]');
  for (const secret of secrets) {
    if (secret && secret.length >= 1) message = message.split(secret).join('[REDACTED]');
  }
  return message.slice(0, 500);
}

/** The reason an aborted call stopped: the caller's own timeout, or a cancellation. */
export function abortMessage(signal: AbortSignal): string {
  const reason = signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'timed out' : 'cancelled';
}

/** Rejects as soon as `signal` aborts; `onAbort` cancels the work itself (kills the query, closes the socket). */
export function abortable<T>(signal: AbortSignal, work: Promise<T>, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort();
    work.catch(() => undefined);
    return Promise.reject(new SourceError(`The call was ${abortMessage(signal)}`, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      onAbort();
      work.catch(() => undefined);
      reject(new SourceError(`The call was ${abortMessage(signal)}`, { cause: signal.reason }));
    };
    signal.addEventListener('abort', listener, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', listener);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(error);
      },
    );
  });
}
