/**
 * The rules that decide what happens to a counted line at submit (product.md, workflow step 4):
 * tolerance → auto-approve, recount or review; and the risk flags a reviewer sees.
 *
 * Pure functions over exact integers: quantities in thousandths of the base unit (`*_e3`), money
 * in ten-thousandths (`*_e4`). Percentages are compared by cross-multiplication, never by
 * dividing, so a boundary (exactly 5 %) is decided exactly.
 */

/** Thresholds a variance must stay within; an absent threshold does not restrict. */
export interface Tolerance {
  qty_abs_e3?: number;
  /** Percent of the book quantity, e.g. 2.5. */
  qty_pct?: number;
  value_abs_e4?: number;
  /** Percent of the book value. */
  value_pct?: number;
}

export interface ToleranceProfile {
  /** The session default. */
  default: Tolerance;
  by_abc?: Partial<Record<'A' | 'B' | 'C', Tolerance>>;
  /** The most specific: one item at one location. */
  by_item_location?: (Tolerance & { item_id: string; location_id: string })[];
  /** Within tolerance: approve without review (otherwise a supervisor still approves). */
  auto_approve: boolean;
  /** Outside tolerance on the first round: a recount by another counter before review. */
  recount_first: boolean;
}

export const DEFAULT_TOLERANCE_PROFILE: ToleranceProfile = {
  default: { qty_abs_e3: 0 },
  auto_approve: true,
  recount_first: true,
};

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

/** Variance value in e4: qty_e3 × cost_e4 / 1000, rounded half away from zero to whole e4. */
export function varianceValue(qtyE3: number, unitCostE4: number): number {
  const product = BigInt(qtyE3) * BigInt(unitCostE4);
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  const rounded = (magnitude + 500n) / 1000n;
  const value = Number(negative ? -rounded : rounded);
  if (!Number.isSafeInteger(value)) throw new RangeError('variance value out of range');
  return value;
}

/** |part| > pct % of |whole|, exactly (pct may have decimals; compared in hundredths of a percent). */
function exceedsPercent(part: number, whole: number, pct: number): boolean {
  const hundredths = BigInt(Math.round(pct * 100));
  return BigInt(Math.abs(part)) * 10_000n > BigInt(Math.abs(whole)) * hundredths;
}

/** The tolerance that applies: item-location, then ABC class, then the session default. */
export function toleranceFor(
  profile: ToleranceProfile,
  facts: Pick<LineFacts, 'item_id' | 'location_id' | 'abc_class'>,
): Tolerance {
  const specific = profile.by_item_location?.find(
    (entry) => entry.item_id === facts.item_id && entry.location_id === facts.location_id,
  );
  if (specific) return specific;
  if (facts.abc_class && profile.by_abc?.[facts.abc_class]) return profile.by_abc[facts.abc_class]!;
  return profile.default;
}

export function withinTolerance(tolerance: Tolerance, facts: LineFacts): boolean {
  const qty = varianceQty(facts);
  if (qty === 0) return true;
  const value = varianceValue(qty, facts.unit_cost_e4);
  const bookValue = varianceValue(facts.book_qty_e3, facts.unit_cost_e4);
  if (tolerance.qty_abs_e3 !== undefined && Math.abs(qty) > tolerance.qty_abs_e3) return false;
  if (tolerance.qty_pct !== undefined && exceedsPercent(qty, facts.book_qty_e3, tolerance.qty_pct))
    return false;
  if (tolerance.value_abs_e4 !== undefined && Math.abs(value) > tolerance.value_abs_e4) return false;
  if (tolerance.value_pct !== undefined && exceedsPercent(value, bookValue, tolerance.value_pct))
    return false;
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
    profile: ToleranceProfile;
    flags: readonly RiskFlag[];
  },
): Decision {
  const qty = varianceQty(facts);
  if (context.mode === 'strict' && qty !== 0) return { status: 'review', reason: 'strict_mode' };
  if (facts.book_changed) return { status: 'review', reason: 'book_changed' };
  const within = withinTolerance(toleranceFor(context.profile, facts), facts);
  if (!within) {
    if (context.round === 1 && context.profile.recount_first) return { status: 'recount' };
    return { status: 'review', reason: 'outside_tolerance' };
  }
  if (context.flags.length > 0) return { status: 'review', reason: 'risk_flags' };
  return context.profile.auto_approve ? { status: 'auto_approved' } : { status: 'counted' };
}
