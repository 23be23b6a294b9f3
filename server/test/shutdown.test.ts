import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openDb } from '../src/platform/db/database.ts';
import {
  emptyStore,
  killAllServers,
  type ServerProcess,
  type Store,
  startServer,
  waitForReady,
} from './helpers/server-process.ts';
import { dialects, STRONG_PASSWORD } from './helpers/test-app.ts';

// Real processes on a shared two-core machine: starts and CLI runs take seconds each.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * Graceful shutdown of the real process: SIGTERM while a request's body is still arriving. The
 * request declares `Expect: 100-continue`, so the server's "100 Continue" proves it has parsed the
 * headers and is handling the request before the signal is sent: no sleeps, no timing guesses.
 */

const stores: Store[] = [];
afterEach(() => killAllServers());
afterAll(() => {
  for (const store of stores.splice(0)) store.remove();
});

async function signIn(server: ServerProcess): Promise<string> {
  const response = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: STRONG_PASSWORD }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

interface SlowRequest {
  /** Sends the rest of the body. */
  finish(): void;
  response: Promise<{ status: number; body: string }>;
}

/** POST with the headers and the first part of `body` sent; resolves once the server is handling it. */
function startSlowPost(
  server: ServerProcess,
  url: string,
  token: string,
  body: string,
): Promise<SlowRequest> {
  const split = Math.floor(body.length / 2);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: url,
      agent: false,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const response = new Promise<{ status: number; body: string }>((settle, fail) => {
      request.on('response', (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          text += chunk;
        });
        incoming.on('end', () => settle({ status: incoming.statusCode ?? 0, body: text }));
        incoming.on('error', fail);
      });
      request.on('error', fail);
    });
    response.catch(() => undefined);
    request.on('error', reject);
    request.on('continue', () => {
      request.write(body.slice(0, split));
      resolve({ finish: () => request.end(body.slice(split)), response });
    });
    request.flushHeaders();
  });
}

/** A brand-new connection's fate: refused, or answered (the status). */
function freshRequest(server: ServerProcess): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port: server.port, path: '/health/ready', agent: false });
    request.on('response', (incoming) => {
      incoming.resume();
      resolve(incoming.statusCode ?? 0);
    });
    request.on('error', () => resolve('refused'));
  });
}

async function waitForOutput(server: ServerProcess, text: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!server.output().includes(text)) {
    if (Date.now() > deadline)
      throw new Error(`no "${text}" in the output:\n${server.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * startServer, waiting up to two minutes for readiness: on a loaded two-core machine a cold start
 * (tsx compiling, migrations, argon2) can take longer than the shared helper's 30 s.
 */
async function startReady(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer(env, { ready: false });
  try {
    await waitForReady(server.port, server.child, 120_000);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${server.output().slice(-3000)}`);
  }
  return server;
}

describe.each(dialects())('graceful shutdown on %s', (dialect) => {
  it('finishes the request in flight, refuses new ones, closes the store cleanly and exits 0', async () => {
    const store = await emptyStore(dialect);
    stores.push(store);
    const env: Record<string, string> = { ...store.env, ADMIN_PASSWORD: STRONG_PASSWORD };
    const server = await startReady(env);
    const token = await signIn(server);

    const slow = await startSlowPost(
      server,
      '/api/warehouses',
      token,
      JSON.stringify({ code: 'WH-SIGTERM', name: 'Created while shutting down' }),
    );
    server.child.kill('SIGTERM');
    await waitForOutput(server, 'shutting down: finishing requests in flight');

    // The listener is closed: a new connection is refused (or, at worst, told 503).
    const fresh = await freshRequest(server);
    expect(fresh === 'refused' || fresh === 503).toBe(true);
    // Still waiting for the body: the process must not have gone yet.
    expect(server.child.exitCode).toBeNull();

    slow.finish();
    const answer = await slow.response;
    expect(answer.status).toBe(201);
    const created = JSON.parse(answer.body) as { id: string; code: string };
    expect(created.code).toBe('WH-SIGTERM');

    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('shut down cleanly');
    // The job runner gave its leases back: another instance may take the jobs at once.
    const database = openDb({
      databaseUrl: env.DATABASE_URL ?? null,
      sqliteFile: path.join(store.dataDir, 'stock-verify.sqlite'),
    });
    try {
      const held = await database.db
        .selectFrom('job_leases')
        .select('name')
        .where('holder', 'is not', null)
        .execute();
      expect(held).toEqual([]);
    } finally {
      await database.close();
    }
    if (dialect === 'sqlite') {
      // Checkpointed and closed: the database file alone holds everything.
      const wal = path.join(store.dataDir, 'stock-verify.sqlite-wal');
      expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
    }

    // The store reopens, and the request finished during shutdown is in it.
    const again = await startReady(env);
    const reread = await fetch(`${again.url}/api/warehouses/${created.id}`, {
      headers: { authorization: `Bearer ${await signIn(again)}` },
    });
    expect(reread.status).toBe(200);
    expect(((await reread.json()) as { name: string }).name).toBe('Created while shutting down');
    expect(await again.kill('SIGTERM')).toBe(0);
  });
});

describe('a second signal during shutdown', () => {
  it('exits 1 at once instead of waiting for the request in flight', async () => {
    const store = await emptyStore('sqlite');
    stores.push(store);
    const server = await startReady({ ...store.env, ADMIN_PASSWORD: STRONG_PASSWORD });
    const token = await signIn(server);
    // A body that never completes: only the second signal (or the deadline) ends the wait.
    await startSlowPost(
      server,
      '/api/warehouses',
      token,
      JSON.stringify({ code: 'WH-NEVER', name: 'Never' }),
    );
    server.child.kill('SIGTERM');
    await waitForOutput(server, 'shutting down: finishing requests in flight');
    expect(server.child.exitCode).toBeNull();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('second signal');
    expect(server.output()).not.toContain('shut down cleanly');
  });
});
