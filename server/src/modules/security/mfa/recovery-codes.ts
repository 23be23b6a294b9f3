/**
 * One-time MFA recovery codes: shown once at enrolment, stored only as hashes.
 *
 * Format: `xxxx-xxxx-xxxx`, 12 characters from a 32-symbol alphabet = 12 × 5 = 60 random bits each,
 * drawn from the CSPRNG. The alphabet is lower case a–z and 2–9 without `l` and `o` (and without the
 * digits 0 and 1), so nothing in it can be misread as another symbol; upper case `I`, `L`, `O` typed by
 * a user simply fold to lower case.
 *
 * Why a fast hash (SHA-256) and not argon2: argon2's cost exists to slow down guessing of
 * low-entropy, human-chosen passwords from a stolen hash. A recovery code is 60 uniformly random bits,
 * so an offline attacker holding a hash still faces ~2^59 SHA-256 evaluations per code on average,
 * which is out of reach, while online guessing is bounded by the login rate limits anyway. An optional
 * server-side key (pepper) turns the hash into HMAC-SHA-256, so a leaked table alone is not even
 * checkable offline.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const RECOVERY_CODE_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const RECOVERY_CODE_GROUPS = 3;
export const RECOVERY_CODE_GROUP_LENGTH = 4;
export const RECOVERY_CODE_LENGTH = RECOVERY_CODE_GROUPS * RECOVERY_CODE_GROUP_LENGTH;
/** log2(32) bits per character. */
export const RECOVERY_CODE_BITS = RECOVERY_CODE_LENGTH * 5;

const DEFAULT_COUNT = 10;
const MAX_COUNT = 100;
const SHA256_BYTES = 32;
const CANONICAL = new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`);

function generateOne(): string {
  // 256 is a multiple of 32, so masking a random byte to 5 bits is unbiased.
  const bytes = randomBytes(RECOVERY_CODE_LENGTH);
  let raw = '';
  for (const byte of bytes) {
    raw += RECOVERY_CODE_ALPHABET[byte & 0x1f];
  }
  return format(raw);
}

function format(canonical: string): string {
  const groups: string[] = [];
  for (let i = 0; i < canonical.length; i += RECOVERY_CODE_GROUP_LENGTH) {
    groups.push(canonical.slice(i, i + RECOVERY_CODE_GROUP_LENGTH));
  }
  return groups.join('-');
}

/** `count` distinct codes, formatted `xxxx-xxxx-xxxx`, for display to the user exactly once. */
export function generateRecoveryCodes(count = DEFAULT_COUNT): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_COUNT}`);
  }
  const codes = new Set<string>();
  // A duplicate among 60-bit codes is astronomically unlikely, but cheap to rule out.
  while (codes.size < count) {
    codes.add(generateOne());
  }
  return [...codes];
}

/** Canonical form used for hashing: lower case, with spaces, tabs and dashes (any kind) removed. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s\-\u2010-\u2015\u2212]+/g, '');
}

/** Whether `input` normalises to something that could be a recovery code at all. */
export function isWellFormedRecoveryCode(input: string): boolean {
  return CANONICAL.test(normalizeRecoveryCode(input));
}

function digest(canonical: string, key?: string | Buffer): Buffer {
  return key === undefined
    ? createHash('sha256').update(canonical, 'utf8').digest()
    : createHmac('sha256', key).update(canonical, 'utf8').digest();
}

/**
 * Hex SHA-256 of the normalised code (HMAC-SHA-256 when `key` is given). Store this, never the code.
 * Use the same `key` for hashing and for {@link findRecoveryCode}.
 */
export function hashRecoveryCode(code: string, key?: string | Buffer): string {
  return digest(normalizeRecoveryCode(code), key).toString('hex');
}

/**
 * Index in `hashes` of the stored hash matching `input`, or -1. Every stored hash is compared, in
 * constant time, so timing reveals neither whether nor where a match was found. Entries that are not
 * 64 hex characters never match (e.g. a slot already marked as used).
 */
export function findRecoveryCode(input: string, hashes: readonly string[], key?: string | Buffer): number {
  const canonical = normalizeRecoveryCode(input);
  // Rejecting input that cannot be a code reveals nothing about the stored codes.
  if (!CANONICAL.test(canonical)) return -1;
  const candidate = digest(canonical, key);
  let found = -1;
  for (let i = 0; i < hashes.length; i++) {
    const stored = hashes[i]!;
    const storedBytes = /^[0-9a-fA-F]{64}$/.test(stored) ? Buffer.from(stored, 'hex') : null;
    const equal =
      storedBytes !== null && storedBytes.length === SHA256_BYTES && timingSafeEqual(storedBytes, candidate);
    if (equal && found === -1) found = i;
  }
  return found;
}
