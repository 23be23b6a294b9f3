import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromScaled, MONEY_SCALE, QUANTITY_SCALE, toDecimalString, toScaled, valueE4 } from './decimal.ts';

describe('exact decimals', () => {
  it.each([
    ['12.5', 12500],
    ['0.001', 1],
    ['-3', -3000],
    ['+7.250', 7250],
    [' 42 ', 42000],
    [0.1, 100],
    [1234567.891, 1234567891],
    ['000012', 12000],
  ])('parses %s as %i thousandths', (input, scaled) => {
    expect(toScaled(input, QUANTITY_SCALE)).toBe(scaled);
  });

  it.each(['1.0001', 'abc', '1,5', '', '1e3', 'NaN', '--1', '1.', '.5', '99999999999999999'])(
    'refuses %s',
    (input) => {
      expect(toScaled(input, QUANTITY_SCALE)).toBeNull();
    },
  );

  it('adds without floating-point drift', () => {
    // 0.1 + 0.2 in floats is 0.30000000000000004; in scaled integers it is exact.
    const sum = (toScaled('0.1', QUANTITY_SCALE) ?? 0) + (toScaled('0.2', QUANTITY_SCALE) ?? 0);
    expect(toDecimalString(sum, QUANTITY_SCALE)).toBe('0.3');
    expect(fromScaled(sum, QUANTITY_SCALE)).toBe(0.3);
  });

  it('round-trips money at four decimals', () => {
    for (const text of ['0.0001', '19.99', '-250', '1000000.5']) {
      expect(toDecimalString(toScaled(text, MONEY_SCALE)!, MONEY_SCALE)).toBe(text.replace(/^\+/, ''));
    }
  });
});

describe('valueE4: money value of a quantity', () => {
  it('is exact: 0.001 units at 0.0001 a unit is worth nothing, 3 units at 2.5 are worth 7.5', () => {
    expect(valueE4(1, 1)).toBe(0);
    expect(valueE4(3_000, 25_000)).toBe(75_000);
    expect(valueE4(-3_000, 25_000)).toBe(-75_000);
    // Rounded half away from zero, symmetric around zero.
    expect(valueE4(500, 1)).toBe(1);
    expect(valueE4(-500, 1)).toBe(-1);
  });

  it('never loses precision on large quantities and costs (no float on the way)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (qty, cost) => {
        const exact = (BigInt(qty) * BigInt(cost) * 10n + (qty < 0 ? -5000n : 5000n)) / 10_000n;
        expect(BigInt(valueE4(qty, cost))).toBe(exact);
      }),
    );
  });
});
