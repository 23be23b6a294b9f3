import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CheckpointBody,
  checkpointText,
  GENERATED_KEY_FILE_NAME,
  keyIdOf,
  loadOrCreateSigningKey,
  parseCheckpointText,
  verifierFor,
} from './checkpoint-signing.ts';

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-signing-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function writeFile(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function ed25519Pem(): { pem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const BODY: CheckpointBody = {
  origin: 'stock-verify.example.com/audit',
  treeSize: 1234,
  rootHash: createHash('sha256').update('root').digest(),
  timestamp: '2024-05-06T07:08:09.123Z',
};

describe('signing and verifying', () => {
  it('round-trips a signature and names the key by its SPKI hash', () => {
    const { key } = loadOrCreateSigningKey({ keyFile: null, dataDir: tempDir() });
    const text = checkpointText(BODY);
    const signature = key.sign(text);
    expect(Buffer.from(signature, 'base64')).toHaveLength(64);

    const verifier = verifierFor(key.publicKeyPem);
    expect(verifier.keyId).toBe(key.keyId);
    expect(verifier.verify(text, signature)).toBe(true);

    const spki = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' });
    expect(key.keyId).toBe(createHash('sha256').update(spki).digest('hex').slice(0, 16));
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('rejects a changed byte of the text or of the signature', () => {
    const { key } = loadOrCreateSigningKey({ keyFile: null, dataDir: tempDir() });
    const verifier = verifierFor(key.publicKeyPem);
    const text = checkpointText(BODY);
    const signature = key.sign(text);

    for (let i = 0; i < text.length; i++) {
      const changed = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
      expect(verifier.verify(changed, signature), `text byte ${i}`).toBe(false);
    }
    expect(verifier.verify(`${text}\n`, signature)).toBe(false);
    expect(verifier.verify(text.slice(0, -1), signature)).toBe(false);

    const bytes = Buffer.from(signature, 'base64');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i]! ^= 0x01;
      expect(verifier.verify(text, changed.toString('base64')), `signature byte ${i}`).toBe(false);
    }
  });

  it('returns false (never throws) on malformed signatures', () => {
    const { key } = loadOrCreateSigningKey({ keyFile: null, dataDir: tempDir() });
    const verifier = verifierFor(key.publicKeyPem);
    const text = checkpointText(BODY);
    const signature = key.sign(text);
    const bytes = Buffer.from(signature, 'base64');
    const malformed: unknown[] = [
      '',
      'abc',
      'not base64 at all!',
      bytes.subarray(0, 63).toString('base64'),
      Buffer.concat([bytes, Buffer.from([0])]).toString('base64'),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      `${signature}\n`,
      ` ${signature}`,
      Buffer.alloc(64).toString('base64'),
      null,
      undefined,
      42,
      bytes,
    ];
    for (const bad of malformed) expect(verifier.verify(text, bad as string)).toBe(false);
    expect(verifier.verify(null as unknown as string, signature)).toBe(false);
  });

  it('rejects a signature made by another key', () => {
    const a = loadOrCreateSigningKey({ keyFile: null, dataDir: tempDir() }).key;
    const b = loadOrCreateSigningKey({ keyFile: null, dataDir: tempDir() }).key;
    expect(a.keyId).not.toBe(b.keyId);
    const text = checkpointText(BODY);
    expect(verifierFor(b.publicKeyPem).verify(text, a.sign(text))).toBe(false);
    expect(verifierFor(a.publicKeyPem).verify(text, a.sign(text))).toBe(true);
  });

  it('keyIdOf accepts the private key object too', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    expect(keyIdOf(privateKey)).toBe(keyIdOf(publicKey));
  });

  it('verifierFor refuses keys that are not Ed25519 public keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(() => verifierFor(rsa.toString())).toThrow(/Ed25519/);
    expect(() => verifierFor('hello')).toThrow(/not a PEM public key/);
  });
});

describe('loadOrCreateSigningKey', () => {
  it('generates the key once (mode 0600, exclusive) and reuses it on the next call', () => {
    const dataDir = path.join(tempDir(), 'nested', 'data'); // Created on demand.
    const first = loadOrCreateSigningKey({ keyFile: null, dataDir });
    const file = path.join(dataDir, GENERATED_KEY_FILE_NAME);
    expect(first.created).toBe(true);
    expect(first.path).toBe(path.resolve(file));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const pem = fs.readFileSync(file, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);

    const second = loadOrCreateSigningKey({ keyFile: null, dataDir });
    expect(second.created).toBe(false);
    expect(second.path).toBe(first.path);
    expect(second.key.keyId).toBe(first.key.keyId);
    expect(second.key.publicKeyPem).toBe(first.key.publicKeyPem);
    expect(fs.readFileSync(file, 'utf8')).toBe(pem);

    const text = checkpointText(BODY);
    expect(verifierFor(first.key.publicKeyPem).verify(text, second.key.sign(text))).toBe(true);
  });

  it('never exposes the private key', () => {
    const dataDir = tempDir();
    const result = loadOrCreateSigningKey({ keyFile: null, dataDir });
    const pem = fs.readFileSync(result.path, 'utf8');
    const secretBase64 = pem.split('\n')[1]!;
    expect(Object.keys(result.key).sort()).toEqual(['keyId', 'publicKeyPem', 'sign']);
    const serialized = JSON.stringify(result);
    expect(serialized).not.toContain('PRIVATE');
    expect(serialized).not.toContain(secretBase64);
    expect(Object.isFrozen(result.key)).toBe(true);
  });

  it('uses a provided key file and does not generate one', () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const { pem, publicKeyPem } = ed25519Pem();
    const keyFile = writeFile(dir, 'my-key.pem', pem);
    const { key, created, path: used } = loadOrCreateSigningKey({ keyFile, dataDir });
    expect(created).toBe(false);
    expect(used).toBe(path.resolve(keyFile));
    expect(key.publicKeyPem).toBe(publicKeyPem);
    expect(key.keyId).toBe(keyIdOf(createPublicKey(publicKeyPem)));
    expect(fs.existsSync(dataDir)).toBe(false);
    const text = checkpointText(BODY);
    expect(verifierFor(publicKeyPem).verify(text, key.sign(text))).toBe(true);
  });

  it('gives clear errors for a missing, empty, non-PEM or non-Ed25519 key file, without key material', () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ed25519 = generateKeyPairSync('ed25519');
    const cases: Array<[string, string | null, RegExp]> = [
      ['missing.pem', null, /does not exist/],
      ['empty.pem', '', /not a PEM file/],
      ['text.pem', 'just some text\n', /not a PEM file/],
      ['rsa.pem', rsa.export({ type: 'pkcs8', format: 'pem' }).toString(), /holds a rsa key.*Ed25519/],
      ['rsa1.pem', rsa.export({ type: 'pkcs1', format: 'pem' }).toString(), /holds a rsa key.*Ed25519/],
      ['ec.pem', ec.export({ type: 'pkcs8', format: 'pem' }).toString(), /holds a ec key.*Ed25519/],
      ['sec1.pem', ec.export({ type: 'sec1', format: 'pem' }).toString(), /holds a ec key.*Ed25519/],
      [
        'x25519.pem',
        generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        /x25519/,
      ],
      ['public.pem', ed25519.publicKey.export({ type: 'spki', format: 'pem' }).toString(), /private key/],
      [
        'encrypted.pem',
        ed25519.privateKey
          .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
          .toString(),
        /unencrypted PEM private key/,
      ],
    ];
    for (const [name, content, reason] of cases) {
      const keyFile = content === null ? path.join(dir, name) : writeFile(dir, name, content);
      let error: Error | undefined;
      try {
        loadOrCreateSigningKey({ keyFile, dataDir });
      } catch (err) {
        error = err as Error;
      }
      expect(error, name).toBeInstanceOf(Error);
      expect(error!.message, name).toContain(`AUDIT_SIGNING_KEY_FILE ${keyFile}`);
      expect(error!.message, name).toMatch(reason);
      if (content) {
        for (const line of content.split('\n').filter((l) => l.length > 40)) {
          expect(error!.message).not.toContain(line);
        }
      }
    }
    fs.mkdirSync(path.join(dir, 'a-directory'));
    expect(() => loadOrCreateSigningKey({ keyFile: path.join(dir, 'a-directory'), dataDir })).toThrow(
      /AUDIT_SIGNING_KEY_FILE .*a-directory is a directory/,
    );
    expect(() => loadOrCreateSigningKey({ keyFile: '', dataDir })).toThrow(
      /AUDIT_SIGNING_KEY_FILE is set but empty/,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('refuses a generated key file that was replaced by another key type', () => {
    const dataDir = tempDir();
    const file = writeFile(
      dataDir,
      GENERATED_KEY_FILE_NAME,
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    );
    expect(() => loadOrCreateSigningKey({ keyFile: null, dataDir })).toThrow(
      `Audit signing key ${file} holds a ec key`,
    );
  });

  it('refuses an empty generated key file (a creator that stopped half-way) after waiting for it', () => {
    const dataDir = tempDir();
    const file = writeFile(dataDir, GENERATED_KEY_FILE_NAME, '');
    const started = Date.now();
    expect(() => loadOrCreateSigningKey({ keyFile: null, dataDir })).toThrow(
      `Audit signing key ${file} is empty or incomplete`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fs.readFileSync(file, 'utf8')).toBe(''); // Not overwritten.
  });

  it('processes starting together end up with one key, created by exactly one of them', async () => {
    const dataDir = tempDir();
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('./checkpoint-signing.ts', import.meta.url))).href;
    const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
    const script = writeFile(
      tempDir(),
      'race.mts',
      [
        `const { loadOrCreateSigningKey } = await import(${JSON.stringify(moduleUrl)});`,
        'const startAt = Number(process.argv[2]);',
        'while (Date.now() < startAt) {}',
        `const { key, created } = loadOrCreateSigningKey({ keyFile: null, dataDir: ${JSON.stringify(dataDir)} });`,
        'console.log(JSON.stringify({ keyId: key.keyId, created }));',
      ].join('\n'),
    );
    const startAt = Date.now() + 2500;
    const run = () =>
      new Promise<{ keyId: string; created: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, String(startAt)], {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
        });
        child.stderr.on('data', (chunk) => {
          err += chunk;
        });
        child.on('error', reject);
        child.on('close', (code) => {
          if (code === 0) resolve(JSON.parse(out));
          else reject(new Error(`child exited with ${code}: ${err}`));
        });
      });
    const results = await Promise.all(Array.from({ length: 6 }, run));
    expect(new Set(results.map((r) => r.keyId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const file = path.join(dataDir, GENERATED_KEY_FILE_NAME);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSigningKey({ keyFile: null, dataDir }).key.keyId).toBe(results[0]!.keyId);
  });
});

describe('checkpoint text', () => {
  it('has the exact documented format', () => {
    expect(checkpointText(BODY)).toBe(
      `stock-verify-audit-checkpoint/v1\nstock-verify.example.com/audit\n1234\n${BODY.rootHash.toString('base64')}\n2024-05-06T07:08:09.123Z\n`,
    );
  });

  it('round-trips through parseCheckpointText', () => {
    const bodies: CheckpointBody[] = [
      BODY,
      { ...BODY, treeSize: 0, rootHash: createHash('sha256').digest() },
      { ...BODY, treeSize: Number.MAX_SAFE_INTEGER, origin: 'o', timestamp: new Date(0).toISOString() },
      { ...BODY, origin: 'üñí code/ with spaces', timestamp: new Date().toISOString() },
    ];
    for (const body of bodies) {
      const parsed = parseCheckpointText(checkpointText(body));
      expect(parsed).toEqual(body);
      expect(Buffer.isBuffer(parsed.rootHash)).toBe(true);
      expect(checkpointText(parsed)).toBe(checkpointText(body));
    }
  });

  it('signs and verifies a checkpoint end to end', () => {
    const { key } = loadOrCreateSigningKey({ keyFile: null, dataDir: tempDir() });
    const text = checkpointText(BODY);
    const signature = key.sign(text);
    expect(verifierFor(key.publicKeyPem).verify(text, signature)).toBe(true);
    expect(parseCheckpointText(text)).toEqual(BODY);
  });

  it('parseCheckpointText rejects anything malformed', () => {
    const good = checkpointText(BODY);
    const lines = good.split('\n');
    const withLine = (i: number, value: string) =>
      lines.map((line, j) => (j === i ? value : line)).join('\n');
    const root = BODY.rootHash;
    const bad: Array<[string, string]> = [
      ['empty', ''],
      ['no trailing newline', good.slice(0, -1)],
      ['extra trailing newline', `${good}\n`],
      ['extra line', `${good}extra\n`],
      ['CRLF', good.replaceAll('\n', '\r\n')],
      ['wrong header', withLine(0, 'stock-verify-audit-checkpoint/v2')],
      ['header case', withLine(0, 'Stock-verify-audit-checkpoint/v1')],
      ['empty origin', withLine(1, '')],
      ['origin with tab', withLine(1, 'a\tb')],
      ['origin with CR', withLine(1, 'a\rb')],
      ['origin with a newline', good.replace(BODY.origin, 'a\nb')],
      ['size 1.5', withLine(2, '1.5')],
      ['size -1', withLine(2, '-1')],
      ['size 01', withLine(2, '01')],
      ['size 1e3', withLine(2, '1e3')],
      ['size 0x10', withLine(2, '0x10')],
      ['size with space', withLine(2, ' 12')],
      ['size empty', withLine(2, '')],
      ['size 2^53', withLine(2, '9007199254740992')],
      ['size NaN', withLine(2, 'NaN')],
      ['root 31 bytes', withLine(3, root.subarray(0, 31).toString('base64'))],
      ['root 33 bytes', withLine(3, Buffer.concat([root, Buffer.from([1])]).toString('base64'))],
      ['root hex', withLine(3, root.toString('hex'))],
      ['root base64url', withLine(3, Buffer.alloc(32, 0xff).toString('base64url'))],
      ['root without padding', withLine(3, root.toString('base64').replace(/=+$/, ''))],
      ['root garbage', withLine(3, '!!!')],
      ['timestamp without ms', withLine(4, '2024-05-06T07:08:09Z')],
      ['timestamp with offset', withLine(4, '2024-05-06T07:08:09.123+02:00')],
      ['timestamp date only', withLine(4, '2024-05-06')],
      ['timestamp impossible day', withLine(4, '2024-02-30T07:08:09.123Z')],
      ['timestamp month 13', withLine(4, '2024-13-06T07:08:09.123Z')],
      ['timestamp hour 24', withLine(4, '2024-05-06T24:08:09.123Z')],
      ['timestamp lowercase', withLine(4, '2024-05-06t07:08:09.123z')],
    ];
    for (const [what, text] of bad) expect(() => parseCheckpointText(text), what).toThrow(/^Checkpoint: /);
    expect(() => parseCheckpointText(null as unknown as string)).toThrow();
  });

  it('checkpointText refuses bodies it could not parse back', () => {
    const bad: Array<[string, CheckpointBody]> = [
      ['origin with newline', { ...BODY, origin: 'a\nb' }],
      ['empty origin', { ...BODY, origin: '' }],
      ['negative size', { ...BODY, treeSize: -1 }],
      ['fractional size', { ...BODY, treeSize: 1.5 }],
      ['unsafe size', { ...BODY, treeSize: 2 ** 53 }],
      ['short root', { ...BODY, rootHash: Buffer.alloc(31) }],
      ['timestamp without ms', { ...BODY, timestamp: '2024-05-06T07:08:09Z' }],
      ['not a date', { ...BODY, timestamp: 'yesterday' }],
    ];
    for (const [what, body] of bad) expect(() => checkpointText(body), what).toThrow(/^Checkpoint: /);
  });
});
