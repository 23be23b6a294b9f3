import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorKeyFrom, loadOrCreateConnectorKey } from './connector-key.ts';

describe('integrations key', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-key-'));
    dirs.push(dir);
    return dir;
  };

  it('seals a secret bound to its connector, and opens it only there', () => {
    const key = connectorKeyFrom(randomBytes(32));
    const sealed = key.seal('connector-1', 'db-password-1');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{12}\./);
    expect(sealed).not.toContain('db-password-1');
    expect(key.seal('connector-1', 'db-password-1')).not.toBe(sealed); // a fresh IV each time
    expect(key.open('connector-1', sealed)).toBe('db-password-1');
    expect(() => key.open('connector-2', sealed)).toThrow();
    const tampered = `${sealed.slice(0, -3)}AAA`;
    expect(() => key.open('connector-1', tampered)).toThrow();
    expect(() => connectorKeyFrom(randomBytes(32)).open('connector-1', sealed)).toThrow(
      /sealed under another integrations key/,
    );
  });

  it('generates DATA_DIR/integrations.key once, private, and reads it back', () => {
    const dir = tempDir();
    const first = loadOrCreateConnectorKey({ keyFile: null, dataDir: dir });
    expect(first.created).toBe(true);
    expect(first.path).toBe(path.join(dir, 'integrations.key'));
    expect(fs.statSync(first.path).mode & 0o777).toBe(0o600);
    const second = loadOrCreateConnectorKey({ keyFile: null, dataDir: dir });
    expect(second.created).toBe(false);
    expect(second.key.open('c', first.key.seal('c', 'token'))).toBe('token');
  });

  it('uses INTEGRATIONS_KEY_FILE when set, and stops on a missing or malformed one', () => {
    const dir = tempDir();
    const file = path.join(dir, 'erp.key');
    expect(() => loadOrCreateConnectorKey({ keyFile: file, dataDir: dir })).toThrow(
      /INTEGRATIONS_KEY_FILE .* does not exist/,
    );
    fs.writeFileSync(file, 'not a key');
    expect(() => loadOrCreateConnectorKey({ keyFile: file, dataDir: dir })).toThrow(
      /64 hexadecimal characters/,
    );
    fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`);
    expect(loadOrCreateConnectorKey({ keyFile: file, dataDir: dir }).created).toBe(false);
  });
});
