import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GcraState, gcraHit } from './gcra.ts';
import { createMemoryStore } from './memory-store.ts';
import { createRedisStore } from './redis-store.ts';
import {
  adminClient,
  deleteWithPrefix,
  redisAvailability,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.ts';
import type { RateLimitRule, RateLimitStore } from './types.ts';

/**
 * One behaviour, two stores: every case below runs against the memory store and against the Redis
 * store on the caller's clock (so time can be moved by hand), with the same expected answers.
 */

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Built afresh for every test: a Redis harness has its own key prefix, removed afterwards. */
interface StoreHarness {
  make(): RateLimitStore;
  /** Stores over separate connections, for cross-connection atomicity. */
  makeMany?(count: number): RateLimitStore[];
  cleanup?(): Promise<void>;
}

function storeContract(newHarness: () => StoreHarness, multiConnection = false): void {
  let harness: StoreHarness;
  let store: RateLimitStore;
  const extra: RateLimitStore[] = [];
  const rule: RateLimitRule = { name: 'contract', limit: 5, windowMs: 10_000 };

  beforeEach(() => {
    harness = newHarness();
    store = harness.make();
  });
  afterEach(async () => {
    await Promise.all([store.close(), ...extra.splice(0).map((s) => s.close())]);
    await harness.cleanup?.();
  });

  it('allows `limit` hits, counting down, then refuses', async () => {
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const hit = await store.hit('k-allow', rule, T0);
      expect(hit.allowed).toBe(true);
      expect(hit.retryAfterMs).toBe(0);
      remaining.push(hit.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    expect(await store.hit('k-allow', rule, T0)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 2000,
    });
  });

  it('gives a Retry-After after which exactly one more hit is allowed, not a millisecond before', async () => {
    for (let i = 0; i < 5; i++) await store.hit('k-retry', rule, T0);
    const refused = await store.hit('k-retry', rule, T0 + 500);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(1500); // one slot refills every windowMs / limit = 2000 ms
    expect((await store.hit('k-retry', rule, T0 + 500 + refused.retryAfterMs - 1)).allowed).toBe(false);
    expect(await store.hit('k-retry', rule, T0 + 500 + refused.retryAfterMs)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
    });
    expect((await store.hit('k-retry', rule, T0 + 2000)).retryAfterMs).toBe(2000);
  });

  it('slides: capacity comes back in proportion to the time passed, and in full after a window', async () => {
    for (let i = 0; i < 5; i++) await store.hit('k-slide', rule, T0);
    // Half a window later, half the burst (2 of 5 slots, each 2000 ms) has come back.
    const half = T0 + 5_000;
    expect((await store.hit('k-slide', rule, half)).remaining).toBe(1);
    expect((await store.hit('k-slide', rule, half)).remaining).toBe(0);
    expect((await store.hit('k-slide', rule, half)).allowed).toBe(false);
    // A full window after the last allowed hit, all of it.
    const full = half + 10_000;
    for (let i = 4; i >= 0; i--) expect((await store.hit('k-slide', rule, full)).remaining).toBe(i);
    expect((await store.hit('k-slide', rule, full)).allowed).toBe(false);
  });

  it('does not charge refused hits', async () => {
    for (let i = 0; i < 5; i++) await store.hit('k-free', rule, T0);
    for (let i = 0; i < 50; i++) expect((await store.hit('k-free', rule, T0 + 100)).allowed).toBe(false);
    expect((await store.hit('k-free', rule, T0 + 2000)).allowed).toBe(true);
  });

  it('keeps keys, and rules on the same key, independent', async () => {
    for (let i = 0; i < 5; i++) await store.hit('k-a', rule, T0);
    expect((await store.hit('k-a', rule, T0)).allowed).toBe(false);
    expect(await store.hit('k-b', rule, T0)).toEqual({ allowed: true, remaining: 4, retryAfterMs: 0 });
    const other: RateLimitRule = { name: 'contract-other', limit: 5, windowMs: 10_000 };
    expect((await store.hit('k-a', other, T0)).remaining).toBe(4);
    // Same name, other parameters: a fresh count rather than state read in the wrong units.
    const retuned: RateLimitRule = { name: 'contract', limit: 6, windowMs: 10_000 };
    expect((await store.hit('k-a', retuned, T0)).remaining).toBe(5);
  });

  it('treats long and #-prefixed keys safely and distinctly', async () => {
    const tight: RateLimitRule = { name: 'contract-long', limit: 1, windowMs: 10_000 };
    const long1 = `${'x'.repeat(10_000)}1`;
    const long2 = `${'x'.repeat(10_000)}2`;
    expect((await store.hit(long1, tight, T0)).allowed).toBe(true);
    expect((await store.hit(long1, tight, T0)).allowed).toBe(false);
    expect((await store.hit(long2, tight, T0)).allowed).toBe(true);
    expect((await store.hit('#abc', tight, T0)).allowed).toBe(true);
    expect((await store.hit('#abc', tight, T0)).allowed).toBe(false);
  });

  it('is exact when windowMs / limit is not a whole number', async () => {
    const thirds: RateLimitRule = { name: 'contract-thirds', limit: 3, windowMs: 1000 };
    for (let i = 0; i < 3; i++) expect((await store.hit('k-thirds', thirds, T0)).allowed).toBe(true);
    expect(await store.hit('k-thirds', thirds, T0 + 333)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1,
    });
    expect((await store.hit('k-thirds', thirds, T0 + 334)).allowed).toBe(true);
    // After a full window from the last hit, exactly the burst again.
    const later = T0 + 334 + 1000;
    for (let i = 0; i < 3; i++) expect((await store.hit('k-thirds', thirds, later)).allowed).toBe(true);
    expect((await store.hit('k-thirds', thirds, later)).allowed).toBe(false);
  });

  it('holds huge limits exactly (limit * windowMs near 2^53)', async () => {
    const huge: RateLimitRule = { name: 'contract-huge', limit: 1_000_000_000, windowMs: 9_000_000 };
    expect((await store.hit('k-huge', huge, T0)).remaining).toBe(999_999_999);
    expect((await store.hit('k-huge', huge, T0)).remaining).toBe(999_999_998);
    const day: RateLimitRule = { name: 'contract-day', limit: 1, windowMs: 86_400_000 };
    expect((await store.hit('k-day', day, T0)).allowed).toBe(true);
    expect((await store.hit('k-day', day, T0 + 3_600_000)).retryAfterMs).toBe(82_800_000);
  });

  it('refunds nothing when the clock steps backwards', async () => {
    for (let i = 0; i < 5; i++) await store.hit('k-back', rule, T0);
    expect((await store.hit('k-back', rule, T0 - 60_000)).allowed).toBe(false);
    expect((await store.hit('k-back', rule, T0 + 1999)).allowed).toBe(false);
    expect((await store.hit('k-back', rule, T0 + 2000)).allowed).toBe(true);
  });

  it('is atomic: 200 concurrent hits on one key with limit 50 allow exactly 50', async () => {
    const fifty: RateLimitRule = { name: 'contract-atomic', limit: 50, windowMs: 60_000 };
    const hits = await Promise.all(Array.from({ length: 200 }, () => store.hit('k-atomic', fifty, T0)));
    expect(hits.filter((hit) => hit.allowed)).toHaveLength(50);
    expect(hits.filter((hit) => !hit.allowed).every((hit) => hit.retryAfterMs === 1200)).toBe(true);
    expect(new Set(hits.filter((hit) => hit.allowed).map((hit) => hit.remaining)).size).toBe(50);
  });

  if (multiConnection) {
    it('is atomic across connections: 200 concurrent hits over 4 stores allow exactly 50', async () => {
      const stores = harness.makeMany!(4);
      extra.push(...stores);
      const fifty: RateLimitRule = { name: 'contract-atomic-many', limit: 50, windowMs: 60_000 };
      const hits = await Promise.all(
        Array.from({ length: 200 }, (_, i) => stores[i % 4]!.hit('k-atomic-many', fifty, T0)),
      );
      expect(hits.filter((hit) => hit.allowed)).toHaveLength(50);
    });
  }

  it('matches the reference GCRA step for step on a random workload, and never exceeds its bound', async () => {
    const random = mulberry32(20260101);
    const rules: RateLimitRule[] = [
      { name: 'contract-prop-a', limit: 7, windowMs: 1000 },
      { name: 'contract-prop-b', limit: 3, windowMs: 10_000 },
    ];
    for (const propRule of rules) {
      let now = T0;
      let state: GcraState | undefined;
      const allowedAt: number[] = [];
      for (let i = 0; i < 300; i++) {
        now += Math.floor(random() * (propRule.windowMs / propRule.limit) * 1.5);
        const expected = gcraHit(state, propRule, now);
        if (expected.next) state = expected.next;
        const actual = await store.hit('k-prop', propRule, now);
        expect(actual).toEqual({
          allowed: expected.allowed,
          remaining: expected.remaining,
          retryAfterMs: expected.retryAfterMs,
        });
        if (actual.allowed) allowedAt.push(now);
      }
      // Over any span of D ms: at most limit + floor(D * limit / windowMs) allowed.
      const violations: string[] = [];
      for (let a = 0; a < allowedAt.length; a++) {
        for (let b = a; b < allowedAt.length; b++) {
          const span = allowedAt[b]! - allowedAt[a]!;
          const bound = propRule.limit + Math.floor((span * propRule.limit) / propRule.windowMs);
          if (b - a + 1 > bound) violations.push(`${b - a + 1} allowed in ${span} ms`);
        }
      }
      expect(violations).toEqual([]);
      expect(allowedAt.length).toBeGreaterThan(propRule.limit); // the workload did exercise refills
    }
  });
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('memory store: rate-limit behaviour', () => {
  storeContract(() => ({ make: () => createMemoryStore() }));
});

const redis = await redisAvailability();

describe.runIf(redis.run)(`Redis store (caller clock): rate-limit behaviour${redis.titleNote}`, () => {
  let admin: Redis;
  beforeAll(() => {
    admin = adminClient();
  });
  afterAll(() => {
    admin.disconnect();
  });

  it('can reach Redis (required when CI=true)', () => {
    expect(redis.unreachable, `Redis at ${TEST_REDIS_URL}`).toBeUndefined();
  });

  storeContract(() => {
    const keyPrefix = uniquePrefix();
    const make = () =>
      createRedisStore({ url: TEST_REDIS_URL, keyPrefix, clock: 'caller', commandTimeoutMs: 2000 });
    return {
      make,
      makeMany: (count) => Array.from({ length: count }, make),
      cleanup: () => deleteWithPrefix(admin, keyPrefix),
    };
  }, true);
});
