import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toDecimalString, valueE4 } from '../../../platform/decimal.ts';
import { MAX_ENTRY_QTY_E3, parseEntry, toBaseQuantityE3 } from './entry-input.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const USER = '0190f0e4-0000-7000-8000-0000000000aa';
const base = {
  client_id: '0190f0e4-0000-7000-8000-000000000001',
  session_id: '0190f0e4-0000-7000-8000-000000000002',
  location_id: '0190f0e4-0000-7000-8000-000000000003',
  barcode: '4006381333931',
  quantity: 1,
};
const parse = (raw: unknown, userId = USER) => parseEntry(raw, { userId, now: NOW });

describe('entry input', () => {
  it('reads quantities exactly, as numbers or decimal strings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_ENTRY_QTY_E3 }), fc.boolean(), (e3, asNumber) => {
        const text = toDecimalString(e3, 3);
        const result = parse({ ...base, quantity: asNumber ? Number(text) : text });
        expect(result.ok && result.entry.entered_qty_e3).toBe(e3);
      }),
    );
  });

  it('refuses more than 3 decimals, negatives, exponents and absurd sizes', () => {
    for (const quantity of ['0.0001', -0.001, '1e2', 1e21, 'NaN', '', ' ', true, {}, [1], MAX_ENTRY_QTY_E3]) {
      const result = parse({ ...base, quantity });
      expect(result.ok, JSON.stringify(quantity)).toBe(false);
      if (!result.ok) expect(result.reason).toBe('invalid_quantity');
    }
  });

  it('converts packs with integer arithmetic only: exact or refused, never rounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (entered, pack) => {
          const base = toBaseQuantityE3(entered, pack);
          const product = BigInt(entered) * BigInt(pack);
          if (product % 1000n !== 0n || product / 1000n > BigInt(MAX_ENTRY_QTY_E3)) expect(base).toBeNull();
          else expect(BigInt(base!) * 1000n).toBe(product);
        },
      ),
    );
    expect(toBaseQuantityE3(2000, 12_000)).toBe(24_000);
    expect(toBaseQuantityE3(5, 500)).toBeNull(); // 0.005 × 0.5 = 0.0025
    expect(toBaseQuantityE3(3334, 500)).toBe(1667);
  });

  it('values a variance with one rounding, half away from zero, symmetric', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        (quantity, cost) => {
          const value = valueE4(quantity, cost);
          const exact = BigInt(quantity) * BigInt(cost); // ten-millionths
          const error = BigInt(value) * 1000n - exact;
          expect(error <= 500n && error >= -500n).toBe(true);
          expect(valueE4(-quantity, cost)).toBe(-value || 0);
        },
      ),
    );
    expect(valueE4(-1300, 33_333)).toBe(-43_333);
    expect(valueE4(-2500, 33_333)).toBe(-83_333); // -8.33325 → -8.3333
    expect(valueE4(1, 5000)).toBe(5); // 0.001 × 0.5 = 0.0005
    expect(valueE4(1, 499)).toBe(0);
  });

  it('hashes the content, not its spelling, and includes the counter', () => {
    const hash = (raw: unknown, userId = USER) => {
      const result = parse(raw, userId);
      if (!result.ok) throw new Error(result.message);
      return result.entry.content_hash;
    };
    const reference = hash({ ...base, quantity: 1.5 });
    expect(hash({ ...base, quantity: '1.500' })).toBe(reference);
    expect(hash({ ...base, quantity: 1.5, client_id: base.client_id.toUpperCase() })).toBe(reference);
    expect(hash({ ...base, quantity: 1.5, barcode: ' 4006381333931 ' })).toBe(reference);
    expect(hash({ ...base, quantity: 1.5, lot: '' })).toBe(reference);
    expect(hash({ ...base, quantity: 1.6 })).not.toBe(reference);
    expect(hash({ ...base, quantity: 1.5, device_id: 'HH-1' })).not.toBe(reference);
    expect(hash({ ...base, quantity: 1.5 }, '0190f0e4-0000-7000-8000-0000000000bb')).not.toBe(reference);
    // A UPC-A scan is the same code as its EAN-13.
    expect(hash({ ...base, barcode: '012345678905' })).toBe(hash({ ...base, barcode: '0012345678905' }));
  });

  it('names the field of a malformed entry and keeps its client_id when readable', () => {
    expect(parse({ ...base, client_id: 'x' })).toMatchObject({
      ok: false,
      field: 'client_id',
      client_id: 'x',
    });
    expect(parse({ ...base, session_id: undefined })).toMatchObject({ ok: false, field: 'session_id' });
    expect(parse({ ...base, item_id: base.location_id })).toMatchObject({ ok: false, field: 'barcode' });
    expect(parse({ ...base, serial: 7 })).toMatchObject({ ok: false, field: 'serial' });
    expect(parse({ ...base, counted_at: '2026-03-01' })).toMatchObject({ ok: false, field: 'counted_at' });
    expect(parse({ ...base, counted_at: '2026-02-29T10:00:00Z' })).toMatchObject({
      ok: false,
      field: 'counted_at',
    });
    expect(parse({ ...base, counted_at: '2024-02-29T10:00:00+02:00' })).toMatchObject({ ok: true });
    expect(parse({ ...base, counted_at: '2026-03-01T12:04:00Z' })).toMatchObject({ ok: true });
    expect(parse({ ...base, counted_at: '2026-03-01T12:06:00Z' })).toMatchObject({
      ok: false,
      field: 'counted_at',
    });
    expect(parse({ ...base, extra: 1 })).toMatchObject({
      ok: false,
      field: 'extra',
      client_id: base.client_id,
    });
    expect(parse('x')).toMatchObject({ ok: false, client_id: null });
    // The online POST takes the session from the URL: one in the body is refused.
    expect(parseEntry(base, { sessionId: base.session_id, userId: USER, now: NOW })).toMatchObject({
      ok: false,
      field: 'session_id',
    });
  });
});
