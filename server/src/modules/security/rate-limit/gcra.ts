import { createHash } from 'node:crypto';
import type { RateLimitHit, RateLimitRule } from './types.ts';

/**
 * The algorithm: GCRA (the generic cell rate algorithm, i.e. a token bucket kept as one number),
 * in integer arithmetic so the JavaScript memory store and the Lua script in Redis agree exactly.
 *
 * A rule { limit: L, windowMs: W } allows L requests back to back (the burst), then one more every
 * W / L milliseconds as the bucket refills. Over any span of D milliseconds at most
 * L + floor(D * L / W) requests are allowed, so the long-run rate is L per W and no burst exceeds L.
 * (It is not a fixed "L per calendar window": right after a full burst, the first refilled request
 * comes W / L later, not W later.) Chosen over the two-window sliding approximation because it is
 * exact rather than estimated, keeps one small value per key, and gives an exact Retry-After.
 *
 * State per key is `debt` and `last`: debt is how far ahead of now the key's "theoretical arrival
 * time" is, measured in units of 1/L ms, so one request costs exactly W units and the bucket holds
 * W * L units, with no fractions (W / L is rarely an integer). Debt drains by L units per ms.
 * A request is allowed when debt + W <= W * L; a refused request changes nothing. A key whose
 * debt has drained to zero is the same as a key never seen, so stores drop it after
 * ceil(debt / L) ms. Every value stays below W * L <= 2^53, so doubles (JavaScript, and Lua 5.1
 * in Redis) hold them exactly.
 */

export interface GcraState {
  /** Units of 1/limit ms still to drain, as of `last`. */
  debt: number;
  /** Epoch ms the debt was measured at. */
  last: number;
}

export interface GcraOutcome extends RateLimitHit {
  /** The state to store after an allowed hit; undefined when refused (nothing changes). */
  next: GcraState | undefined;
  /** Milliseconds after which `next` has drained to nothing and may be forgotten. */
  ttlMs: number;
}

const validatedRules = new WeakSet<RateLimitRule>();

/** Throws a TypeError for a rule that cannot be applied exactly; cheap for a rule already checked. */
export function assertValidRule(rule: RateLimitRule): void {
  if (validatedRules.has(rule)) return;
  const { name, limit, windowMs } = rule;
  if (typeof name !== 'string' || name === '') throw new TypeError('Rate-limit rule needs a name');
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new TypeError(`Rate-limit rule ${name}: limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new TypeError(`Rate-limit rule ${name}: windowMs must be a positive integer, got ${windowMs}`);
  }
  if (!Number.isSafeInteger(limit * windowMs)) {
    throw new TypeError(`Rate-limit rule ${name}: limit * windowMs must be at most 2^53 - 1`);
  }
  validatedRules.add(rule);
}

/** One hit at `nowMs` (whole ms) against `state` (undefined: never seen, or forgotten). */
export function gcraHit(state: GcraState | undefined, rule: RateLimitRule, nowMs: number): GcraOutcome {
  const { limit, windowMs } = rule;
  const capacity = windowMs * limit;
  let debt = 0;
  if (state) {
    // A clock that steps backwards (another instance's, or NTP) drains nothing; it never refunds.
    const elapsed = Math.max(0, nowMs - state.last);
    debt = elapsed >= windowMs ? 0 : Math.max(0, state.debt - elapsed * limit);
  }
  const after = debt + windowMs;
  if (after > capacity) {
    return {
      allowed: false,
      remaining: 0,
      retryAfterMs: Math.ceil((after - capacity) / limit),
      next: undefined,
      ttlMs: 0,
    };
  }
  return {
    allowed: true,
    remaining: Math.floor((capacity - after) / windowMs),
    retryAfterMs: 0,
    next: { debt: after, last: nowMs },
    ttlMs: Math.ceil(after / limit),
  };
}

/**
 * Keys longer than this are hashed, so a caller-supplied key cannot make one entry arbitrarily big.
 * Keys starting with `#` are hashed too, so a raw key can never pose as another key's hash.
 */
const MAX_RAW_KEY_LENGTH = 128;

/**
 * Where a key's state lives: the rule's name and parameters plus the key. A rule whose limit or
 * window changes starts afresh instead of reading state measured in the old units.
 */
export function storageKey(rule: RateLimitRule, key: string): string {
  const safeKey =
    key.length > MAX_RAW_KEY_LENGTH || key.startsWith('#')
      ? `#${createHash('sha256').update(key).digest('base64url')}`
      : key;
  return `${rule.name}:${rule.limit}/${rule.windowMs}:${safeKey}`;
}
