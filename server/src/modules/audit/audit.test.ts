import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../test/helpers/test-app.ts';
import { anonymousSubject } from './audit.service.ts';

/**
 * What gets recorded, and how it is read: sign-ins, changes, denials and configuration, each in
 * the transaction of what it records; personal data sealed per person; search, reports, access.
 */
describe.each(dialects())('audit trail on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; username: string; token: string };

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'ada');
  });
  afterEach(async () => {
    await app.close();
  });

  const entries = (type?: string) => {
    let query = app.database.db.selectFrom('enterprise_audit_logs').selectAll().orderBy('seq');
    if (type) query = query.where('event_type', '=', type);
    return query.execute();
  };
  const get = (url: string, token = admin.token) =>
    app.server.inject({ method: 'GET', url, headers: bearer(token) });

  it('records the start-up configuration, and again only when it changes', async () => {
    const config = await entries('CONFIG_CHANGE');
    expect(config).toHaveLength(1);
    expect(config[0]).toMatchObject({ category: 'system', action: 'config.startup', actor_user_id: null });
    const details = JSON.parse(config[0]!.details);
    expect(details.first_start).toBe(true);
    expect(details.config.auditHashAlgorithm).toBe('sha256');
    expect(JSON.stringify(details)).not.toMatch(/adminPassword|metricsToken/);
  });

  it('records sign-in, failed sign-in and sign-out with actor, outcome and severity', async () => {
    const failed = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'ada', password: 'Not-the-password-1' },
    });
    expect(failed.statusCode).toBe(401);
    const unknown = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nobody.here', password: 'Not-the-password-1' },
    });
    expect(unknown.statusCode).toBe(401);
    await app.server.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(admin.token) });

    const page = (
      await get('/api/enterprise/audit/logs?category=authentication', await app.login('ada', STRONG_PASSWORD))
    ).json();
    const types = page.items.map((item: { event_type: string }) => item.event_type);
    expect(types).toEqual(['LOGIN', 'LOGOUT', 'LOGIN_FAILED', 'LOGIN_FAILED', 'LOGIN']);
    const [, logout, unknownFail, knownFail, firstLogin] = page.items;
    expect(firstLogin).toMatchObject({
      outcome: 'success',
      severity: 'info',
      actor: { user_id: admin.id, username: 'ada', role: 'admin', ip_address: '127.0.0.1' },
      resource: { type: 'session' },
      details: { method: 'password' },
    });
    expect(knownFail).toMatchObject({
      outcome: 'failure',
      severity: 'medium',
      actor: { user_id: admin.id, username: 'ada' },
      details: { reason: 'wrong_password' },
    });
    expect(unknownFail).toMatchObject({
      actor: { user_id: null, username: 'nobody.here' },
      details: { reason: 'unknown_or_inactive_user' },
    });
    expect(logout).toMatchObject({ event_type: 'LOGOUT', actor: { user_id: admin.id } });
    expect(firstLogin.request_id).toEqual(expect.any(String));
  });

  it('records a change in its own transaction: a refused change leaves no entry', async () => {
    const body = { username: 'kim', display_name: 'Kim Lee', role: 'staff', password: STRONG_PASSWORD };
    const created = await app.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin.token),
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    const before = (await entries()).length;
    const duplicate = await app.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin.token),
      payload: body,
    });
    expect(duplicate.statusCode).toBe(409);
    expect(await entries()).toHaveLength(before);

    const creates = await entries('DATA_CREATE');
    const entry = creates.find((row) => row.resource_id === created.json().id)!;
    expect(entry).toMatchObject({ action: 'user.create', resource_type: 'user', actor_user_id: admin.id });

    const patched = await app.server.inject({
      method: 'PATCH',
      url: `/api/users/${created.json().id}`,
      headers: bearer(admin.token),
      payload: { role: 'supervisor', display_name: 'Kim Park' },
    });
    expect(patched.statusCode).toBe(200);
    const update = (
      await get(`/api/enterprise/audit/logs?event_type=DATA_UPDATE&resource_id=${created.json().id}`)
    ).json().items[0];
    expect(update.details.changes).toEqual({ role: { old: 'staff', new: 'supervisor' } });
    // The name change is personal data: sealed under Kim's key, readable here, not in details.
    expect(update.personal[created.json().id]).toEqual({ display_name: { old: 'Kim Lee', new: 'Kim Park' } });
    expect(JSON.stringify(update.details)).not.toContain('Kim');
  });

  it('records denied access, including a write without the CSRF token', async () => {
    const staff = await app.userWithToken('staff');
    const denied = await get('/api/users', staff.token);
    expect(denied.statusCode).toBe(403);
    const rows = await entries('PERMISSION_DENIED');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      category: 'security',
      outcome: 'denied',
      actor_user_id: staff.id,
      resource_type: 'route',
      resource_id: 'GET /api/users',
    });

    const login = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'ada', password: STRONG_PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === 'sv_session')!;
    const noCsrf = await app.server.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: { sv_session: cookie.value },
    });
    expect(noCsrf.statusCode).toBe(403);
    const csrf = (await entries('PERMISSION_DENIED')).at(-1)!;
    expect(csrf).toMatchObject({ action: 'request.csrf_rejected', actor_user_id: admin.id });
  });

  it('never stores a password, PIN, token or personal data in clear', async () => {
    const pinUser = await app.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin.token),
      payload: {
        username: 'pia',
        display_name: 'Pia Secretname',
        role: 'staff',
        password: STRONG_PASSWORD,
        pin: '482913',
      },
    });
    expect(pinUser.statusCode).toBe(201);
    await app.server.inject({
      method: 'POST',
      url: `/api/users/${pinUser.json().id}/reset-password`,
      headers: bearer(admin.token),
      payload: { new_password: 'Another-strong-pass-9' },
    });
    await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'pia', password: 'Wrong-pass-123456' },
    });
    const raw = JSON.stringify(await entries());
    for (const secret of [
      STRONG_PASSWORD,
      'Another-strong-pass-9',
      'Wrong-pass-123456',
      '482913',
      admin.token,
    ]) {
      expect(raw).not.toContain(secret);
    }
    for (const personal of ['Pia Secretname', '"pia"', '"ada"', '127.0.0.1'])
      expect(raw).not.toContain(personal);
    expect(await entries('PASSWORD_CHANGE')).toHaveLength(1);
  });

  it('erasing a person makes their data unreadable and the log still verifies', async () => {
    const staff = await app.userWithToken('staff', 'erin');
    await app.audit.trail.eraseSubject(staff.id);
    const page = (await get(`/api/enterprise/audit/logs?user_id=${staff.id}`)).json();
    expect(page.items.length).toBeGreaterThan(0);
    for (const item of page.items) {
      expect(item.actor).toMatchObject({ user_id: staff.id, username: null, ip_address: null });
      expect(item.personal[staff.id]).toBeNull();
    }
    expect((await get('/api/enterprise/audit/verify-integrity')).json()).toMatchObject({ valid: true });
    // An erased person gets nothing new written about them.
    await app.login('erin', STRONG_PASSWORD);
    const last = (await entries('LOGIN')).at(-1)!;
    expect(last.actor_user_id).toBe(staff.id);
    expect(last.personal).toBeNull();
  });

  it('searches with filters and cursor pagination, newest first', async () => {
    for (let i = 0; i < 5; i++) {
      await app.server.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'ghost', password: 'x-x-x-x-x-x-1' },
      });
    }
    const byUser = (await get('/api/enterprise/audit/logs?username=ghost&limit=2')).json();
    expect(byUser.items).toHaveLength(2);
    expect(byUser.items[0].seq).toBeGreaterThan(byUser.items[1].seq);
    const next = (
      await get(`/api/enterprise/audit/logs?username=ghost&limit=2&cursor=${byUser.next_cursor}`)
    ).json();
    expect(next.items[0].seq).toBeLessThan(byUser.items[1].seq);
    const all = (
      await get('/api/enterprise/audit/logs?username=GHOST&event_type=LOGIN_FAILED&limit=200')
    ).json();
    expect(all.items).toHaveLength(5);
    expect(all.items.every((item: { actor: { username: string } }) => item.actor.username === 'ghost')).toBe(
      true,
    );
    expect(anonymousSubject('ghost')).toMatch(/^anon:/);

    const today = new Date(app.clock.now()).toISOString().slice(0, 10);
    expect(
      (await get(`/api/enterprise/audit/logs?start_date=${today}&end_date=${today}&severity=medium`)).json()
        .items,
    ).toHaveLength(5);
    expect((await get('/api/enterprise/audit/logs?start_date=2099-01-01')).json().items).toHaveLength(0);
    expect(
      (await get('/api/enterprise/audit/logs?outcome=failure&event_type=LOGIN_FAILED')).json().items,
    ).toHaveLength(5);
    for (const bad of ['event_type=NOPE', 'severity=loud', 'start_date=soon', 'cursor=zzz', 'limit=0']) {
      expect((await get(`/api/enterprise/audit/logs?${bad}`)).statusCode, bad).toBe(400);
    }
    const missing = await get('/api/enterprise/audit/logs/audit_nope');
    expect(missing.statusCode).toBe(404);
  });

  it('reports compliance for a period, as JSON and as CSV', async () => {
    await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'ada', password: 'wrong-wrong-1A' },
    });
    const staff = await app.userWithToken('staff');
    await get('/api/users', staff.token);
    const report = (await get('/api/enterprise/audit/compliance-report?days=30')).json();
    expect(report.period.days).toBe(30);
    expect(report.failed_sign_ins).toBe(1);
    expect(report.denied_accesses).toBe(1);
    expect(report.totals.by_category.authentication).toBeGreaterThanOrEqual(3);
    expect(report.totals.by_event_type.LOGIN_FAILED).toBe(1);
    expect(report.totals.entries).toBe(
      Object.values(report.totals.by_category as Record<string, number>).reduce((a, b) => a + b, 0),
    );
    expect(report.configuration_changes.length).toBe(1);
    expect(report.integrity.valid).toBe(true);

    const csv = await get('/api/enterprise/audit/compliance-report?days=7&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('section,name,value');
    expect(lines).toContain('security,failed_sign_ins,1');
    expect(lines).toContain('integrity,valid,true');
    // Downloading it is itself on the record.
    expect(await entries('DATA_EXPORT')).toHaveLength(1);
    expect((await get('/api/enterprise/audit/compliance-report?days=0')).statusCode).toBe(400);
  });

  it('lets admins and auditors read, nobody else, and offers no way to edit', async () => {
    const auditor = await app.userWithToken('auditor');
    const staff = await app.userWithToken('staff');
    const supervisor = await app.userWithToken('supervisor');
    const urls = [
      '/api/enterprise/audit/logs',
      '/api/enterprise/audit/verify-integrity',
      '/api/enterprise/audit/compliance-report',
      '/api/enterprise/audit/checkpoints',
      '/api/enterprise/audit/public-key',
    ];
    for (const url of urls) {
      expect((await get(url, auditor.token)).statusCode, url).toBe(200);
      expect((await get(url, admin.token)).statusCode, url).toBe(200);
      expect((await get(url, staff.token)).statusCode, url).toBe(403);
      expect((await get(url, supervisor.token)).statusCode, url).toBe(403);
      expect((await app.server.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const writes = [...app.server.routeAccess.keys()].filter(
      (key) => key.includes('/api/enterprise/audit') && !key.startsWith('GET ') && !key.startsWith('HEAD '),
    );
    expect(writes).toEqual([]);
  });
});

describe.each(dialects())('audit settings on %s', (dialect) => {
  it('honours AUDIT_HASH_ALGORITHM and records it per entry', async () => {
    const app = await createTestApp({ dialect, env: { AUDIT_HASH_ALGORITHM: 'sha512' } });
    try {
      const { token } = await app.userWithToken('auditor');
      const rows = await app.database.db.selectFrom('enterprise_audit_logs').selectAll().execute();
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows) {
        expect(row.hash_algorithm).toBe('sha512');
        expect(row.hash).toMatch(/^sha512:[0-9a-f]{128}$/);
      }
      const report = await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/audit/verify-integrity',
        headers: bearer(token),
      });
      expect(report.json()).toMatchObject({ valid: true, checked: rows.length });
    } finally {
      await app.close();
    }
  });

  it('writes nothing when ENTERPRISE_AUDIT_ENABLED=false', async () => {
    const app = await createTestApp({ dialect, env: { ENTERPRISE_AUDIT_ENABLED: 'false' } });
    try {
      await app.userWithToken('admin');
      const rows = await app.database.db.selectFrom('enterprise_audit_logs').select('seq').execute();
      expect(rows).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
