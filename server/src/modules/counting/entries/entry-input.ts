import { createHash } from 'node:crypto';
import { QUANTITY_SCALE, toScaled } from '../../../platform/decimal.ts';
import { canonicalJson } from '../../audit/canonical-json.ts';
import { normaliseBarcode, parseBarcode } from '../../items/barcodes.ts';

/**
 * One count entry as a device sends it, checked and normalised without touching the database:
 * the same rules for the online POST and for every element of an offline batch, so an entry is
 * judged the same whichever way it arrives.
 *
 * Exactness: a quantity is parsed from its decimal text (a JSON number is taken by its shortest
 * text form, which is what the client wrote) straight into an integer of thousandths
 * (platform/decimal.ts) — never through float arithmetic. From there on everything is integer
 * arithmetic: pack conversion and variance value in BigInt, sums in the database's 64-bit integers.
 */

/** Why an entry was not accepted as it stands. */
export const CONFLICT_REASONS = [
  'invalid_entry',
  'invalid_quantity',
  'client_id_conflict',
  'session_not_found',
  'session_not_counting',
  'location_not_in_scope',
  'not_assigned',
  'item_not_found',
  'unknown_item',
  'lot_required',
  'serial_required',
  'duplicate_serial',
  'same_counter',
] as const;
export type ConflictReason = (typeof CONFLICT_REASONS)[number];

/**
 * The largest quantity one entry may carry: a billion base units. Far above any real count, and
 * far enough below 2^53 thousandths that a line's sum of many entries stays an exact JS number.
 */
export const MAX_ENTRY_QTY_E3 = 1_000_000_000_000;

/** A device clock may run a little fast; a count further in the future than this is refused. */
export const COUNTED_AT_TOLERANCE_MS = 5 * 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const ENTRY_FIELDS = [
  'client_id',
  'session_id',
  'location_id',
  'barcode',
  'item_id',
  'quantity',
  'uom',
  'lot',
  'serial',
  'device_id',
  'counted_at',
] as const;

export interface ParsedEntry {
  client_id: string;
  session_id: string;
  location_id: string;
  /** Normalised (GTINs as 14 digits); a code that is no valid barcode is kept as scanned, spaces removed. */
  barcode: string | null;
  item_id: string | null;
  entered_qty_e3: number;
  uom: string | null;
  /** As sent, trimmed ('' for none); whether it counts depends on the item's tracking. */
  lot: string;
  serial: string | null;
  device_id: string | null;
  /** As sent (normalised to ISO-8601 UTC), or null: the server's time is used. */
  counted_at: string | null;
  /** SHA-256 of the canonical content: a replay of the same client_id must match it. */
  content_hash: string;
}

export type ParseResult =
  | { ok: true; entry: ParsedEntry }
  | {
      ok: false;
      reason: 'invalid_entry' | 'invalid_quantity';
      field: string;
      message: string;
      /** The client_id when it was readable, so the answer can name the entry. */
      client_id: string | null;
    };

function text(
  value: unknown,
  field: string,
  max: number,
): { ok: true; value: string | null } | { ok: false; field: string; message: string } {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value !== 'string') return { ok: false, field, message: 'must be a string' };
  const trimmed = value.trim();
  if (trimmed.length > max) return { ok: false, field, message: `must be at most ${max} characters` };
  return { ok: true, value: trimmed === '' ? null : trimmed };
}

/** 2026-02-30 parses (as March 2nd) but is no date: the day must exist in its month. */
function realCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Checks one raw entry. `sessionId` comes from the URL for the online POST (and then the body
 * must not name one); an offline batch names the session in each entry. `userId` is part of the
 * content: a client_id belongs to the user who sent it first.
 */
export function parseEntry(
  raw: unknown,
  options: { sessionId?: string; userId: string; now: Date },
): ParseResult {
  const rawClientId =
    raw !== null && typeof raw === 'object' && typeof (raw as { client_id?: unknown }).client_id === 'string'
      ? ((raw as { client_id: string }).client_id as string)
      : null;
  const clientId = rawClientId !== null && UUID.test(rawClientId) ? rawClientId.toLowerCase() : null;
  const fail = (
    reason: 'invalid_entry' | 'invalid_quantity',
    field: string,
    message: string,
  ): ParseResult => ({
    ok: false,
    reason,
    field,
    message,
    client_id: clientId ?? rawClientId,
  });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('invalid_entry', 'entry', 'must be an object');
  }
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    const allowed = (ENTRY_FIELDS as readonly string[]).includes(key);
    if (!allowed || (key === 'session_id' && options.sessionId !== undefined)) {
      return fail('invalid_entry', key, 'is not an allowed field');
    }
  }
  if (clientId === null) {
    return fail(
      'invalid_entry',
      'client_id',
      rawClientId === null ? 'is required' : 'must be a UUID generated by the device',
    );
  }
  const sessionId = options.sessionId ?? body.session_id;
  if (typeof sessionId !== 'string' || !UUID.test(sessionId)) {
    return fail('invalid_entry', 'session_id', sessionId === undefined ? 'is required' : 'must be a UUID');
  }
  if (typeof body.location_id !== 'string' || !UUID.test(body.location_id)) {
    return fail(
      'invalid_entry',
      'location_id',
      body.location_id === undefined ? 'is required' : 'must be a UUID',
    );
  }

  const hasBarcode = body.barcode !== undefined && body.barcode !== null;
  const hasItemId = body.item_id !== undefined && body.item_id !== null;
  if (hasBarcode === hasItemId) {
    return fail('invalid_entry', 'barcode', 'give exactly one of barcode and item_id');
  }
  let barcode: string | null = null;
  let itemId: string | null = null;
  if (hasBarcode) {
    if (typeof body.barcode !== 'string') return fail('invalid_entry', 'barcode', 'must be a string');
    const scanned = normaliseBarcode(body.barcode);
    if (scanned === '' || scanned.length > 80) {
      return fail('invalid_entry', 'barcode', 'must be 1 to 80 characters');
    }
    const parsed = parseBarcode(scanned);
    // A misread or foreign code is still an observation: it is captured as an unknown item.
    barcode = parsed.ok ? parsed.barcode : scanned;
  } else {
    if (typeof body.item_id !== 'string' || !UUID.test(body.item_id)) {
      return fail('invalid_entry', 'item_id', 'must be a UUID');
    }
    itemId = body.item_id.toLowerCase();
  }

  if (body.quantity === undefined || body.quantity === null) {
    return fail('invalid_quantity', 'quantity', 'is required');
  }
  if (typeof body.quantity !== 'number' && typeof body.quantity !== 'string') {
    return fail('invalid_quantity', 'quantity', 'must be a decimal number or a decimal string');
  }
  if (typeof body.quantity === 'string' && body.quantity.length > 40) {
    return fail('invalid_quantity', 'quantity', 'must be at most 40 characters');
  }
  const enteredE3 = toScaled(body.quantity, QUANTITY_SCALE);
  if (enteredE3 === null) {
    return fail(
      'invalid_quantity',
      'quantity',
      `must be a decimal number with at most ${QUANTITY_SCALE} decimal places`,
    );
  }
  if (enteredE3 < 0) return fail('invalid_quantity', 'quantity', 'must not be negative');
  if (enteredE3 > MAX_ENTRY_QTY_E3) {
    return fail('invalid_quantity', 'quantity', 'is larger than any count can be (at most 1,000,000,000)');
  }

  const fields = {
    uom: text(body.uom, 'uom', 16),
    lot: text(body.lot, 'lot', 64),
    serial: text(body.serial, 'serial', 100),
    device_id: text(body.device_id, 'device_id', 100),
  };
  for (const result of Object.values(fields)) {
    if (!result.ok) return fail('invalid_entry', result.field, result.message);
  }
  const value = (field: keyof typeof fields) => (fields[field] as { value: string | null }).value;

  let countedAt: string | null = null;
  if (body.counted_at !== undefined && body.counted_at !== null) {
    const date = typeof body.counted_at === 'string' ? new Date(body.counted_at) : null;
    if (
      date === null ||
      !ISO_TIME.test(body.counted_at as string) ||
      Number.isNaN(date.getTime()) ||
      !realCalendarDate(body.counted_at as string) ||
      date.getUTCFullYear() < 2000
    ) {
      return fail('invalid_entry', 'counted_at', 'must be an ISO-8601 timestamp with a time zone');
    }
    if (date.getTime() > options.now.getTime() + COUNTED_AT_TOLERANCE_MS) {
      return fail('invalid_entry', 'counted_at', 'is in the future (check the device clock)');
    }
    countedAt = date.toISOString();
  }

  const entry: Omit<ParsedEntry, 'content_hash'> = {
    client_id: clientId,
    session_id: sessionId.toLowerCase(),
    location_id: body.location_id.toLowerCase(),
    barcode,
    item_id: itemId,
    entered_qty_e3: enteredE3,
    uom: value('uom'),
    lot: value('lot') ?? '',
    serial: value('serial'),
    device_id: value('device_id'),
    counted_at: countedAt,
  };
  return { ok: true, entry: { ...entry, content_hash: contentHash(entry, options.userId) } };
}

/**
 * The canonical content of an entry: what it says, normalised (1.50 and "1.5" are the same
 * quantity, a UPC-A and its EAN-13 the same barcode), and who said it. Not when it arrived.
 */
export function contentHash(entry: Omit<ParsedEntry, 'content_hash' | 'client_id'>, userId: string): string {
  const canonical = canonicalJson({
    v: 1,
    session_id: entry.session_id,
    location_id: entry.location_id,
    barcode: entry.barcode,
    item_id: entry.item_id,
    entered_qty_e3: entry.entered_qty_e3,
    uom: entry.uom,
    lot: entry.lot,
    serial: entry.serial,
    device_id: entry.device_id,
    counted_at: entry.counted_at,
    counted_by: userId,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Base units of a scan of a pack barcode: entered × pack size, both in thousandths, so the
 * product is in millionths and must divide exactly by 1000 to be a quantity we can store. BigInt:
 * the intermediate product may pass 2^53. Null when not exact at 3 decimals or too large.
 */
export function toBaseQuantityE3(enteredE3: number, packQtyE3: number): number | null {
  const product = BigInt(enteredE3) * BigInt(packQtyE3);
  if (product % 1000n !== 0n) return null;
  const base = product / 1000n;
  if (base > BigInt(MAX_ENTRY_QTY_E3)) return null;
  return Number(base);
}
