import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Access, ROLES, type Role } from '../src/platform/http/access.ts';
import { bearer, createTestApp, dialects, type TestApp } from './helpers/test-app.ts';

const SAMPLE_ID = '0190f0e4-0000-7000-8000-000000000001';

function concrete(url: string): string {
  return url.replace(/:[A-Za-z_]+/g, SAMPLE_ID).replace(/\*$/, 'x');
}

function allowed(rule: Access, role: Role): boolean {
  return rule.kind !== 'roles' || rule.roles.includes(role);
}

/**
 * Routes a role may call that a default feature flag still refuses it: bulk_operations is on for
 * admins only, advanced_analytics is off.
 */
const FLAG_GATED: Record<string, (role: Role) => boolean> = {
  'POST /api/count-sessions/:id/lines/approve': (role) => role !== 'admin',
  'GET /api/reports/shrinkage': () => true,
  'GET /api/reports/productivity': () => true,
};

describe.each(dialects())('access policy on %s', (dialect) => {
  let app: TestApp;
  const tokens = {} as Record<Role, string>;
  beforeAll(async () => {
    app = await createTestApp({ dialect });
    for (const role of ROLES) tokens[role] = (await app.userWithToken(role, `policy-${role}`)).token;
  });
  afterAll(async () => {
    await app.close();
  });

  it('every registered route declares who may call it', () => {
    const routes = [...app.server.routeAccess.entries()];
    expect(routes.length).toBeGreaterThan(10);
    for (const [route, rule] of routes) {
      expect(rule, route).toBeDefined();
      expect(['public', 'signed-in', 'roles'], route).toContain(rule.kind);
    }
    // The router and the declarations agree: nothing is reachable without a rule.
    const printed = app.server.printRoutes({ commonPrefix: false });
    for (const path of ['/api/users', '/api/auth/me', '/api/enterprise/metrics'])
      expect(printed).toContain(path);
  });

  it('declares the intended rule for the identity and operations routes', () => {
    const expected: Record<string, string> = {
      'POST /api/auth/login': 'public',
      'POST /api/auth/pin-login': 'public',
      'GET /health': 'public',
      'GET /health/live': 'public',
      'GET /health/ready': 'public',
      'GET /api/openapi.json': 'public',
      'GET /api/auth/me': 'signed-in+mfa-enrolment',
      'POST /api/auth/logout': 'signed-in+mfa-enrolment',
      'POST /api/auth/change-password': 'signed-in',
      'GET /api/auth/mfa': 'signed-in+mfa-enrolment',
      'POST /api/auth/mfa/setup': 'signed-in+mfa-enrolment',
      'POST /api/auth/mfa/enable': 'signed-in+mfa-enrolment',
      'POST /api/auth/mfa/disable': 'signed-in',
      'POST /api/auth/mfa/recovery-codes': 'signed-in',
      'DELETE /api/users/:id/mfa': 'admin',
      'GET /api/users': 'admin',
      'GET /api/counters': 'admin,supervisor',
      'POST /api/users': 'admin',
      'GET /api/users/:id': 'admin',
      'PATCH /api/users/:id': 'admin',
      'POST /api/users/:id/reset-password': 'admin',
      'GET /api/warehouses': 'signed-in',
      'GET /api/warehouses/:id': 'signed-in',
      'POST /api/warehouses': 'admin,supervisor',
      'PATCH /api/warehouses/:id': 'admin,supervisor',
      'GET /api/locations': 'signed-in',
      'GET /api/locations/:id': 'signed-in',
      'GET /api/locations/lookup': 'signed-in',
      'POST /api/locations': 'admin,supervisor',
      'PATCH /api/locations/:id': 'admin,supervisor',
      'GET /api/items': 'signed-in',
      'GET /api/items/:id': 'signed-in',
      'GET /api/items/lookup': 'signed-in',
      'POST /api/items': 'admin,supervisor',
      'PATCH /api/items/:id': 'admin,supervisor',
      'POST /api/items/:id/barcodes': 'admin,supervisor',
      'DELETE /api/items/:id/barcodes/:barcode': 'admin,supervisor',
      'GET /api/stock-levels': 'admin,supervisor,auditor',
      'POST /api/imports': 'admin,supervisor',
      'GET /api/imports': 'admin,supervisor',
      'GET /api/imports/:id': 'admin,supervisor',
      'GET /api/imports/:id/errors': 'admin,supervisor',
      'GET /api/enterprise/metrics': 'admin+metrics-token',
      'GET /api/enterprise/metrics/prometheus': 'admin+metrics-token',
      'GET /api/enterprise/audit/logs': 'admin,auditor',
      'GET /api/enterprise/audit/logs/:event_id': 'admin,auditor',
      'GET /api/enterprise/audit/verify-integrity': 'admin,auditor',
      'GET /api/enterprise/audit/compliance-report': 'admin,auditor',
      'GET /api/enterprise/audit/checkpoints': 'admin,auditor',
      'GET /api/enterprise/audit/public-key': 'admin,auditor',
      'GET /api/enterprise/audit/proofs/inclusion': 'admin,auditor',
      'GET /api/enterprise/audit/proofs/consistency': 'admin,auditor',
      'GET /api/enterprise/security/events': 'admin,auditor',
      'GET /api/enterprise/security/summary': 'admin,auditor',
      'GET /api/enterprise/security/sessions/:user_id': 'admin',
      'DELETE /api/enterprise/security/sessions/:user_id': 'admin',
      'GET /api/enterprise/security/ip-lists': 'admin',
      'POST /api/enterprise/security/ip-list': 'admin',
      'DELETE /api/enterprise/security/ip-list/:ip': 'admin',
      'GET /api/enterprise/security/locked-accounts': 'admin',
      'POST /api/enterprise/security/unlock-account': 'admin',
      'POST /api/count-sessions': 'admin,supervisor',
      'GET /api/count-sessions': 'admin,supervisor,auditor,staff',
      'GET /api/count-sessions/:id': 'admin,supervisor,auditor,staff',
      'PATCH /api/count-sessions/:id': 'admin,supervisor',
      'POST /api/count-sessions/:id/start': 'admin,supervisor',
      'POST /api/count-sessions/:id/submit': 'admin,supervisor',
      'POST /api/count-sessions/:id/approve': 'admin,supervisor',
      'POST /api/count-sessions/:id/post': 'admin,supervisor',
      'POST /api/count-sessions/:id/cancel': 'admin,supervisor',
      'POST /api/count-sessions/:id/assignments': 'admin,supervisor',
      'DELETE /api/count-sessions/:id/assignments/:location_id/:user_id': 'admin,supervisor',
      'GET /api/count-sessions/:id/claims': 'admin,supervisor,auditor',
      'POST /api/locations/:id/claim': 'admin,supervisor,staff',
      'POST /api/locations/:id/release': 'admin,supervisor,staff',
      'POST /api/count-sessions/:id/entries': 'admin,supervisor,staff',
      'POST /api/count-entries/:id/void': 'admin,supervisor,staff',
      'POST /api/sync/batch': 'admin,supervisor,staff',
      'GET /api/count-sessions/:id/unknown-items': 'admin,supervisor,auditor',
      'POST /api/count-sessions/:id/locations/:location_id/complete': 'admin,supervisor,staff',
      'GET /api/variance-reasons': 'admin,supervisor,auditor',
      'POST /api/count-lines/:id/approve': 'admin,supervisor',
      'POST /api/count-lines/:id/reject': 'admin,supervisor',
      'POST /api/count-sessions/:id/lines/approve': 'admin,supervisor',
      'POST /api/count-sessions/:id/recounts/close': 'admin,supervisor',
      'POST /api/count-lines/:id/resolve': 'admin,supervisor',
      'GET /api/count-sessions/:id/adjustments': 'admin,supervisor,auditor',
      'GET /api/count-sessions/:id/report': 'admin,supervisor,auditor',
      'GET /api/count-sessions/:id/export': 'admin,supervisor,auditor,staff',
      'GET /api/reports/accuracy': 'admin,supervisor,auditor',
      'GET /api/reports/shrinkage': 'admin,supervisor,auditor',
      'GET /api/reports/productivity': 'admin,supervisor,auditor',
      'GET /api/enterprise/features': 'admin,auditor',
      'GET /api/enterprise/features/enabled': 'signed-in',
      'GET /api/enterprise/features/:key': 'signed-in',
      'POST /api/enterprise/features': 'admin',
      'PATCH /api/enterprise/features/:key': 'admin',
      'POST /api/enterprise/features/:key/enable': 'admin',
      'POST /api/enterprise/features/:key/disable': 'admin',
      'DELETE /api/enterprise/features/:key': 'admin',
      'GET /api/enterprise/circuit-breakers': 'admin,auditor',
      'POST /ofrep/v1/evaluate/flags/:key': 'signed-in',
      'POST /ofrep/v1/evaluate/flags': 'signed-in',
      'GET /api/integrations/jobs': 'admin,auditor',
      'GET /api/integrations/jobs/:name/runs': 'admin,auditor',
      'POST /api/integrations/jobs/:name/run': 'admin',
      'GET /api/integrations/connectors': 'admin,auditor',
      'POST /api/integrations/connectors': 'admin',
      'GET /api/integrations/connectors/:id': 'admin,auditor',
      'PATCH /api/integrations/connectors/:id': 'admin',
      'DELETE /api/integrations/connectors/:id': 'admin',
      'POST /api/integrations/connectors/:id/test': 'admin',
      'GET /api/integrations/sync': 'admin,auditor',
      'GET /api/integrations/delivery-target': 'admin,auditor',
      'PUT /api/integrations/delivery-target': 'admin',
      'DELETE /api/integrations/delivery-target': 'admin',
      'POST /api/integrations/delivery-target/test': 'admin',
      'GET /api/integrations/outbox': 'admin,auditor',
      'POST /api/integrations/outbox/:id/retry': 'admin',
      'GET /api/count-sessions/:id/delivery': 'admin,supervisor,auditor',
      'POST /api/enterprise/governance/data-requests': 'admin',
      'GET /api/enterprise/governance/data-requests': 'admin,auditor',
      'GET /api/enterprise/governance/data-requests/:id': 'admin,auditor',
      'POST /api/enterprise/governance/data-requests/:id/process': 'admin',
      'GET /api/enterprise/governance/data-requests/:id/export': 'admin',
      'GET /api/enterprise/governance/inventory': 'admin,auditor',
      'GET /api/enterprise/governance/compliance-report': 'admin,auditor',
      'GET /api/enterprise/governance/retention-policies': 'admin,auditor',
      'POST /api/enterprise/governance/retention-policies': 'admin',
      'DELETE /api/enterprise/governance/retention-policies/:table': 'admin',
      'POST /api/enterprise/governance/apply-retention': 'admin',
      'GET /api/enterprise/governance/retention-runs': 'admin,auditor',
    };
    for (const [route, want] of Object.entries(expected)) {
      const rule = app.server.routeAccess.get(route);
      const got =
        rule?.kind === 'roles'
          ? `${rule.roles.join(',')}${rule.metricsToken ? '+metrics-token' : ''}`
          : rule?.kind === 'signed-in' && rule.duringMfaEnrolment
            ? 'signed-in+mfa-enrolment'
            : rule?.kind;
      expect(got, route).toBe(want);
    }
  });

  it('refuses to register a route without an access rule', async () => {
    const { default: Fastify } = await import('fastify');
    const { registerAccessGuard } = await import('../src/platform/http/access.ts');
    const bare = Fastify();
    await bare.register((await import('@fastify/cookie')).default);
    registerAccessGuard(bare, {
      authenticate: async () => null,
      sessionCookie: 's',
      csrfHeader: 'x-csrf-token',
      metricsToken: null,
    });
    expect(() => bare.get('/api/forgotten', async () => ({}))).toThrow(/declares no access rule/);
    await bare.close();
  });

  it('answers every non-public route with 401 without a session', async () => {
    for (const [route, rule] of app.server.routeAccess) {
      if (rule.kind === 'public') continue;
      const [method, url] = route.split(' ') as [string, string];
      if (method === 'HEAD') continue;
      const response = await app.server.inject({ method: method as 'GET', url: concrete(url) });
      expect(response.statusCode, route).toBe(401);
    }
  });

  it('checks each route against each role', async () => {
    const checked: string[] = [];
    for (const [route, rule] of app.server.routeAccess) {
      if (rule.kind === 'public') continue;
      const [method, url] = route.split(' ') as [string, string];
      if (method === 'HEAD') continue;
      // Ending your own session would spoil the next checks: logout is covered in auth tests.
      if (url === '/api/auth/logout') continue;
      for (const role of ROLES) {
        const response = await app.server.inject({
          method: method as 'GET',
          url: concrete(url),
          headers: bearer(tokens[role]),
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
        });
        if (allowed(rule, role) && FLAG_GATED[route]?.(role)) {
          // Let in by role, kept out by a feature flag's default (README, Feature flags).
          expect(response.statusCode, `${role} ${route}`).toBe(403);
          expect(response.json().error.code).toBe('FEATURE_DISABLED');
        } else if (allowed(rule, role)) {
          expect([401, 403], `${role} ${route}`).not.toContain(response.statusCode);
        } else {
          expect(response.statusCode, `${role} ${route}`).toBe(403);
          expect(response.json().error.code).toBe('PERMISSION_DENIED');
        }
        checked.push(`${role} ${route}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(ROLES.length * 8);
  });
});
