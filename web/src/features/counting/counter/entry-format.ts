import { formatQuantity } from '../../../ui/format.ts';

/** How a counted quantity reads on the counter's screen: "3 EA", or "1 × case of 12 = 12 EA". */
export function quantityText(entered: number | string, packQty: number, uom: string | null): string {
  const unit = uom ? ` ${uom}` : '';
  const enteredNumber = Number(entered);
  if (packQty === 1) return `${formatQuantity(enteredNumber)}${unit}`;
  // In thousandths, as integers: 0.1 × 3 must read 0.3, not 0.30000000000000004.
  const total = (Math.round(enteredNumber * 1000) * Math.round(packQty * 1000)) / 1_000_000;
  return `${formatQuantity(enteredNumber)} × case of ${formatQuantity(packQty)} = ${formatQuantity(total)}${unit}`;
}

/** The server's conflict reasons (sync results), in the counter's words. */
const CONFLICT_TEXT: Record<string, string> = {
  invalid_entry: 'The entry was not valid',
  invalid_quantity: 'The quantity was not valid',
  client_id_conflict: 'Sent twice with different content',
  session_not_found: 'The count no longer exists',
  session_not_counting: 'The count is no longer open for counting',
  location_not_in_scope: 'This location is not part of the count',
  not_assigned: 'You are not assigned to this location',
  item_not_found: 'Item not found',
  unknown_item: 'Unknown barcode: recorded for the supervisor to look at',
  lot_required: 'A lot is required for this item',
  serial_required: 'A serial number is required for this item',
  duplicate_serial: 'This serial number was already counted: recorded and flagged',
  same_counter: 'You counted this line before: a recount must be done by someone else',
};

/** In a recount, the session is in review: "not counting" then means the item is not on the recount list. */
const RECOUNT_CONFLICT_TEXT: Record<string, string> = {
  session_not_counting: 'Not on the recount list: only the listed items are recounted',
};

/** Reasons whose text says it all: the server's message would only repeat it. */
const SELF_EXPLAINED = new Set(['same_counter']);

export function conflictText(reason: string | null, recount = false): string {
  if (!reason) return 'Not accepted by the server';
  return (
    (recount ? RECOUNT_CONFLICT_TEXT[reason] : undefined) ??
    CONFLICT_TEXT[reason] ??
    'Not accepted by the server'
  );
}

/** A conflict as noted on its entry: our words, then the server's message when it adds something. */
export function conflictNote(
  reason: string | null,
  message: string | null | undefined,
  recount = false,
): string {
  const text = conflictText(reason, recount);
  return message && !(reason && SELF_EXPLAINED.has(reason)) ? `${text} (${message})` : text;
}

/** Decimal text for a quantity: up to 3 decimals, above zero. */
export function checkQuantity(text: string): { value: string } | { error: string } {
  const trimmed = text.trim();
  if (!/^\d+(\.\d{1,3})?$/.test(trimmed)) return { error: 'Enter a quantity like 1, 12 or 2.5' };
  if (Number(trimmed) <= 0) return { error: 'The quantity must be more than 0' };
  return { value: trimmed };
}

/** The quantity one step up or down; stepping never goes below 1. */
export function stepQuantity(text: string, delta: 1 | -1): string {
  const current = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(current)) return '1';
  return String(Math.max(1, Math.round((current + delta) * 1000) / 1000));
}
