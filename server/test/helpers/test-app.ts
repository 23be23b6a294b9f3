import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type App, buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { AuditRow } from '../../src/modules/audit/entry-hash.ts';
import { SYSTEM_CONTEXT } from '../../src/modules/audit/events.ts';
import { createArgon2Hasher } from '../../src/modules/auth/credentials.ts';
import type { UsersService } from '../../src/modules/users/users.service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { type DbHandle, type Dialect, openDb } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrator.ts';
import type { Role } from '../../src/platform/http/access.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/platform/observability/metrics.ts';

/**
 * Every storage and HTTP test runs once per dialect, each on a fresh database: a new SQLite file,
 * or a new PostgreSQL schema dropped afterwards. TEST_DIALECTS=sqlite narrows the set on a
 * machine without PostgreSQL, except in CI, where every dialect is required.
 */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function dialects(): Dialect[] {
  const requested = process.env.CI === 'true' ? undefined : process.env.TEST_DIALECTS;
  if (!requested) return ['sqlite', 'postgres'];
  return requested.split(',').map((name) => name.trim()) as Dialect[];
}

/** Cheap argon2id parameters: real hashing, a fraction of the production cost. */
export const testHasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1 });

export const STRONG_PASSWORD = 'correct-Horse-battery-7';

export interface TestDatabase {
  handle: DbHandle;
  drop(): Promise<void>;
}

export async function freshDatabase(
  dialect: Dialect,
  onQuery?: Metrics['observeQuery'],
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-test-'));
    const handle = openDb({
      databaseUrl: null,
      sqliteFile: path.join(dir, 'test.sqlite'),
      ...(onQuery ? { onQuery } : {}),
    });
    await migrateToLatest(handle.db, handle.dialect);
    return {
      handle,
      async drop() {
        await handle.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = await createTestSchema();
  const handle = openDb({
    databaseUrl: TEST_PG_URL,
    pgSchema: schema,
    pgPoolSize: 4,
    ...(onQuery ? { onQuery } : {}),
  });
  await migrateToLatest(handle.db, handle.dialect);
  // The schema itself is dropped when the whole run ends (global-setup.ts).
  return { handle, drop: () => handle.close() };
}

/** A new, empty PostgreSQL schema for one test; dropped at the end of the run. */
export async function createTestSchema(): Promise<string> {
  const prefix = process.env.SV_TEST_SCHEMA_PREFIX ?? `t${Date.now().toString(36)}_`;
  const schema = `${prefix}${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  return schema;
}

export interface TestApp {
  server: FastifyInstance;
  users: UsersService;
  audit: App['audit'];
  database: DbHandle;
  config: Readonly<Config>;
  clock: ManualClock;
  metrics: Metrics | null;
  circuitBreakers: App['circuitBreakers'];
  jobs: App['jobs'];
  connectors: App['connectors'];
  erpSync: App['erpSync'];
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log text, to search for leaked secrets. */
  rawLogs(): string;
  /** Creates a user directly (no HTTP) and signs them in; returns their bearer token. */
  userWithToken(role: Role, username?: string): Promise<{ id: string; username: string; token: string }>;
  login(username: string, password: string): Promise<string>;
  /** The audit entries with this action, oldest first, details parsed. */
  auditEntries(action: string): Promise<(Omit<AuditRow, 'details'> & { details: Record<string, unknown> })[]>;
  close(): Promise<void>;
}

export async function createTestApp(options: {
  dialect: Dialect;
  env?: Record<string, string>;
  webRoot?: string | null;
  /** Registers extra routes before the app is sealed (e.g. one that throws, for error tests). */
  extraRoutes?: (server: FastifyInstance) => void;
}): Promise<TestApp> {
  // Its own data directory: the audit signing key and the checkpoint file go there.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-data-'));
  const config = loadConfig({ LOG_LEVEL: 'INFO', DATA_DIR: dataDir, ...options.env }, process.cwd());
  const metrics = config.metricsEnabled ? createMetrics() : null;
  const fresh = await freshDatabase(options.dialect, metrics?.observeQuery);
  const clock = new ManualClock(new Date());
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({
    level: config.logLevel,
    service: config.serviceName,
    structured: config.structuredLogging,
    destination: destination as never,
  });
  const { server, users, audit, circuitBreakers, jobs, connectors, erpSync } = await buildApp({
    config,
    database: fresh.handle,
    logger,
    metrics,
    clock,
    hasher: testHasher,
    webRoot: options.webRoot ?? null,
  });
  options.extraRoutes?.(server);
  await server.ready();
  let counter = 0;

  const app: TestApp = {
    server,
    users,
    audit,
    database: fresh.handle,
    config,
    clock,
    metrics,
    circuitBreakers,
    jobs,
    connectors,
    erpSync,
    get logs() {
      return chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    rawLogs: () => chunks.join(''),
    async login(username, password) {
      const response = await server.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password },
      });
      if (response.statusCode !== 200)
        throw new Error(`login failed: ${response.statusCode} ${response.body}`);
      return (response.json() as { access_token: string }).access_token;
    },
    async userWithToken(role, username) {
      counter += 1;
      const name = username ?? `${role}${counter}`;
      const user = await users.create(
        {
          username: name,
          display_name: `Test ${name}`,
          role,
          password: STRONG_PASSWORD,
        },
        SYSTEM_CONTEXT,
      );
      return { id: user.id, username: name, token: await app.login(name, STRONG_PASSWORD) };
    },
    async auditEntries(action) {
      const rows = await fresh.handle.db
        .selectFrom('enterprise_audit_logs')
        .selectAll()
        .where('action', '=', action)
        .orderBy('seq')
        .execute();
      return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
    },
    async close() {
      await server.close();
      await fresh.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return app;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
