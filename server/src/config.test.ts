import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.ts';

describe('config', () => {
  it('applies the guide defaults when nothing is set', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '/srv/app/data',
      databaseUrl: null,
      enterpriseSecurityEnabled: true,
      maxLoginAttempts: 5,
      lockoutDurationMinutes: 15,
      maxConcurrentSessions: 5,
      ipFilterMode: 'blacklist',
      enterpriseAuditEnabled: true,
      auditRetentionDays: 365,
      auditHashAlgorithm: 'sha256',
      featureFlagsEnabled: true,
      featureFlagsCacheTtlSeconds: 60,
      dataGovernanceEnabled: true,
      gdprComplianceMode: true,
      defaultRetentionDays: 365,
      structuredLogging: true,
      logLevel: 'INFO',
      metricsEnabled: true,
      tracingEnabled: true,
      trustProxy: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        PORT: '9000',
        MAX_LOGIN_ATTEMPTS: '3',
        IP_FILTER_MODE: 'WHITELIST',
        AUDIT_HASH_ALGORITHM: 'sha512',
        FEATURE_FLAGS_CACHE_TTL: '5',
        STRUCTURED_LOGGING: 'false',
        LOG_LEVEL: 'debug',
        TRUST_PROXY: '127.0.0.1, 10.0.0.0/8, ::1',
        DATABASE_URL: 'postgres://u:p@db:5432/stock',
        METRICS_TOKEN: 'x'.repeat(32),
        MFA_REQUIRED_ROLES: 'Admin, auditor,admin',
        MFA_KEY_FILE: 'keys/mfa.hex',
      },
      '/srv',
    );
    expect(config.port).toBe(9000);
    expect(config.maxLoginAttempts).toBe(3);
    expect(config.ipFilterMode).toBe('whitelist');
    expect(config.auditHashAlgorithm).toBe('sha512');
    expect(config.featureFlagsCacheTtlSeconds).toBe(5);
    expect(config.structuredLogging).toBe(false);
    expect(config.logLevel).toBe('DEBUG');
    expect(config.trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/stock');
    expect(config.mfaRequiredRoles).toEqual(['admin', 'auditor']);
    expect(config.mfaKeyFile).toBe('/srv/keys/mfa.hex');
    expect(config.mfaIssuer).toBe('Stock Verify');
  });

  it.each([
    ['PORT', 'eighty', /PORT must be a whole number/],
    ['PORT', '70000', /PORT must be between 0 and 65535/],
    ['MAX_LOGIN_ATTEMPTS', '0', /MAX_LOGIN_ATTEMPTS must be between 1/],
    ['IP_FILTER_MODE', 'greylist', /IP_FILTER_MODE must be one of whitelist, blacklist/],
    ['ENTERPRISE_SECURITY_ENABLED', 'maybe', /ENTERPRISE_SECURITY_ENABLED must be true or false/],
    ['AUDIT_HASH_ALGORITHM', 'md5', /AUDIT_HASH_ALGORITHM must be one of/],
    ['LOG_LEVEL', 'LOUD', /LOG_LEVEL must be one of/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must start with postgres/],
    ['TRUST_PROXY', 'true', /TRUST_PROXY must list the proxy addresses/],
    ['TRUST_PROXY', 'proxy.example', /TRUST_PROXY has an entry that is not an address/],
    ['METRICS_TOKEN', 'short', /METRICS_TOKEN must be at least 24/],
    ['CORS_ORIGINS', '*', /CORS_ORIGINS must list origins/],
    ['ADMIN_USERNAME', 'a b', /ADMIN_USERNAME must be/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must start with redis/],
    ['MFA_REQUIRED_ROLES', 'admin,manager', /MFA_REQUIRED_ROLES must list roles from admin, supervisor/],
    ['MFA_ISSUER', 'Acme:Stock', /MFA_ISSUER must be at most 64 characters and contain no colon/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('lists every variable in .env.example', async () => {
    const fs = await import('node:fs');
    const example = fs.readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const name of CONFIG_VARIABLES) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
