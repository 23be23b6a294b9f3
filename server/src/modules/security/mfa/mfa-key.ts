import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadOrCreateKeyFile, readKeyFile } from '../../../platform/key-files.ts';
import { hashRecoveryCode } from './recovery-codes.ts';

export const MFA_KEY_FILE_ENV = 'MFA_KEY_FILE';
export const GENERATED_MFA_KEY_FILE_NAME = 'mfa.key';
const KEY_TEXT = /^[0-9a-f]{64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The server's MFA key: TOTP secrets are sealed with AES-256-GCM under a subkey of it (bound to
 * the user, so a sealed secret copied to another user's row does not open), and recovery codes
 * are kept as HMAC-SHA-256 under another subkey, so a stolen table cannot even be checked offline.
 * Sealed text: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url): a secret sealed under another
 * key is reported as such, not as corrupt.
 */
export interface MfaKey {
  readonly keyId: string;
  seal(userId: string, secret: string): string;
  /** Throws when the text was sealed under another key or altered. */
  open(userId: string, sealed: string): string;
  hashRecoveryCode(code: string): string;
}

export function mfaKeyFrom(master: Buffer): MfaKey {
  if (master.length !== 32) throw new RangeError('The MFA key must be 32 bytes');
  const subkey = (purpose: string) =>
    Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `stock-verify/mfa/${purpose}`, 32));
  const sealing = subkey('totp-secret');
  const recovery = subkey('recovery-code');
  const keyId = createHash('sha256').update(master).digest().subarray(0, 6).toString('hex');
  const aad = (userId: string) => Buffer.from(`totp-secret:${userId}`, 'utf8');
  return Object.freeze({
    keyId,
    seal(userId: string, secret: string) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealing, iv);
      cipher.setAAD(aad(userId));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return ['v1', keyId, iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(userId: string, sealed: string) {
      const [version, id, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || body === undefined || !tag)
        throw new Error('Unreadable sealed MFA secret');
      if (id !== keyId) {
        throw new Error(
          `This MFA secret was sealed under another MFA key (${id}, this instance has ${keyId}): ` +
            `set ${MFA_KEY_FILE_ENV} to the same key on every instance`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', sealing, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(userId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
    hashRecoveryCode: (code: string) => hashRecoveryCode(code, recovery),
  });
}

function parseKey(text: string, describe: string): Buffer {
  const trimmed = text.trim().toLowerCase();
  if (!KEY_TEXT.test(trimmed)) {
    throw new Error(
      `${describe} must hold 64 hexadecimal characters (a 256-bit key; make one with: openssl rand -hex 32)`,
    );
  }
  return Buffer.from(trimmed, 'hex');
}

/**
 * MFA_KEY_FILE when set (a missing or malformed file stops the start), otherwise
 * `<dataDir>/mfa.key`, generated at first start.
 */
export function loadOrCreateMfaKey(options: { keyFile: string | null; dataDir: string }): {
  key: MfaKey;
  created: boolean;
  path: string;
} {
  if (options.keyFile !== null) {
    const file = path.resolve(options.keyFile);
    const describe = `${MFA_KEY_FILE_ENV} ${file}`;
    return {
      key: mfaKeyFrom(parseKey(readKeyFile(file, describe, false)!, describe)),
      created: false,
      path: file,
    };
  }
  const file = path.resolve(options.dataDir, GENERATED_MFA_KEY_FILE_NAME);
  const describe = `MFA key ${file}`;
  const { content, created } = loadOrCreateKeyFile({
    file,
    describe,
    generate: () => `${randomBytes(32).toString('hex')}\n`,
    complete: (text) => KEY_TEXT.test(text.trim()),
    remedy: `restore it, or set ${MFA_KEY_FILE_ENV} (without the key, every user's MFA must be reset)`,
  });
  return { key: mfaKeyFrom(parseKey(content, describe)), created, path: file };
}
