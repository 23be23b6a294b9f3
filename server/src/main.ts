import path from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { ensureFirstAdmin } from './modules/users/first-admin.ts';
import { openDb } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrator.ts';
import { createLogger } from './platform/observability/logger.ts';
import { createMetrics } from './platform/observability/metrics.ts';
import { installProcessSafetyNet } from './platform/observability/process-safety.ts';

/** Reads config, opens the database, migrates, creates the first admin, listens, shuts down gracefully. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }

  const logger = createLogger({
    level: config.logLevel,
    service: config.serviceName,
    structured: config.structuredLogging,
  });
  installProcessSafetyNet(logger);

  const metrics = config.metricsEnabled ? createMetrics() : null;
  const database = openDb({
    databaseUrl: config.databaseUrl,
    sqliteFile: path.join(config.dataDir, 'stock-verify.sqlite'),
    ...(metrics ? { onQuery: metrics.observeQuery } : {}),
  });
  const applied = await migrateToLatest(database.db, database.dialect);
  logger.info({ dialect: database.dialect, applied: applied.length }, 'database ready');

  const { server, users, audit } = await buildApp({
    config,
    database,
    logger,
    metrics,
    appliedMigrations: applied,
  });
  const admin = await ensureFirstAdmin(users, config);
  if (admin.generatedPassword) {
    // Printed once to the operator's terminal, not through the logger, so no log store keeps it.
    process.stdout.write(
      `\n  First start: created admin user "${admin.username}" with password\n\n      ${admin.generatedPassword}\n\n` +
        '  It is shown only this once. Sign in and change it.\n\n',
    );
  } else if (admin.created) {
    logger.info('first admin created from ADMIN_USERNAME / ADMIN_PASSWORD');
  }

  await server.listen({ port: config.port, host: config.host });
  // Signed checkpoints on their schedule; audit retention now and every 6 hours.
  audit.admin.start();

  let closing = false;
  /**
   * SIGTERM (systemd, Kubernetes, a load balancer draining) or SIGINT: the listener closes (new
   * connections are refused, a new request on a kept-alive connection gets 503), requests in
   * flight finish, then the onClose hooks stop the background work — the job runner aborts its
   * jobs and releases their leases, the audit checkpoint and retention timers, the flag and IP
   * list refreshes, a running import, the Redis rate-limit store — and the database closes last.
   * A second signal, or SHUTDOWN_DEADLINE_MS without finishing, exits 1 at once.
   */
  const shutdown = async (signal: string) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting before shutdown finished');
      await exitAfterFlush(logger, 1);
      return;
    }
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => {
      logger.error({ deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed: exiting unfinished');
      void exitAfterFlush(logger, 1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    let code = 0;
    try {
      await server.close();
      if (database.dialect === 'sqlite') {
        // Everything in the WAL goes into the main file, so the file alone is complete (a copy of
        // it, or a restore, needs no -wal beside it). Closing would checkpoint too; this says so.
        await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(database.db);
      }
      await database.close();
      logger.info('shut down cleanly');
    } catch (error) {
      code = 1;
      logger.error({ err: error }, 'shutdown failed');
    }
    await exitAfterFlush(logger, code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Longest a shutdown may take before the process exits anyway (systemd's TimeoutStopSec is above it). */
const SHUTDOWN_DEADLINE_MS = 30_000;

/** Exits once buffered log lines are written (the last one says how the shutdown went). */
async function exitAfterFlush(logger: Logger, code: number): Promise<never> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  process.exit(code);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Stock Verify failed to start: ${message}\n`);
  process.exit(1);
});
