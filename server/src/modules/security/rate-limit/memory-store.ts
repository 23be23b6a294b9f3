import { assertValidRule, type GcraState, gcraHit, storageKey } from './gcra.ts';
import type { RateLimitHit, RateLimitRule, RateLimitStore } from './types.ts';

/**
 * A per-process store: the limiter's fallback while Redis is unreachable, or the only store of a
 * single-instance deployment.
 *
 * Atomic per key because `hit` runs start to finish synchronously (the promise only wraps the answer).
 *
 * Bounded memory: at most `maxKeys` keys are held, whatever the traffic. Entries sit in a Map kept in
 * least-recently-touched order (every hit, allowed or refused, moves its key to the back). Each hit
 * first drops a few expired entries from the front, so idle keys go without a full sweep; then, if a
 * new key would exceed `maxKeys`, the least recently touched key is evicted even though it has not
 * expired. The trade-off, under a key-spraying attack: memory stays at `maxKeys` entries
 * (~200 bytes each), and a client that is being refused keeps its place because each refused try
 * touches it, but a limited key left idle while more than `maxKeys` other keys arrive is forgotten
 * early, so that key gets its full burst again sooner than its window says. Size `maxKeys` above the
 * number of keys one instance legitimately sees within the longest window.
 */

export const DEFAULT_MEMORY_MAX_KEYS = 50_000;

/** How many of the oldest entries each hit inspects for expiry. */
const SWEEP_PER_HIT = 4;

interface Entry extends GcraState {
  expiresAt: number;
}

export interface MemoryStoreStats {
  /** Keys held now (never above maxKeys). */
  size: number;
  /** Keys dropped because their state had drained. */
  expired: number;
  /** Keys dropped before draining because the store was full. */
  evicted: number;
}

export interface MemoryRateLimitStore extends RateLimitStore {
  stats(): MemoryStoreStats;
}

export function createMemoryStore(options: { maxKeys?: number } = {}): MemoryRateLimitStore {
  const maxKeys = options.maxKeys ?? DEFAULT_MEMORY_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new TypeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  }
  const entries = new Map<string, Entry>();
  let expired = 0;
  let evicted = 0;

  function sweep(nowMs: number): void {
    let inspected = 0;
    for (const [key, entry] of entries) {
      if (inspected++ >= SWEEP_PER_HIT) break;
      if (entry.expiresAt <= nowMs) {
        entries.delete(key);
        expired++;
      }
    }
  }

  function hitSync(key: string, rule: RateLimitRule, nowMs: number): RateLimitHit {
    assertValidRule(rule);
    const now = Math.floor(nowMs);
    const id = storageKey(rule, key);
    sweep(now);
    let entry = entries.get(id);
    if (entry && entry.expiresAt <= now) {
      entries.delete(id);
      expired++;
      entry = undefined;
    }
    const outcome = gcraHit(entry, rule, now);
    if (outcome.next) {
      entries.delete(id); // re-inserted below at the back: most recently touched
      entries.set(id, { ...outcome.next, expiresAt: now + outcome.ttlMs });
      while (entries.size > maxKeys) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
        evicted++;
      }
    } else if (entry) {
      entries.delete(id);
      entries.set(id, entry);
    }
    return { allowed: outcome.allowed, remaining: outcome.remaining, retryAfterMs: outcome.retryAfterMs };
  }

  return {
    hit(key, rule, nowMs) {
      try {
        return Promise.resolve(hitSync(key, rule, nowMs));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    stats: () => ({ size: entries.size, expired, evicted }),
    async close() {
      entries.clear();
    },
  };
}
