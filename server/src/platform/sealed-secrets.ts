import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadOrCreateKeyFile, readKeyFile } from './key-files.ts';

/**
 * Secrets kept in the database sealed under a server key (the MFA key, the integrations key):
 * AES-256-GCM under an HKDF subkey of the 256-bit master key, each bound to its owner (a user, a
 * connector) through the additional data, so a sealed secret copied to another row does not open.
 * Sealed text: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url): a secret sealed under another
 * key is reported as such, not as corrupt.
 */

const KEY_TEXT = /^[0-9a-f]{64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  readonly keyId: string;
  seal(owner: string, secret: string): string;
  /** Throws when the text was sealed under another key, for another owner, or altered. */
  open(owner: string, sealed: string): string;
}

/** A 32-byte subkey of the master key for one purpose (`stock-verify/<purpose>`). */
export function subkeyOf(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `stock-verify/${purpose}`, 32));
}

export function createSealer(options: {
  master: Buffer;
  /** HKDF purpose of the sealing subkey, e.g. `mfa/totp-secret`. */
  purpose: string;
  /** Bound into the additional data with the owner, e.g. `totp-secret`. */
  label: string;
  /** In messages: what is sealed ("MFA secret") and under what ("MFA key"). */
  what: string;
  keyName: string;
  /** What to do when a secret was sealed under another key. */
  otherKeyRemedy: string;
}): Sealer {
  const { master } = options;
  if (master.length !== 32) throw new RangeError(`The ${options.keyName} must be 32 bytes`);
  const sealing = subkeyOf(master, options.purpose);
  const keyId = createHash('sha256').update(master).digest().subarray(0, 6).toString('hex');
  const aad = (owner: string) => Buffer.from(`${options.label}:${owner}`, 'utf8');
  return Object.freeze({
    keyId,
    seal(owner: string, secret: string) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealing, iv);
      cipher.setAAD(aad(owner));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return ['v1', keyId, iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(owner: string, sealed: string) {
      const [version, id, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || body === undefined || !tag)
        throw new Error(`Unreadable sealed ${options.what}`);
      if (id !== keyId) {
        throw new Error(
          `This ${options.what} was sealed under another ${options.keyName} (${id}, this instance has ${keyId}): ` +
            options.otherKeyRemedy,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', sealing, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(owner));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
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
 * The master key: from `keyFile` when set (a missing or malformed file stops the start),
 * otherwise `<dataDir>/<fileName>`, generated at first start.
 */
export function loadOrCreateMasterKey(options: {
  keyFile: string | null;
  dataDir: string;
  /** The variable that names the file, for messages. */
  envName: string;
  fileName: string;
  /** "MFA key", "Integrations key". */
  label: string;
  /** What losing the generated key means, and what to do. */
  remedy: string;
}): { master: Buffer; created: boolean; path: string } {
  if (options.keyFile !== null) {
    const file = path.resolve(options.keyFile);
    const describe = `${options.envName} ${file}`;
    return { master: parseKey(readKeyFile(file, describe, false)!, describe), created: false, path: file };
  }
  const file = path.resolve(options.dataDir, options.fileName);
  const describe = `${options.label} ${file}`;
  const { content, created } = loadOrCreateKeyFile({
    file,
    describe,
    generate: () => `${randomBytes(32).toString('hex')}\n`,
    complete: (text) => KEY_TEXT.test(text.trim()),
    remedy: options.remedy,
  });
  return { master: parseKey(content, describe), created, path: file };
}
