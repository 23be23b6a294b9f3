/**
 * Money and quantities travel as JSON decimals (12.5) and are typed as decimal text, so "12.50"
 * is never mangled by a locale or a float input. The server keeps them exact.
 */
const DECIMAL = /^\d+(\.\d+)?$/;

/** The number in a decimal text field, null when empty, or an error message. */
export function parseDecimal(text: string, places: number): number | null | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!DECIMAL.test(trimmed)) return { error: 'must be a number like 12.50 (digits and one dot)' };
  if ((trimmed.split('.')[1]?.length ?? 0) > places) return { error: `must have at most ${places} decimals` };
  return Number(trimmed);
}

export function decimalText(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const quantity = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

export const formatMoney = (value: number | null): string => (value === null ? '—' : money.format(value));
export const formatQuantity = (value: number): string => quantity.format(value);

export function formatDateTime(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
