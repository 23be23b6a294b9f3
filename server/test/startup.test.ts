import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, emptyStore, freePort, MAIN, waitForReady } from './helpers/server-process.ts';
import { dialects } from './helpers/test-app.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('start-up configuration', () => {
  it.each([
    [{ PORT: 'http' }, 'PORT must be a whole number'],
    [{ IP_FILTER_MODE: 'sometimes' }, 'IP_FILTER_MODE must be one of whitelist, blacklist'],
    [{ ADMIN_PASSWORD: 'admin' }, 'ADMIN_PASSWORD must be at least 12 characters long'],
  ])('stops with a message naming the variable for %o', (env, message) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-start-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe.each(dialects())('the product process on %s', (dialect) => {
  it('migrates, creates the first admin with a one-time password, serves, and shuts down on SIGTERM', async () => {
    const store = await emptyStore(dialect);
    const storeEnv = store.env;
    try {
      const migrate = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'migrate'], {
        env: { ...process.env, ...storeEnv },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(migrate.status).toBe(0);
      expect(migrate.stdout).toMatch(/Applied \d+ migration\(s\)/);

      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        env: { ...process.env, ...storeEnv, PORT: String(port), HOST: '127.0.0.1', ADMIN_PASSWORD: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      await waitForReady(port, child);
      const password = /password\s+(\S{24})\s/.exec(stdout)?.[1];
      expect(password).toBeDefined();

      const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(200);
      // The generated password appears on the terminal once and in no log line.
      const logLines = stdout.split('\n').filter((line) => line.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.join('\n')).not.toContain(password!);

      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('shut down cleanly');
    } finally {
      store.remove();
    }
  });
});
