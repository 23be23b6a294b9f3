import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { FieldError } from '../../platform/http/errors.ts';

/**
 * How secrets are stored and which ones are acceptable. argon2id with OWASP's minimum
 * (19 MiB, 2 passes, 1 lane); PINs are hashed the same way.
 */
export interface PasswordHasher {
  hash(secret: string): Promise<string>;
  verify(hashed: string, secret: string): Promise<boolean>;
}

const ARGON2ID = 2;

export function createArgon2Hasher(options: { memoryCost?: number; timeCost?: number } = {}): PasswordHasher {
  const params = {
    algorithm: ARGON2ID,
    memoryCost: options.memoryCost ?? 19456,
    timeCost: options.timeCost ?? 2,
    parallelism: 1,
  };
  return {
    hash: (secret) => hash(secret, params),
    async verify(hashed, secret) {
      try {
        return await verify(hashed, secret);
      } catch {
        return false;
      }
    },
  };
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const commonPasswords = new Set(
  ((dictionary as Record<string, string[]>)['passwords-common'] ?? []).map((word) => word.toLowerCase()),
);

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    return `must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  }
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  const lower = password.toLowerCase();
  const name = username.toLowerCase();
  if (name.length >= 3 && lower.includes(name)) return 'must not contain the username';
  if (/^(.)\1+$/.test(password)) return 'must not be one repeated character';
  // A common password padded with digits or symbols ("password1234!") is still a common password.
  const stem = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  if (commonPasswords.has(lower) || (stem.length >= 4 && commonPasswords.has(stem))) {
    return 'is too common; choose a longer phrase that others would not guess';
  }
  return null;
}

export function assertPassword(password: string, username: string, field = 'password'): FieldError | null {
  const problem = passwordProblem(password, username);
  return problem ? { field, message: problem } : null;
}

/** PINs are for quick sign-in on shared handhelds: 6 to 12 digits, not trivially guessable. */
export function pinProblem(pin: string): string | null {
  if (!/^\d{6,12}$/.test(pin)) return 'must be 6 to 12 digits';
  if (/^(\d)\1+$/.test(pin)) return 'must not be one repeated digit';
  if ('01234567890123'.includes(pin) || '98765432109876'.includes(pin))
    return 'must not be a simple sequence';
  return null;
}
