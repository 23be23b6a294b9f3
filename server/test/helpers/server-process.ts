import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestSchema, TEST_PG_URL } from './test-app.ts';

/**
 * The product as a real process (`node --import tsx server/src/main.ts`), for the tests that must
 * see what only a process shows: start-up, signals, SIGKILL, several instances on one database.
 */
export const MAIN = path.resolve('server/src/main.ts');
export const CLI = path.resolve('server/src/cli.ts');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Polls GET /health/ready until it answers 200; fails early when the process exits. */
export async function waitForReady(port: number, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
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

export interface Store {
  dialect: 'sqlite' | 'postgres';
  dataDir: string;
  /** DATA_DIR, and DATABASE_URL on PostgreSQL (a fresh schema through search_path). */
  env: Record<string, string>;
  remove(): void;
}

/** A fresh, empty store of the given dialect, in a data directory of its own. */
export async function emptyStore(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-proc-'));
  const env: Record<string, string> = { DATA_DIR: dataDir };
  if (dialect === 'postgres') {
    const schema = await createTestSchema();
    const url = new URL(TEST_PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
  }
  return { dialect, dataDir, env, remove: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Settles with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts the server on a free port with the given environment and waits until it is ready. */
export async function startServer(
  env: Record<string, string>,
  options: { script?: string; nodeArgs?: string[]; ready?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? ['--import', 'tsx']), options.script ?? MAIN],
    {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const server: ServerProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.ready !== false) {
    try {
      await waitForReady(port, child);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${output.slice(-4000)}`);
    }
  }
  return server;
}

/** Kills every server process still running (for afterEach/afterAll). */
export function killAllServers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
