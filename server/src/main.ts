import path from 'node:path';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { ensureFirstAdmin } from './modules/users/first-admin.ts';
import { openDb } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrator.ts';
import { createLogger } from './platform/observability/logger.ts';
import { createMetrics } from './platform/observability/metrics.ts';
import { installProcessSafetyNet } from './platform/observability/process-safety.ts';

/** Reads config, opens the database, migrates, creates the first admin, listens, closes gracefully. */
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
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await server.close();
      await database.close();
      logger.info('shut down cleanly');
    } finally {
      logger.flush();
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Stock Verify failed to start: ${message}\n`);
  process.exit(1);
});
