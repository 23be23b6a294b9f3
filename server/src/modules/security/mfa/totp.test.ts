import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  generateSecret,
  hotp,
  otpauthUrl,
  qrSvg,
  type TotpAlgorithm,
  timeStep,
  totpAt,
  verifyTotp,
} from './totp.ts';

// RFC 6238 Appendix B. The SHA-256 and SHA-512 rows use 32- and 64-byte seeds (the Appendix A
// reference code's seed32/seed64), not the 20-byte one the prose mentions.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

const RFC6238_VECTORS: Array<[number, TotpAlgorithm, string]> = [
  [59, 'sha1', '94287082'],
  [59, 'sha256', '46119246'],
  [59, 'sha512', '90693936'],
  [1111111109, 'sha1', '07081804'],
  [1111111109, 'sha256', '68084774'],
  [1111111109, 'sha512', '25091201'],
  [1111111111, 'sha1', '14050471'],
  [1111111111, 'sha256', '67062674'],
  [1111111111, 'sha512', '99943326'],
  [1234567890, 'sha1', '89005924'],
  [1234567890, 'sha256', '91819424'],
  [1234567890, 'sha512', '93441116'],
  [2000000000, 'sha1', '69279037'],
  [2000000000, 'sha256', '90698825'],
  [2000000000, 'sha512', '38618901'],
  [20000000000, 'sha1', '65353130'],
  [20000000000, 'sha256', '77737706'],
  [20000000000, 'sha512', '47863826'],
];

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the call to throw');
}

// RFC 4226 Appendix D, secret "12345678901234567890".
const RFC4226_HOTP = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

describe('hotp (RFC 4226 Appendix D)', () => {
  it.each(RFC4226_HOTP.map((code, counter) => [counter, code] as const))(
    'counter %i → %s',
    (counter, code) => {
      expect(hotp(SEEDS.sha1, counter)).toBe(code);
      expect(hotp(SEEDS.sha1, BigInt(counter))).toBe(code);
    },
  );

  it('rejects out-of-range counters and digit counts', () => {
    expect(() => hotp(SEEDS.sha1, -1)).toThrow(RangeError);
    expect(() => hotp(SEEDS.sha1, 1n << 64n)).toThrow(RangeError);
    expect(() => hotp(SEEDS.sha1, 1.5)).toThrow(RangeError);
    expect(() => hotp(SEEDS.sha1, 0, 5)).toThrow(RangeError);
    expect(() => hotp(SEEDS.sha1, 0, 9)).toThrow(RangeError);
  });

  it('accepts the largest 64-bit counter', () => {
    expect(hotp(SEEDS.sha1, (1n << 64n) - 1n)).toMatch(/^\d{6}$/);
  });
});

describe('totpAt (RFC 6238 Appendix B)', () => {
  it.each(RFC6238_VECTORS)('t=%i %s → %s', (time, algorithm, code) => {
    expect(totpAt(SEEDS[algorithm], time, { digits: 8, algorithm })).toBe(code);
  });

  it('6-digit codes are the last six digits of the 8-digit ones', () => {
    expect(totpAt(SEEDS.sha1, 59)).toBe('287082');
    expect(totpAt(SEEDS.sha1, 1234567890)).toBe('005924');
  });

  it('steps with the period', () => {
    expect(timeStep(59)).toBe(1);
    expect(timeStep(60)).toBe(2);
    expect(timeStep(119, 60)).toBe(1);
    expect(totpAt(SEEDS.sha1, 30)).toBe(totpAt(SEEDS.sha1, 59));
    expect(totpAt(SEEDS.sha1, 29)).not.toBe(totpAt(SEEDS.sha1, 30));
    expect(() => timeStep(10, 0)).toThrow(RangeError);
    expect(() => timeStep(-1)).toThrow(RangeError);
  });
});

describe('base32', () => {
  const RFC4648: Array<[string, string]> = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];

  it.each(RFC4648)('RFC 4648 vector %j ↔ %j', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain, 'ascii'))).toBe(encoded);
    expect(base32Decode(encoded).toString('ascii')).toBe(plain);
  });

  it('round-trips random data of every length 0..64', () => {
    for (let length = 0; length <= 64; length++) {
      const data = Buffer.from(Array.from({ length }, (_, i) => (i * 73 + length * 31) & 0xff));
      expect(base32Decode(base32Encode(data)).equals(data)).toBe(true);
    }
  });

  it('decodes lower case, spaces and padding', () => {
    expect(base32Decode('mzxw6ytboi').toString()).toBe('foobar');
    expect(base32Decode('MZXW 6YTB OI').toString()).toBe('foobar');
    expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
    expect(base32Decode(' my====== ').toString()).toBe('f');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').equals(SEEDS.sha1)).toBe(true);
  });

  it('throws on invalid characters and impossible lengths without echoing the input', () => {
    for (const bad of ['MZXW0', 'MZXW1', 'MZ-XW', 'MZ=XW6', 'M', 'MZX', 'MZXW6Y']) {
      expect(() => base32Decode(bad)).toThrow(/Invalid base32/);
    }
    const message = thrownMessage(() => base32Decode('SECRETSECRET8'));
    expect(message).toMatch(/Invalid base32/);
    expect(message).not.toContain('SECRET');
  });
});

describe('generateSecret', () => {
  it('is 160 bits of base32 without padding, different every time', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(a).not.toBe(b);
  });
});

describe('verifyTotp', () => {
  const secret = base32Encode(SEEDS.sha1);
  const now = 1111111111; // step 37037037
  const step = Math.floor(now / 30);
  const codeAt = (s: number) => hotp(SEEDS.sha1, s);

  it('accepts the current code and reports its step', () => {
    expect(verifyTotp(secret, codeAt(step), { nowSeconds: now })).toEqual({ ok: true, step });
    expect(verifyTotp(secret, '050471', { nowSeconds: now })).toEqual({ ok: true, step });
  });

  it('accepts ±1 step by default and rejects ±2', () => {
    expect(verifyTotp(secret, codeAt(step - 1), { nowSeconds: now })).toEqual({ ok: true, step: step - 1 });
    expect(verifyTotp(secret, codeAt(step + 1), { nowSeconds: now })).toEqual({ ok: true, step: step + 1 });
    expect(verifyTotp(secret, codeAt(step - 2), { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(verifyTotp(secret, codeAt(step + 2), { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('honours a custom window, including 0', () => {
    expect(verifyTotp(secret, codeAt(step - 2), { nowSeconds: now, window: 2 })).toEqual({
      ok: true,
      step: step - 2,
    });
    expect(verifyTotp(secret, codeAt(step - 1), { nowSeconds: now, window: 0 })).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(() => verifyTotp(secret, codeAt(step), { nowSeconds: now, window: -1 })).toThrow(RangeError);
    expect(() => verifyTotp(secret, codeAt(step), { nowSeconds: now, window: 1.5 })).toThrow(RangeError);
  });

  it('rejects a wrong code', () => {
    const wrong = String((Number(codeAt(step)) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp(secret, wrong, { nowSeconds: now })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a replayed code and any code at or before the last used step', () => {
    const first = verifyTotp(secret, codeAt(step), { nowSeconds: now });
    expect(first).toEqual({ ok: true, step });
    const lastUsedStep = first.ok ? first.step : null;
    expect(verifyTotp(secret, codeAt(step), { nowSeconds: now, lastUsedStep })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(verifyTotp(secret, codeAt(step), { nowSeconds: now + 20, lastUsedStep })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    // An older code still inside the window cannot be used after a newer one.
    expect(verifyTotp(secret, codeAt(step - 1), { nowSeconds: now, lastUsedStep })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    // The next step's code is fine.
    expect(verifyTotp(secret, codeAt(step + 1), { nowSeconds: now + 30, lastUsedStep })).toEqual({
      ok: true,
      step: step + 1,
    });
    // A wrong code is reported as invalid, not replayed.
    expect(verifyTotp(secret, '000000', { nowSeconds: now, lastUsedStep: step + 5 }).ok).toBe(false);
  });

  it('treats lastUsedStep null/undefined as never used', () => {
    expect(verifyTotp(secret, codeAt(step), { nowSeconds: now, lastUsedStep: null }).ok).toBe(true);
    expect(verifyTotp(secret, codeAt(step), { nowSeconds: now, lastUsedStep: step - 1 }).ok).toBe(true);
  });

  it('reports malformed input', () => {
    for (const bad of [
      '',
      '12345',
      '1234567',
      '12345a',
      'abcdef',
      '１２３４５６',
      '12-3456',
      ' ',
      '+12345',
    ]) {
      expect(verifyTotp(secret, bad, { nowSeconds: now })).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verifyTotp(secret, undefined as unknown as string, { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('ignores spaces inside the code as apps display it', () => {
    const code = codeAt(step);
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, { nowSeconds: now }).ok).toBe(true);
    expect(verifyTotp(secret, ` ${code} `, { nowSeconds: now }).ok).toBe(true);
  });

  it('accepts a lower-case, spaced secret', () => {
    const spaced = secret.toLowerCase().replace(/(.{4})/g, '$1 ');
    expect(verifyTotp(spaced, codeAt(step), { nowSeconds: now })).toEqual({ ok: true, step });
  });

  it('supports other algorithms and digit counts', () => {
    const secret256 = base32Encode(SEEDS.sha256);
    expect(
      verifyTotp(secret256, '91819424', { nowSeconds: 1234567890, digits: 8, algorithm: 'sha256' }),
    ).toEqual({ ok: true, step: Math.floor(1234567890 / 30) });
    expect(verifyTotp(secret256, '919424', { nowSeconds: 1234567890, digits: 8 })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('does not look at negative steps near the epoch', () => {
    expect(verifyTotp(secret, codeAt(0), { nowSeconds: 5 })).toEqual({ ok: true, step: 0 });
    expect(verifyTotp(secret, codeAt(1), { nowSeconds: 5 })).toEqual({ ok: true, step: 1 });
  });

  it('defaults to the system clock', () => {
    const nowSeconds = Date.now() / 1000;
    const code = totpAt(SEEDS.sha1, nowSeconds);
    expect(verifyTotp(secret, code).ok).toBe(true);
  });

  it('throws on a corrupt secret without revealing it', () => {
    const message = thrownMessage(() => verifyTotp('NOT*BASE32', '123456', { nowSeconds: now }));
    expect(message).toMatch(/^Invalid base32/);
    expect(message).not.toContain('BASE32');
    expect(message).not.toContain('123456');
  });
});

describe('otpauthUrl', () => {
  it('builds the key URI with the default parameters', () => {
    expect(otpauthUrl({ issuer: 'StockVerify', account: 'anna', secretBase32: 'JBSWY3DPEHPK3PXP' })).toBe(
      'otpauth://totp/StockVerify:anna?secret=JBSWY3DPEHPK3PXP&issuer=StockVerify&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('percent-encodes issuer and account but keeps the label colon', () => {
    const url = otpauthUrl({
      issuer: 'Stock Verify & Co',
      account: 'anna.k+ops@example.com',
      secretBase32: 'jbsw y3dp ehpk 3pxp',
    });
    expect(url).toBe(
      'otpauth://totp/Stock%20Verify%20%26%20Co:anna.k%2Bops%40example.com' +
        '?secret=JBSWY3DPEHPK3PXP&issuer=Stock%20Verify%20%26%20Co&algorithm=SHA1&digits=6&period=30',
    );
    const parsed = new URL(url);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.searchParams.get('issuer')).toBe('Stock Verify & Co');
    expect(decodeURIComponent(parsed.pathname.replace(/^\/\/totp\/|^\//, ''))).toContain(
      'Stock Verify & Co:anna.k+ops@example.com',
    );
    expect(url).not.toContain('+ops');
    expect(url).not.toMatch(/ /);
  });

  it('encodes non-ASCII names as UTF-8', () => {
    expect(otpauthUrl({ issuer: 'Läger', account: 'jörg', secretBase32: 'MZXW6YTBOI' })).toMatch(
      /^otpauth:\/\/totp\/L%C3%A4ger:j%C3%B6rg\?secret=MZXW6YTBOI&issuer=L%C3%A4ger&/,
    );
  });

  it('rejects colons, empty names and bad secrets', () => {
    expect(() => otpauthUrl({ issuer: 'A:B', account: 'x', secretBase32: 'MZXW6YTBOI' })).toThrow(RangeError);
    expect(() => otpauthUrl({ issuer: 'A', account: 'x:y', secretBase32: 'MZXW6YTBOI' })).toThrow(RangeError);
    expect(() => otpauthUrl({ issuer: ' ', account: 'x', secretBase32: 'MZXW6YTBOI' })).toThrow(RangeError);
    expect(() => otpauthUrl({ issuer: 'A', account: 'x', secretBase32: '' })).toThrow(RangeError);
    expect(() => otpauthUrl({ issuer: 'A', account: 'x', secretBase32: 'MZXW0' })).toThrow(/Invalid base32/);
  });

  it('carries non-default parameters', () => {
    expect(
      otpauthUrl({
        issuer: 'A',
        account: 'x',
        secretBase32: 'MZXW6YTBOI',
        algorithm: 'sha256',
        digits: 8,
        period: 60,
      }),
    ).toBe('otpauth://totp/A:x?secret=MZXW6YTBOI&issuer=A&algorithm=SHA256&digits=8&period=60');
  });
});

describe('qrSvg', () => {
  it('renders an SVG document', async () => {
    const url = otpauthUrl({ issuer: 'Stock Verify', account: 'anna', secretBase32: generateSecret() });
    const svg = await qrSvg(url);
    expect(svg.trimStart().startsWith('<svg')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/<path/);
  });

  it('differs for different inputs', async () => {
    expect(await qrSvg('a')).not.toBe(await qrSvg('b'));
  });
});
