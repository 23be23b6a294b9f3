import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { type AuditTrail, createAuditTrail } from './modules/audit/audit.service.ts';
import { type AuditAdmin, createAuditAdmin } from './modules/audit/audit-admin.service.ts';
import { loadOrCreateSigningKey } from './modules/audit/checkpoint-signing.ts';
import { type Checkpointer, createCheckpointer } from './modules/audit/checkpoints.ts';
import { auditContextOf, SYSTEM_CONTEXT } from './modules/audit/events.ts';
import { recordStartup } from './modules/audit/system-events.ts';
import { authRoutes, CSRF_HEADER, SESSION_COOKIE } from './modules/auth/auth.routes.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createArgon2Hasher, type PasswordHasher } from './modules/auth/credentials.ts';
import { createSessionsService } from './modules/auth/sessions.service.ts';
import { countEntriesRoutes } from './modules/counting/entries/entries.routes.ts';
import { createCountEntries } from './modules/counting/entries/entries.service.ts';
import { countPostingRoutes } from './modules/counting/posting/posting.routes.ts';
import { createCountPosting } from './modules/counting/posting/posting.service.ts';
import { countReportsRoutes } from './modules/counting/reports/reports.routes.ts';
import { createCountReports } from './modules/counting/reports/reports.service.ts';
import { countReviewRoutes } from './modules/counting/review/review.routes.ts';
import { createCountReview } from './modules/counting/review/review.service.ts';
import { countSessionsRoutes } from './modules/counting/sessions/sessions.routes.ts';
import { createCountSessions } from './modules/counting/sessions/sessions.service.ts';
import { registerDataReadAudit } from './modules/flags/data-read-audit.ts';
import { registerFlagGuard } from './modules/flags/flag-guard.ts';
import { flagsRoutes } from './modules/flags/flags.routes.ts';
import { createFeatureFlags, type FeatureFlags } from './modules/flags/flags.service.ts';
import { ofrepRoutes } from './modules/flags/ofrep.routes.ts';
import { complianceRoutes } from './modules/governance/compliance/compliance.routes.ts';
import { createCompliance } from './modules/governance/compliance/compliance.service.ts';
import { dataRequestsRoutes } from './modules/governance/requests/requests.routes.ts';
import { createDataRequests } from './modules/governance/requests/requests.service.ts';
import { retentionRoutes } from './modules/governance/retention/retention.routes.ts';
import { createRetention, RETENTION_JOB } from './modules/governance/retention/retention.service.ts';
import { importsRoutes } from './modules/imports/imports.routes.ts';
import { createImportsService } from './modules/imports/imports.service.ts';
import { circuitBreakersRoutes } from './modules/integrations/circuit-breakers/circuit-breakers.routes.ts';
import {
  type CircuitBreakers,
  createCircuitBreakers,
} from './modules/integrations/circuit-breakers/registry.ts';
import { transitionEvent } from './modules/integrations/circuit-breakers/transition-events.ts';
import { loadOrCreateConnectorKey } from './modules/integrations/connectors/connector-key.ts';
import { connectorsRoutes } from './modules/integrations/connectors/connectors.routes.ts';
import { type Connectors, createConnectors } from './modules/integrations/connectors/connectors.service.ts';
import { deliveryRoutes } from './modules/integrations/delivery/delivery.routes.ts';
import {
  createErpDelivery,
  DELIVERY_JOB,
  deliveryJob,
} from './modules/integrations/delivery/delivery.service.ts';
import { jobsRoutes } from './modules/integrations/jobs/jobs.routes.ts';
import { createJobsAdmin } from './modules/integrations/jobs/jobs.service.ts';
import { registerSyncJobs } from './modules/integrations/sync/sync.jobs.ts';
import { syncRoutes } from './modules/integrations/sync/sync.routes.ts';
import { createErpSync, type ErpSync } from './modules/integrations/sync/sync.service.ts';
import { itemsRoutes } from './modules/items/items.routes.ts';
import { createItemsService } from './modules/items/items.service.ts';
import { locationsRoutes } from './modules/locations/locations.routes.ts';
import { createLocationsService } from './modules/locations/locations.service.ts';
import { warehousesRoutes } from './modules/locations/warehouses.routes.ts';
import { createWarehousesService } from './modules/locations/warehouses.service.ts';
import { createSecurityEvents } from './modules/security/events/security-events.service.ts';
import { registerIpFilter } from './modules/security/ip-lists/ip-filter.ts';
import { ipListsRoutes } from './modules/security/ip-lists/ip-lists.routes.ts';
import { createIpLists } from './modules/security/ip-lists/ip-lists.service.ts';
import { IpMatcher, parseCidr } from './modules/security/ip-lists/ip-match.ts';
import { lockoutRoutes } from './modules/security/lockout/lockout.routes.ts';
import { createLockouts } from './modules/security/lockout/lockout.service.ts';
import { mfaRoutes } from './modules/security/mfa/mfa.routes.ts';
import { createMfa } from './modules/security/mfa/mfa.service.ts';
import { loadOrCreateMfaKey } from './modules/security/mfa/mfa-key.ts';
import { registerRequestLimits } from './modules/security/rate-limit/request-limits.ts';
import { securityRoutes } from './modules/security/security.routes.ts';
import { stockLevelsRoutes } from './modules/stock-levels/stock-levels.routes.ts';
import { createStockLevelsService } from './modules/stock-levels/stock-levels.service.ts';
import { usersRoutes } from './modules/users/users.routes.ts';
import { createUsersService, type UsersService } from './modules/users/users.service.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import type { DbHandle } from './platform/db/database.ts';
import { pendingMigrations } from './platform/db/migrator.ts';
import { access, type Role, registerAccessGuard } from './platform/http/access.ts';
import { registerCors } from './platform/http/cors.ts';
import { errorBody, frameworkErrorHandler, registerErrorHandling } from './platform/http/errors.ts';
import { registerSharedSchemas } from './platform/http/openapi.ts';
import { outgoingHeaders } from './platform/http/outgoing-headers.ts';
import { buildRequestContext, contextOf } from './platform/http/request-context.ts';
import { registerSecurityHeaders } from './platform/http/security-headers.ts';
import { registerNulGuard, registerValidation } from './platform/http/validation.ts';
import { type IdGenerator, systemIds } from './platform/ids.ts';
import { createJobRunner, type JobRunner } from './platform/jobs/job-runner.ts';
import { registerInstrumentation } from './platform/observability/instrumentation.ts';
import type { Metrics } from './platform/observability/metrics.ts';
import {
  breakersReadinessCheck,
  healthRoutes,
  metricsRoutes,
  ReadinessFailure,
  redisReadinessCheck,
} from './platform/observability/observability.routes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

export interface AppDeps {
  config: Readonly<Config>;
  database: DbHandle;
  logger: Logger;
  /** Null when METRICS_ENABLED=false. */
  metrics: Metrics | null;
  clock?: Clock;
  ids?: IdGenerator;
  hasher?: PasswordHasher;
  /** The built web app (index.html and assets); served at / when present. */
  webRoot?: string | null;
  /** Migrations this start applied: recorded in the audit trail. */
  appliedMigrations?: readonly string[];
}

export interface App {
  server: FastifyInstance;
  users: UsersService;
  audit: { trail: AuditTrail; admin: AuditAdmin; checkpointer: Checkpointer };
  /** Feature flags: `flags.isEnabled(key, user)` gates behaviour (see the README). */
  flags: FeatureFlags;
  /** Background jobs that run once across instances: `jobs.register(name, { everyMs | dailyAt, run })`. */
  jobs: JobRunner;
  /** Named circuit breakers for every call to a peer (ERP): `circuitBreakers.withCircuitBreaker(name, fn, options)`. */
  circuitBreakers: CircuitBreakers;
  /** ERP source connectors (settings, sealed secrets, drivers). */
  connectors: Connectors;
  /** ERP syncs: passes, the live barcode refresh, sync state. */
  erpSync: ErpSync;
}

export const DEFAULT_WEB_ROOT = path.join(ROOT, 'dist', 'web');

/** The composition root: every module is created and registered here, in plain sight. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database, logger, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? systemIds;
  const hasher = deps.hasher ?? createArgon2Hasher();
  const db = database.db;

  const server = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One "request completed" line per request comes from our own hook (instrumentation.ts).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    genReqId: (raw) => buildRequestContext(raw, config.tracingEnabled).request_id,
    childLoggerFactory: (parent, bindings, options, raw) => {
      const ctx = contextOf(raw as Parameters<typeof contextOf>[0], config.tracingEnabled);
      return parent.child({ ...bindings, trace_id: ctx.trace_id }, options);
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // What the router refuses before any route matches (a broken escape, an over-long parameter)
    // gets the one error body too.
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Platform: validation, error shape, observability, cookies, headers, access control.
  registerValidation(server);
  registerNulGuard(server);
  registerSharedSchemas(server);
  registerErrorHandling(server);
  registerInstrumentation(server, { metrics, tracingEnabled: config.tracingEnabled });
  await server.register(fastifyCookie);
  registerSecurityHeaders(server);
  registerCors(server, config.corsOrigins);

  // Audit: every module records its changes through `trail`, in the change's own transaction.
  const trail = createAuditTrail({
    database,
    clock,
    ids,
    enabled: config.enterpriseAuditEnabled,
    algorithm: config.auditHashAlgorithm,
  });
  const signing = loadOrCreateSigningKey({ keyFile: config.auditSigningKeyFile, dataDir: config.dataDir });
  if (signing.created)
    logger.info({ path: signing.path, key_id: signing.key.keyId }, 'audit signing key generated');
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
  trail.onAppended((lastSeq) => checkpointer.noteAppended(lastSeq));
  const auditAdmin = createAuditAdmin({
    database,
    clock,
    ids,
    logger,
    trail,
    checkpointer,
    retentionDays: config.auditRetentionDays,
  });
  if (!config.enterpriseAuditEnabled)
    logger.warn('ENTERPRISE_AUDIT_ENABLED=false: no audit entries are written');
  await recordStartup(db, trail, config, deps.appliedMigrations ?? []);

  // Modules.
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
  const users = createUsersService({ db, clock, ids, hasher, sessions, audit: trail });
  const flags = createFeatureFlags({
    db,
    dialect: database.dialect,
    clock,
    logger,
    trail,
    evaluationEnabled: config.featureFlagsEnabled,
    cacheTtlSeconds: config.featureFlagsCacheTtlSeconds,
  });
  await flags.start();
  server.addHook('onClose', async () => flags.stop());
  if (!config.featureFlagsEnabled)
    logger.warn('FEATURE_FLAGS_ENABLED=false: every flag evaluates to its built-in default');
  // IP filtering and lockouts: ENTERPRISE_SECURITY_ENABLED is the master switch, the
  // enterprise_security flag turns them off at run time (a system-wide flag: no user targeting).
  const enterpriseSecurity = () =>
    config.enterpriseSecurityEnabled && flags.isEnabled('enterprise_security', null);
  const securityEvents = createSecurityEvents({ db, clock, ids, trail });
  const ipLists = createIpLists({
    db,
    clock,
    ids,
    logger,
    trail,
    mode: config.ipFilterMode,
    enabled: enterpriseSecurity,
  });
  await ipLists.start();
  server.addHook('onClose', async () => ipLists.stop());
  // First check on every request, before authentication.
  registerIpFilter(server, { ipLists, events: securityEvents, clock });
  const lockouts = createLockouts({
    db,
    clock,
    ids,
    trail,
    securityEvents,
    log: logger,
    policy: {
      enabled: enterpriseSecurity,
      maxAttempts: config.maxLoginAttempts,
      durationMinutes: config.lockoutDurationMinutes,
      maxDurationMinutes: config.lockoutMaxDurationMinutes,
    },
  });
  // An address behind three lockouts in 24 hours is blacklisted for a day (never a proxy of ours
  // or loopback: that would lock everyone out).
  const neverBlock = new IpMatcher<true>();
  for (const entry of ['127.0.0.0/8', '::1/128', ...config.trustProxy])
    if (parseCidr(entry)) neverBlock.add(entry, true);
  lockouts.onAddressAbuse(async (ip) => {
    if (neverBlock.match(ip)) return;
    await ipLists.blockAutomatically(ip, 24, 'three account lockouts within 24 hours', {
      ...SYSTEM_CONTEXT,
      actor: { ...SYSTEM_CONTEXT.actor, ip_address: ip },
    });
  });
  const pruneLockouts = setInterval(() => void lockouts.prune().catch(() => undefined), 3_600_000);
  pruneLockouts.unref();
  server.addHook('onClose', async () => clearInterval(pruneLockouts));
  const mfaKey = loadOrCreateMfaKey({ keyFile: config.mfaKeyFile, dataDir: config.dataDir });
  if (mfaKey.created) logger.info({ path: mfaKey.path, key_id: mfaKey.key.keyId }, 'MFA key generated');
  const mfa = createMfa({
    db,
    clock,
    key: mfaKey.key,
    hasher,
    sessions,
    audit: trail,
    issuer: config.mfaIssuer,
    requiredRoles: config.mfaRequiredRoles,
  });
  const auth = await createAuthService({
    users,
    sessions,
    hasher,
    audit: trail,
    securityEvents,
    lockouts,
    mfa,
  });
  const warehouses = createWarehousesService({ db, clock, ids, audit: trail });
  const locations = createLocationsService({ db, clock, ids, audit: trail });
  const items = createItemsService({ db, clock, ids, audit: trail });
  const stockLevels = createStockLevelsService({ db, clock, ids, audit: trail });
  const countingDeps = { db, clock, ids, audit: trail, items, logger };
  const countSessions = createCountSessions({
    ...countingDeps,
    claimTtlSeconds: config.countClaimTtlSeconds,
  });
  const countEntries = createCountEntries(countingDeps);
  const countReview = createCountReview(countingDeps);
  const countPosting = createCountPosting(countingDeps);
  const countReports = createCountReports(countingDeps);
  const imports = createImportsService({
    db,
    clock,
    ids,
    audit: trail,
    logger,
    dataDir: config.dataDir,
    maxBytes: config.importMaxBytes,
  });
  // Jobs a crash left queued or running are failed: nothing of them was written.
  await imports.recoverInterrupted();
  metrics?.setActiveUsersSource(() => sessions.countActiveUsers());
  // Background jobs: leased in the database so each runs on one instance at a time. The schedule
  // starts once the server listens (tests drive it by hand); stopping interrupts running jobs.
  const jobs = createJobRunner({ db, clock, ids, logger });
  server.decorate('jobs', jobs);
  server.addHook('onListen', async () => jobs.start());
  server.addHook('onClose', () => jobs.stop());
  // One registry per app: every connector's calls go through a named breaker from it.
  const circuitBreakers = createCircuitBreakers({ clock, logger, metrics });
  // Every transition is an audit entry of the system category, for alerting on CIRCUIT_OPENED.
  circuitBreakers.onTransition((transition) => trail.record(SYSTEM_CONTEXT, transitionEvent(transition)));
  // ERP connectors: their secrets are sealed under the integrations key (INTEGRATIONS_KEY_FILE).
  const connectorKey = loadOrCreateConnectorKey({
    keyFile: config.integrationsKeyFile,
    dataDir: config.dataDir,
  });
  if (connectorKey.created)
    logger.info({ path: connectorKey.path, key_id: connectorKey.key.keyId }, 'integrations key generated');
  const connectors = createConnectors({ db, clock, ids, audit: trail, key: connectorKey.key });
  // ERP syncs: book quantities and items in, through each connector's breaker (modules/integrations/sync).
  const erpSync = createErpSync(
    { db, clock, ids, logger, connectors, breakers: circuitBreakers },
    { pageTimeoutMs: config.erpSyncPageTimeoutMs, lookupTimeoutMs: config.erpLookupTimeoutMs },
  );
  registerSyncJobs(jobs, erpSync, {
    stockLevelsMinutes: config.erpSyncStockLevelsMinutes,
    itemsMinutes: config.erpSyncItemsMinutes,
    fullAt: config.erpSyncFullAt,
  });
  // Adjustment delivery: the outbox to the ERP (webhook or staging table), its secret under the same key.
  const delivery = createErpDelivery({
    db,
    clock,
    audit: trail,
    key: connectorKey.key,
    breakers: circuitBreakers,
    logger,
    policy: { maxAttempts: config.erpDeliveryMaxAttempts },
  });
  jobs.register(DELIVERY_JOB, deliveryJob(delivery, config.erpDeliveryIntervalSeconds * 1000));
  // Retention (governance): policies per retainable table, applied daily by a job (archive, then delete).
  const retention = createRetention({
    db,
    dialect: database.dialect,
    clock,
    trail,
    logger,
    jobs,
    settings: {
      enabled: config.dataGovernanceEnabled,
      defaultRetentionDays: config.defaultRetentionDays,
      accountingRetentionDays: config.accountingRetentionDays,
      runAt: config.retentionRunAt,
    },
    flagOn: () => flags.isEnabled('data_governance', null),
  });
  jobs.register(RETENTION_JOB, retention.job());
  // GDPR data subject requests (governance): access, portability, rectification, erasure.
  const dataRequests = createDataRequests({ db, clock, ids, audit: trail });
  // The data inventory and compliance report (governance), from the data registry and the catalogue.
  const compliance = createCompliance({
    db,
    dialect: deps.database.dialect,
    clock,
    retention,
    settings: {
      dataGovernanceEnabled: config.dataGovernanceEnabled,
      gdprComplianceMode: config.gdprComplianceMode,
      defaultRetentionDays: config.defaultRetentionDays,
    },
  });

  registerRequestLimits(server, {
    signinPerMinute: config.rateLimitSigninPerMinute,
    writesPerMinute: config.rateLimitWritesPerMinute,
    redisUrl: config.redisUrl,
    events: securityEvents,
    clock,
    logger,
  });
  registerAccessGuard(server, {
    authenticate: (token) => sessions.authenticate(token),
    sessionCookie: SESSION_COOKIE,
    csrfHeader: CSRF_HEADER,
    metricsToken: config.metricsToken,
    mfaEnrolmentRequired: (user) => mfa.enrolmentRequired(user),
    onDenied: (request, principal, reason) => {
      const context = auditContextOf(request);
      return securityEvents.recordAlone(
        { ...context, actor: { ...context.actor, ...actorOf(principal) } },
        {
          type: 'PERMISSION_DENIED',
          action: reason === 'csrf' ? 'request.csrf_rejected' : 'request.forbidden',
          resource: { type: 'route', id: `${request.method} ${request.routeOptions.url}` },
          details: { method: request.method, route: request.routeOptions.url ?? null, reason },
        },
      );
    },
  });

  // Routes with `config.flag` answer 403 FEATURE_DISABLED while that flag is off for the caller.
  registerFlagGuard(server, flags);
  // enterprise_audit: reads of personal data about other people leave a DATA_READ entry.
  registerDataReadAudit(server, {
    flags,
    trail,
    routes: {
      'GET /api/users': { resource: 'user' },
      'GET /api/users/:id': { resource: 'user', idParam: 'id' },
      'GET /api/enterprise/security/sessions/:user_id': { resource: 'user_sessions', idParam: 'user_id' },
      'GET /api/enterprise/governance/data-requests': { resource: 'data_subject_request' },
      'GET /api/enterprise/governance/data-requests/:id': { resource: 'data_subject_request', idParam: 'id' },
    },
  });

  // OpenAPI: generated from the route schemas registered below.
  await server.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Stock Verify API',
        version: VERSION,
        description:
          'Count inventory, review variances against the ERP, approve adjustments. ' +
          'Errors share one shape: `{"error": {"code", "message", "details?"}, "request_id"}`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'access_token from POST /api/auth/login' },
          cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}`,
    },
  });
  server.declarePublicPrefix('/docs');
  await server.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  server.get('/api/openapi.json', { config: { access: access.public }, schema: { hide: true } }, async () =>
    server.swagger(),
  );

  await server.register(
    healthRoutes({
      service: config.serviceName,
      version: VERSION,
      // One check per dependency. Database and migrations are critical (503: take the instance out);
      // Redis and the ERP are not (200 `degraded`): limits fall back to memory, counting needs no ERP.
      checks: [
        {
          name: 'database',
          async check() {
            await database.db.selectFrom('users').select('id').limit(1).execute();
            return database.dialect;
          },
        },
        {
          name: 'migrations',
          async check() {
            const pending = await pendingMigrations(database.db, database.dialect);
            if (pending.length > 0) throw new ReadinessFailure(`${pending.length} pending`);
            return 'all applied';
          },
        },
        ...(config.redisUrl ? [redisReadinessCheck(config.redisUrl)] : []),
        breakersReadinessCheck(
          'erp',
          () => circuitBreakers.snapshot(),
          // erp:<connector> for syncs and lookups, erp.delivery for adjustments sent back.
          (name) => name.startsWith('erp:') || name.startsWith('erp.'),
        ),
      ],
    }),
  );
  if (metrics) await server.register(metricsRoutes(metrics));
  await server.register(
    authRoutes({
      auth,
      users,
      cookieSecure: config.cookieSecure,
      mfaEnrolmentRequired: (user) => mfa.enrolmentRequired(user),
    }),
  );
  await server.register(mfaRoutes({ mfa }));
  await server.register(usersRoutes(users));
  await server.register(
    importsRoutes(imports, {
      maxBytes: config.importMaxBytes,
      bulkAllowed: (user) => flags.isEnabled('bulk_operations', user),
    }),
  );
  // A running import is rolled back and failed before the database closes.
  server.addHook('onClose', () => imports.close());
  await server.register(warehousesRoutes(warehouses));
  await server.register(locationsRoutes(locations));
  await server.register(
    itemsRoutes(items, {
      // A scan we do not know is looked up in the ERP once (short timeout, through the breaker).
      onLookupMiss: (barcode, request) =>
        erpSync.refreshBarcode(barcode, () => outgoingHeaders(contextOf(request.raw, config.tracingEnabled))),
    }),
  );
  await server.register(stockLevelsRoutes(stockLevels));
  await server.register(countSessionsRoutes({ sessions: countSessions }));
  await server.register(countEntriesRoutes({ entries: countEntries }));
  await server.register(countReviewRoutes({ review: countReview }));
  await server.register(countPostingRoutes({ posting: countPosting }));
  await server.register(countReportsRoutes({ reports: countReports }));
  await server.register(auditRoutes({ admin: auditAdmin, trail, checkpointer }));
  await server.register(
    securityRoutes({ events: securityEvents, sessions, users, trail, ipLists, lockouts, clock }),
  );
  await server.register(ipListsRoutes(ipLists));
  await server.register(lockoutRoutes({ lockouts }));
  await server.register(flagsRoutes(flags));
  await server.register(ofrepRoutes(flags));
  await server.register(jobsRoutes(createJobsAdmin({ runner: jobs, trail })));
  await server.register(circuitBreakersRoutes(circuitBreakers));
  await server.register(connectorsRoutes(connectors));
  await server.register(syncRoutes(erpSync));
  await server.register(deliveryRoutes(delivery));
  await server.register(retentionRoutes(retention));
  // DATA_GOVERNANCE_ENABLED=false: the governance endpoints are not served (404).
  if (config.dataGovernanceEnabled) await server.register(complianceRoutes(compliance));
  await server.register(
    dataRequestsRoutes(dataRequests, {
      governanceEnabled: config.dataGovernanceEnabled,
      gdprMode: config.gdprComplianceMode,
    }),
  );
  server.addHook('onClose', () => auditAdmin.stop());

  // The web app: static assets, and index.html for any other GET outside /api (client routing).
  const webRoot = deps.webRoot === undefined ? DEFAULT_WEB_ROOT : deps.webRoot;
  const hasWeb = webRoot !== null && fs.existsSync(path.join(webRoot, 'index.html'));
  if (hasWeb) {
    server.declarePublicPrefix('/assets/');
    await server.register(fastifyStatic, {
      root: path.join(webRoot, 'assets'),
      prefix: '/assets/',
      index: false,
      immutable: true,
      maxAge: '365d',
    });
  }
  server.setNotFoundHandler((request, reply) => {
    // Client-side routes get the app; a missing asset or API path is a real 404.
    const isPage =
      hasWeb &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      !request.url.startsWith('/api/') &&
      !request.url.startsWith('/assets/');
    if (isPage)
      return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html', webRoot);
    return reply
      .status(404)
      .send(errorBody(request, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });

  return {
    server,
    users,
    audit: { trail, admin: auditAdmin, checkpointer },
    flags,
    circuitBreakers,
    jobs,
    connectors,
    erpSync,
  };
}

function actorOf(principal: { user: { id: string; username: string; role: Role } }) {
  return { user_id: principal.user.id, username: principal.user.username, role: principal.user.role };
}
