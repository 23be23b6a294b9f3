import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emptyStore, freePort, type Store, waitForReady } from './helpers/server-process.ts';

// Real processes on a shared two-core machine: starts and CLI runs take seconds each.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * The production build as operators run it: `npm run build` (web app + server compiled to
 * dist/server) and `npm run start:prod`. `npm test` builds before the tests; run alone, this
 * builds what is missing or older than the source.
 */
const DIST_MAIN = path.resolve('dist/server/main.js');
const DIST_CLI = path.resolve('dist/server/cli.js');
const WEB_INDEX = path.resolve('dist/web/index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function npm(args: string[]): void {
  const result = spawnSync('npm', args, { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

let store: Store;
let child: ChildProcess | null = null;

beforeAll(() => {
  const stale = !fs.existsSync(DIST_MAIN) || fs.statSync(DIST_MAIN).mtimeMs < newestSource('server/src');
  if (stale) npm(['run', '-s', 'build:server']);
  if (!fs.existsSync(WEB_INDEX)) npm(['run', '-s', 'build:web']);
}, 600_000);

afterAll(() => {
  // npm and the server under it are a process group of their own: nothing is left behind.
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  store?.remove();
});

describe('the production build', () => {
  it('compiles the server to JavaScript with relative imports rewritten to .js', () => {
    expect(fs.existsSync(DIST_MAIN)).toBe(true);
    const main = fs.readFileSync(DIST_MAIN, 'utf8');
    expect(main).toMatch(/from ["']\.\/app\.js["']/);
    expect(main).not.toMatch(/from ["']\.[^"']*\.ts["']/);
    // The compiled CLI runs under plain node, without tsx.
    const help = spawnSync(process.execPath, [DIST_CLI, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('export-checkpoint');
  });

  it('npm run start:prod serves the API and the built web app on a fresh SQLite store and stops on SIGTERM', async () => {
    store = await emptyStore('sqlite');
    const port = await freePort();
    child = spawn('npm', ['run', '-s', 'start:prod'], {
      env: { ...process.env, ...store.env, PORT: String(port), HOST: '127.0.0.1', ADMIN_PASSWORD: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    try {
      await waitForReady(port, child, 120_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output.slice(-3000)}`);
    }
    const base = `http://127.0.0.1:${port}`;

    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    const html = await index.text();
    expect(html).toBe(fs.readFileSync(WEB_INDEX, 'utf8'));
    // The assets the page loads come from dist/web/assets.
    const asset = /(?:src|href)="(\/assets\/[^"]+)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const assetResponse = await fetch(`${base}${asset}`);
    expect(assetResponse.status).toBe(200);
    expect(Buffer.from(await assetResponse.arrayBuffer()).length).toBe(
      fs.statSync(path.join('dist/web', asset!)).size,
    );
    // A client-side route gets the app; an unknown API path is still a real 404.
    expect((await fetch(`${base}/counting/anything`)).status).toBe(200);
    expect((await fetch(`${base}/api/no-such-thing`)).status).toBe(404);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('shut down cleanly');
  });
});
