import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import path from 'node:path';
import { loadOrCreateKeyFile, readKeyFile } from '../../platform/key-files.ts';

/**
 * Ed25519 signing of audit checkpoints (node:crypto only).
 *
 * A checkpoint is a small text (a signed-note body) naming the log, its size, its Merkle root and
 * when it was taken; the server signs it so that anyone holding the public key can later prove the
 * log was not rewritten. The private key never leaves this module: a SigningKey only exposes a
 * sign() closure, the key id and the public key.
 */

/** Environment variable naming a PKCS#8 PEM Ed25519 private key (read by the caller, named in errors). */
export const SIGNING_KEY_FILE_ENV = 'AUDIT_SIGNING_KEY_FILE';
/** File name of the key generated in the data directory when no key file is configured. */
export const GENERATED_KEY_FILE_NAME = 'audit-signing-key.pem';
/** First line of every checkpoint text. */
export const CHECKPOINT_HEADER = 'stock-verify-audit-checkpoint/v1';

const ROOT_HASH_SIZE = 32;
const SIGNATURE_SIZE = 64;

export interface SigningKey {
  /** {@link keyIdOf} the public key. */
  readonly keyId: string;
  /** SPKI PEM of the public key. */
  readonly publicKeyPem: string;
  /** Signs the UTF-8 bytes of `text`; returns the base64 Ed25519 signature. */
  sign(text: string): string;
}

export interface CheckpointVerifier {
  readonly keyId: string;
  /** True iff `signatureB64` is a valid signature of the UTF-8 bytes of `text`; never throws. */
  verify(text: string, signatureB64: string): boolean;
}

/** First 8 bytes (16 hex characters) of SHA-256 over the SPKI DER encoding of the public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  if (key.type !== 'public') throw new TypeError('keyIdOf needs an asymmetric public key');
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest().subarray(0, 8).toString('hex');
}

function signingKeyFrom(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return Object.freeze({
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (text: string): string => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  });
}

// ---------------------------------------------------------------------------------------------
// Key files

const ED25519_HINT = 'generate one with: openssl genpkey -algorithm ed25519 -out audit-signing-key.pem';

/** Parses a PEM private key and checks it is Ed25519; errors never include the key material. */
function parseEd25519PrivateKey(pem: string, describe: string): KeyObject {
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(pem)) {
    throw new Error(`${describe} is not a PEM file (expected a PKCS#8 Ed25519 private key; ${ED25519_HINT})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`${describe} does not hold an unencrypted PEM private key (${ED25519_HINT})`, {
      cause: err,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `${describe} holds a ${key.asymmetricKeyType ?? 'unknown'} key; audit checkpoints are signed with Ed25519 (${ED25519_HINT})`,
    );
  }
  return key;
}

export interface LoadedSigningKey {
  key: SigningKey;
  /** True when this call generated the key (and wrote it to `path`). */
  created: boolean;
  /** Absolute path of the key file. */
  path: string;
}

/**
 * Loads the audit signing key.
 *
 * With `keyFile` (AUDIT_SIGNING_KEY_FILE): reads that PKCS#8 PEM Ed25519 private key; an Error
 * naming AUDIT_SIGNING_KEY_FILE and the path is thrown if it is missing, unreadable, not PEM or
 * not Ed25519. Without: uses `<dataDir>/audit-signing-key.pem`, generating it (mode 0600,
 * exclusive create, fsynced) if absent. Processes starting together never overwrite each other's
 * key: the loser of the exclusive create reads the winner's file.
 */
export function loadOrCreateSigningKey(options: {
  keyFile: string | null;
  dataDir: string;
}): LoadedSigningKey {
  const { keyFile, dataDir } = options;
  if (keyFile !== null) {
    if (typeof keyFile !== 'string' || keyFile.trim() === '') {
      throw new Error(`${SIGNING_KEY_FILE_ENV} is set but empty`);
    }
    const file = path.resolve(keyFile);
    const describe = `${SIGNING_KEY_FILE_ENV} ${file}`;
    const pem = readKeyFile(file, describe, false)!;
    return { key: signingKeyFrom(parseEd25519PrivateKey(pem, describe)), created: false, path: file };
  }

  const file = path.resolve(dataDir, GENERATED_KEY_FILE_NAME);
  const describe = `Audit signing key ${file}`;
  const { content, created } = loadOrCreateKeyFile({
    file,
    describe,
    generate: () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    complete: (pem) => /-----END [A-Z0-9 ]+-----/.test(pem),
    remedy: `remove it to generate a new key, or set ${SIGNING_KEY_FILE_ENV}`,
  });
  return { key: signingKeyFrom(parseEd25519PrivateKey(content, describe)), created, path: file };
}

// ---------------------------------------------------------------------------------------------
// Verification

function decodeBase64Exact(text: unknown, size: number): Buffer | null {
  if (typeof text !== 'string') return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === size && bytes.toString('base64') === text ? bytes : null;
}

/** A verifier for signatures made by the Ed25519 key whose SPKI PEM is given; throws if it is not one. */
export function verifierFor(publicKeyPem: string): CheckpointVerifier {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch (err) {
    throw new Error('Audit checkpoint verifier: not a PEM public key', { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `Audit checkpoint verifier: expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  return Object.freeze({
    keyId: keyIdOf(key),
    verify: (text: string, signatureB64: string): boolean => {
      if (typeof text !== 'string') return false;
      const signature = decodeBase64Exact(signatureB64, SIGNATURE_SIZE);
      if (signature === null) return false;
      try {
        return verify(null, Buffer.from(text, 'utf8'), key, signature);
      } catch {
        return false;
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Checkpoint text

export interface CheckpointBody {
  /** Identifies the log; one line, no control characters. */
  origin: string;
  treeSize: number;
  /** 32-byte Merkle root of the first treeSize leaves. */
  rootHash: Buffer;
  /** ISO-8601 UTC with milliseconds, as Date#toISOString makes it: 2024-01-31T12:34:56.789Z. */
  timestamp: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TREE_SIZE = /^(0|[1-9][0-9]*)$/;

function originProblem(origin: unknown): string | null {
  if (typeof origin !== 'string' || origin.length === 0) return 'origin must be a non-empty string';
  for (let i = 0; i < origin.length; i++) {
    const c = origin.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'origin must be one line without control characters';
  }
  return null;
}

function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return false;
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).toISOString() === value;
}

/**
 * The signed text of a checkpoint:
 * `stock-verify-audit-checkpoint/v1\n<origin>\n<treeSize>\n<base64 root>\n<timestamp>\n`.
 * Throws on a body parseCheckpointText would reject, so nothing unparseable is ever signed.
 */
export function checkpointText(body: CheckpointBody): string {
  const problem = originProblem(body.origin);
  if (problem !== null) throw new Error(`Checkpoint: ${problem}`);
  if (!Number.isSafeInteger(body.treeSize) || body.treeSize < 0) {
    throw new Error('Checkpoint: treeSize must be a non-negative safe integer');
  }
  if (!(body.rootHash instanceof Uint8Array) || body.rootHash.length !== ROOT_HASH_SIZE) {
    throw new Error(`Checkpoint: rootHash must be ${ROOT_HASH_SIZE} bytes`);
  }
  if (!isTimestamp(body.timestamp)) {
    throw new Error(
      'Checkpoint: timestamp must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)',
    );
  }
  const root = Buffer.from(body.rootHash).toString('base64');
  return `${CHECKPOINT_HEADER}\n${body.origin}\n${body.treeSize}\n${root}\n${body.timestamp}\n`;
}

/** Parses a checkpoint text; throws on anything that {@link checkpointText} would not have produced. */
export function parseCheckpointText(text: string): CheckpointBody {
  if (typeof text !== 'string') throw new Error('Checkpoint: text must be a string');
  const lines = text.split('\n');
  if (lines.length !== 6 || lines[5] !== '') {
    throw new Error('Checkpoint: expected exactly 5 lines, each ending with a newline');
  }
  const [header, origin, size, root, timestamp] = lines as [string, string, string, string, string];
  if (header !== CHECKPOINT_HEADER) throw new Error(`Checkpoint: header must be ${CHECKPOINT_HEADER}`);
  const problem = originProblem(origin);
  if (problem !== null) throw new Error(`Checkpoint: ${problem}`);
  const treeSize = Number(size);
  if (!TREE_SIZE.test(size) || !Number.isSafeInteger(treeSize)) {
    throw new Error('Checkpoint: tree size must be a non-negative integer (decimal, no leading zeros)');
  }
  const rootHash = decodeBase64Exact(root, ROOT_HASH_SIZE);
  if (rootHash === null) {
    throw new Error(`Checkpoint: root hash must be the base64 of ${ROOT_HASH_SIZE} bytes`);
  }
  if (!isTimestamp(timestamp)) {
    throw new Error(
      'Checkpoint: timestamp must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)',
    );
  }
  return { origin, treeSize, rootHash, timestamp };
}
