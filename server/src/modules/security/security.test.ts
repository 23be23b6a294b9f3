import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../test/helpers/test-app.ts';

describe.each(dialects())('session control and security events on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };

  beforeEach(async () => {
    app = await createTestApp({ dialect, env: { MAX_CONCURRENT_SESSIONS: '2' } });
    admin = await app.userWithToken('admin', 'boss');
  });
  afterEach(async () => {
    await app.close();
  });

  const get = (url: string, token = admin.token) =>
    app.server.inject({ method: 'GET', url, headers: bearer(token) });

  it('ends the oldest session beyond MAX_CONCURRENT_SESSIONS, with an event', async () => {
    const staff = await app.userWithToken('staff', 'sam');
    const second = await app.login('sam', STRONG_PASSWORD);
    // A third sign-in: the first session (from userWithToken) gives way.
    const third = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'sam', password: STRONG_PASSWORD },
      headers: { 'user-agent': 'Handheld TC52' },
    });
    expect(third.statusCode).toBe(200);
    expect((await get('/api/auth/me', staff.token)).statusCode).toBe(401);
    expect((await get('/api/auth/me', second)).statusCode).toBe(200);
    expect((await get('/api/auth/me', third.json().access_token)).statusCode).toBe(200);

    const sessions = (await get(`/api/enterprise/security/sessions/${staff.id}`)).json().items;
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toMatchObject({
      auth_method: 'password',
      user_agent: 'Handheld TC52',
      ip_address: '127.0.0.1',
      current: false,
    });
    // An admin looking at their own sessions sees which one is this browser.
    const own = (await get(`/api/enterprise/security/sessions/${admin.id}`)).json().items;
    expect(own.filter((session: { current: boolean }) => session.current)).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toMatch(/token|hash/i);

    const events = (await get('/api/enterprise/security/events?type=SESSION_TERMINATED')).json().items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      user_id: staff.id,
      username: 'sam',
      details: { reason: 'session_limit' },
    });
    const audit = await app.auditEntries('session.limit');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ event_type: 'SESSION_TERMINATED', actor_user_id: staff.id });
  });

  it('lets an admin end all of a user’s sessions, effective on the next request', async () => {
    const staff = await app.userWithToken('staff', 'sue');
    const response = await app.server.inject({
      method: 'DELETE',
      url: `/api/enterprise/security/sessions/${staff.id}`,
      headers: bearer(admin.token),
    });
    expect(response.json()).toEqual({ terminated: 1 });
    expect((await get('/api/auth/me', staff.token)).statusCode).toBe(401);
    expect((await get(`/api/enterprise/security/sessions/${staff.id}`)).json().items).toEqual([]);
    const events = (await get('/api/enterprise/security/events?severity=medium')).json().items;
    expect(events[0]).toMatchObject({
      event_type: 'SESSION_TERMINATED',
      user_id: staff.id,
      details: { terminated: 1 },
    });
    expect((await app.auditEntries('session.terminate_all'))[0]).toMatchObject({ actor_user_id: admin.id });

    const unknown = await app.server.inject({
      method: 'DELETE',
      url: '/api/enterprise/security/sessions/nobody',
      headers: bearer(admin.token),
    });
    expect(unknown.statusCode).toBe(404);
    // Only admins manage sessions.
    expect((await get(`/api/enterprise/security/sessions/${admin.id}`, staff.token)).statusCode).toBe(401);
    const auditor = await app.userWithToken('auditor');
    expect((await get(`/api/enterprise/security/sessions/${admin.id}`, auditor.token)).statusCode).toBe(403);
  });

  it('records a denied request as a security event and in the audit trail', async () => {
    const staff = await app.userWithToken('staff');
    expect((await get('/api/users', staff.token)).statusCode).toBe(403);
    const page = (await get('/api/enterprise/security/events?limit=10')).json();
    expect(page.items[0]).toMatchObject({
      event_type: 'PERMISSION_DENIED',
      severity: 'medium',
      user_id: staff.id,
      ip_address: '127.0.0.1',
      details: { route: '/api/users', reason: 'role' },
    });
    expect((await app.auditEntries('request.forbidden'))[0]).toMatchObject({
      event_type: 'PERMISSION_DENIED',
      outcome: 'denied',
      actor_user_id: staff.id,
    });
    expect((await get('/api/enterprise/security/events?severity=loud')).statusCode).toBe(400);
  });

  it('summarises the security state for admins and auditors', async () => {
    const staff = await app.userWithToken('staff');
    await get('/api/users', staff.token);
    await app.server.inject({
      method: 'POST',
      url: '/api/enterprise/security/ip-list',
      headers: bearer(admin.token),
      payload: { ip_address: '203.0.113.0/24', list_type: 'blacklist', reason: 'scanner' },
    });
    const summary = (await get('/api/enterprise/security/summary')).json();
    expect(summary).toMatchObject({
      enabled: true,
      ip_filter_mode: 'blacklist',
      ip_lists: { whitelist: 0, blacklist: 1 },
      locked_accounts: 0,
      active_users: 2,
      events_24h: { total: 1, by_type: { PERMISSION_DENIED: 1 }, by_severity: { medium: 1 } },
    });
    const auditor = await app.userWithToken('auditor');
    expect((await get('/api/enterprise/security/summary', auditor.token)).statusCode).toBe(200);
    expect((await get('/api/enterprise/security/summary', staff.token)).statusCode).toBe(403);
  });
});
