import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { type AuditTrail, createAuditTrail } from '../modules/audit/audit.service.ts';
import { type AuditAdmin, createAuditAdmin } from '../modules/audit/audit-admin.service.ts';
import { loadOrCreateSigningKey } from '../modules/audit/checkpoint-signing.ts';
import { type Checkpointer, createCheckpointer } from '../modules/audit/checkpoints.ts';
import { type AuditContext, SYSTEM_CONTEXT } from '../modules/audit/events.ts';
import { createArgon2Hasher } from '../modules/auth/credentials.ts';
import { createSessionsService } from '../modules/auth/sessions.service.ts';
import { createSecurityEvents } from '../modules/security/events/security-events.service.ts';
import { createLockouts, type Lockouts } from '../modules/security/lockout/lockout.service.ts';
import { createUsersService, type UsersService } from '../modules/users/users.service.ts';
import { systemClock } from '../platform/clock.ts';
import { type DbHandle, openDb } from '../platform/db/database.ts';
import { systemIds } from '../platform/ids.ts';
import { createLogger } from '../platform/observability/logger.ts';

/** The SQLite file inside DATA_DIR: the same path main.ts opens. */
export function sqliteFileOf(config: Readonly<Config>): string {
  return path.join(config.dataDir, 'stock-verify.sqlite');
}

export function openDatabase(config: Readonly<Config>): DbHandle {
  return openDb({ databaseUrl: config.databaseUrl, sqliteFile: sqliteFileOf(config), pgPoolSize: 2 });
}

/**
 * Who a command acts as in the audit trail: the system (no user, no address), with a request id
 * `cli-<uuid>` so an auditor can tell an operator's command from the server's own start-up work.
 */
export function cliContext(): AuditContext {
  return { ...SYSTEM_CONTEXT, request_id: `cli-${randomUUID()}` };
}

/** Log lines go to stderr, warnings and worse only: stdout is the command's output (JSON, a report). */
export function cliLogger(config: Readonly<Config>): Logger {
  return createLogger({
    level: 'WARN',
    service: config.serviceName,
    structured: config.structuredLogging,
    destination: process.stderr,
  });
}

/** The audit trail as the server keeps it (same switch and hash algorithm), for a command's entries. */
export function cliAuditTrail(config: Readonly<Config>, database: DbHandle): AuditTrail {
  return createAuditTrail({
    database,
    clock: systemClock,
    ids: systemIds,
    enabled: config.enterpriseAuditEnabled,
    algorithm: config.auditHashAlgorithm,
  });
}

export interface CliServices {
  database: DbHandle;
  trail: AuditTrail;
  checkpointer: Checkpointer;
  auditAdmin: AuditAdmin;
  users: UsersService;
  lockouts: Lockouts;
}

/**
 * The services a command needs, built from their modules the way app.ts builds them (same keys,
 * same policies) but without the HTTP server and without app.ts's start-up work: recovering
 * interrupted imports or recording a start would be wrong while a server runs on the same store.
 */
export function buildCliServices(config: Readonly<Config>, database: DbHandle): CliServices {
  const clock = systemClock;
  const ids = systemIds;
  const db = database.db;
  const logger = cliLogger(config);
  const trail = cliAuditTrail(config, database);
  const signing = loadOrCreateSigningKey({ keyFile: config.auditSigningKeyFile, dataDir: config.dataDir });
  const checkpointer = createCheckpointer({
    db,
    clock,
    logger,
    key: signing.key,
    origin: config.serviceName,
    everyEntries: config.auditCheckpointEveryEntries,
    intervalMinutes: config.auditCheckpointIntervalMinutes,
    file: config.auditCheckpointFile,
  });
  const auditAdmin = createAuditAdmin({
    database,
    clock,
    ids,
    logger,
    trail,
    checkpointer,
    retentionDays: config.auditRetentionDays,
  });
  const sessions = createSessionsService({
    db,
    clock,
    ids,
    policy: {
      idleTimeoutMinutes: config.sessionIdleTimeoutMinutes,
      absoluteTimeoutHours: config.sessionAbsoluteTimeoutHours,
      maxConcurrent: config.maxConcurrentSessions,
    },
  });
  const users = createUsersService({ db, clock, ids, hasher: createArgon2Hasher(), sessions, audit: trail });
  const securityEvents = createSecurityEvents({ db, clock, ids, trail });
  const lockouts = createLockouts({
    db,
    clock,
    ids,
    trail,
    securityEvents,
    log: logger,
    policy: {
      enabled: () => config.enterpriseSecurityEnabled,
      maxAttempts: config.maxLoginAttempts,
      durationMinutes: config.lockoutDurationMinutes,
      maxDurationMinutes: config.lockoutMaxDurationMinutes,
    },
  });
  return { database, trail, checkpointer, auditAdmin, users, lockouts };
}
