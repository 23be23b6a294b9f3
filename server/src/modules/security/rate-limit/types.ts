/**
 * The shapes every rate-limit store and the limiter share. Kept apart from the implementations so
 * the stores and the limiter import them without importing each other.
 */

/**
 * One limit: at most `limit` requests back to back, refilled at one request every `windowMs / limit`
 * (see gcra.ts for the exact guarantee). `name` separates rules that are applied to the same key,
 * e.g. `login:ip` and `login:user`.
 */
export interface RateLimitRule {
  name: string;
  /** Positive integer: the burst, and the number of requests refilled per `windowMs`. */
  limit: number;
  /** Positive integer, in milliseconds. `limit * windowMs` must be a safe integer. */
  windowMs: number;
}

/** What a store answers for one hit. A refused hit consumes nothing. */
export interface RateLimitHit {
  allowed: boolean;
  /** Requests still allowed right now after this one (0 when refused). */
  remaining: number;
  /** 0 when allowed; otherwise the wait, in whole milliseconds (>= 1), until one request is allowed. */
  retryAfterMs: number;
}

export interface RateLimitStore {
  /**
   * Records one request for `key` under `rule` and says whether it is allowed. Atomic per key: any
   * number of concurrent hits on one key allow exactly as many as sequential hits would.
   * `nowMs` is the caller's clock in epoch milliseconds; a store may use its own clock instead
   * (the Redis store does by default, see redis-store.ts).
   */
  hit(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitHit>;
  close(): Promise<void>;
}
