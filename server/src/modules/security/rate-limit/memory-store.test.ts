import { describe, expect, it } from 'vitest';
import { createMemoryStore, DEFAULT_MEMORY_MAX_KEYS } from './memory-store.ts';
import type { RateLimitRule } from './types.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const rule: RateLimitRule = { name: 'mem', limit: 3, windowMs: 60_000 };

describe('memory store: bounded memory', () => {
  it('stays within maxKeys under 100k distinct keys', async () => {
    const store = createMemoryStore({ maxKeys: 1000 });
    for (let i = 0; i < 100_000; i++) {
      expect((await store.hit(`spray-${i}`, rule, T0 + i)).allowed).toBe(true);
      if (i % 10_000 === 0) expect(store.stats().size).toBeLessThanOrEqual(1000);
    }
    expect(store.stats()).toEqual({ size: 1000, expired: 0, evicted: 99_000 });
  });

  it('stays within the default bound under 100k distinct keys', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 100_000; i++) await store.hit(`spray-${i}`, rule, T0);
    expect(store.stats().size).toBe(DEFAULT_MEMORY_MAX_KEYS);
    expect(store.stats().evicted).toBe(100_000 - DEFAULT_MEMORY_MAX_KEYS);
  });

  it('drops drained keys as other keys are hit, without any sweep of its own', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 100; i++) await store.hit(`idle-${i}`, rule, T0);
    expect(store.stats().size).toBe(100);
    // One hit drains in windowMs / limit = 20 s; from then on each hit drops up to 4 stale keys.
    for (let i = 0; i < 30; i++) await store.hit(`later-${i}`, rule, T0 + 20_000);
    expect(store.stats()).toEqual({ size: 30, expired: 100, evicted: 0 });
  });

  it('forgets a drained key: it gets its full burst, as a new key would', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 3; i++) await store.hit('a', rule, T0);
    for (let i = 0; i < 3; i++) await store.hit('b', rule, T0);
    expect((await store.hit('a', rule, T0 + 59_999)).remaining).toBe(1); // not quite drained
    expect((await store.hit('b', rule, T0 + 60_000)).remaining).toBe(2);
    expect(store.stats().expired).toBe(1);
  });

  it('keeps a client that keeps getting refused limited, however many keys are sprayed meanwhile', async () => {
    const store = createMemoryStore({ maxKeys: 100 });
    for (let i = 0; i < 3; i++) await store.hit('attacker', rule, T0);
    for (let i = 0; i < 10_000; i++) {
      await store.hit(`spray-${i}`, rule, T0);
      if (i % 50 === 0) expect((await store.hit('attacker', rule, T0)).allowed).toBe(false);
    }
    expect((await store.hit('attacker', rule, T0)).allowed).toBe(false);
    expect(store.stats().size).toBe(100);
  });

  it('the documented trade-off: a limited key left idle while more than maxKeys others arrive is forgotten', async () => {
    const store = createMemoryStore({ maxKeys: 100 });
    for (let i = 0; i < 3; i++) await store.hit('idle-limited', rule, T0);
    for (let i = 0; i < 100; i++) await store.hit(`spray-${i}`, rule, T0);
    expect((await store.hit('idle-limited', rule, T0)).allowed).toBe(true);
  });

  it('rejects a bad maxKeys and bad rules', async () => {
    expect(() => createMemoryStore({ maxKeys: 0 })).toThrow(TypeError);
    const store = createMemoryStore();
    await expect(store.hit('k', { name: 'x', limit: 0, windowMs: 1000 }, T0)).rejects.toThrow(/limit/);
    await expect(store.hit('k', { name: 'x', limit: 1.5, windowMs: 1000 }, T0)).rejects.toThrow(/limit/);
    await expect(store.hit('k', { name: 'x', limit: 1, windowMs: -1 }, T0)).rejects.toThrow(/windowMs/);
    await expect(store.hit('k', { name: '', limit: 1, windowMs: 1 }, T0)).rejects.toThrow(/name/);
    await expect(store.hit('k', { name: 'x', limit: 2 ** 30, windowMs: 2 ** 30 }, T0)).rejects.toThrow(
      /2\^53/,
    );
  });

  it('close() empties it', async () => {
    const store = createMemoryStore();
    await store.hit('k', rule, T0);
    await store.close();
    expect(store.stats().size).toBe(0);
  });
});
