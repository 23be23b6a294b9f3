/**
 * Exact quantities and money. Quantities are stored as integers in thousandths of the base unit
 * (`*_e3` columns) and money in ten-thousandths of the currency (`*_e4` columns), so sums and
 * differences are exact integer arithmetic on both dialects — never a float. The API speaks
 * decimal numbers (12.5) or decimal strings ("12.5"); this module is the one place that converts.
 */
export const QUANTITY_SCALE = 3;
export const MONEY_SCALE = 4;

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal written in text (or a JS number, via its shortest text form) into an integer
 * scaled by 10^scale. Returns null when it is not a plain decimal, has more fractional digits
 * than the scale allows, or does not fit in a safe integer.
 */
export function toScaled(value: string | number, scale: number): number | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  if (/e/i.test(text)) {
    // 1e-7 or 1e21: only plain decimals are accepted, so the exact value is never in doubt.
    return null;
  }
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  const trimmed = fraction.replace(/0+$/, '');
  if (trimmed.length > scale) return null;
  const digits = `${whole}${trimmed.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  const scaled = Number(digits);
  if (!Number.isSafeInteger(scaled)) return null;
  return sign === '-' ? -scaled : scaled;
}

/** The decimal number for a scaled integer (exact for every value toScaled accepts). */
export function fromScaled(scaled: number, scale: number): number {
  return Number(toDecimalString(scaled, scale));
}

/** The shortest decimal text for a scaled integer: 12500 at scale 3 → "12.5". */
export function toDecimalString(scaled: number, scale: number): string {
  const negative = scaled < 0;
  const digits = String(Math.abs(scaled)).padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * Money value (ten-thousandths) of a quantity (thousandths) at a unit cost (ten-thousandths):
 * the product is in ten-millionths, brought to ten-thousandths with one rounding, half away from
 * zero. BigInt throughout, so that rounding is the only one, the same on every machine.
 */
export function valueE4(quantityE3: number, unitCostE4: number): number {
  const product = BigInt(quantityE3) * BigInt(unitCostE4);
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  const rounded = (magnitude + 500n) / 1000n;
  const value = Number(negative ? -rounded : rounded);
  if (!Number.isSafeInteger(value)) throw new RangeError('money value out of range');
  return value === 0 ? 0 : value;
}
