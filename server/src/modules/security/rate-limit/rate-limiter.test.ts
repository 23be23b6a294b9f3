import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createMemoryStore,
  createRateLimiter,
  createRedisStore,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitRule,
  type RateLimitStore,
  RedisUnavailableError,
  retryAfterSeconds,
  tooManyRequests,
} from './rate-limiter.ts';
import {
  adminClient,
  deleteWithPrefix,
  redisAvailability,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const rule: RateLimitRule = { name: 'limiter', limit: 3, windowMs: 3000 };

/** Delegates to a real store, or fails while told to: Redis going away and coming back, by hand. */
function switchable(inner: RateLimitStore = createMemoryStore()) {
  const state = { failing: false, calls: 0 };
  const store: RateLimitStore = {
    hit(key, hitRule, nowMs) {
      state.calls++;
      return state.failing ? Promise.reject(new Error('connection refused')) : inner.hit(key, hitRule, nowMs);
    },
    close: () => inner.close(),
  };
  return { store, state };
}

/** A clock for the limiter's failover bookkeeping, moved by hand. */
function manualClock(start = 0) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

async function checks(
  limiter: RateLimiter,
  count: number,
  key = 'k',
  nowMs = T0,
): Promise<RateLimitDecision[]> {
  const out: RateLimitDecision[] = [];
  for (let i = 0; i < count; i++) out.push(await limiter.check(rule, key, nowMs));
  return out;
}

describe('rate limiter: decisions', () => {
  it('answers with typed decisions, and the parts of a 429', async () => {
    const limiter = createRateLimiter({ store: createMemoryStore() });
    const [first, second, third, refused] = await checks(limiter, 4);
    expect(first).toEqual({
      rule: 'limiter',
      limit: 3,
      source: 'primary',
      allowed: true,
      remaining: 2,
      retryAfterMs: 0,
      retryAfterSeconds: 0,
    });
    expect([second?.remaining, third?.remaining]).toEqual([1, 0]);
    expect(refused).toEqual({
      rule: 'limiter',
      limit: 3,
      source: 'primary',
      allowed: false,
      remaining: 0,
      retryAfterMs: 1000,
      retryAfterSeconds: 1,
    });
    if (refused?.allowed !== false) throw new Error('expected a refusal');
    expect(tooManyRequests(refused)).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'Too many requests; try again in 1 second',
      retryAfterSeconds: 1,
      headers: { 'retry-after': '1' },
    });
    const later = await limiter.check(rule, 'k', T0 + 1);
    expect(later).toMatchObject({ allowed: false, retryAfterMs: 999, retryAfterSeconds: 1 });
    await limiter.close();
  });

  it('rounds Retry-After up to whole seconds', () => {
    expect([1, 999, 1000, 1001, 2500].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 3]);
  });

  it('throws on an invalid rule without counting it as a store failure', async () => {
    const { store, state } = switchable();
    const onStoreError = vi.fn();
    const limiter = createRateLimiter({ store, onStoreError });
    await expect(limiter.check({ name: 'bad', limit: -1, windowMs: 1000 }, 'k')).rejects.toThrow(TypeError);
    expect(state.calls).toBe(0);
    expect(onStoreError).not.toHaveBeenCalled();
    expect(limiter.usingFallback).toBe(false);
  });
});

describe('rate limiter: fails open to local memory', () => {
  it('answers from the fallback store while the primary fails, still limiting, and reports it', async () => {
    const { store, state } = switchable();
    state.failing = true;
    const onStoreError = vi.fn();
    const limiter = createRateLimiter({ store, onStoreError, clock: manualClock().read });
    const decisions = await checks(limiter, 5);
    expect(decisions.map((d) => [d.source, d.allowed])).toEqual([
      ['fallback', true],
      ['fallback', true],
      ['fallback', true],
      ['fallback', false],
      ['fallback', false],
    ]);
    expect(limiter.usingFallback).toBe(true);
    expect(onStoreError).toHaveBeenCalledTimes(1);
    expect(onStoreError).toHaveBeenCalledWith(expect.objectContaining({ message: 'connection refused' }), {
      failures: 1,
    });
  });

  it('leaves a failed primary alone for retryPrimaryAfterMs, then probes it', async () => {
    const { store, state } = switchable();
    state.failing = true;
    const clock = manualClock();
    const limiter = createRateLimiter({ store, retryPrimaryAfterMs: 1000, clock: clock.read });
    await checks(limiter, 10);
    expect(state.calls).toBe(1);
    clock.now += 999;
    await checks(limiter, 10);
    expect(state.calls).toBe(1);
    clock.now += 1;
    await checks(limiter, 10);
    expect(state.calls).toBe(2); // one probe, failed: the next waits another second
  });

  it('reports at most once per 30 s, with the failures since the last report', async () => {
    const { store, state } = switchable();
    state.failing = true;
    const clock = manualClock();
    const onStoreError = vi.fn();
    const limiter = createRateLimiter({ store, onStoreError, retryPrimaryAfterMs: 0, clock: clock.read });
    for (let second = 0; second < 30; second++) {
      await checks(limiter, 2);
      clock.now += 1000;
    }
    expect(state.calls).toBe(60);
    expect(onStoreError).toHaveBeenCalledTimes(1);
    await limiter.check(rule, 'k', T0); // 30 s after the first report
    expect(onStoreError).toHaveBeenCalledTimes(2);
    expect(onStoreError.mock.calls[1]?.[1]).toEqual({ failures: 60 });
  });

  it('goes back to the primary once it answers again, and says so', async () => {
    const { store, state } = switchable();
    const clock = manualClock();
    const onStoreError = vi.fn();
    const onStoreRecovered = vi.fn();
    const limiter = createRateLimiter({ store, onStoreError, onStoreRecovered, clock: clock.read });
    expect((await limiter.check(rule, 'k', T0)).source).toBe('primary');
    state.failing = true;
    expect((await limiter.check(rule, 'k', T0)).source).toBe('fallback');
    clock.now += 1000;
    expect((await limiter.check(rule, 'k', T0)).source).toBe('fallback'); // a failed probe
    expect(limiter.usingFallback).toBe(true);
    state.failing = false;
    expect((await limiter.check(rule, 'k', T0)).source).toBe('fallback'); // not yet time to probe
    clock.now += 1000;
    const back = await limiter.check(rule, 'k', T0);
    expect(back).toMatchObject({ source: 'primary', allowed: true, remaining: 1 }); // the primary's 2nd hit
    expect(limiter.usingFallback).toBe(false);
    expect(onStoreRecovered).toHaveBeenCalledWith({ failures: 2, downForMs: 2000 });
    expect((await limiter.check(rule, 'k', T0)).source).toBe('primary');
    // A new failure within 30 s of the last report falls back again, quietly.
    state.failing = true;
    expect((await limiter.check(rule, 'k', T0)).source).toBe('fallback');
    expect(onStoreError).toHaveBeenCalledTimes(1);
  });

  it('sends one probe at a time; the rest use the fallback meanwhile', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    let failing = true;
    const inner = createMemoryStore();
    const store: RateLimitStore = {
      async hit(key, hitRule, nowMs) {
        calls++;
        if (failing) throw new Error('down');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return inner.hit(key, hitRule, nowMs);
      },
      close: () => inner.close(),
    };
    const clock = manualClock();
    const limiter = createRateLimiter({ store, clock: clock.read });
    await limiter.check(rule, 'k', T0);
    failing = false;
    clock.now += 1000;
    const probe = limiter.check(rule, 'k', T0);
    const others = await checks(limiter, 3, 'other');
    expect(others.every((d) => d.source === 'fallback')).toBe(true);
    expect(calls).toBe(2);
    release?.();
    expect((await probe).source).toBe('primary');
  });

  it('bounds a primary that hangs with timeoutMs', async () => {
    const onStoreError = vi.fn();
    const hanging: RateLimitStore = { hit: () => new Promise(() => {}), close: async () => {} };
    const limiter = createRateLimiter({ store: hanging, timeoutMs: 50, onStoreError });
    const started = performance.now();
    const decision = await limiter.check(rule, 'k');
    expect(performance.now() - started).toBeLessThan(500);
    expect(decision).toMatchObject({ source: 'fallback', allowed: true });
    expect(onStoreError.mock.calls[0]?.[0]).toMatchObject({ name: 'StoreTimeoutError' });
  });

  it('survives an onStoreError that throws', async () => {
    const { store, state } = switchable();
    state.failing = true;
    const limiter = createRateLimiter({
      store,
      onStoreError: () => {
        throw new Error('logger broke');
      },
    });
    expect(await limiter.check(rule, 'k')).toMatchObject({ source: 'fallback', allowed: true });
  });

  it('throws when the fallback fails too', async () => {
    const { store, state } = switchable();
    state.failing = true;
    const broken: RateLimitStore = {
      hit: () => Promise.reject(new Error('no memory')),
      close: async () => {},
    };
    const limiter = createRateLimiter({ store, fallback: broken });
    await expect(limiter.check(rule, 'k')).rejects.toThrow('no memory');
  });

  it('with Redis on a closed port: answers from memory within the command timeout, limiting, reporting once', async () => {
    const onStoreError = vi.fn();
    const limiter = createRateLimiter({
      store: createRedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 }),
      onStoreError,
    });
    try {
      const decisions: RateLimitDecision[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        decisions.push(await limiter.check(rule, 'k', T0));
        expect(performance.now() - started).toBeLessThan(200 + 250);
      }
      expect(decisions.map((d) => [d.source, d.allowed])).toEqual([
        ['fallback', true],
        ['fallback', true],
        ['fallback', true],
        ['fallback', false],
        ['fallback', false],
      ]);
      expect(onStoreError).toHaveBeenCalledTimes(1);
      expect(onStoreError.mock.calls[0]?.[0]).toBeInstanceOf(RedisUnavailableError);
    } finally {
      await limiter.close();
    }
  });
});

const redis = await redisAvailability();

/** A TCP relay to Redis that can be cut and restored on the same port: a real outage, made to order. */
async function redisRelay() {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  async function start() {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  }
  async function stop() {
    const closing = new Promise<void>((resolve) => server?.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closing;
  }
  await start();
  return { url: () => `redis://127.0.0.1:${port}`, start, stop };
}

describe.runIf(redis.run)(`rate limiter over Redis${redis.titleNote}`, () => {
  let admin: Redis;
  let keyPrefix: string;
  const limiters: RateLimiter[] = [];
  const limiterOn = (url: string, options: Partial<Parameters<typeof createRateLimiter>[0]> = {}) => {
    const limiter = createRateLimiter({
      store: createRedisStore({ url, keyPrefix, commandTimeoutMs: 500 }),
      ...options,
    });
    limiters.push(limiter);
    return limiter;
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
    await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
    await deleteWithPrefix(admin, keyPrefix);
  });

  it('can reach Redis (required when CI=true)', () => {
    expect(redis.unreachable, `Redis at ${TEST_REDIS_URL}`).toBeUndefined();
  });

  it('two limiter instances sharing Redis share the count', async () => {
    const a = limiterOn(TEST_REDIS_URL);
    const b = limiterOn(TEST_REDIS_URL);
    const shared: RateLimitRule = { name: 'shared', limit: 10, windowMs: 60_000 };
    const decisions: RateLimitDecision[] = [];
    for (let i = 0; i < 14; i++) decisions.push(await (i % 2 === 0 ? a : b).check(shared, 'user:7'));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.every((d) => d.source === 'primary')).toBe(true);
    expect(decisions.at(-1)).toMatchObject({ allowed: false, retryAfterSeconds: 6 });
  });

  it('200 concurrent checks through two limiters, limit 50: exactly 50 allowed', async () => {
    const a = limiterOn(TEST_REDIS_URL);
    const b = limiterOn(TEST_REDIS_URL);
    const fifty: RateLimitRule = { name: 'atomic', limit: 50, windowMs: 60_000 };
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).check(fifty, 'hot')),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect(decisions.every((d) => d.source === 'primary')).toBe(true);
  });

  it('rides out a real Redis outage on memory and returns to Redis when it is back', async () => {
    const relay = await redisRelay();
    const onStoreError = vi.fn();
    const onStoreRecovered = vi.fn();
    const limiter = limiterOn(relay.url(), { onStoreError, onStoreRecovered, retryPrimaryAfterMs: 100 });
    const outage: RateLimitRule = { name: 'outage', limit: 5, windowMs: 60_000 };
    try {
      expect(await limiter.check(outage, 'k')).toMatchObject({ source: 'primary', remaining: 4 });
      await relay.stop();
      const started = performance.now();
      const during = await limiter.check(outage, 'k');
      expect(performance.now() - started).toBeLessThan(500 + 250);
      expect(during).toMatchObject({ source: 'fallback', remaining: 4 }); // memory counts on its own
      expect(onStoreError).toHaveBeenCalledTimes(1);
      await relay.start();
      let back: RateLimitDecision | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        back = await limiter.check(outage, 'k');
        if (back.source === 'primary') break;
        await sleep(50);
      }
      expect(back).toMatchObject({ source: 'primary', remaining: 3 }); // Redis's count resumes
      expect(limiter.usingFallback).toBe(false);
      expect(onStoreRecovered).toHaveBeenCalledTimes(1);
    } finally {
      await relay.stop();
    }
  });
});
