import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOLERANCE_PROFILE,
  decide,
  type LineFacts,
  riskFlags,
  type ToleranceProfile,
  toleranceFor,
  varianceValue,
  withinTolerance,
} from './variance-rules.ts';

const facts = (over: Partial<LineFacts> = {}): LineFacts => ({
  item_id: 'i1',
  location_id: 'l1',
  abc_class: null,
  tracking: 'none',
  book_qty_e3: 100_000,
  counted_qty_e3: 100_000,
  unit_cost_e4: 25_000,
  current_unit_cost_e4: 25_000,
  entries_without_serial: 0,
  same_counter_twice: false,
  duplicate_serial: false,
  book_changed: false,
  ...over,
});

describe('variance value', () => {
  it('is exact: 0.001 units at 0.0001 a unit is worth nothing, 3 units at 2.5 are worth 7.5', () => {
    expect(varianceValue(1, 1)).toBe(0);
    expect(varianceValue(3_000, 25_000)).toBe(75_000);
    expect(varianceValue(-3_000, 25_000)).toBe(-75_000);
    // Rounded half away from zero, symmetric around zero.
    expect(varianceValue(500, 1)).toBe(1);
    expect(varianceValue(-500, 1)).toBe(-1);
  });

  it('never loses precision on large quantities and costs (no float on the way)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (qty, cost) => {
        const exact = (BigInt(qty) * BigInt(cost) * 10n + (qty < 0 ? -5000n : 5000n)) / 10_000n;
        expect(BigInt(varianceValue(qty, cost))).toBe(exact);
      }),
    );
  });
});

describe('tolerance', () => {
  const profile: ToleranceProfile = {
    default: { qty_abs_e3: 2_000 },
    by_abc: { A: { qty_abs_e3: 0 }, C: { qty_pct: 10 } },
    by_item_location: [{ item_id: 'i1', location_id: 'l9', value_abs_e4: 1_000_000 }],
    auto_approve: true,
    recount_first: true,
  };

  it('takes the item-location, then the ABC class, then the session default', () => {
    expect(toleranceFor(profile, { item_id: 'i1', location_id: 'l9', abc_class: 'A' })).toEqual({
      item_id: 'i1',
      location_id: 'l9',
      value_abs_e4: 1_000_000,
    });
    expect(toleranceFor(profile, { item_id: 'i1', location_id: 'l1', abc_class: 'A' })).toEqual({
      qty_abs_e3: 0,
    });
    expect(toleranceFor(profile, { item_id: 'i1', location_id: 'l1', abc_class: 'B' })).toEqual({
      qty_abs_e3: 2_000,
    });
  });

  it('decides percent boundaries exactly: 10 % of 100 is within, 10.001 is not', () => {
    const tolerance = { qty_pct: 10 };
    expect(withinTolerance(tolerance, facts({ counted_qty_e3: 110_000 }))).toBe(true);
    expect(withinTolerance(tolerance, facts({ counted_qty_e3: 90_000 }))).toBe(true);
    expect(withinTolerance(tolerance, facts({ counted_qty_e3: 110_001 }))).toBe(false);
    // Any variance on a zero book is outside a percentage tolerance; no variance is always within.
    expect(withinTolerance(tolerance, facts({ book_qty_e3: 0, counted_qty_e3: 1 }))).toBe(false);
    expect(withinTolerance({ qty_abs_e3: 0 }, facts())).toBe(true);
  });

  it('checks every configured threshold: quantity, value and their percentages', () => {
    const tolerance = { qty_abs_e3: 5_000, value_abs_e4: 100_000 };
    // 4 units at 2.5 = 10.0: both within; 4 units of a 3.0 item = 12.0: value outside.
    expect(withinTolerance(tolerance, facts({ counted_qty_e3: 104_000 }))).toBe(true);
    expect(withinTolerance(tolerance, facts({ counted_qty_e3: 104_000, unit_cost_e4: 30_000 }))).toBe(false);
    expect(withinTolerance({ value_pct: 5 }, facts({ counted_qty_e3: 95_000 }))).toBe(true);
    expect(withinTolerance({ value_pct: 5 }, facts({ counted_qty_e3: 94_999 }))).toBe(false);
  });
});

describe('risk flags (issue defaults)', () => {
  it('flags a variance over 100 units or over 50 %', () => {
    expect(riskFlags(facts({ book_qty_e3: 1_000_000, counted_qty_e3: 1_100_001 }))).toContain(
      'large_variance',
    );
    expect(riskFlags(facts({ book_qty_e3: 1_000_000, counted_qty_e3: 1_100_000 }))).not.toContain(
      'large_variance',
    );
    expect(riskFlags(facts({ book_qty_e3: 10_000, counted_qty_e3: 15_001 }))).toContain('large_variance');
    expect(riskFlags(facts({ book_qty_e3: 10_000, counted_qty_e3: 15_000 }))).not.toContain('large_variance');
  });

  it('flags a price over 10,000 with a variance over 5 %, and a price change over 20 %', () => {
    const dear = 10_000 * 10_000 + 1;
    expect(
      riskFlags(facts({ unit_cost_e4: dear, current_unit_cost_e4: dear, counted_qty_e3: 94_000 })),
    ).toContain('high_value');
    expect(
      riskFlags(facts({ unit_cost_e4: dear, current_unit_cost_e4: dear, counted_qty_e3: 95_000 })),
    ).not.toContain('high_value');
    expect(riskFlags(facts({ current_unit_cost_e4: 30_001 }))).toContain('price_changed');
    expect(riskFlags(facts({ current_unit_cost_e4: 30_000 }))).not.toContain('price_changed');
    expect(riskFlags(facts({ current_unit_cost_e4: 19_999 }))).toContain('price_changed');
  });

  it('flags a missing serial on an item over 5,000, and the same counter counting a line twice', () => {
    const over = 5_000 * 10_000 + 1;
    const serialFacts = { tracking: 'serial' as const, unit_cost_e4: over, current_unit_cost_e4: over };
    expect(riskFlags(facts({ ...serialFacts, entries_without_serial: 1 }))).toContain('serial_missing');
    expect(riskFlags(facts({ ...serialFacts, entries_without_serial: 0 }))).not.toContain('serial_missing');
    expect(riskFlags(facts({ same_counter_twice: true }))).toEqual(['duplicate_count']);
    expect(riskFlags(facts())).toEqual([]);
  });
});

describe('the submit decision', () => {
  const base = { mode: 'standard' as const, round: 1, profile: DEFAULT_TOLERANCE_PROFILE, flags: [] };

  it('auto-approves a line within tolerance, recounts one outside, then sends it to review', () => {
    expect(decide(facts(), base)).toEqual({ status: 'auto_approved' });
    expect(decide(facts({ counted_qty_e3: 99_000 }), base)).toEqual({ status: 'recount' });
    expect(decide(facts({ counted_qty_e3: 99_000 }), { ...base, round: 2 })).toEqual({
      status: 'review',
      reason: 'outside_tolerance',
    });
    const noAuto = { ...base, profile: { ...DEFAULT_TOLERANCE_PROFILE, auto_approve: false } };
    expect(decide(facts(), noAuto)).toEqual({ status: 'counted' });
  });

  it('strict mode sends every variance to review; risk flags and book changes need a reviewer', () => {
    const loose = { ...base, profile: { ...DEFAULT_TOLERANCE_PROFILE, default: { qty_abs_e3: 10_000 } } };
    expect(decide(facts({ counted_qty_e3: 99_000 }), { ...loose, mode: 'strict' })).toEqual({
      status: 'review',
      reason: 'strict_mode',
    });
    expect(decide(facts(), { ...loose, mode: 'strict' })).toEqual({ status: 'auto_approved' });
    expect(decide(facts(), { ...loose, flags: ['duplicate_count'] })).toEqual({
      status: 'review',
      reason: 'risk_flags',
    });
    expect(decide(facts({ book_changed: true }), loose)).toEqual({
      status: 'review',
      reason: 'book_changed',
    });
  });
});
