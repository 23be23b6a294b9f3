import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateMfaKey, mfaKeyFrom } from './mfa-key.ts';

describe('the MFA key', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-mfa-key-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('seals a secret that opens for its user only, and refuses an altered one', () => {
    const key = mfaKeyFrom(Buffer.alloc(32, 7));
    const sealed = key.seal('user-a', 'JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(key.seal('user-a', 'JBSWY3DPEHPK3PXP')).not.toBe(sealed); // a fresh IV each time
    expect(key.open('user-a', sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => key.open('user-b', sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('XXXXXXXXXXXXXXXX').toString('base64url');
    expect(() => key.open('user-a', parts.join('.'))).toThrow();
  });

  it('names the cause when a secret was sealed under another key', () => {
    const sealed = mfaKeyFrom(Buffer.alloc(32, 1)).seal('u', 'SECRET');
    expect(() => mfaKeyFrom(Buffer.alloc(32, 2)).open('u', sealed)).toThrow(/another MFA key.*MFA_KEY_FILE/);
  });

  it('hashes recovery codes under the key: another key gives another hash', () => {
    const one = mfaKeyFrom(Buffer.alloc(32, 1));
    const two = mfaKeyFrom(Buffer.alloc(32, 2));
    expect(one.hashRecoveryCode('abcd-efgh-jkmn')).toBe(one.hashRecoveryCode('ABCD EFGH JKMN'));
    expect(one.hashRecoveryCode('abcd-efgh-jkmn')).not.toBe(two.hashRecoveryCode('abcd-efgh-jkmn'));
  });

  it('is generated once into the data directory (mode 0600) and read back on the next start', () => {
    const dataDir = tempDir();
    const first = loadOrCreateMfaKey({ keyFile: null, dataDir });
    expect(first.created).toBe(true);
    expect(fs.statSync(first.path).mode & 0o777).toBe(0o600);
    const second = loadOrCreateMfaKey({ keyFile: null, dataDir });
    expect(second.created).toBe(false);
    expect(second.key.open('u', first.key.seal('u', 'S'))).toBe('S');
  });

  it('reads MFA_KEY_FILE, and stops with its name when it is missing or malformed', () => {
    const dir = tempDir();
    const file = path.join(dir, 'key.hex');
    expect(() => loadOrCreateMfaKey({ keyFile: file, dataDir: dir })).toThrow(
      /MFA_KEY_FILE .* does not exist/,
    );
    fs.writeFileSync(file, 'not a key');
    expect(() => loadOrCreateMfaKey({ keyFile: file, dataDir: dir })).toThrow(/64 hexadecimal characters/);
    fs.writeFileSync(file, `${'ab'.repeat(32)}\n`);
    const loaded = loadOrCreateMfaKey({ keyFile: file, dataDir: dir });
    expect(loaded.key.keyId).toBe(mfaKeyFrom(Buffer.alloc(32, 0xab)).keyId);
  });
});
