import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, dialects, TEST_PG_URL } from './helpers/test-app.ts';

const MAIN = path.resolve('server/src/main.ts');
const CLI = path.resolve('server/src/cli.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('server did not become ready');
}

/** The environment for a fresh, empty store of the given dialect. */
async function emptyStore(dialect: string, dataDir: string): Promise<Record<string, string>> {
  if (dialect === 'sqlite') return { DATA_DIR: dataDir };
  const schema = await createTestSchema();
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { DATA_DIR: dataDir, DATABASE_URL: url.toString() };
}

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
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-start-'));
    const storeEnv = await emptyStore(dialect, dataDir);
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
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
