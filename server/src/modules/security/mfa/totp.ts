/**
 * Time-based one-time passwords (RFC 6238) on top of HOTP (RFC 4226), using only node:crypto.
 *
 * Pure building blocks: no I/O, no clock reads unless the caller omits `nowSeconds`, no persistence.
 * The caller owns storage of the secret and of the last accepted time step (replay protection).
 *
 * Error messages never contain secrets or codes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import QRCode from 'qrcode';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE32_LOOKUP: ReadonlyMap<string, number> = new Map(
  [...BASE32_ALPHABET].map((char, index) => [char, index] as const),
);

/** Unpadded base32 lengths that cannot come from whole bytes (RFC 4648 §6: 8n + 1, 3 or 6). */
const IMPOSSIBLE_BASE32_REMAINDERS = new Set([1, 3, 6]);

const MAX_COUNTER = (1n << 64n) - 1n;
const MIN_DIGITS = 6;
const MAX_DIGITS = 8;
/** A verification window wider than this is almost certainly a configuration mistake. */
const MAX_WINDOW = 10;

export const DEFAULT_PERIOD = 30;
export const DEFAULT_DIGITS = 6;
export const SECRET_BYTES = 20;

/** RFC 4648 base32, upper case, without `=` padding. */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 0x1f];
    }
  }
  if (bits > 0) {
    out += BASE32_ALPHABET[(buffer << (5 - bits)) & 0x1f];
  }
  return out;
}

/**
 * RFC 4648 base32 decoding, tolerant of lower case, whitespace (as shown by apps in groups of four)
 * and trailing `=` padding. Throws on any other character or on a length no byte string encodes to.
 */
export function base32Decode(input: string): Buffer {
  const cleaned = input.replace(/\s+/g, '').toUpperCase().replace(/=+$/, '');
  if (IMPOSSIBLE_BASE32_REMAINDERS.has(cleaned.length % 8)) {
    throw new Error('Invalid base32 input: impossible length');
  }
  const out = Buffer.alloc(Math.floor((cleaned.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of cleaned) {
    const value = BASE32_LOOKUP.get(char);
    if (value === undefined) {
      throw new Error('Invalid base32 input: unexpected character');
    }
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  return out;
}

/** A fresh 160-bit shared secret (the size RFC 4226 §4 recommends), base32 encoded: 32 characters. */
export function generateSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

function assertDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new RangeError(`digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}`);
  }
}

function assertPeriod(period: number): void {
  if (!Number.isInteger(period) || period <= 0) {
    throw new RangeError('period must be a positive integer number of seconds');
  }
}

function toCounter(counter: bigint | number): bigint {
  if (typeof counter === 'number' && !Number.isSafeInteger(counter)) {
    throw new RangeError('counter must be a safe integer');
  }
  const value = BigInt(counter);
  if (value < 0n || value > MAX_COUNTER) {
    throw new RangeError('counter must fit in an unsigned 64-bit integer');
  }
  return value;
}

/** RFC 4226 HOTP: HMAC over the 8-byte big-endian counter, dynamic truncation, then `digits` decimals. */
export function hotp(
  secret: Buffer,
  counter: bigint | number,
  digits = DEFAULT_DIGITS,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  assertDigits(digits);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(toCounter(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte picks a 4-byte window.
  const offset = mac[mac.length - 1]! & 0x0f;
  const truncated = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(truncated % 10 ** digits).padStart(digits, '0');
}

export interface TotpOptions {
  period?: number;
  digits?: number;
  algorithm?: TotpAlgorithm;
}

/** The RFC 6238 time step (T0 = 0) containing `unixSeconds`. */
export function timeStep(unixSeconds: number, period = DEFAULT_PERIOD): number {
  assertPeriod(period);
  if (!Number.isFinite(unixSeconds) || unixSeconds < 0) {
    throw new RangeError('unixSeconds must be a non-negative finite number');
  }
  return Math.floor(unixSeconds / period);
}

/** The TOTP code valid at `unixSeconds`. */
export function totpAt(secret: Buffer, unixSeconds: number, options: TotpOptions = {}): string {
  const { period = DEFAULT_PERIOD, digits = DEFAULT_DIGITS, algorithm = 'sha1' } = options;
  return hotp(secret, timeStep(unixSeconds, period), digits, algorithm);
}

export interface VerifyTotpOptions extends TotpOptions {
  /** Current Unix time in seconds; defaults to the system clock. */
  nowSeconds?: number;
  /** How many steps either side of now to accept (clock drift); default 1. */
  window?: number;
  /** The step returned by the last successful verification for this secret, if any. */
  lastUsedStep?: number | null;
}

export type VerifyTotpResult =
  | { ok: true; step: number }
  | { ok: false; reason: 'invalid' | 'replayed' | 'malformed' };

/**
 * Checks `code` against the steps now-window .. now+window.
 *
 * - Spaces inside the code are ignored ("123 456" as authenticator apps display it); anything else that
 *   is not exactly `digits` decimal digits is `malformed`.
 * - Every candidate step is computed and compared in constant time, so timing does not reveal which
 *   step (if any) matched.
 * - A code whose step is ≤ `lastUsedStep` is `replayed`. On success the caller must persist the
 *   returned `step` and pass it as `lastUsedStep` next time; this also stops a code for an older step
 *   in the window being accepted after a newer one.
 * - When a code matches several steps (a rare collision), the non-replayed step closest to now wins.
 */
export function verifyTotp(
  secretBase32: string,
  code: string,
  options: VerifyTotpOptions = {},
): VerifyTotpResult {
  const {
    nowSeconds = Date.now() / 1000,
    window = 1,
    lastUsedStep = null,
    period = DEFAULT_PERIOD,
    digits = DEFAULT_DIGITS,
    algorithm = 'sha1',
  } = options;
  assertDigits(digits);
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new RangeError(`window must be an integer from 0 to ${MAX_WINDOW}`);
  }
  if (lastUsedStep !== null && !Number.isInteger(lastUsedStep)) {
    throw new RangeError('lastUsedStep must be an integer or null');
  }

  if (typeof code !== 'string') return { ok: false, reason: 'malformed' };
  const candidate = code.replace(/ /g, '');
  if (candidate.length !== digits || !/^[0-9]+$/.test(candidate)) {
    return { ok: false, reason: 'malformed' };
  }

  const secret = base32Decode(secretBase32);
  const current = timeStep(nowSeconds, period);
  const given = Buffer.from(candidate, 'ascii');

  let accepted: number | null = null;
  let replayed = false;
  // Nearest steps first: 0, -1, +1, -2, +2, ...
  for (let distance = 0; distance <= window; distance++) {
    const offsets = distance === 0 ? [0] : [-distance, distance];
    for (const offset of offsets) {
      const step = current + offset;
      if (step < 0) continue;
      const expected = Buffer.from(hotp(secret, step, digits, algorithm), 'ascii');
      const matches = timingSafeEqual(expected, given);
      if (!matches) continue;
      if (lastUsedStep !== null && step <= lastUsedStep) {
        replayed = true;
      } else if (accepted === null) {
        accepted = step;
      }
    }
  }

  if (accepted !== null) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? 'replayed' : 'invalid' };
}

export interface OtpauthUrlInput {
  issuer: string;
  account: string;
  secretBase32: string;
  algorithm?: TotpAlgorithm;
  digits?: number;
  period?: number;
}

/**
 * The `otpauth://totp/...` key URI that authenticator apps import (Google Authenticator key URI
 * format): label `Issuer:account` with each part percent-encoded (the separating colon is literal),
 * and the issuer repeated as a query parameter.
 */
export function otpauthUrl(input: OtpauthUrlInput): string {
  const { issuer, account, algorithm = 'sha1', digits = DEFAULT_DIGITS, period = DEFAULT_PERIOD } = input;
  assertDigits(digits);
  assertPeriod(period);
  if (issuer.trim() === '' || account.trim() === '') {
    throw new RangeError('issuer and account must not be empty');
  }
  if (issuer.includes(':') || account.includes(':')) {
    throw new RangeError('issuer and account must not contain a colon');
  }
  // Round-trip to validate and canonicalise (upper case, no spaces, no padding).
  const secret = base32Encode(base32Decode(input.secretBase32));
  if (secret.length === 0) {
    throw new RangeError('secret must not be empty');
  }
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    `secret=${secret}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${algorithm.toUpperCase()}`,
    `digits=${digits}`,
    `period=${period}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

/** An SVG rendering of `text` as a QR code, for the enrolment screen. */
export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
