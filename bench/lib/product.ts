import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../../server/src/config.ts';
import { freePort, LOOPBACK, type RunningServer, startServer } from './servers.ts';

export interface Product extends RunningServer {
  dataDir: string;
  adminUsername: string;
  adminPassword: string;
}

export interface StartProductOptions {
  /** A fresh directory of this benchmark: the data dir and the log go inside it. */
  workdir: string;
  /** When set, the product writes a V8 CPU profile here when it exits. */
  cpuProfileDir?: string;
  /** Product variables for an experiment (BENCH_PRODUCT_ENV); none for quoted figures. */
  overrides?: Record<string, string>;
  /** PostgreSQL instead of SQLite in the data dir (DATABASE_URL). */
  databaseUrl?: string;
}

/** The product's SQLite file in a data dir (as server/src/main.ts names it). */
export function productSqliteFile(dataDir: string): string {
  return path.join(dataDir, 'stock-verify.sqlite');
}

/** The data dir startProduct uses for this workdir (to prepare it before the start). */
export function productDataDir(workdir: string): string {
  return path.join(workdir, 'data');
}

/**
 * The product as users start it — `node --import tsx server/src/main.ts` — with only the
 * variables a first start needs. Everything else is left at its default (INFO logging, metrics
 * and tracing on): any product variable set in the caller's environment is removed, so a
 * stray LOG_LEVEL or DATABASE_URL cannot change what is measured.
 */
export async function startProduct(options: StartProductOptions): Promise<Product> {
  const dataDir = productDataDir(options.workdir);
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(options.workdir, 'product.log');
  const port = await freePort();
  const adminUsername = 'admin';
  // 24 characters from the CSPRNG: passes the product's password policy.
  const adminPassword = `Bench-${randomBytes(18).toString('base64url')}`;

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete env[name];
  delete env.NODE_OPTIONS;
  Object.assign(env, {
    PORT: String(port),
    HOST: LOOPBACK,
    DATA_DIR: dataDir,
    ADMIN_USERNAME: adminUsername,
    ADMIN_PASSWORD: adminPassword,
    // The load generators write far faster than a person: a ceiling no benchmark reaches, so the
    // limiter stays on the path (its cost is measured) without refusing anything.
    RATE_LIMIT_WRITES_PER_MINUTE: '10000000',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.overrides,
  });

  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const server = await startServer({
    name: 'product',
    script: 'server/src/main.ts',
    nodeArgs,
    env,
    logFile,
    port,
    readyPath: '/health/ready',
    // The product finishes requests in flight on SIGTERM; a CPU profile takes a moment to write.
    stopGraceMs: 10_000,
  });
  return { ...server, dataDir, adminUsername, adminPassword };
}
