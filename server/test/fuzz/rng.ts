import fc from 'fast-check';

/**
 * A small seeded PRNG (mulberry32): the whole fuzz run is a function of its seed, so a failure
 * seen once is seen again on the next run with the same seed.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new Error('pick from an empty list');
    return values[this.int(0, values.length - 1)] as T;
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = (8 + this.int(0, 3)).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  alnum(length: number): string {
    const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    let out = '';
    for (let i = 0; i < length; i += 1) out += chars[this.int(0, chars.length - 1)];
    return out;
  }
}

const patternSamples = new Map<string, string[]>();

/**
 * Strings matching a schema `pattern`, drawn by fast-check from a seed derived from the pattern
 * (deterministic, computed once per pattern).
 */
export function samplesMatching(pattern: string): string[] {
  let samples = patternSamples.get(pattern);
  if (!samples) {
    let seed = 7;
    for (const char of pattern) seed = (Math.imul(seed, 31) + char.charCodeAt(0)) | 0;
    samples = fc.sample(fc.stringMatching(new RegExp(pattern)), { seed, numRuns: 40 });
    patternSamples.set(pattern, samples);
  }
  return samples;
}
