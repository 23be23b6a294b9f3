import path from 'node:path';
import { ROLES, type Role } from './platform/http/access.ts';

/**
 * Every environment variable the product reads, parsed once into a frozen, typed Config.
 * A bad value stops the start with a message that names the variable: nothing else in the
 * code reads process.env.
 */

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
export type IpFilterMode = 'whitelist' | 'blacklist';
export type CookieSecure = 'auto' | 'true' | 'false';

export interface Config {
  /** HTTP */
  port: number;
  host: string;
  trustProxy: string[];
  bodyLimitBytes: number;
  corsOrigins: string[];
  cookieSecure: CookieSecure;
  /** Storage */
  databaseUrl: string | null;
  dataDir: string;
  redisUrl: string | null;
  /** Largest import file (CSV or XLSX) accepted by POST /api/imports. */
  importMaxBytes: number;
  /** First start */
  adminUsername: string;
  adminPassword: string | null;
  /** Sessions */
  sessionIdleTimeoutMinutes: number;
  sessionAbsoluteTimeoutHours: number;
  /** Enterprise security (guide) */
  enterpriseSecurityEnabled: boolean;
  maxLoginAttempts: number;
  lockoutDurationMinutes: number;
  /** The doubling of repeated lockouts stops at this length. */
  lockoutMaxDurationMinutes: number;
  maxConcurrentSessions: number;
  ipFilterMode: IpFilterMode;
  /** Sign-in attempts per client address per minute (0: no limit). */
  rateLimitSigninPerMinute: number;
  /** Writes per signed-in user per minute, and twice that per address (0: no limit). */
  rateLimitWritesPerMinute: number;
  /** Roles whose users must sign in with a second factor (they can only set it up until they do). */
  mfaRequiredRoles: Role[];
  /** 32-byte key (64 hex characters) sealing TOTP secrets; null: generated into DATA_DIR. */
  mfaKeyFile: string | null;
  /** The issuer authenticator apps show next to the account. */
  mfaIssuer: string;
  /** 32-byte key (64 hex characters) sealing ERP connector secrets; null: generated into DATA_DIR. */
  integrationsKeyFile: string | null;
  /** ERP syncs: stock-level changes every N minutes, new items every M minutes, a full sync daily at HH:MM UTC. */
  erpSyncStockLevelsMinutes: number;
  erpSyncItemsMinutes: number;
  erpSyncFullAt: string;
  /** Timeout of one page read from the ERP, and of a live barcode lookup on a scan miss. */
  erpSyncPageTimeoutMs: number;
  erpLookupTimeoutMs: number;
  /** How often the outbox is delivered to the ERP (ERP_DELIVERY_INTERVAL_SECONDS). */
  erpDeliveryIntervalSeconds: number;
  /** Attempts before an undeliverable message is failed (ERP_DELIVERY_MAX_ATTEMPTS). */
  erpDeliveryMaxAttempts: number;
  /** Enterprise audit (guide) */
  enterpriseAuditEnabled: boolean;
  auditRetentionDays: number;
  auditHashAlgorithm: 'sha256' | 'sha384' | 'sha512';
  /** Ed25519 private key (PKCS#8 PEM) signing audit checkpoints; null: generated into DATA_DIR. */
  auditSigningKeyFile: string | null;
  /** A signed checkpoint is made after this many new entries... */
  auditCheckpointEveryEntries: number;
  /** ...or this many minutes after the last one, whichever comes first. */
  auditCheckpointIntervalMinutes: number;
  /** Every checkpoint is also appended here, outside the database. */
  auditCheckpointFile: string;
  /** Feature flags (guide) */
  featureFlagsEnabled: boolean;
  featureFlagsCacheTtlSeconds: number;
  /** A location claim lapses this long after its last heartbeat (COUNT_CLAIM_TTL_SECONDS). */
  countClaimTtlSeconds: number;
  /** Data governance (guide) */
  dataGovernanceEnabled: boolean;
  gdprComplianceMode: boolean;
  defaultRetentionDays: number;
  /** Posted counts younger than this are never removed by retention (legal hold). */
  accountingRetentionDays: number;
  /** The retention job's daily run (HH:MM, UTC). */
  retentionRunAt: string;
  /** Observability (guide) */
  structuredLogging: boolean;
  logLevel: LogLevel;
  metricsEnabled: boolean;
  metricsToken: string | null;
  tracingEnabled: boolean;
  serviceName: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function str(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function optionalStr(env: Env, name: string): string | null {
  return raw(env, name) ?? null;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `must be a whole number, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${parsed}`);
  }
  return parsed;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!match) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  return match;
}

function dailyTime(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(value))
    throw new ConfigError(name, `must be a time of day as HH:MM (UTC), got "${value}"`);
  return value;
}

function optionalPath(env: Env, name: string, cwd: string): string | null {
  const value = raw(env, name);
  return value === undefined ? null : path.resolve(cwd, value);
}

function list(env: Env, name: string): string[] {
  const value = raw(env, name);
  if (value === undefined) return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

const IPV4_OR_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_OR_CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
const TRUST_PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxy(env: Env): string[] {
  const entries = list(env, 'TRUST_PROXY');
  for (const entry of entries) {
    if (entry === 'true' || entry === '*') {
      throw new ConfigError(
        'TRUST_PROXY',
        'must list the proxy addresses (e.g. 127.0.0.1,10.0.0.0/8), never "true": any client could spoof its address',
      );
    }
    const ok =
      TRUST_PROXY_KEYWORDS.includes(entry) ||
      IPV4_OR_CIDR.test(entry) ||
      (entry.includes(':') && IPV6_OR_CIDR.test(entry));
    if (!ok)
      throw new ConfigError('TRUST_PROXY', `has an entry that is not an address or CIDR range: "${entry}"`);
  }
  return entries;
}

function databaseUrl(env: Env): string | null {
  const value = optionalStr(env, 'DATABASE_URL');
  if (value === null) return null;
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError(
      'DATABASE_URL',
      'must start with postgres:// or postgresql:// (leave it unset for SQLite)',
    );
  }
  try {
    new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a valid URL');
  }
  return value;
}

function redisUrl(env: Env): string | null {
  const value = optionalStr(env, 'REDIS_URL');
  if (value !== null && !/^rediss?:\/\//.test(value)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  return value;
}

function corsOrigins(env: Env): string[] {
  const origins = list(env, 'CORS_ORIGINS');
  for (const origin of origins) {
    if (origin === '*') throw new ConfigError('CORS_ORIGINS', 'must list origins explicitly, not "*"');
    try {
      const url = new URL(origin);
      if (url.origin !== origin) throw new Error('not an origin');
    } catch {
      throw new ConfigError(
        'CORS_ORIGINS',
        `has an entry that is not an origin like https://host:port: "${origin}"`,
      );
    }
  }
  return origins;
}

function metricsToken(env: Env): string | null {
  const value = optionalStr(env, 'METRICS_TOKEN');
  if (value !== null && value.length < 24) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 24 characters long');
  }
  return value;
}

function roles(env: Env, name: string): Role[] {
  const entries = list(env, name).map((entry) => entry.toLowerCase());
  for (const entry of entries) {
    if (!(ROLES as readonly string[]).includes(entry)) {
      throw new ConfigError(name, `must list roles from ${ROLES.join(', ')}, got "${entry}"`);
    }
  }
  return [...new Set(entries)] as Role[];
}

function mfaIssuer(env: Env): string {
  const value = str(env, 'MFA_ISSUER', 'Stock Verify');
  if (value.includes(':') || value.length > 64) {
    throw new ConfigError('MFA_ISSUER', 'must be at most 64 characters and contain no colon');
  }
  return value;
}

function adminUsername(env: Env): string {
  const value = str(env, 'ADMIN_USERNAME', 'admin');
  if (!/^[A-Za-z0-9._@-]{3,64}$/.test(value)) {
    throw new ConfigError('ADMIN_USERNAME', 'must be 3-64 characters of letters, digits and . _ @ -');
  }
  return value;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Readonly<Config> {
  const config: Config = {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: str(env, 'HOST', '0.0.0.0'),
    trustProxy: trustProxy(env),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    corsOrigins: corsOrigins(env),
    cookieSecure: oneOf(env, 'COOKIE_SECURE', 'auto', ['auto', 'true', 'false'] as const),
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(cwd, str(env, 'DATA_DIR', './data')),
    redisUrl: redisUrl(env),
    importMaxBytes: int(env, 'IMPORT_MAX_BYTES', 200 * 1024 * 1024, 1024, 10 * 1024 * 1024 * 1024),
    adminUsername: adminUsername(env),
    adminPassword: optionalStr(env, 'ADMIN_PASSWORD'),
    sessionIdleTimeoutMinutes: int(env, 'SESSION_IDLE_TIMEOUT_MINUTES', 30, 1, 7 * 24 * 60),
    sessionAbsoluteTimeoutHours: int(env, 'SESSION_ABSOLUTE_TIMEOUT_HOURS', 12, 1, 30 * 24),
    enterpriseSecurityEnabled: bool(env, 'ENTERPRISE_SECURITY_ENABLED', true),
    maxLoginAttempts: int(env, 'MAX_LOGIN_ATTEMPTS', 5, 1, 1000),
    lockoutDurationMinutes: int(env, 'LOCKOUT_DURATION_MINUTES', 15, 1, 7 * 24 * 60),
    lockoutMaxDurationMinutes: int(env, 'LOCKOUT_MAX_DURATION_MINUTES', 24 * 60, 1, 30 * 24 * 60),
    maxConcurrentSessions: int(env, 'MAX_CONCURRENT_SESSIONS', 5, 1, 1000),
    ipFilterMode: oneOf(env, 'IP_FILTER_MODE', 'blacklist', ['whitelist', 'blacklist'] as const),
    rateLimitSigninPerMinute: int(env, 'RATE_LIMIT_SIGNIN_PER_MINUTE', 30, 0, 100_000),
    rateLimitWritesPerMinute: int(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 600, 0, 10_000_000),
    mfaRequiredRoles: roles(env, 'MFA_REQUIRED_ROLES'),
    mfaKeyFile: optionalPath(env, 'MFA_KEY_FILE', cwd),
    mfaIssuer: mfaIssuer(env),
    integrationsKeyFile: optionalPath(env, 'INTEGRATIONS_KEY_FILE', cwd),
    erpSyncStockLevelsMinutes: int(env, 'ERP_SYNC_STOCK_LEVELS_MINUTES', 5, 1, 24 * 60),
    erpSyncItemsMinutes: int(env, 'ERP_SYNC_ITEMS_MINUTES', 15, 1, 24 * 60),
    erpSyncFullAt: dailyTime(env, 'ERP_SYNC_FULL_AT', '02:00'),
    erpSyncPageTimeoutMs: int(env, 'ERP_SYNC_PAGE_TIMEOUT_MS', 15_000, 100, 600_000),
    erpLookupTimeoutMs: int(env, 'ERP_LOOKUP_TIMEOUT_MS', 2_000, 100, 60_000),
    erpDeliveryIntervalSeconds: int(env, 'ERP_DELIVERY_INTERVAL_SECONDS', 30, 5, 86400),
    erpDeliveryMaxAttempts: int(env, 'ERP_DELIVERY_MAX_ATTEMPTS', 12, 1, 1000),
    enterpriseAuditEnabled: bool(env, 'ENTERPRISE_AUDIT_ENABLED', true),
    auditRetentionDays: int(env, 'AUDIT_RETENTION_DAYS', 365, 1, 36500),
    auditHashAlgorithm: oneOf(env, 'AUDIT_HASH_ALGORITHM', 'sha256', ['sha256', 'sha384', 'sha512'] as const),
    auditSigningKeyFile: optionalPath(env, 'AUDIT_SIGNING_KEY_FILE', cwd),
    auditCheckpointEveryEntries: int(env, 'AUDIT_CHECKPOINT_EVERY_ENTRIES', 1000, 1, 10_000_000),
    auditCheckpointIntervalMinutes: int(env, 'AUDIT_CHECKPOINT_INTERVAL_MINUTES', 60, 1, 7 * 24 * 60),
    auditCheckpointFile: path.resolve(
      cwd,
      raw(env, 'AUDIT_CHECKPOINT_FILE') ??
        path.join(str(env, 'DATA_DIR', './data'), 'audit-checkpoints.jsonl'),
    ),
    featureFlagsEnabled: bool(env, 'FEATURE_FLAGS_ENABLED', true),
    featureFlagsCacheTtlSeconds: int(env, 'FEATURE_FLAGS_CACHE_TTL', 60, 0, 86400),
    countClaimTtlSeconds: int(env, 'COUNT_CLAIM_TTL_SECONDS', 300, 30, 86400),
    dataGovernanceEnabled: bool(env, 'DATA_GOVERNANCE_ENABLED', true),
    gdprComplianceMode: bool(env, 'GDPR_COMPLIANCE_MODE', true),
    defaultRetentionDays: int(env, 'DEFAULT_RETENTION_DAYS', 365, 1, 36500),
    accountingRetentionDays: int(env, 'ACCOUNTING_RETENTION_DAYS', 2555, 1, 36500),
    retentionRunAt: dailyTime(env, 'RETENTION_RUN_AT', '03:00'),
    structuredLogging: bool(env, 'STRUCTURED_LOGGING', true),
    logLevel: oneOf(env, 'LOG_LEVEL', 'INFO', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const),
    metricsEnabled: bool(env, 'METRICS_ENABLED', true),
    metricsToken: metricsToken(env),
    tracingEnabled: bool(env, 'TRACING_ENABLED', true),
    serviceName: str(env, 'SERVICE_NAME', 'stock-verify-api'),
  };
  if (config.lockoutMaxDurationMinutes < config.lockoutDurationMinutes) {
    throw new ConfigError(
      'LOCKOUT_MAX_DURATION_MINUTES',
      'must not be shorter than LOCKOUT_DURATION_MINUTES',
    );
  }
  return Object.freeze(config);
}

/** Every variable loadConfig reads, with its default, for .env.example and the README table. */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'TRUST_PROXY',
  'BODY_LIMIT_BYTES',
  'CORS_ORIGINS',
  'COOKIE_SECURE',
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'IMPORT_MAX_BYTES',
  'ADMIN_USERNAME',
  'ADMIN_PASSWORD',
  'SESSION_IDLE_TIMEOUT_MINUTES',
  'SESSION_ABSOLUTE_TIMEOUT_HOURS',
  'ENTERPRISE_SECURITY_ENABLED',
  'MAX_LOGIN_ATTEMPTS',
  'LOCKOUT_DURATION_MINUTES',
  'LOCKOUT_MAX_DURATION_MINUTES',
  'MAX_CONCURRENT_SESSIONS',
  'IP_FILTER_MODE',
  'RATE_LIMIT_SIGNIN_PER_MINUTE',
  'RATE_LIMIT_WRITES_PER_MINUTE',
  'MFA_REQUIRED_ROLES',
  'MFA_KEY_FILE',
  'MFA_ISSUER',
  'INTEGRATIONS_KEY_FILE',
  'ERP_SYNC_STOCK_LEVELS_MINUTES',
  'ERP_SYNC_ITEMS_MINUTES',
  'ERP_SYNC_FULL_AT',
  'ERP_SYNC_PAGE_TIMEOUT_MS',
  'ERP_LOOKUP_TIMEOUT_MS',
  'ERP_DELIVERY_INTERVAL_SECONDS',
  'ERP_DELIVERY_MAX_ATTEMPTS',
  'ENTERPRISE_AUDIT_ENABLED',
  'AUDIT_RETENTION_DAYS',
  'AUDIT_HASH_ALGORITHM',
  'AUDIT_SIGNING_KEY_FILE',
  'AUDIT_CHECKPOINT_EVERY_ENTRIES',
  'AUDIT_CHECKPOINT_INTERVAL_MINUTES',
  'AUDIT_CHECKPOINT_FILE',
  'FEATURE_FLAGS_ENABLED',
  'FEATURE_FLAGS_CACHE_TTL',
  'COUNT_CLAIM_TTL_SECONDS',
  'DATA_GOVERNANCE_ENABLED',
  'GDPR_COMPLIANCE_MODE',
  'DEFAULT_RETENTION_DAYS',
  'ACCOUNTING_RETENTION_DAYS',
  'RETENTION_RUN_AT',
  'STRUCTURED_LOGGING',
  'LOG_LEVEL',
  'METRICS_ENABLED',
  'METRICS_TOKEN',
  'TRACING_ENABLED',
  'SERVICE_NAME',
] as const;
