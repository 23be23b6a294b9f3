import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { DATA_REGISTRY } from '../../../platform/db/data-registry.ts';

const BASE = '/api/enterprise/governance';

describe.each(dialects())('governance inventory and compliance report on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };
  let auditor: string;
  let staff: { id: string; token: string };

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'dpo');
    auditor = (await app.userWithToken('auditor', 'reader')).token;
    staff = await app.userWithToken('staff', 'kim');
  });
  afterAll(async () => {
    await app.close();
  });

  const call = (method: 'GET' | 'POST', url: string, token = admin.token, payload?: object) =>
    app.server.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  it("lists every table with its columns' classes, row count, retention and purpose", async () => {
    await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'security_events',
      retention_days: 90,
      archive_before_delete: true,
      description: 'Security events for 90 days',
    });
    const response = await call('GET', `${BASE}/inventory`, auditor);
    expect(response.statusCode, response.body).toBe(200);
    const inventory = response.json();
    expect(inventory.summary.unclassified).toEqual([]);
    expect(inventory.tables.map((table: { table: string }) => table.table).sort()).toEqual(
      Object.keys(DATA_REGISTRY).sort(),
    );
    const users = inventory.tables.find((table: { table: string }) => table.table === 'users');
    // Three users were made by this test.
    expect(users.row_count).toBe(3);
    expect(users.columns).toEqual(
      expect.arrayContaining([
        { name: 'display_name', class: 'PERSONAL' },
        { name: 'password_hash', class: 'SENSITIVE' },
        { name: 'role', class: 'OPERATIONAL' },
      ]),
    );
    expect(users.retention).toMatchObject({ retainable: false, retention_days: null });
    const events = inventory.tables.find((table: { table: string }) => table.table === 'security_events');
    expect(events.retention).toMatchObject({
      retainable: true,
      retention_days: 90,
      archive_before_delete: true,
      source: 'policy',
      age_column: 'timestamp',
    });
    const jobs = inventory.tables.find((table: { table: string }) => table.table === 'job_runs');
    expect(jobs.retention).toMatchObject({ retainable: true, retention_days: 365, source: 'default' });
    const audit = inventory.tables.find(
      (table: { table: string }) => table.table === 'enterprise_audit_logs',
    );
    expect(audit.by_class).toMatchObject({ AUDIT: 19, PERSONAL: 1 });
    expect(audit.retention.note).toMatch(/AUDIT_RETENTION_DAYS/);
  });

  it('reports coverage, retention runs and rows removed, requests by type and status, overdue ones', async () => {
    const empty = (await call('GET', `${BASE}/compliance-report`)).json();
    expect(empty.classification).toMatchObject({ coverage_percent: 100, unclassified: [] });
    expect(empty.classification.classified_columns).toBe(empty.classification.columns);
    expect(empty.requests).toMatchObject({ total: 0, overdue: 0, erasures_completed: 0 });

    // Three old security events for the 90-day policy to remove.
    const old = new Date(app.clock.now().getTime() - 200 * 86_400_000).toISOString();
    for (const n of [1, 2, 3])
      await app.database.db
        .insertInto('security_events')
        .values({
          id: `0190f0e4-0000-7000-8000-00000000e00${n}`,
          timestamp: old,
          event_type: 'PERMISSION_DENIED',
          severity: 'low',
          user_id: null,
          ip_address: '198.51.100.9',
          details: '{}',
          request_id: null,
        })
        .execute();
    const run = await call('POST', `${BASE}/apply-retention?wait=true`);
    expect(run.statusCode, run.body).toBe(200);

    const request = await call('POST', `${BASE}/data-requests`, admin.token, {
      request_type: 'access',
      subject_id: staff.id,
    });
    expect(request.statusCode, request.body).toBe(201);

    const now = (await call('GET', `${BASE}/compliance-report?days=7`, auditor)).json();
    expect(now.period_days).toBe(7);
    expect(now.retention.policies).toBeGreaterThanOrEqual(1);
    expect(now.retention).toMatchObject({ runs: 1, runs_in_period: 1 });
    expect(now.retention.rows_deleted).toBeGreaterThanOrEqual(3);
    expect(now.retention.last_run).toMatchObject({ status: 'succeeded' });
    expect(now.requests).toMatchObject({ total: 1, open: 1, overdue: 0 });
    expect(now.requests.by_type).toMatchObject({ access: 1, erasure: 0 });
    expect(now.requests.by_status).toMatchObject({ received: 1 });

    // 31 days on, the unanswered request is overdue and named.
    app.clock.advance(31 * 86_400_000);
    const later = (
      await call('GET', `${BASE}/compliance-report`, await app.login('reader', 'correct-Horse-battery-7'))
    ).json();
    expect(later.requests.overdue).toBe(1);
    expect(later.requests.overdue_requests[0]).toMatchObject({
      id: request.json().id,
      request_type: 'access',
    });
  });

  it('is for admins and auditors only, and follows the data_governance flag', async () => {
    const fresh = await app.login('dpo', 'correct-Horse-battery-7');
    const staffToken = await app.login('kim', 'correct-Horse-battery-7');
    for (const path of ['inventory', 'compliance-report'])
      expect((await call('GET', `${BASE}/${path}`, staffToken)).statusCode).toBe(403);
    const off = await call('POST', '/api/enterprise/features/data_governance/disable', fresh);
    expect(off.statusCode, off.body).toBe(200);
    const refused = await call('GET', `${BASE}/inventory`, fresh);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FEATURE_DISABLED');
    await call('POST', '/api/enterprise/features/data_governance/enable', fresh);
    expect((await call('GET', `${BASE}/inventory`, fresh)).statusCode).toBe(200);
  });
});

describe('with DATA_GOVERNANCE_ENABLED=false', () => {
  it('does not serve the governance endpoints', async () => {
    const app = await createTestApp({ dialect: 'sqlite', env: { DATA_GOVERNANCE_ENABLED: 'false' } });
    try {
      const admin = await app.userWithToken('admin', 'root');
      for (const path of ['inventory', 'compliance-report'])
        expect(
          (await app.server.inject({ method: 'GET', url: `${BASE}/${path}`, headers: bearer(admin.token) }))
            .statusCode,
        ).toBe(404);
    } finally {
      await app.close();
    }
  });
});
