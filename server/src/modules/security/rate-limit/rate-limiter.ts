import { assertValidRule } from './gcra.ts';
import { createMemoryStore } from './memory-store.ts';
import type { RateLimitHit, RateLimitRule, RateLimitStore } from './types.ts';

/**
 * The rate limiter: a rule, a key, an answer. No HTTP here; `tooManyRequests` gives the 429's parts.
 *
 * Algorithm: GCRA in integer arithmetic (gcra.ts): `limit` requests back to back, then one every
 * `windowMs / limit`; exact, one small value per key, atomic per key in both stores.
 *
 * Which way it fails: OPEN TO LOCAL MEMORY. When the primary store (Redis) errors or times out,
 * the request is answered by the fallback store, a bounded in-process memory store unless another
 * is given, so limiting goes on per instance: nobody is refused because Redis is down, and nobody
 * is let through unlimited either. While it lasts, each of N instances admits up to the rule's
 * limit on its own, so a client spread over them can get up to N times the limit; counts made in
 * memory are not carried over to Redis afterwards (nor Redis's into memory).
 * After a failure, the primary is left alone for `retryPrimaryAfterMs` (requests go straight to the
 * fallback, paying no timeout), then one request at a time probes it; the first probe that succeeds
 * switches back to it. Failures are reported through `onStoreError` at most once per
 * `errorReportIntervalMs` (30 s), with the number of failures since the previous report, so an
 * outage cannot flood the log. Errors of the fallback itself, and invalid rules, are thrown.
 */

export { createMemoryStore, type MemoryRateLimitStore, type MemoryStoreStats } from './memory-store.ts';
export {
  createRedisStore,
  type RedisRateLimitStore,
  type RedisStoreOptions,
  RedisUnavailableError,
} from './redis-store.ts';
export type { RateLimitHit, RateLimitRule, RateLimitStore } from './types.ts';

interface DecisionBase {
  /** The rule's name. */
  rule: string;
  limit: number;
  /** Which store answered: `fallback` while the primary store is failing. */
  source: 'primary' | 'fallback';
}

export interface RateLimitAllowed extends DecisionBase {
  allowed: true;
  remaining: number;
  retryAfterMs: 0;
  retryAfterSeconds: 0;
}

export interface RateLimitRefused extends DecisionBase {
  allowed: false;
  remaining: 0;
  /** >= 1. */
  retryAfterMs: number;
  /** `Math.ceil(retryAfterMs / 1000)`, so >= 1: the Retry-After header's value. */
  retryAfterSeconds: number;
}

export type RateLimitDecision = RateLimitAllowed | RateLimitRefused;

/** Everything a route needs to answer a refused request; the HTTP wiring is not part of this module. */
export interface TooManyRequests {
  statusCode: 429;
  code: 'RATE_LIMITED';
  message: string;
  retryAfterSeconds: number;
  headers: { 'retry-after': string };
}

export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.ceil(retryAfterMs / 1000);
}

export function tooManyRequests(decision: RateLimitRefused): TooManyRequests {
  const seconds = decision.retryAfterSeconds;
  return {
    statusCode: 429,
    code: 'RATE_LIMITED',
    message: `Too many requests; try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
    retryAfterSeconds: seconds,
    headers: { 'retry-after': String(seconds) },
  };
}

export interface StoreErrorReport {
  /** Failures since the previous report, this one included. */
  failures: number;
}

export interface StoreRecoveryReport {
  /** Failures during the outage. */
  failures: number;
  downForMs: number;
}

export interface RateLimiterOptions {
  store: RateLimitStore;
  /** Answers while `store` fails. Default: a memory store with default bounds. */
  fallback?: RateLimitStore;
  /** Called at most once per `errorReportIntervalMs` while `store` fails. Must not throw (ignored if it does). */
  onStoreError?(error: unknown, report: StoreErrorReport): void;
  /** Called when `store` answers again after failing. */
  onStoreRecovered?(report: StoreRecoveryReport): void;
  /** Default 30 000 ms. */
  errorReportIntervalMs?: number;
  /** How long to leave a failing store alone before probing it again. Default 1 000 ms. */
  retryPrimaryAfterMs?: number;
  /**
   * Extra bound on one primary hit, for stores without their own (the Redis store has
   * `commandTimeoutMs`). Default: none.
   */
  timeoutMs?: number;
  /** Wall clock for the failover bookkeeping (not for the windows). Default `Date.now`. */
  clock?: () => number;
}

export interface RateLimiter {
  /** Counts one request for `key` under `rule`. `nowMs` defaults to `Date.now()`. */
  check(rule: RateLimitRule, key: string, nowMs?: number): Promise<RateLimitDecision>;
  /** True while requests are answered by the fallback store. */
  readonly usingFallback: boolean;
  /** Closes the primary and fallback stores. */
  close(): Promise<void>;
}

class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`Rate-limit store did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function decide(rule: RateLimitRule, hit: RateLimitHit, source: DecisionBase['source']): RateLimitDecision {
  const base = { rule: rule.name, limit: rule.limit, source };
  if (hit.allowed) {
    return { ...base, allowed: true, remaining: hit.remaining, retryAfterMs: 0, retryAfterSeconds: 0 };
  }
  const retryAfterMs = Math.max(1, Math.ceil(hit.retryAfterMs));
  return {
    ...base,
    allowed: false,
    remaining: 0,
    retryAfterMs,
    retryAfterSeconds: retryAfterSeconds(retryAfterMs),
  };
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { store, onStoreError, onStoreRecovered, timeoutMs } = options;
  const fallback = options.fallback ?? createMemoryStore();
  const reportIntervalMs = options.errorReportIntervalMs ?? 30_000;
  const retryPrimaryAfterMs = options.retryPrimaryAfterMs ?? 1_000;
  const clock = options.clock ?? Date.now;

  let down = false;
  let downSince = 0;
  let nextProbeAt = 0;
  let probing = false;
  let outageFailures = 0;
  let unreportedFailures = 0;
  let lastReportAt = Number.NEGATIVE_INFINITY;

  function failed(error: unknown): void {
    const now = clock();
    if (!down) {
      down = true;
      downSince = now;
      outageFailures = 0;
    }
    outageFailures++;
    unreportedFailures++;
    nextProbeAt = now + retryPrimaryAfterMs;
    if (now - lastReportAt >= reportIntervalMs) {
      const report = { failures: unreportedFailures };
      lastReportAt = now;
      unreportedFailures = 0;
      try {
        onStoreError?.(error, report);
      } catch {
        // A broken logger must not turn into refused or failed requests.
      }
    }
  }

  function recovered(): void {
    down = false;
    const report = { failures: outageFailures, downForMs: clock() - downSince };
    try {
      onStoreRecovered?.(report);
    } catch {
      // as above
    }
  }

  return {
    get usingFallback() {
      return down;
    },

    async check(rule, key, nowMs = Date.now()) {
      assertValidRule(rule);
      const probe = down && !probing && clock() >= nextProbeAt;
      if (!down || probe) {
        if (probe) probing = true;
        try {
          const hit = await withTimeout(store.hit(key, rule, nowMs), timeoutMs);
          // Only a probe ends an outage: a request sent before it began may still come back fine.
          if (probe) recovered();
          return decide(rule, hit, 'primary');
        } catch (error) {
          failed(error);
        } finally {
          if (probe) probing = false;
        }
      }
      return decide(rule, await fallback.hit(key, rule, nowMs), 'fallback');
    },

    async close() {
      await Promise.all([store.close(), fallback.close()]);
    },
  };
}
