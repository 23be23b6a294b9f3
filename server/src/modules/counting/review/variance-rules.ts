import { valueE4 } from '../../../platform/decimal.ts';
import type { EffectiveTolerance } from '../sessions/tolerance.ts';

/**
 * The rules that decide what happens to a counted line at submit (product.md, workflow step 4):
 * tolerance → auto-approve, recount or review; and the risk flags a reviewer sees.
 *
 * Pure functions over exact integers: quantities in thousandths of the base unit (`*_e3`), money
 * in ten-thousandths (`*_e4`). Percentages are compared by cross-multiplication, never by
 * dividing, so a boundary (exactly 5 %) is decided exactly.
 */

/** Risk thresholds (issue 6 defaults). */
export interface RiskThresholds {
  /** |variance| above this many units… */
  large_variance_qty_e3: number;
  /** …or above this percent of the book quantity. */
  large_variance_pct: number;
  /** A unit cost above this, with a variance above `high_value_variance_pct`. */
  high_value_cost_e4: number;
  high_value_variance_pct: number;
  /** The item's unit cost moved more than this percent since the snapshot. */
  price_change_pct: number;
  /** A serial-tracked item above this unit cost counted without a serial. */
  serial_missing_cost_e4: number;
}

export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = {
  large_variance_qty_e3: 100_000,
  large_variance_pct: 50,
  high_value_cost_e4: 10_000 * 10_000,
  high_value_variance_pct: 5,
  price_change_pct: 20,
  serial_missing_cost_e4: 5_000 * 10_000,
};

export const RISK_FLAGS = [
  'large_variance',
  'high_value',
  'price_changed',
  'serial_missing',
  'duplicate_count',
  'duplicate_serial',
  'book_changed',
] as const;
export type RiskFlag = (typeof RISK_FLAGS)[number];

export interface LineFacts {
  item_id: string;
  location_id: string;
  abc_class: 'A' | 'B' | 'C' | null;
  tracking: 'none' | 'lot' | 'serial';
  book_qty_e3: number;
  counted_qty_e3: number;
  /** Unit cost frozen in the snapshot. */
  unit_cost_e4: number;
  /** The item's unit cost now. */
  current_unit_cost_e4: number;
  /** Live entries of a serial-tracked item without a serial. */
  entries_without_serial: number;
  /** The same counter has more than one live entry on the line in this round. */
  same_counter_twice: boolean;
  /** A serial on the line was also counted elsewhere (or twice) in the session. */
  duplicate_serial: boolean;
  /** The book changed after the snapshot. */
  book_changed: boolean;
}

export function varianceQty(facts: Pick<LineFacts, 'book_qty_e3' | 'counted_qty_e3'>): number {
  return facts.counted_qty_e3 - facts.book_qty_e3;
}

/** |part| > pct % of |whole|, exactly (pct may have decimals; compared in hundredths of a percent). */
function exceedsPercent(part: number, whole: number, pct: number): boolean {
  return exceedsPercentE3(part, whole, Math.round(pct * 1000));
}

/** |part| > pctE3 thousandths of a percent of |whole|, in integers: |part| × 100,000 > |whole| × pctE3. */
function exceedsPercentE3(part: number, whole: number, pctE3: number): boolean {
  return BigInt(Math.abs(part)) * 100_000n > BigInt(Math.abs(whole)) * BigInt(pctE3);
}

/**
 * Within tolerance: no variance, or every figure the resolved tolerance sets holds (at least one
 * must be set: a tolerance with no figure accepts exact matches only, never everything).
 */
export function withinTolerance(tolerance: EffectiveTolerance, facts: LineFacts): boolean {
  const qty = varianceQty(facts);
  if (qty === 0) return true;
  const { qty_abs_e3, qty_pct_e3, value_abs_e4, value_pct_e3 } = tolerance;
  if (qty_abs_e3 === null && qty_pct_e3 === null && value_abs_e4 === null && value_pct_e3 === null)
    return false;
  const value = valueE4(qty, facts.unit_cost_e4);
  const bookValue = valueE4(facts.book_qty_e3, facts.unit_cost_e4);
  if (qty_abs_e3 !== null && Math.abs(qty) > qty_abs_e3) return false;
  if (qty_pct_e3 !== null && exceedsPercentE3(qty, facts.book_qty_e3, qty_pct_e3)) return false;
  if (value_abs_e4 !== null && Math.abs(value) > value_abs_e4) return false;
  if (value_pct_e3 !== null && exceedsPercentE3(value, bookValue, value_pct_e3)) return false;
  return true;
}

export function riskFlags(
  facts: LineFacts,
  thresholds: RiskThresholds = DEFAULT_RISK_THRESHOLDS,
): RiskFlag[] {
  const flags: RiskFlag[] = [];
  const qty = varianceQty(facts);
  if (
    Math.abs(qty) > thresholds.large_variance_qty_e3 ||
    (qty !== 0 && exceedsPercent(qty, facts.book_qty_e3, thresholds.large_variance_pct))
  ) {
    flags.push('large_variance');
  }
  if (
    facts.unit_cost_e4 > thresholds.high_value_cost_e4 &&
    qty !== 0 &&
    exceedsPercent(qty, facts.book_qty_e3, thresholds.high_value_variance_pct)
  ) {
    flags.push('high_value');
  }
  if (
    facts.current_unit_cost_e4 !== facts.unit_cost_e4 &&
    exceedsPercent(
      facts.current_unit_cost_e4 - facts.unit_cost_e4,
      facts.unit_cost_e4,
      thresholds.price_change_pct,
    )
  ) {
    flags.push('price_changed');
  }
  if (
    facts.tracking === 'serial' &&
    facts.unit_cost_e4 > thresholds.serial_missing_cost_e4 &&
    facts.entries_without_serial > 0
  ) {
    flags.push('serial_missing');
  }
  if (facts.same_counter_twice) flags.push('duplicate_count');
  if (facts.duplicate_serial) flags.push('duplicate_serial');
  if (facts.book_changed) flags.push('book_changed');
  return flags;
}

export type Decision =
  | { status: 'auto_approved' }
  | { status: 'counted' }
  | { status: 'recount' }
  | {
      status: 'review';
      reason: 'outside_tolerance' | 'strict_mode' | 'risk_flags' | 'recount_disagrees' | 'book_changed';
    };

/**
 * What submit does with a counted line. Strict mode sends every variance to review. Risk flags
 * always need a reviewer. Outside tolerance: a recount first (round 1, when the profile asks for
 * it), then review. Within tolerance: approved automatically when the profile allows it.
 */
export function decide(
  facts: LineFacts,
  context: {
    mode: 'standard' | 'blind' | 'strict';
    round: number;
    /** The line's tolerance (sessions/tolerance.ts toleranceFor). */
    tolerance: EffectiveTolerance;
    /** Outside tolerance on the first round: recount before review. */
    recountFirst: boolean;
    flags: readonly RiskFlag[];
  },
): Decision {
  const qty = varianceQty(facts);
  if (context.mode === 'strict' && qty !== 0) return { status: 'review', reason: 'strict_mode' };
  if (facts.book_changed) return { status: 'review', reason: 'book_changed' };
  if (!withinTolerance(context.tolerance, facts)) {
    if (context.round === 1 && context.recountFirst) return { status: 'recount' };
    return { status: 'review', reason: 'outside_tolerance' };
  }
  if (context.flags.length > 0) return { status: 'review', reason: 'risk_flags' };
  return context.tolerance.auto_approve ? { status: 'auto_approved' } : { status: 'counted' };
}
