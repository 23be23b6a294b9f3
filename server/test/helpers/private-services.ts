import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server-process.ts';

/**
 * Dependencies a test may stop, kill and start again: a PostgreSQL cluster and a Redis server of
 * its own, on free ports, in a temporary directory. The shared services on 5432 and 6379 are used
 * by every other test and must never be touched. Nothing here skips: when initdb, pg_ctl or
 * redis-server is missing, the start fails and so does the test (CI installs them).
 */

const run = promisify(execFile);

/** The directory holding initdb and pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((version) => fs.existsSync(path.join(root, version, 'bin', 'pg_ctl')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root} (set PG_BIN)`);
  return path.join(root, versions[0]!, 'bin');
}

const isRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root: as root, its tools run as the `postgres` OS user. */
async function asPostgres(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  try {
    const { stdout, stderr } = await run(file, argv, { timeout: timeoutMs, encoding: 'utf8' });
    return stdout + stderr;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${path.basename(command)} ${args[0] ?? ''} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication, local only). */
  url: string;
  /** Starts the cluster again (after `stop`), on the same port and data. */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast` by default: every session is ended, as in a restart. */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  running(): boolean;
  /** Stops it (if running) and deletes its directory. */
  remove(): Promise<void>;
  /** The server log so far, for a failure message. */
  log(): string;
}

const clusters = new Set<PrivatePostgres>();

/** initdb + pg_ctl start, on a free port, listening on 127.0.0.1 only, its socket in its own directory. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-pg-'));
  const dataDir = path.join(base, 'data');
  const socketDir = path.join(base, 'socket');
  const logFile = path.join(base, 'server.log');
  fs.mkdirSync(socketDir);
  fs.writeFileSync(logFile, '');
  if (isRoot()) {
    fs.chmodSync(base, 0o755);
    await run('chown', ['-R', 'postgres:postgres', base]);
  }
  await asPostgres(path.join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  let up = false;
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${socketDir}`,
    // A test cluster: durability is not what is under test here, speed on a busy machine is.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=60',
  ].join(' ');
  const cluster: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await asPostgres(path.join(bin, 'pg_ctl'), [
        'start',
        '-D',
        dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        options,
      ]);
      up = true;
    },
    async stop(mode = 'fast') {
      await asPostgres(path.join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
      up = false;
    },
    running: () => up,
    async remove() {
      clusters.delete(cluster);
      if (up) await cluster.stop('immediate').catch(() => undefined);
      fs.rmSync(base, { recursive: true, force: true });
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
  };
  clusters.add(cluster);
  await cluster.start();
  return cluster;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: Redis gone without a goodbye, as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is saved). */
  start(): Promise<void>;
  running(): boolean;
  remove(): Promise<void>;
}

const redises = new Set<PrivateRedis>();

/** Resolves once something accepts TCP connections on the port and answers a PING. */
async function waitForRedis(port: number, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(1000);
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.on('error', () => resolve(false));
      socket.on('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}

/** A redis-server of this test's own: no persistence, 127.0.0.1 only, a free port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const started = spawn(
        process.env.REDIS_SERVER ?? 'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      const spawnFailed = new Promise<never>((_, reject) =>
        started.once('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`))),
      );
      child = started;
      await Promise.race([waitForRedis(port, started), spawnFailed]);
    },
    async kill() {
      const current = child;
      child = null;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGKILL');
      await exited;
    },
    running: () => child !== null && child.exitCode === null,
    async remove() {
      redises.delete(redis);
      await redis.kill();
    },
  };
  redises.add(redis);
  await redis.start();
  return redis;
}

/** Stops every private service still up (for afterAll). */
export async function removeAllPrivateServices(): Promise<void> {
  await Promise.all([...clusters, ...redises].map((service) => service.remove().catch(() => undefined)));
}
