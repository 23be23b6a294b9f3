import { describe, expect, it } from 'vitest';
import type { EffectiveTolerance } from '../sessions/tolerance.ts';
import { decide, type LineFacts, riskFlags, withinTolerance } from './variance-rules.ts';

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

describe('tolerance', () => {
  const tolerance = (over: Partial<EffectiveTolerance>): EffectiveTolerance => ({
    qty_abs_e3: null,
    qty_pct_e3: null,
    value_abs_e4: null,
    value_pct_e3: null,
    auto_approve: true,
    ...over,
  });

  it('decides percent boundaries exactly: 10 % of 100 is within, 10.001 is not', () => {
    const tenPercent = tolerance({ qty_pct_e3: 10_000 });
    expect(withinTolerance(tenPercent, facts({ counted_qty_e3: 110_000 }))).toBe(true);
    expect(withinTolerance(tenPercent, facts({ counted_qty_e3: 90_000 }))).toBe(true);
    expect(withinTolerance(tenPercent, facts({ counted_qty_e3: 110_001 }))).toBe(false);
    // Any variance on a zero book is outside a percentage tolerance.
    expect(withinTolerance(tenPercent, facts({ book_qty_e3: 0, counted_qty_e3: 1 }))).toBe(false);
  });

  it('with no figure set, accepts exact matches only', () => {
    expect(withinTolerance(tolerance({}), facts())).toBe(true);
    expect(withinTolerance(tolerance({}), facts({ counted_qty_e3: 100_001 }))).toBe(false);
  });

  it('checks every figure that is set: quantity, value and their percentages', () => {
    const both = tolerance({ qty_abs_e3: 5_000, value_abs_e4: 100_000 });
    // 4 units at 2.5 = 10.0: both within; 4 units of a 3.0 item = 12.0: value outside.
    expect(withinTolerance(both, facts({ counted_qty_e3: 104_000 }))).toBe(true);
    expect(withinTolerance(both, facts({ counted_qty_e3: 104_000, unit_cost_e4: 30_000 }))).toBe(false);
    expect(withinTolerance(tolerance({ value_pct_e3: 5_000 }), facts({ counted_qty_e3: 95_000 }))).toBe(true);
    expect(withinTolerance(tolerance({ value_pct_e3: 5_000 }), facts({ counted_qty_e3: 94_999 }))).toBe(
      false,
    );
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
  const exact: EffectiveTolerance = {
    qty_abs_e3: 0,
    qty_pct_e3: null,
    value_abs_e4: null,
    value_pct_e3: null,
    auto_approve: true,
  };
  const base = { mode: 'standard' as const, round: 1, tolerance: exact, recountFirst: true, flags: [] };

  it('auto-approves a line within tolerance, recounts one outside, then sends it to review', () => {
    expect(decide(facts(), base)).toEqual({ status: 'auto_approved' });
    expect(decide(facts({ counted_qty_e3: 99_000 }), base)).toEqual({ status: 'recount' });
    expect(decide(facts({ counted_qty_e3: 99_000 }), { ...base, round: 2 })).toEqual({
      status: 'review',
      reason: 'outside_tolerance',
    });
    expect(decide(facts({ counted_qty_e3: 99_000 }), { ...base, recountFirst: false })).toEqual({
      status: 'review',
      reason: 'outside_tolerance',
    });
    expect(decide(facts(), { ...base, tolerance: { ...exact, auto_approve: false } })).toEqual({
      status: 'counted',
    });
  });

  it('strict mode sends every variance to review; risk flags and book changes need a reviewer', () => {
    const loose = { ...base, tolerance: { ...exact, qty_abs_e3: 10_000 } };
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
