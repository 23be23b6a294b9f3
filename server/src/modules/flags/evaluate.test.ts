import { createRequire } from 'node:module';
import fc from 'fast-check';
import { normalizedStrategyValue } from 'unleash-client/lib/strategy/util.js';
import { describe, expect, it } from 'vitest';
import { bucketOf, evaluateFlag, type FlagRules } from './evaluate.ts';
import { murmur3_32 } from './murmur3.ts';

// The hash the Unleash Node SDK uses, straight from its dependency (it ships no types).
const murmurhash3js = createRequire(import.meta.url)('murmurhash3js') as {
  x86: { hash32(text: string, seed?: number): number };
};

/** A UUID v4-shaped id from a counter: what our user ids look like. */
function userId(index: number): string {
  const hex = (murmur3_32(`id-${index}`, 7) * 4096 + index).toString(16).padStart(12, '0').slice(-12);
  return `0190f0e4-${(index & 0xffff).toString(16).padStart(4, '0')}-7000-8000-${hex}`;
}

const flag = (rules: Partial<FlagRules>): FlagRules => ({
  key: 'new_dashboard',
  state: 'enabled',
  percentage: null,
  allowed_users: [],
  allowed_roles: [],
  ...rules,
});

describe('murmur3_32 (x86, 32-bit)', () => {
  it('matches the published reference vectors', () => {
    expect(murmur3_32('', 0)).toBe(0);
    expect(murmur3_32('', 1)).toBe(0x514e28b7);
    expect(murmur3_32('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3_32('test', 0)).toBe(0xba6bd213);
    expect(murmur3_32('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3_32('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
    expect(murmur3_32('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3_32('abc', 0)).toBe(0xb3dd93fa);
  });

  it('equals the Unleash SDK hash (murmurhash3js) for any text and seed, every tail length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), fc.integer({ min: 0, max: 0xffffffff }), (text, seed) => {
        expect(murmur3_32(text, seed)).toBe(murmurhash3js.x86.hash32(text, seed));
      }),
      { numRuns: 5000 },
    );
    // Non-ASCII too: both read each UTF-16 unit's low byte.
    for (const text of ['zürich:1', 'ключ:42', '🙂:x', 'a'.repeat(1000)])
      expect(murmur3_32(text, 0)).toBe(murmurhash3js.x86.hash32(text, 0));
  });
});

describe('rollout buckets', () => {
  it("are Unleash's normalizedStrategyValue (groupId = flag key) for 100,000 user ids", () => {
    const keys = ['new_dashboard', 'bulk_operations', 'beta.export-v2'];
    let mismatches = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = userId(i);
      const key = keys[i % keys.length]!;
      if (bucketOf(key, id) !== normalizedStrategyValue(id, key)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('put the same users in a 20 % rollout as Unleash does, about 20 % of them', () => {
    let ours = 0;
    for (let i = 0; i < 20_000; i++) {
      const id = userId(i);
      const on = evaluateFlag(flag({ percentage: 20 }), { userId: id, role: 'staff' }).value;
      expect(on).toBe(normalizedStrategyValue(id, 'new_dashboard') <= 20);
      if (on) ours++;
    }
    expect(ours / 20_000).toBeGreaterThan(0.18);
    expect(ours / 20_000).toBeLessThan(0.22);
  });

  it('raising the percentage never turns anyone off (and lowering never turns anyone on)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9_.-]{1,20}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (key, id, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const before = evaluateFlag(flag({ key, percentage: low }), { userId: id, role: 'staff' });
          const after = evaluateFlag(flag({ key, percentage: high }), { userId: id, role: 'staff' });
          if (before.value) expect(after.value).toBe(true);
          expect(before.reason).toBe('SPLIT');
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('0 % is nobody and 100 % is everybody', () => {
    for (let i = 0; i < 2000; i++) {
      const subject = { userId: userId(i), role: 'staff' };
      expect(evaluateFlag(flag({ percentage: 0 }), subject).value).toBe(false);
      expect(evaluateFlag(flag({ percentage: 100 }), subject).value).toBe(true);
    }
  });
});

describe('evaluateFlag', () => {
  const me = { userId: 'u-1', role: 'staff' };

  it('follows the documented order of rules', () => {
    expect(evaluateFlag(flag({ state: 'disabled', allowed_users: ['u-1'] }), me)).toEqual({
      value: false,
      reason: 'DISABLED',
    });
    expect(evaluateFlag(flag({}), me)).toEqual({ value: true, reason: 'DEFAULT' });
    expect(evaluateFlag(flag({ allowed_users: ['u-1'], percentage: 0 }), me)).toEqual({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    expect(evaluateFlag(flag({ allowed_roles: ['staff'], percentage: 0 }), me)).toEqual({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    // Targeted, not a target, no percentage: a targeted flag is for its targets only.
    expect(evaluateFlag(flag({ allowed_roles: ['admin'] }), me)).toEqual({ value: false, reason: 'DEFAULT' });
    expect(evaluateFlag(flag({ allowed_users: ['u-2'] }), me)).toEqual({ value: false, reason: 'DEFAULT' });
    // Targeted, not a target, with a percentage: the bucket decides.
    expect(evaluateFlag(flag({ allowed_roles: ['admin'], percentage: 100 }), me)).toEqual({
      value: true,
      reason: 'SPLIT',
    });
  });

  it('cannot place a user without an id in a rollout', () => {
    expect(evaluateFlag(flag({ percentage: 50 }), { userId: null, role: 'staff' })).toEqual({
      value: false,
      reason: 'DEFAULT',
      targetingKeyMissing: true,
    });
    expect(
      evaluateFlag(flag({ percentage: 50, allowed_roles: ['staff'] }), { userId: null, role: 'staff' }),
    ).toEqual({ value: true, reason: 'TARGETING_MATCH' });
  });
});
