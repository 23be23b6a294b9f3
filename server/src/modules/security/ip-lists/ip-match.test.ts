import { isIP, isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { IpMatcher, normalizeClientIp, type ParsedCidr, parseCidr, parseIp } from './ip-match.ts';

/** Seeded PRNG (mulberry32): the random checks are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomInt = (random: () => number, n: number) => Math.floor(random() * n);

function randomBits(random: () => number, bits: number): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i += 16) value = (value << 16n) | BigInt(randomInt(random, 0x10000));
  return value & ((1n << BigInt(bits)) - 1n);
}

const bitsOf = (family: 4 | 6) => (family === 4 ? 32 : 128);

function bytesToBig(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Uncompressed text (dotted quad, or eight hex groups), which parseIp must accept. */
function bigToText(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
  return [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n]
    .map((shift) => ((value >> shift) & 0xffffn).toString(16))
    .join(':');
}

/** In ::ffff:0:0/96, so parseIp would call it IPv4. */
const isMappedValue = (value: bigint) => value >> 32n === 0xffffn;

describe('parseIp: IPv4', () => {
  it.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['1.2.3.4', [1, 2, 3, 4]],
    ['192.168.0.1', [192, 168, 0, 1]],
    ['10.0.100.200', [10, 0, 100, 200]],
  ])('parses %s', (text, bytes) => {
    expect(parseIp(text)).toEqual({ family: 4, bytes: new Uint8Array(bytes), text });
  });

  it.each([
    '',
    '1',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.256',
    '1000.0.0.0',
    '010.0.0.1',
    '1.02.3.4',
    '1.2.3.04',
    '00.0.0.0',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4\n',
    '1.2.3.-4',
    '1.2.3.+4',
    '0x1.2.3.4',
    '1e2.0.0.1',
    '4294967295',
    '1.2.3.4/32',
    '1.2.3.4:80',
    '\uff11.2.3.4',
    '١.2.3.4',
    'a.b.c.d',
    'localhost',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('rejects non-strings without throwing', () => {
    expect(parseIp(undefined as unknown as string)).toBeNull();
    expect(parseIp(1234 as unknown as string)).toBeNull();
  });

  it('agrees with node:net on random dotted strings', () => {
    const random = prng(4);
    const pieces = [
      '0',
      '1',
      '9',
      '00',
      '01',
      '10',
      '99',
      '100',
      '199',
      '249',
      '250',
      '255',
      '256',
      '299',
      '999',
    ];
    for (let i = 0; i < 3000; i++) {
      const count = 3 + randomInt(random, 3);
      const text = Array.from({ length: count }, () => pieces[randomInt(random, pieces.length)]).join('.');
      expect(parseIp(text) !== null, text).toBe(isIPv4(text));
    }
  });
});

describe('parseIp: IPv6', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['0::0', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80::1', 'fe80::1'],
    ['FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['::fffe:1.2.3.4', '::fffe:102:304'],
    ['1::ffff:1.2.3.4', '1::ffff:102:304'],
  ])('parses %s as %s', (input, canonical) => {
    const parsed = parseIp(input);
    expect(parsed?.family).toBe(6);
    expect(parsed?.bytes).toHaveLength(16);
    expect(parsed?.text).toBe(canonical);
    expect(parseIp(canonical)?.text).toBe(canonical);
  });

  it('keeps the bytes in network order', () => {
    expect(Array.from(parseIp('2001:db8::ff00:42:8329')!.bytes)).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29,
    ]);
  });

  it.each([
    ':',
    ':::',
    '::::',
    '1:::2',
    '1::2::3',
    ':1::2',
    '1::2:',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4::5:6:7:8',
    '12345::',
    '::12345',
    'g::1',
    '::-1',
    '0x1::',
    'fe80::1%eth0',
    'fe80::1%1',
    'fe80::%25eth0',
    '[::1]',
    '[::1]:443',
    '::1/128',
    ' ::1',
    '::1 ',
    '1.2.3.4::',
    '1.2.3.4::1',
    '::1.2.3.4:5',
    '::1.2.3',
    '::1.2.3.256',
    '::1.2.3.4.5',
    '::ffff:01.2.3.4',
    '::ffff:1.2.3.4%eth0',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4:8',
    '0000:0000:0000:0000:0000:0000:0000:0000:0',
    '00000::',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('agrees with node:net on validity and with WHATWG URL on RFC 5952 text (random forms)', () => {
    const random = prng(6);
    const groupPool = [
      '0',
      '00',
      '000',
      '0000',
      '1',
      'f',
      'ff',
      'FfFf',
      'abc',
      'db8',
      '10',
      'ffff',
      '12345',
      'g',
      '',
    ];
    const quadPool = ['1.2.3.4', '0.0.0.0', '255.255.255.255', '01.2.3.4', '1.2.3', '256.1.1.1'];
    let valid = 0;
    for (let i = 0; i < 4000; i++) {
      const groups = Array.from(
        { length: randomInt(random, 10) },
        () => groupPool[randomInt(random, random() < 0.7 ? 3 : groupPool.length)]!,
      );
      if (random() < 0.3) groups.push(quadPool[randomInt(random, quadPool.length)]!);
      let text = groups.join(':');
      if (random() < 0.6) {
        const at = randomInt(random, text.length + 1);
        text = `${text.slice(0, at)}${random() < 0.9 ? '::' : ':'}${text.slice(at)}`;
      }
      const parsed = parseIp(text);
      expect(parsed !== null, text).toBe(isIP(text) !== 0);
      if (!parsed || !text.includes(':')) continue;
      valid++;
      const whatwg = new URL(`http://[${text}]`).hostname.slice(1, -1);
      if (parsed.family === 6) expect(parsed.text, text).toBe(whatwg);
      else expect(parseIp(whatwg)?.text, text).toBe(parsed.text);
    }
    expect(valid).toBeGreaterThan(500);
  });
});

describe('IPv4-mapped IPv6', () => {
  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['::FFFF:102:304', '1.2.3.4'],
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
    ['0000:0000:0000:0000:0000:ffff:255.255.255.255', '255.255.255.255'],
    ['::ffff:ffff:ffff', '255.255.255.255'],
    ['::ffff:0.0.0.0', '0.0.0.0'],
    ['::ffff:0:0', '0.0.0.0'],
    ['::ffff:a00:1', '10.0.0.1'],
  ])('parses %s as the IPv4 address %s', (input, ipv4) => {
    const parsed = parseIp(input);
    expect(parsed).toEqual(parseIp(ipv4));
    expect(parsed?.family).toBe(4);
    expect(parsed?.bytes).toHaveLength(4);
  });

  it('normalizeClientIp strips the mapping and canonicalizes', () => {
    expect(normalizeClientIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeClientIp('::ffff:a00:1')).toBe('10.0.0.1');
    expect(normalizeClientIp('10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeClientIp('2001:DB8:0::1')).toBe('2001:db8::1');
    expect(normalizeClientIp('::1')).toBe('::1');
    expect(normalizeClientIp('::fffe:10.0.0.1')).toBe('::fffe:a00:1');
    expect(normalizeClientIp('fe80::1%eth0')).toBeNull();
    expect(normalizeClientIp('010.0.0.1')).toBeNull();
    expect(normalizeClientIp('')).toBeNull();
    expect(normalizeClientIp('unknown')).toBeNull();
  });

  it('matches a mapped client against IPv4 entries, and a mapped entry against IPv4 clients', () => {
    const matcher = new IpMatcher<string>();
    matcher.add('10.0.0.0/8', 'ten');
    matcher.add('::ffff:192.168.0.0/112', 'lan');
    expect(matcher.match('::ffff:10.1.2.3')).toBe('ten');
    expect(matcher.match('::ffff:a01:203')).toBe('ten');
    expect(matcher.match('192.168.5.5')).toBe('lan');
    expect(matcher.match('::ffff:192.168.5.5')).toBe('lan');
    expect(matcher.match('192.169.0.0')).toBeUndefined();
    // Not mapped: IPv4-compatible (deprecated) and IPv4-translated addresses are IPv6.
    expect(matcher.match('::10.1.2.3')).toBeUndefined();
    expect(matcher.match('::ffff:0:10.1.2.3')).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8', 4, 8],
    ['10.1.2.3/8', '10.0.0.0/8', 4, 8],
    ['10.0.0.1', '10.0.0.1/32', 4, 32],
    ['10.0.0.1/32', '10.0.0.1/32', 4, 32],
    ['1.2.3.5/31', '1.2.3.4/31', 4, 31],
    ['0.0.0.0/0', '0.0.0.0/0', 4, 0],
    ['1.2.3.4/0', '0.0.0.0/0', 4, 0],
    ['255.255.255.255/1', '128.0.0.0/1', 4, 1],
    ['172.31.255.255/12', '172.16.0.0/12', 4, 12],
    ['::1', '::1/128', 6, 128],
    ['::/0', '::/0', 6, 0],
    ['ffff::/1', '8000::/1', 6, 1],
    ['2001:db8::1/32', '2001:db8::/32', 6, 32],
    ['2001:DB8:FFFF::/33', '2001:db8:8000::/33', 6, 33],
    ['fe80::/10', 'fe80::/10', 6, 10],
    ['febf:ffff::1/10', 'fe80::/10', 6, 10],
    ['2001:db8::3/127', '2001:db8::2/127', 6, 127],
    ['2001:db8:0:1:ffff::/64', '2001:db8:0:1::/64', 6, 64],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', 4, 8],
    ['::ffff:10.1.2.3/104', '10.0.0.0/8', 4, 8],
    ['::ffff:10.1.2.3/96', '0.0.0.0/0', 4, 0],
    ['::ffff:1.2.3.4', '1.2.3.4/32', 4, 32],
    ['::ffff:1.2.3.4/128', '1.2.3.4/32', 4, 32],
    ['::ffff:c0a8:0/112', '192.168.0.0/16', 4, 16],
  ])('parses %s as %s', (input, canonical, family, prefix) => {
    const parsed = parseCidr(input);
    expect(parsed).toMatchObject({ text: canonical, family, prefix });
    expect(parsed?.network).toHaveLength(family === 4 ? 4 : 16);
    expect(parseCidr(canonical)).toEqual(parsed);
  });

  it('zeroes the host bits in the network bytes', () => {
    expect(Array.from(parseCidr('10.255.255.255/9')!.network)).toEqual([10, 128, 0, 0]);
    expect(Array.from(parseCidr('ffff:ffff::/13')!.network)).toEqual([0xff, 0xf8, ...new Array(14).fill(0)]);
  });

  it.each([
    '',
    'abc',
    '/8',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/08',
    '10.0.0.0/008',
    '10.0.0.0/8.0',
    '10.0.0.0/0x8',
    '10.0.0.0/ 8',
    '10.0.0.0 /8',
    '10.0.0.0/8 ',
    '10.0.0.0/8/8',
    '10.0.0.0//8',
    '256.0.0.0/8',
    '010.0.0.0/8',
    '10.0.0.0-10.0.0.255',
    '::/129',
    '::/1280',
    '::1/00',
    'fe80::%eth0/10',
    'fe80::/10%eth0',
    '[::1]/128',
    '::ffff:10.0.0.0/95',
    '::ffff:0:0/80',
    '::ffff:10.0.0.0/0',
    '::ffff:1.2.3.4/129',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

/** [cidr, inside, outside]: the first and last address inside; one below and one above outside. */
const boundaries: [string, string[], string[]][] = [
  ['0.0.0.0/0', ['0.0.0.0', '255.255.255.255'], ['::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['128.0.0.0/1', ['128.0.0.0', '255.255.255.255'], ['127.255.255.255']],
  ['0.0.0.0/1', ['0.0.0.0', '127.255.255.255'], ['128.0.0.0']],
  ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255'], ['9.255.255.255', '11.0.0.0']],
  ['192.168.1.4/31', ['192.168.1.4', '192.168.1.5'], ['192.168.1.3', '192.168.1.6']],
  ['192.168.1.4/32', ['192.168.1.4'], ['192.168.1.3', '192.168.1.5']],
  ['0.0.0.0/32', ['0.0.0.0'], ['0.0.0.1']],
  ['255.255.255.255/32', ['255.255.255.255'], ['255.255.255.254']],
  [
    '::/0',
    ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::1'],
    ['0.0.0.0', '1.2.3.4', '::ffff:1.2.3.4'],
  ],
  [
    '2001:db8:abcd::/48',
    ['2001:db8:abcd::', '2001:db8:abcd:ffff:ffff:ffff:ffff:ffff'],
    ['2001:db8:abcc:ffff:ffff:ffff:ffff:ffff', '2001:db8:abce::'],
  ],
  [
    '2001:db8:0:1::/64',
    ['2001:db8:0:1::', '2001:db8:0:1:ffff:ffff:ffff:ffff'],
    ['2001:db8:0:0:ffff:ffff:ffff:ffff', '2001:db8:0:2::'],
  ],
  ['2001:db8::2/127', ['2001:db8::2', '2001:db8::3'], ['2001:db8::1', '2001:db8::4']],
  ['2001:db8::2/128', ['2001:db8::2'], ['2001:db8::1', '2001:db8::3']],
  [
    'fe80::/10',
    ['fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fec0::'],
  ],
];

describe('CIDR boundaries', () => {
  it.each(boundaries)('%s', (cidr, inside, outside) => {
    const matcher = new IpMatcher<string>();
    matcher.add(cidr, 'hit');
    for (const ip of inside) expect(matcher.match(ip), ip).toBe('hit');
    for (const ip of outside) expect(matcher.match(ip), ip).toBeUndefined();
  });

  it('holds at every prefix length of both families (random networks)', () => {
    const random = prng(12);
    for (const family of [4, 6] as const) {
      const bits = BigInt(bitsOf(family));
      const top = (1n << bits) - 1n;
      for (let prefix = 0; prefix <= bitsOf(family); prefix++) {
        for (let round = 0; round < 4; round++) {
          const span = 1n << (bits - BigInt(prefix));
          const first = (randomBits(random, bitsOf(family)) / span) * span;
          const last = first + span - 1n;
          const matcher = new IpMatcher<number>();
          const cidr = `${bigToText(family, first | randomBits(random, Number(bits) - prefix))}/${prefix}`;
          expect(matcher.add(cidr, prefix)).toBe(true);
          const added = parseCidr(cidr)!;
          expect(added.text).toBe(`${parseIp(bigToText(family, first))!.text}/${prefix}`);
          const cases: [bigint, boolean][] = [
            [first, true],
            [last, true],
            [first + randomBits(random, Number(bits) - prefix), true],
            [first - 1n, false],
            [last + 1n, false],
          ];
          for (const [value, inside] of cases) {
            if (value < 0n || value > top || (family === 6 && isMappedValue(value))) continue;
            const text = bigToText(family, value);
            expect(matcher.match(text), `${text} in ${added.text}`).toBe(inside ? prefix : undefined);
          }
        }
      }
    }
  });
});

describe('IpMatcher', () => {
  const nested: [string, string][] = [
    ['0.0.0.0/0', 'any'],
    ['10.0.0.0/8', 'ten'],
    ['10.1.0.0/16', 'ten-one'],
    ['10.1.2.3', 'host'],
    ['::/0', 'any6'],
    ['2001:db8::/32', 'doc'],
    ['2001:db8:1::/48', 'doc-1'],
    ['2001:db8:1::7', 'host6'],
  ];
  const expectations: [string, string][] = [
    ['10.1.2.3', 'host'],
    ['10.1.2.4', 'ten-one'],
    ['10.2.0.0', 'ten'],
    ['11.0.0.0', 'any'],
    ['2001:db8:1::7', 'host6'],
    ['2001:db8:1::8', 'doc-1'],
    ['2001:db8:2::', 'doc'],
    ['2001:db9::', 'any6'],
  ];

  it('returns the value of the longest matching prefix, whatever the insertion order', () => {
    for (const order of [nested, [...nested].reverse(), [4, 0, 6, 2, 7, 1, 5, 3].map((i) => nested[i]!)]) {
      const matcher = new IpMatcher<string>();
      for (const [cidr, value] of order) matcher.add(cidr, value);
      expect(matcher.size).toBe(8);
      for (const [ip, value] of expectations) expect(matcher.match(ip), ip).toBe(value);
    }
  });

  it('removes entries, falling back to the next longest prefix', () => {
    const matcher = new IpMatcher<string>();
    for (const [cidr, value] of nested) matcher.add(cidr, value);
    expect(matcher.remove('10.1.2.3')).toBe(true);
    expect(matcher.match('10.1.2.3')).toBe('ten-one');
    expect(matcher.remove('10.1.99.99/16')).toBe(true); // the canonical 10.1.0.0/16
    expect(matcher.match('10.1.2.3')).toBe('ten');
    expect(matcher.remove('10.1.0.0/16')).toBe(false);
    expect(matcher.remove('10.0.0.0/9')).toBe(false);
    expect(matcher.remove('not an ip')).toBe(false);
    expect(matcher.remove('2001:db8:1:0:0:0:0:7/128')).toBe(true);
    expect(matcher.match('2001:db8:1::7')).toBe('doc-1');
    expect(matcher.size).toBe(5);
    for (const cidr of ['0.0.0.0/0', '10.0.0.0/8', '::/0', '2001:db8::/32', '2001:db8:1::/48']) {
      expect(matcher.remove(cidr), cidr).toBe(true);
    }
    expect(matcher.size).toBe(0);
    expect(matcher.match('10.1.2.3')).toBeUndefined();
    expect(matcher.match('2001:db8:1::7')).toBeUndefined();
    matcher.add('10.1.2.3', 'again');
    expect(matcher.match('10.1.2.3')).toBe('again');
    expect(matcher.size).toBe(1);
  });

  it('replaces the value of an entry added twice under the same canonical CIDR', () => {
    const matcher = new IpMatcher<string>();
    expect(matcher.add('10.1.2.3/8', 'first')).toBe(true);
    expect(matcher.add('10.0.0.0/8', 'second')).toBe(false);
    expect(matcher.add('::ffff:10.0.0.0/104', 'third')).toBe(false);
    expect(matcher.add('2001:db8::1/32', 'doc')).toBe(true);
    expect(matcher.add('2001:db8:ffff::/32', 'doc2')).toBe(false);
    expect(matcher.size).toBe(2);
    expect(matcher.match('10.9.9.9')).toBe('third');
    expect(matcher.match('2001:db8::5')).toBe('doc2');
  });

  it('keeps IPv4 and IPv6 apart', () => {
    const matcher = new IpMatcher<string>();
    matcher.add('0.0.0.0/0', 'v4');
    expect(matcher.match('::')).toBeUndefined();
    expect(matcher.match('::1')).toBeUndefined();
    expect(matcher.match('::1.2.3.4')).toBeUndefined();
    expect(matcher.match('::ffff:1.2.3.4')).toBe('v4');
    matcher.remove('0.0.0.0/0');
    matcher.add('::/0', 'v6');
    expect(matcher.match('0.0.0.0')).toBeUndefined();
    expect(matcher.match('1.2.3.4')).toBeUndefined();
    expect(matcher.match('::ffff:1.2.3.4')).toBeUndefined();
    expect(matcher.match('::1.2.3.4')).toBe('v6');
    // The same 32 bits in the other family do not collide.
    const both = new IpMatcher<string>();
    both.add('10.0.0.0/8', 'v4');
    both.add('a00::/8', 'v6');
    expect(both.match('10.0.0.1')).toBe('v4');
    expect(both.match('a00::1')).toBe('v6');
    expect(both.match('b00::')).toBeUndefined();
  });

  it('returns stored falsy values', () => {
    const matcher = new IpMatcher<number | string | boolean | null>();
    matcher.add('10.0.0.0/8', 0);
    matcher.add('10.1.0.0/16', '');
    matcher.add('10.1.2.0/24', false);
    matcher.add('10.1.2.3', null);
    expect(matcher.match('10.2.0.0')).toBe(0);
    expect(matcher.match('10.1.0.0')).toBe('');
    expect(matcher.match('10.1.2.4')).toBe(false);
    expect(matcher.match('10.1.2.3')).toBeNull();
  });

  it('takes parsed values, re-checking and re-masking CIDR objects', () => {
    const matcher = new IpMatcher<string>();
    const loose: ParsedCidr = { family: 4, network: new Uint8Array([10, 1, 2, 3]), prefix: 8, text: 'x' };
    expect(matcher.add(loose, 'ten')).toBe(true);
    expect(matcher.match(parseIp('10.200.0.1')!)).toBe('ten');
    expect(matcher.remove(parseCidr('10.0.0.0/8')!)).toBe(true);
    expect(() => matcher.add({ ...loose, prefix: 33 }, 'bad')).toThrow(TypeError);
    expect(() => matcher.add({ ...loose, prefix: -1 }, 'bad')).toThrow(TypeError);
    expect(() => matcher.add({ ...loose, prefix: 1.5 }, 'bad')).toThrow(TypeError);
    expect(() => matcher.add({ ...loose, family: 6 }, 'bad')).toThrow(TypeError);
    expect(() => matcher.add({ ...loose, network: [10, 0, 0, 0] as unknown as Uint8Array }, 'bad')).toThrow(
      TypeError,
    );
    // A mapped IPv6 network object is refused rather than silently treated as IPv6.
    const mappedBytes = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
    expect(() => matcher.add({ family: 6, network: mappedBytes, prefix: 96, text: '' }, 'bad')).toThrow(
      TypeError,
    );
    expect(matcher.add(parseCidr('2001:db8::/32')!, 'doc')).toBe(true);
    expect(matcher.match('2001:db8::1')).toBe('doc');
    expect(matcher.remove({ family: 6, network: parseIp('2001:db8::1')!.bytes, prefix: 32, text: '' })).toBe(
      true,
    );
    expect(matcher.match({ family: 4, bytes: new Uint8Array(16), text: '' })).toBeUndefined();
    expect(matcher.match({ family: 6, bytes: new Uint8Array(4), text: '' })).toBeUndefined();
    matcher.add('10.0.0.0/8', 'ten');
    // A hand-built mapped IPv6 value is still the IPv4 address.
    const mapped = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
    expect(matcher.match({ family: 6, bytes: mapped, text: '::ffff:10.1.2.3' })).toBe('ten');
  });

  it('tells apart IPv6 networks whose keys collide', () => {
    // These two /128s share a Map key under the current hash; were the hash changed, the test
    // would still pass, only without exercising a shared bucket.
    const [a, b] = ['2001:db8::fe74:bbe0:c234', '2001:db8::1:cc53:faa6:8063'];
    const matcher = new IpMatcher<string>();
    matcher.add(a, 'a');
    matcher.add(b, 'b');
    matcher.add(b, 'b2');
    expect(matcher.size).toBe(2);
    expect(matcher.match(a)).toBe('a');
    expect(matcher.match(b)).toBe('b2');
    expect(matcher.match('2001:db8::fe74:bbe0:c235')).toBeUndefined();
    expect(matcher.remove(a)).toBe(true);
    expect(matcher.remove(a)).toBe(false);
    expect(matcher.match(a)).toBeUndefined();
    expect(matcher.match(b)).toBe('b2');
    expect(matcher.remove(b)).toBe(true);
    expect(matcher.size).toBe(0);
  });

  it('throws on an invalid CIDR and ignores invalid client addresses', () => {
    const matcher = new IpMatcher<string>();
    expect(() => matcher.add('10.0.0.0/33', 'x')).toThrow(/Not an IP address or CIDR: "10.0.0.0\/33"/);
    expect(() => matcher.add('', 'x')).toThrow(TypeError);
    matcher.add('0.0.0.0/0', 'any');
    matcher.add('::/0', 'any6');
    expect(matcher.size).toBe(2);
    for (const ip of ['', 'unknown', '010.0.0.1', 'fe80::1%eth0', '[::1]', '10.0.0.1:80']) {
      expect(matcher.match(ip), ip).toBeUndefined();
    }
  });

  it('clears', () => {
    const matcher = new IpMatcher<string>();
    for (const [cidr, value] of nested) matcher.add(cidr, value);
    matcher.clear();
    expect(matcher.size).toBe(0);
    expect(matcher.match('10.1.2.3')).toBeUndefined();
  });
});

describe('IpMatcher with 10,000 entries agrees with a linear scan', () => {
  interface Entry {
    family: 4 | 6;
    network: bigint;
    prefix: number;
    value: number;
  }

  /** Most specific entry containing the address, by looking at every entry. */
  function naiveMatch(entries: Iterable<Entry>, ip: string): number | undefined {
    const parsed = parseIp(ip);
    if (!parsed) return undefined;
    const bits = bitsOf(parsed.family);
    const address = bytesToBig(parsed.bytes);
    let best: Entry | undefined;
    for (const entry of entries) {
      if (entry.family !== parsed.family) continue;
      const shift = BigInt(bits - entry.prefix);
      if (address >> shift !== entry.network >> shift) continue;
      if (!best || entry.prefix > best.prefix) best = entry;
    }
    return best?.value;
  }

  const random = prng(2024);
  /** Entries cluster around a few sites so that prefixes nest and collide. */
  const sites4 = Array.from({ length: 40 }, () => randomBits(random, 16) << 16n);
  const sites6 = Array.from({ length: 40 }, () => (0x2000n | randomBits(random, 12)) << 112n);

  /** Mostly long prefixes, a few shorter and a very few short ones: [rare, uncommon, common, longest]. */
  function randomPrefix([rare, uncommon, common, longest]: number[]): number {
    const r = random();
    const [from, to] =
      r < 0.002 ? [rare!, uncommon!] : r < 0.03 ? [uncommon!, common!] : [common!, longest! + 1];
    return from + randomInt(random, to - from);
  }

  function randomEntryCidr(): string {
    if (random() < 0.6) {
      const address =
        random() < 0.8
          ? sites4[randomInt(random, sites4.length)]! | randomBits(random, 16)
          : randomBits(random, 32);
      return `${bigToText(4, address)}/${randomPrefix([4, 8, 16, 32])}`;
    }
    const address =
      random() < 0.8
        ? sites6[randomInt(random, sites6.length)]! | randomBits(random, 112)
        : randomBits(random, 128);
    return `${bigToText(6, address)}/${randomPrefix([8, 16, 32, 128])}`;
  }

  const reference = new Map<string, Entry>();
  const matcher = new IpMatcher<number>();
  for (let value = 0; reference.size < 10_000; value++) {
    const text = randomEntryCidr(); // host bits set: add must mask them
    const parsed = parseCidr(text)!;
    matcher.add(text, value);
    reference.set(parsed.text, {
      family: parsed.family,
      network: bytesToBig(parsed.network),
      prefix: parsed.prefix,
      value,
    });
  }

  /** Inside an entry, just outside one, near a site, or anywhere; v4 sometimes written as mapped IPv6. */
  function sampleAddress(entries: Entry[]): string {
    const kind = randomInt(random, 5);
    const family: 4 | 6 = random() < 0.5 ? 4 : 6;
    const bits = bitsOf(family);
    let value: bigint;
    if (kind <= 1) {
      const entry = entries[randomInt(random, entries.length)]!;
      const span = 1n << BigInt(bitsOf(entry.family) - entry.prefix);
      const offset =
        kind === 0 ? randomBits(random, bitsOf(entry.family) - entry.prefix) : random() < 0.5 ? -1n : span;
      const entryTop = (1n << BigInt(bitsOf(entry.family))) - 1n;
      value = (((entry.network + offset) % (entryTop + 1n)) + entryTop + 1n) % (entryTop + 1n);
      return textFor(entry.family, value);
    }
    if (kind === 2) {
      value =
        family === 4
          ? sites4[randomInt(random, sites4.length)]! | randomBits(random, 16)
          : sites6[randomInt(random, sites6.length)]! | randomBits(random, 112);
    } else {
      value = randomBits(random, bits);
    }
    return textFor(family, value);
  }

  function textFor(family: 4 | 6, value: bigint): string {
    if (family === 4) return random() < 0.2 ? `::ffff:${bigToText(4, value)}` : bigToText(4, value);
    const text = bigToText(6, value);
    return random() < 0.5 ? text : parseIp(text)!.text;
  }

  function check(samples: number): { matched: number; unmatched: number } {
    const entries = [...reference.values()];
    let matched = 0;
    let unmatched = 0;
    for (let i = 0; i < samples; i++) {
      const ip = sampleAddress(entries);
      const expected = naiveMatch(entries, ip);
      expect(matcher.match(ip), ip).toBe(expected);
      if (expected === undefined) unmatched++;
      else matched++;
    }
    return { matched, unmatched };
  }

  it('holds the same set of canonical entries', () => {
    expect(reference.size).toBe(10_000);
    expect(matcher.size).toBe(reference.size);
  });

  it('answers 2,000 sampled addresses like the scan', () => {
    const { matched, unmatched } = check(2_000);
    expect(matched).toBeGreaterThan(400);
    expect(unmatched).toBeGreaterThan(400);
  });

  it('still agrees after removing 3,000 entries', () => {
    const keys = [...reference.keys()];
    for (let i = 0; i < 3_000; i++) {
      const key = keys.splice(randomInt(random, keys.length), 1)[0]!;
      expect(matcher.remove(key), key).toBe(true);
      reference.delete(key);
    }
    expect(matcher.size).toBe(reference.size);
    const { matched, unmatched } = check(1_000);
    expect(matched).toBeGreaterThan(200);
    expect(unmatched).toBeGreaterThan(200);
  });
});
