import { MONEY_SCALE, QUANTITY_SCALE, toDecimalString, valueE4 } from '../../../platform/decimal.ts';

/** Amounts leave the API as exact decimal strings, as everywhere else. */
export const qty = (e3: number): string => toDecimalString(e3, QUANTITY_SCALE);
export const money = (e4: number): string => toDecimalString(e4, MONEY_SCALE);

/**
 * numerator / denominator as a decimal string with `scale` decimals, rounded half away from zero,
 * in BigInt so that no float creeps in; null when the denominator is zero (no basis for a rate).
 */
export function ratio(numerator: number, denominator: number, scale = 4): string | null {
  if (denominator === 0) return null;
  const factor = 10n ** BigInt(scale);
  const n = BigInt(numerator) * factor;
  const d = BigInt(denominator);
  const negative = n < 0n !== d < 0n;
  const absN = n < 0n ? -n : n;
  const absD = d < 0n ? -d : d;
  const rounded = (absN * 2n + absD) / (absD * 2n);
  return toDecimalString(Number(negative ? -rounded : rounded), scale);
}

/** Sums of variances, kept apart by sign: gains and losses do not cancel out in a report. */
export class VarianceTotals {
  lines = 0;
  qtyPositiveE3 = 0;
  qtyNegativeE3 = 0;
  valuePositiveE4 = 0;
  valueNegativeE4 = 0;

  /** Adds one line's variance; returns its value. */
  add(varianceE3: number, unitCostE4: number): number {
    const value = valueE4(varianceE3, unitCostE4);
    if (varianceE3 === 0) return value;
    this.lines += 1;
    if (varianceE3 > 0) this.qtyPositiveE3 += varianceE3;
    else this.qtyNegativeE3 += varianceE3;
    if (value > 0) this.valuePositiveE4 += value;
    else this.valueNegativeE4 += value;
    return value;
  }

  view() {
    return {
      lines_with_variance: this.lines,
      quantity_positive: qty(this.qtyPositiveE3),
      quantity_negative: qty(this.qtyNegativeE3),
      quantity_net: qty(this.qtyPositiveE3 + this.qtyNegativeE3),
      value_positive: money(this.valuePositiveE4),
      value_negative: money(this.valueNegativeE4),
      value_net: money(this.valuePositiveE4 + this.valueNegativeE4),
    };
  }
}

export type VarianceTotalsView = ReturnType<VarianceTotals['view']>;
