import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';
import { access } from '../../platform/http/access.ts';
import { bucketOf } from './evaluate.ts';
import { requireFlag } from './flag-guard.ts';
import { createFeatureFlags } from './flags.service.ts';

const BASE = '/api/enterprise/features';

describe.each(dialects())('feature flags on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };
  let staff: { id: string; token: string };

  async function start(
    env: Record<string, string> = {},
    extraRoutes?: Parameters<typeof createTestApp>[0]['extraRoutes'],
  ) {
    app = await createTestApp({ dialect, env, ...(extraRoutes ? { extraRoutes } : {}) });
    admin = await app.userWithToken('admin', 'root');
    staff = await app.userWithToken('staff', 'kim');
  }
  afterEach(async () => {
    await app.close();
  });

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    token = admin.token,
    payload?: unknown,
  ) =>
    app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  const check = async (key: string, token: string) => (await call('GET', `${BASE}/${key}`, token)).json();

  it('seeds the guide default flags, each evaluated as the guide says', async () => {
    await start();
    const list = await call('GET', BASE);
    expect(list.statusCode).toBe(200);
    const byKey = Object.fromEntries(
      (list.json().items as { key: string; state: string; allowed_roles: string[]; built_in: boolean }[]).map(
        (flag) => [flag.key, flag],
      ),
    );
    expect(Object.keys(byKey).sort()).toEqual([
      'advanced_analytics',
      'bulk_operations',
      'data_governance',
      'enterprise_audit',
      'enterprise_security',
    ]);
    expect(byKey.bulk_operations).toMatchObject({
      state: 'enabled',
      allowed_roles: ['admin'],
      built_in: true,
    });
    expect(byKey.advanced_analytics).toMatchObject({ state: 'disabled' });
    expect(list.json()).toMatchObject({ evaluation_enabled: true, cache_ttl_seconds: 60 });

    expect(await check('bulk_operations', admin.token)).toEqual({
      key: 'bulk_operations',
      enabled: true,
      reason: 'TARGETING_MATCH',
    });
    expect(await check('bulk_operations', staff.token)).toEqual({
      key: 'bulk_operations',
      enabled: false,
      reason: 'DEFAULT',
    });
    expect(await check('advanced_analytics', admin.token)).toMatchObject({
      enabled: false,
      reason: 'DISABLED',
    });
    expect(await check('enterprise_audit', staff.token)).toMatchObject({ enabled: true, reason: 'DEFAULT' });

    const mine = (await call('GET', `${BASE}/enabled`, staff.token)).json().flags;
    expect(mine).toEqual(['data_governance', 'enterprise_audit', 'enterprise_security']);
    const admins = (await call('GET', `${BASE}/enabled`)).json().flags;
    expect(admins).toEqual(['bulk_operations', 'data_governance', 'enterprise_audit', 'enterprise_security']);
    expect((await call('GET', `${BASE}/nope`, staff.token)).statusCode).toBe(404);
  });

  it('refuses bad input with 4xx and lets only admins manage', async () => {
    await start();
    const create = (body: Record<string, unknown>, token = admin.token) => call('POST', BASE, token, body);
    for (const key of ['Bad', '1abc', 'a', 'a b', 'x'.repeat(65), 'new/dash', '', 'enabled']) {
      const response = await create({ key, name: 'x' });
      expect(response.statusCode, key).toBe(400);
    }
    for (const percentage of [101, -1, 50.5, '20']) {
      expect((await create({ key: 'p_test', percentage })).statusCode, String(percentage)).toBe(400);
    }
    expect((await create({ key: 's_test', state: 'maybe' })).statusCode).toBe(400);
    expect((await create({ key: 'r_test', allowed_roles: ['owner'] })).statusCode).toBe(400);
    expect((await create({ key: 'x_test', colour: 'red' })).statusCode).toBe(400);

    const created = await create({
      key: 'new_dashboard',
      name: 'New Dashboard Design',
      description: 'Redesigned dashboard with new charts',
      state: 'enabled',
      percentage: 20,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      key: 'new_dashboard',
      state: 'enabled',
      percentage: 20,
      allowed_users: [],
      allowed_roles: [],
      built_in: false,
      created_by: admin.id,
    });
    const duplicate = await create({ key: 'new_dashboard' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.code).toBe('FLAG_EXISTS');

    expect((await call('PATCH', `${BASE}/new_dashboard`, admin.token, { percentage: 150 })).statusCode).toBe(
      400,
    );
    expect((await call('PATCH', `${BASE}/new_dashboard`, admin.token, { state: 'on' })).statusCode).toBe(400);
    expect((await call('PATCH', `${BASE}/new_dashboard`, admin.token, { key: 'other' })).statusCode).toBe(
      400,
    );
    for (const [method, url] of [
      ['PATCH', `${BASE}/ghost`],
      ['POST', `${BASE}/ghost/enable`],
      ['POST', `${BASE}/ghost/disable`],
      ['DELETE', `${BASE}/ghost`],
    ] as const) {
      const response = await call(
        method,
        url,
        admin.token,
        method === 'PATCH' ? { percentage: 5 } : undefined,
      );
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json().error.code).toBe('FLAG_NOT_FOUND');
    }
    const builtIn = await call('DELETE', `${BASE}/bulk_operations`);
    expect(builtIn.statusCode).toBe(409);
    expect(builtIn.json().error.code).toBe('FLAG_BUILT_IN');

    // Staff may check flags, never manage them; auditors read the list.
    expect((await create({ key: 'sneaky' }, staff.token)).statusCode).toBe(403);
    expect((await call('GET', BASE, staff.token)).statusCode).toBe(403);
    expect((await call('POST', `${BASE}/new_dashboard/disable`, staff.token)).statusCode).toBe(403);
    const auditor = await app.userWithToken('auditor', 'quinn');
    expect((await call('GET', BASE, auditor.token)).statusCode).toBe(200);
    expect((await call('PATCH', `${BASE}/new_dashboard`, auditor.token, { percentage: 1 })).statusCode).toBe(
      403,
    );
  });

  it('audits every change with the old and new values, and nothing for a change that changes nothing', async () => {
    await start();
    expect(
      (await call('POST', BASE, admin.token, { key: 'beta_export', name: 'Beta Export', state: 'disabled' }))
        .statusCode,
    ).toBe(201);
    expect(
      (
        await call('PATCH', `${BASE}/beta_export`, admin.token, {
          percentage: 50,
          allowed_roles: ['admin', 'supervisor'],
          allowed_users: [staff.id],
        })
      ).json(),
    ).toMatchObject({ percentage: 50, allowed_roles: ['admin', 'supervisor'], updated_by: admin.id });
    expect((await call('POST', `${BASE}/beta_export/enable`)).json().state).toBe('enabled');
    expect((await call('POST', `${BASE}/beta_export/enable`)).statusCode).toBe(200);
    expect((await call('POST', `${BASE}/beta_export/disable`)).json().state).toBe('disabled');
    expect((await call('DELETE', `${BASE}/beta_export`)).statusCode).toBe(204);
    expect((await call('GET', `${BASE}/beta_export`)).statusCode).toBe(404);

    const entries = async (action: string) => app.auditEntries(action);
    const [created] = await entries('feature_flag.create');
    expect(created).toMatchObject({
      event_type: 'CONFIG_CHANGE',
      resource_type: 'feature_flag',
      resource_id: 'beta_export',
    });
    expect(created!.details).toMatchObject({ old: null, new: { state: 'disabled', percentage: null } });
    const [updated] = await entries('feature_flag.update');
    expect(updated!.details).toMatchObject({
      old: { percentage: null, allowed_roles: [], allowed_users: [] },
      new: { percentage: 50, allowed_roles: ['admin', 'supervisor'], allowed_users: [staff.id] },
    });
    // The second enable changed nothing: one entry, not two.
    const enabled = await entries('feature_flag.enable');
    expect(enabled).toHaveLength(1);
    expect(enabled[0]!.details).toMatchObject({ old: { state: 'disabled' }, new: { state: 'enabled' } });
    const [disabled] = await entries('feature_flag.disable');
    expect(disabled!.details).toMatchObject({ old: { state: 'enabled' }, new: { state: 'disabled' } });
    const [deleted] = await entries('feature_flag.delete');
    expect(deleted!.details).toMatchObject({ old: { state: 'disabled', percentage: 50 }, new: null });
    expect(deleted!.actor_user_id).toBe(admin.id);
  });

  it('targets users and roles, and rolls out by the stable bucket', async () => {
    await start();
    const supervisor = await app.userWithToken('supervisor', 'sue');
    await call('POST', BASE, admin.token, {
      key: 'beta_export',
      state: 'enabled',
      allowed_users: [staff.id],
      allowed_roles: ['supervisor'],
    });
    expect(await check('beta_export', staff.token)).toMatchObject({
      enabled: true,
      reason: 'TARGETING_MATCH',
    });
    expect(await check('beta_export', supervisor.token)).toMatchObject({
      enabled: true,
      reason: 'TARGETING_MATCH',
    });
    expect(await check('beta_export', admin.token)).toMatchObject({ enabled: false, reason: 'DEFAULT' });

    await call('POST', BASE, admin.token, { key: 'new_dashboard', state: 'enabled', percentage: 20 });
    const users = [admin, staff, supervisor];
    for (let i = 0; i < 12; i++) users.push(await app.userWithToken('staff', `counter${i}`));
    for (const user of users) {
      expect(await check('new_dashboard', user.token)).toEqual({
        key: 'new_dashboard',
        enabled: bucketOf('new_dashboard', user.id) <= 20,
        reason: 'SPLIT',
      });
    }
    // Raising the percentage keeps everyone who had it.
    const before = await Promise.all(
      users.map(async (user) => (await check('new_dashboard', user.token)).enabled),
    );
    await call('PATCH', `${BASE}/new_dashboard`, admin.token, { percentage: 60 });
    const after = await Promise.all(
      users.map(async (user) => (await check('new_dashboard', user.token)).enabled),
    );
    before.forEach((was, i) => {
      if (was) expect(after[i]).toBe(true);
    });
    expect(after.filter(Boolean).length).toBeGreaterThanOrEqual(before.filter(Boolean).length);
  });

  it('applies a change at once here, and on another instance within FEATURE_FLAGS_CACHE_TTL', async () => {
    await start({ FEATURE_FLAGS_CACHE_TTL: '30' });
    const other = createFeatureFlags({
      db: app.database.db,
      dialect: app.database.dialect,
      clock: app.clock,
      logger: pino({ level: 'silent' }),
      trail: app.audit.trail,
      evaluationEnabled: true,
      cacheTtlSeconds: 30,
    });
    await other.start();
    try {
      const staffUser = { id: staff.id, role: 'staff' };
      expect(other.isEnabled('enterprise_audit', staffUser)).toBe(true);
      await call('POST', `${BASE}/enterprise_audit/disable`);
      // This instance: at once.
      expect(await check('enterprise_audit', staff.token)).toMatchObject({
        enabled: false,
        reason: 'DISABLED',
      });
      // The other: still from its cache until the TTL has passed...
      app.clock.advance(29_000);
      await other.ensureFresh();
      expect(other.isEnabled('enterprise_audit', staffUser)).toBe(true);
      // ...then it sees the version move and reloads.
      app.clock.advance(1_000);
      await other.ensureFresh();
      expect(other.isEnabled('enterprise_audit', staffUser)).toBe(false);
      expect(other.evaluate('enterprise_audit', { userId: staff.id, role: 'staff' })).toEqual({
        value: false,
        reason: 'DISABLED',
      });
    } finally {
      other.stop();
    }
  });

  it('FEATURE_FLAGS_ENABLED=false evaluates every flag to its built-in default', async () => {
    await start({ FEATURE_FLAGS_ENABLED: 'false' });
    await call('POST', `${BASE}/advanced_analytics/enable`);
    await call('POST', `${BASE}/enterprise_audit/disable`);
    await call('PATCH', `${BASE}/bulk_operations`, admin.token, { allowed_roles: ['staff'] });
    await call('POST', BASE, admin.token, { key: 'own_flag', state: 'enabled' });
    // Stored as changed...
    const stored = (await call('GET', BASE)).json();
    expect(stored.evaluation_enabled).toBe(false);
    expect(stored.items.find((flag: { key: string }) => flag.key === 'advanced_analytics').state).toBe(
      'enabled',
    );
    // ...evaluated as the defaults.
    expect(await check('advanced_analytics', admin.token)).toMatchObject({
      enabled: false,
      reason: 'DEFAULT',
    });
    expect(await check('enterprise_audit', staff.token)).toMatchObject({ enabled: true, reason: 'DEFAULT' });
    expect(await check('bulk_operations', staff.token)).toMatchObject({ enabled: false });
    expect(await check('bulk_operations', admin.token)).toMatchObject({ enabled: true });
    expect(await check('own_flag', admin.token)).toMatchObject({ enabled: false, reason: 'DEFAULT' });
  });

  it('gates routes: 403 FEATURE_DISABLED while the flag is off for the caller', async () => {
    let gate: ReturnType<typeof requireFlag> | null = null;
    await start({}, (server) => {
      server.get(
        '/api/test/bulk',
        { config: { access: access.signedIn, flag: 'bulk_operations' } },
        async () => ({ ok: true }),
      );
      server.get(
        '/api/test/analytics',
        {
          config: { access: access.signedIn },
          preHandler: async function (request, reply) {
            await gate?.call(this, request, reply);
          },
        },
        async () => ({ ok: true }),
      );
    });
    gate = requireFlag(
      createFeatureFlags({
        db: app.database.db,
        dialect: app.database.dialect,
        clock: app.clock,
        logger: pino({ level: 'silent' }),
        trail: app.audit.trail,
        evaluationEnabled: true,
        cacheTtlSeconds: 0,
      }),
      'advanced_analytics',
    );
    expect((await call('GET', '/api/test/bulk')).statusCode).toBe(200);
    const refused = await call('GET', '/api/test/bulk', staff.token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FEATURE_DISABLED');
    await call('POST', `${BASE}/bulk_operations/disable`);
    expect((await call('GET', '/api/test/bulk')).statusCode).toBe(403);

    // The preHandler form, on a TTL of 0: a change made elsewhere applies on the next request.
    expect((await call('GET', '/api/test/analytics')).json().error.code).toBe('FEATURE_DISABLED');
    await call('POST', `${BASE}/advanced_analytics/enable`);
    expect((await call('GET', '/api/test/analytics')).statusCode).toBe(200);
  });

  it('enterprise_audit: reading users leaves a DATA_READ entry while the flag is on', async () => {
    await start();
    expect((await call('GET', '/api/users')).statusCode).toBe(200);
    expect((await call('GET', `/api/users/${staff.id}`)).statusCode).toBe(200);
    const reads = await app.auditEntries('user.read');
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatchObject({ event_type: 'DATA_READ', actor_user_id: admin.id, resource_id: null });
    expect(reads[1]).toMatchObject({ resource_type: 'user', resource_id: staff.id });
    // A refused read is not a read (it is recorded as the denial it is).
    expect((await call('GET', '/api/users', staff.token)).statusCode).toBe(403);
    expect(await app.auditEntries('user.read')).toHaveLength(2);

    await call('POST', `${BASE}/enterprise_audit/disable`);
    expect((await call('GET', '/api/users')).statusCode).toBe(200);
    expect(await app.auditEntries('user.read')).toHaveLength(2);
  });
  it('enterprise_security: switched off, IP filtering and lockouts stop at once; on again, they are back', async () => {
    await start({ MAX_LOGIN_ATTEMPTS: '2' });
    const blocked = '203.0.113.9';
    const added = await call('POST', '/api/enterprise/security/ip-list', admin.token, {
      ip_address: blocked,
      list_type: 'blacklist',
      reason: 'scanner',
    });
    expect(added.statusCode, added.body).toBe(201);
    const fromBlocked = () =>
      app.server.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: bearer(staff.token),
        remoteAddress: blocked,
      });
    const wrongPassword = () =>
      app.server.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'kim', password: 'nope-nope-nope' },
      });
    const locked = () =>
      app.database.db
        .selectFrom('security_locked_accounts')
        .select('account_key')
        .where('locked_until', 'is not', null)
        .where('failed_count', '>', 0)
        .execute();
    expect((await fromBlocked()).statusCode).toBe(403);

    await call('POST', `${BASE}/enterprise_security/disable`);
    expect((await fromBlocked()).statusCode).toBe(200);
    for (let i = 0; i < 4; i += 1) await wrongPassword();
    expect(await locked()).toHaveLength(0);

    await call('POST', `${BASE}/enterprise_security/enable`);
    expect((await fromBlocked()).statusCode).toBe(403);
    for (let i = 0; i < 2; i += 1) await wrongPassword();
    expect(await locked()).toHaveLength(1);
  });

  it('enterprise_security cannot switch on what ENTERPRISE_SECURITY_ENABLED=false switched off', async () => {
    await start({ ENTERPRISE_SECURITY_ENABLED: 'false' });
    await call('POST', '/api/enterprise/security/ip-list', admin.token, {
      ip_address: '203.0.113.9',
      list_type: 'blacklist',
      reason: 'scanner',
    });
    expect((await check('enterprise_security', admin.token)).enabled).toBe(true);
    const answer = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: bearer(staff.token),
      remoteAddress: '203.0.113.9',
    });
    expect(answer.statusCode).toBe(200);
  });
});
