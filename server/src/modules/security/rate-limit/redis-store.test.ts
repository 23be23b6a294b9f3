import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisRateLimitStore, RedisUnavailableError } from './redis-store.ts';
import {
  adminClient,
  deleteWithPrefix,
  keysWithPrefix,
  redisAvailability,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.ts';
import type { RateLimitRule } from './types.ts';

const redis = await redisAvailability();

describe.runIf(redis.run)(`Redis store: Redis specifics${redis.titleNote}`, () => {
  let admin: Redis;
  let keyPrefix: string;
  const opened: RedisRateLimitStore[] = [];
  const open = (options: Partial<Parameters<typeof createRedisStore>[0]> = {}) => {
    const store = createRedisStore({ url: TEST_REDIS_URL, keyPrefix, ...options });
    opened.push(store);
    return store;
  };

  beforeAll(() => {
    admin = adminClient();
  });
  afterAll(() => {
    admin.disconnect();
  });
  beforeEach(() => {
    keyPrefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await deleteWithPrefix(admin, keyPrefix);
  });

  it('can reach Redis (required when CI=true)', () => {
    expect(redis.unreachable, `Redis at ${TEST_REDIS_URL}`).toBeUndefined();
  });

  it("runs on Redis's clock by default: the caller's nowMs is ignored", async () => {
    const store = open();
    const rule: RateLimitRule = { name: 'redis-clock', limit: 2, windowMs: 400 };
    expect((await store.hit('k', rule, 0)).allowed).toBe(true);
    expect((await store.hit('k', rule, 9e15)).allowed).toBe(true);
    const refused = await store.hit('k', rule, 123);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(200);
    await sleep(refused.retryAfterMs + 20);
    expect((await store.hit('k', rule, 0)).allowed).toBe(true);
  });

  it('writes one key per rule and key, named by the prefix, with a TTL that ends when it has drained', async () => {
    const store = open({ clock: 'caller' });
    const rule: RateLimitRule = { name: 'ttl', limit: 4, windowMs: 60_000 };
    const now = Date.now();
    await store.hit('user:42', rule, now);
    const [key] = await keysWithPrefix(admin, keyPrefix);
    expect(key).toBe(`${keyPrefix}ttl:4/60000:user:42`);
    const firstTtl = await admin.pttl(key!);
    expect(firstTtl).toBeGreaterThan(14_000);
    expect(firstTtl).toBeLessThanOrEqual(15_000); // one hit drains in windowMs / limit
    for (let i = 0; i < 3; i++) await store.hit('user:42', rule, now);
    expect(await admin.pttl(key!)).toBeGreaterThan(59_000); // a full bucket drains in windowMs
    expect(await store.hit('user:42', rule, now)).toMatchObject({ allowed: false });
    expect(await admin.pttl(key!)).toBeLessThanOrEqual(60_000); // refusals don't extend it
  });

  it('leaves nothing behind once the window has passed', async () => {
    const store = open();
    const rule: RateLimitRule = { name: 'linger', limit: 3, windowMs: 150 };
    for (let i = 0; i < 5; i++) await store.hit(`k${i}`, rule, 0);
    expect(await keysWithPrefix(admin, keyPrefix)).toHaveLength(5);
    // A key lives until its state has drained, and at least a second.
    await sleep(1150);
    expect(await keysWithPrefix(admin, keyPrefix)).toHaveLength(0);
  });

  it('reloads its script when Redis has lost it (EVALSHA falls back to EVAL)', async () => {
    const store = open({ clock: 'caller' });
    const rule: RateLimitRule = { name: 'noscript', limit: 3, windowMs: 60_000 };
    expect((await store.hit('k', rule, 1000)).remaining).toBe(2);
    await admin.script('FLUSH');
    expect((await store.hit('k', rule, 1000)).remaining).toBe(1);
    expect((await store.hit('k', rule, 1000)).remaining).toBe(0);
  });

  it('rejects an invalid rule before touching Redis', async () => {
    const store = open();
    await expect(store.hit('k', { name: 'bad', limit: 0, windowMs: 10 }, 0)).rejects.toThrow(TypeError);
  });

  it('rejects once closed; close() twice is fine', async () => {
    const store = open();
    const rule: RateLimitRule = { name: 'closed', limit: 3, windowMs: 1000 };
    await store.hit('k', rule, 0);
    await store.close();
    await store.close();
    await expect(store.hit('k', rule, 0)).rejects.toThrow(RedisUnavailableError);
  });
});

describe('Redis store: unreachable Redis', () => {
  it('rejects within the command timeout, never hangs, and keeps doing so', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
    const rule: RateLimitRule = { name: 'down', limit: 3, windowMs: 1000 };
    try {
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await expect(store.hit('k', rule, Date.now())).rejects.toThrow(RedisUnavailableError);
        expect(performance.now() - started).toBeLessThan(200 + 250);
        await sleep(50);
      }
      expect(store.status).not.toBe('ready');
    } finally {
      await store.close();
    }
  });
});
