import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  findRecoveryCode,
  generateRecoveryCodes,
  hashRecoveryCode,
  isWellFormedRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_BITS,
} from './recovery-codes.ts';

const FORMAT = /^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$/;

describe('alphabet', () => {
  it('has 32 distinct unambiguous symbols, giving at least 60 bits per code', () => {
    expect(RECOVERY_CODE_ALPHABET).toHaveLength(32);
    expect(new Set(RECOVERY_CODE_ALPHABET).size).toBe(32);
    for (const confusable of ['0', 'O', 'o', '1', 'l', 'I']) {
      expect(RECOVERY_CODE_ALPHABET).not.toContain(confusable);
    }
    expect(RECOVERY_CODE_ALPHABET).toBe(RECOVERY_CODE_ALPHABET.toLowerCase());
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(60);
  });
});

describe('generateRecoveryCodes', () => {
  it('returns 10 codes by default in xxxx-xxxx-xxxx format', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) {
      expect(code).toMatch(FORMAT);
      expect(isWellFormedRecoveryCode(code)).toBe(true);
    }
  });

  it('honours count and rejects silly counts', () => {
    expect(generateRecoveryCodes(1)).toHaveLength(1);
    expect(generateRecoveryCodes(16)).toHaveLength(16);
    expect(() => generateRecoveryCodes(0)).toThrow(RangeError);
    expect(() => generateRecoveryCodes(2.5)).toThrow(RangeError);
    expect(() => generateRecoveryCodes(1000)).toThrow(RangeError);
  });

  it('codes are unique within and across batches', () => {
    const all = Array.from({ length: 200 }, () => generateRecoveryCodes(10)).flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it('uses every alphabet symbol, roughly uniformly, and nothing else', () => {
    const counts = new Map<string, number>();
    const codes = Array.from({ length: 100 }, () => generateRecoveryCodes(100)).flat();
    for (const code of codes) {
      for (const char of code.replaceAll('-', '')) {
        counts.set(char, (counts.get(char) ?? 0) + 1);
      }
    }
    expect([...counts.keys()].sort().join('')).toBe([...RECOVERY_CODE_ALPHABET].sort().join(''));
    // 120 000 symbols → 3 750 expected per symbol; ±15% is > 8 standard deviations.
    const expected = (codes.length * 12) / 32;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.85);
      expect(count).toBeLessThan(expected * 1.15);
    }
  });
});

describe('normalizeRecoveryCode', () => {
  it('is case-insensitive and ignores spaces and dashes', () => {
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMN')).toBe('abcdefghjkmn');
    expect(normalizeRecoveryCode('  abcd efgh  jkmn ')).toBe('abcdefghjkmn');
    expect(normalizeRecoveryCode('abcd–efgh—jkmn')).toBe('abcdefghjkmn');
    expect(normalizeRecoveryCode('ab-cd-ef\tgh-jk-mn')).toBe('abcdefghjkmn');
  });

  it('tells well-formed input from junk', () => {
    expect(isWellFormedRecoveryCode('ABCD EFGH JKMN')).toBe(true);
    expect(isWellFormedRecoveryCode('abcd-efgh-jkm')).toBe(false);
    expect(isWellFormedRecoveryCode('abcd-efgh-jkmn-p')).toBe(false);
    expect(isWellFormedRecoveryCode('abcd-efgh-jkm0')).toBe(false);
    expect(isWellFormedRecoveryCode('abcd-efgh-jkml')).toBe(false);
  });
});

describe('hashRecoveryCode', () => {
  it('is SHA-256 hex of the normalised code', () => {
    const expected = createHash('sha256').update('abcdefghjkmn').digest('hex');
    expect(hashRecoveryCode('abcd-efgh-jkmn')).toBe(expected);
    expect(hashRecoveryCode('ABCD EFGH JKMN')).toBe(expected);
  });

  it('is keyed when a key is given', () => {
    const plain = hashRecoveryCode('abcd-efgh-jkmn');
    const keyed = hashRecoveryCode('abcd-efgh-jkmn', 'pepper');
    expect(keyed).toMatch(/^[0-9a-f]{64}$/);
    expect(keyed).not.toBe(plain);
    expect(hashRecoveryCode('abcd-efgh-jkmn', Buffer.from('pepper'))).toBe(keyed);
    expect(hashRecoveryCode('abcd-efgh-jkmn', 'other')).not.toBe(keyed);
  });
});

describe('findRecoveryCode', () => {
  const codes = generateRecoveryCodes();
  const hashes = codes.map((code) => hashRecoveryCode(code));

  it('finds each code at its index, however it is typed', () => {
    codes.forEach((code, index) => {
      expect(findRecoveryCode(code, hashes)).toBe(index);
      expect(findRecoveryCode(code.toUpperCase().replaceAll('-', ' '), hashes)).toBe(index);
      expect(findRecoveryCode(code.replaceAll('-', ''), hashes)).toBe(index);
    });
  });

  it('returns -1 for codes that are not in the list', () => {
    const others = generateRecoveryCodes(20).filter((code) => !codes.includes(code));
    for (const other of others) {
      expect(findRecoveryCode(other, hashes)).toBe(-1);
    }
    expect(findRecoveryCode(codes[0]!, [])).toBe(-1);
  });

  it('returns -1 for malformed input and skips malformed or used slots', () => {
    expect(findRecoveryCode('', hashes)).toBe(-1);
    expect(findRecoveryCode('not a code', hashes)).toBe(-1);
    expect(findRecoveryCode(`${codes[0]}x`, hashes)).toBe(-1);
    const withUsed = ['', 'used', hashes[0]!.slice(0, 10), hashes[0]!.toUpperCase()];
    expect(findRecoveryCode(codes[0]!, withUsed)).toBe(3);
  });

  it('needs the same key that hashed the codes', () => {
    const keyed = codes.map((code) => hashRecoveryCode(code, 'pepper'));
    expect(findRecoveryCode(codes[4]!, keyed, 'pepper')).toBe(4);
    expect(findRecoveryCode(codes[4]!, keyed)).toBe(-1);
    expect(findRecoveryCode(codes[4]!, hashes, 'pepper')).toBe(-1);
  });

  it('returns the first index when a hash is stored twice', () => {
    expect(findRecoveryCode(codes[2]!, [hashes[2]!, hashes[2]!])).toBe(0);
  });
});
