/**
 * Barcode rules, in one place for the item API, the lookup and the imports.
 *
 * A scanned or typed code is normalised: trimmed and spaces removed. A code of 8, 12, 13 or 14
 * digits is a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14): its check digit must be right, and it is
 * stored left-padded to 14 digits, so a UPC-A scan finds the EAN-13 the ERP sent and vice versa.
 * Anything else is an internal code: letters, digits and - . _ / only.
 */
export type BarcodeKind = 'gtin' | 'internal';

export type ParsedBarcode = { ok: true; barcode: string; kind: BarcodeKind } | { ok: false; reason: string };

const GTIN_LENGTHS = new Set([8, 12, 13, 14]);
const INTERNAL = /^[A-Za-z0-9._/-]{1,64}$/;

export function gtinCheckDigitValid(digits: string): boolean {
  let sum = 0;
  // From the right, excluding the check digit: weights 3, 1, 3, 1, …
  for (let i = digits.length - 2, weight = 3; i >= 0; i -= 1, weight = weight === 3 ? 1 : 3) {
    sum += Number(digits[i]) * weight;
  }
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

export function normaliseBarcode(raw: string): string {
  return raw.trim().replace(/\s+/g, '');
}

export function parseBarcode(raw: string): ParsedBarcode {
  const code = normaliseBarcode(raw);
  if (code === '') return { ok: false, reason: 'is empty' };
  if (/^\d+$/.test(code) && GTIN_LENGTHS.has(code.length)) {
    if (!gtinCheckDigitValid(code)) return { ok: false, reason: 'has a wrong GTIN check digit' };
    return { ok: true, barcode: code.padStart(14, '0'), kind: 'gtin' };
  }
  if (!INTERNAL.test(code)) {
    return {
      ok: false,
      reason: 'must be a GTIN (8, 12, 13 or 14 digits) or up to 64 letters, digits and - . _ /',
    };
  }
  return { ok: true, barcode: code, kind: 'internal' };
}
