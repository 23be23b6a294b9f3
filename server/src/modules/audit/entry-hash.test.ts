import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import { type AuditRow, canonicalEntry, entryHash, genesisHash, isGenesisHash } from './entry-hash.ts';
import { openPersonal, sealPersonal } from './personal-data.ts';

describe('RFC 8785 canonical JSON', () => {
  it('matches the RFC example (section 3.2.2): numbers, escapes, key order', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (section 3.2.3)', () => {
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const object = Object.fromEntries(keys.map((key, index) => [key, index]));
    // Each value is the key's position in the input; the output order is the RFC's.
    expect(canonicalJson(object)).toBe(
      `{"\\r":1,"1":3,"\u0080":5,"\u00f6":6,"\u20ac":0,"\ud83d\ude00":4,"\ufb33":2}`,
    );
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

const row: Omit<AuditRow, 'hash'> = {
  seq: 42,
  event_id: 'audit_0190a0b0-0000-7000-8000-000000000000',
  timestamp: '2026-11-28T10:30:00.123Z',
  category: 'data_access',
  event_type: 'DATA_UPDATE',
  severity: 'info',
  outcome: 'success',
  action: 'item.update',
  actor_user_id: 'u1',
  actor_role: 'admin',
  actor_subject: 'u1',
  resource_type: 'item',
  resource_id: 'i1',
  details: '{"changes":{"name":{"new":"Bolt \\"M8\\"","old":"Bolt"}}}',
  personal: null,
  request_id: 'r1',
  trace_id: null,
  hash_algorithm: 'sha256',
  previous_hash: genesisHash('sha256'),
};

describe('entry hash', () => {
  it('is the hash of the RFC 8785 canonical JSON of every stored field but the hash', () => {
    expect(canonicalEntry(row)).toBe(canonicalJson(row));
    const expected = createHash('sha256').update(canonicalJson(row), 'utf8').digest('hex');
    expect(entryHash(row)).toBe(`sha256:${expected}`);
  });

  it('changes with any field, and uses the algorithm the entry names', () => {
    const base = entryHash(row);
    for (const key of Object.keys(row) as (keyof typeof row)[]) {
      const value = row[key];
      const changed = { ...row, [key]: typeof value === 'number' ? value + 1 : `${value ?? ''}x` };
      if (key === 'hash_algorithm') {
        expect(() => entryHash(changed)).toThrow(/unknown audit hash algorithm/);
        continue;
      }
      expect(entryHash(changed), key).not.toBe(base);
    }
    expect(entryHash({ ...row, hash_algorithm: 'sha512' })).toMatch(/^sha512:[0-9a-f]{128}$/);
    expect(isGenesisHash(genesisHash('sha384'))).toBe(true);
    expect(isGenesisHash('sha256:00')).toBe(false);
  });
});

describe('sealed personal data', () => {
  const key = Buffer.alloc(32, 9);
  it('opens only with its key, for its own entry and subject', () => {
    const sealed = sealPersonal(key, 'e1', 'u1', { username: 'ada' });
    expect(sealed).not.toContain('ada');
    expect(openPersonal(key, 'e1', 'u1', sealed)).toEqual({ username: 'ada' });
    expect(openPersonal(Buffer.alloc(32, 8), 'e1', 'u1', sealed)).toBeNull();
    expect(openPersonal(key, 'e2', 'u1', sealed)).toBeNull();
    expect(openPersonal(key, 'e1', 'u2', sealed)).toBeNull();
    expect(openPersonal(key, 'e1', 'u1', `${sealed.slice(0, -2)}AA`)).toBeNull();
  });
});
