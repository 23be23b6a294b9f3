import { Redis } from 'ioredis';
import { assertValidRule, storageKey } from './gcra.ts';
import type { RateLimitHit, RateLimitStore } from './types.ts';

/**
 * The shared store: every instance of the service counts against the same Redis keys.
 *
 * Atomic per key: each hit is one Lua script (the GCRA step of gcra.ts, line for line) that reads,
 * decides and writes in one go, so concurrent hits from any number of instances never over-admit.
 * ioredis sends it by EVALSHA and falls back to EVAL when the server answers NOSCRIPT (a restarted
 * or flushed Redis). Each key is written with SET ... PX, expiring when its state has drained, so
 * nothing lingers after a burst.
 *
 * Clock: by default the script reads Redis's own TIME and ignores the caller's `nowMs`, so all
 * instances measure against one clock and a skewed host clock can neither refund nor stall anyone.
 * `clock: 'caller'` uses `nowMs` instead (for tests that move time by hand, or a single instance);
 * don't mix the two modes on one key prefix. Needs Redis 5 or newer (scripts that call TIME).
 *
 * Failure: a hit rejects, never hangs, when Redis is unreachable: immediately while the client is
 * between reconnect attempts, otherwise after `commandTimeoutMs`. Nothing is queued while offline,
 * so a hit that failed over to another store is not replayed into Redis later. ioredis keeps
 * reconnecting in the background (backoff capped at 2 s), so hits succeed again once Redis is back.
 * What to do on failure is the limiter's business (rate-limiter.ts).
 */

export interface RedisStoreOptions {
  url: string;
  /** Prepended to every key; use one per application and environment. Default `sv:rl:`. */
  keyPrefix?: string;
  /** Longest wait for one hit, connecting included. Default 250 ms. */
  commandTimeoutMs?: number;
  /** Whose clock the window runs on; see above. Default `redis`. */
  clock?: 'redis' | 'caller';
}

export const DEFAULT_REDIS_KEY_PREFIX = 'sv:rl:';
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250;

/** Mirrors gcraHit in gcra.ts. ARGV: limit, windowMs, nowMs (negative: use Redis TIME). */
const GCRA_LUA = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local capacity = window * limit
local debt = 0
local state = redis.call('GET', KEYS[1])
if state then
  local d, last = string.match(state, '^(%d+) (%d+)$')
  if d then
    local elapsed = now - tonumber(last)
    if elapsed < 0 then elapsed = 0 end
    if elapsed < window then
      debt = tonumber(d) - elapsed * limit
      if debt < 0 then debt = 0 end
    end
  end
end
local after = debt + window
if after > capacity then
  return {0, 0, math.ceil((after - capacity) / limit)}
end
-- At least a second: a drained state reads as empty anyway, and a key that expired between two
-- hits of one instant (a huge limit drains in microseconds) would forget the first of them.
redis.call('SET', KEYS[1], string.format('%.0f %.0f', after, now), 'PX', math.max(1000, math.ceil(after / limit)))
return {1, math.floor((capacity - after) / window), 0}
`;

/** The script, as ioredis's defineCommand attaches it to the client. */
interface WithGcraCommand {
  svRateLimitHit(key: string, limit: number, windowMs: number, nowMs: number): Promise<unknown>;
}

export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

export interface RedisRateLimitStore extends RateLimitStore {
  /** The ioredis connection state (`ready` when hits go through). */
  readonly status: string;
}

export function createRedisStore(options: RedisStoreOptions): RedisRateLimitStore {
  const keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const useRedisClock = (options.clock ?? 'redis') === 'redis';
  if (!(timeoutMs > 0)) throw new TypeError(`commandTimeoutMs must be positive, got ${timeoutMs}`);

  const client = new Redis(options.url, {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2000),
    connectionName: 'rate-limit',
  });
  client.defineCommand('svRateLimitHit', { numberOfKeys: 1, lua: GCRA_LUA });
  const scripted = client as unknown as WithGcraCommand;

  let lastConnectionError: Error | undefined;
  let closed = false;
  const waiters = new Set<{ settle(error?: Error): void }>();
  const settleWaiters = (error?: Error) => {
    for (const waiter of waiters) waiter.settle(error);
  };
  // Connection errors arrive as events; without a listener ioredis prints them. Hits report them.
  client.on('error', (error: Error) => {
    lastConnectionError = error;
  });
  client.on('ready', () => {
    lastConnectionError = undefined;
    settleWaiters();
  });
  client.on('end', () => settleWaiters(new RedisUnavailableError('Redis rate-limit store is closed')));

  function unavailable(what: string): RedisUnavailableError {
    const cause = lastConnectionError;
    return new RedisUnavailableError(
      `Redis rate-limit store ${what} (connection ${client.status}${cause ? `: ${cause.message}` : ''})`,
      cause ? { cause } : undefined,
    );
  }

  /** Resolves once connected; rejects at once between reconnect attempts, or after the timeout. */
  function ready(): Promise<void> {
    const status = client.status;
    if (closed || status === 'end') return Promise.reject(unavailable('is closed'));
    if (status === 'ready') return Promise.resolve();
    if (status === 'reconnecting' || status === 'close') return Promise.reject(unavailable('is unreachable'));
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        settle(error?: Error) {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolve();
        },
      };
      const timer = setTimeout(
        () => waiter.settle(unavailable(`did not connect within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.add(waiter);
    });
  }

  return {
    get status() {
      return client.status;
    },

    async hit(key, rule, nowMs): Promise<RateLimitHit> {
      assertValidRule(rule);
      await ready();
      const reply = await scripted.svRateLimitHit(
        `${keyPrefix}${storageKey(rule, key)}`,
        rule.limit,
        rule.windowMs,
        useRedisClock ? -1 : Math.max(0, Math.floor(nowMs)),
      );
      if (
        !Array.isArray(reply) ||
        reply.length !== 3 ||
        !reply.every((value): value is number => typeof value === 'number')
      ) {
        throw new Error(`Unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
      }
      const [allowed, remaining, retryAfterMs] = reply as [number, number, number];
      return { allowed: allowed === 1, remaining, retryAfterMs };
    },

    async close() {
      if (closed) return;
      closed = true;
      if (client.status === 'ready') {
        try {
          await client.quit();
          return;
        } catch {
          // fall through: drop the connection instead
        }
      }
      client.disconnect();
      settleWaiters(new RedisUnavailableError('Redis rate-limit store is closed'));
    },
  };
}
