import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';
import { ensureFirstAdmin } from './first-admin.ts';

describe.each(dialects())('users on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'root-admin');
  });
  afterEach(async () => {
    await app.close();
  });

  const create = (payload: Record<string, unknown>) =>
    app.server.inject({ method: 'POST', url: '/api/users', headers: bearer(admin.token), payload });

  it('creates, reads, lists and updates users', async () => {
    const created = await create({
      username: 'anna.k',
      display_name: 'Anna K',
      role: 'staff',
      password: STRONG_PASSWORD,
      pin: '582913',
    });
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toMatchObject({ username: 'anna.k', role: 'staff', active: true, has_pin: true });
    expect(Object.keys(user).sort()).toEqual(
      [
        'active',
        'created_at',
        'display_name',
        'has_pin',
        'id',
        'mfa_enabled',
        'role',
        'updated_at',
        'username',
      ].sort(),
    );

    const read = await app.server.inject({
      method: 'GET',
      url: `/api/users/${user.id}`,
      headers: bearer(admin.token),
    });
    expect(read.json()).toEqual(user);

    const patched = await app.server.inject({
      method: 'PATCH',
      url: `/api/users/${user.id}`,
      headers: bearer(admin.token),
      payload: { role: 'supervisor', display_name: 'Anna Kowalska', pin: null },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      role: 'supervisor',
      display_name: 'Anna Kowalska',
      has_pin: false,
    });

    const list = await app.server.inject({
      method: 'GET',
      url: '/api/users?role=supervisor',
      headers: bearer(admin.token),
    });
    expect(list.json().items.map((item: { username: string }) => item.username)).toEqual(['anna.k']);
  });

  it('pages through users with a cursor', async () => {
    for (let i = 0; i < 7; i += 1) {
      await app.users.create(
        {
          username: `counter${i}`,
          display_name: `C${i}`,
          role: 'staff',
          password: STRONG_PASSWORD,
        },
        SYSTEM_CONTEXT,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/users?limit=3&role=staff${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await app.server.inject({ method: 'GET', url, headers: bearer(admin.token) });
      expect(page.statusCode).toBe(200);
      const body = page.json() as { items: { username: string }[]; next_cursor: string | null };
      seen.push(...body.items.map((item) => item.username));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `counter${i}`));
  });

  it('lists the active counters to supervisors, with nothing but who they are', async () => {
    for (const [username, role] of [
      ['counter.a', 'staff'],
      ['counter.b', 'staff'],
      ['gone.c', 'staff'],
      ['boss.d', 'supervisor'],
    ] as const) {
      await app.users.create(
        { username, display_name: username, role, password: STRONG_PASSWORD },
        SYSTEM_CONTEXT,
      );
    }
    const gone = (await app.users.list({ q: 'gone.c', limit: 1 })).items[0]!;
    await app.users.update(gone.id, { active: false }, SYSTEM_CONTEXT);
    const supervisor = await app.userWithToken('supervisor');
    const get = (url: string, token: string) =>
      app.server.inject({ method: 'GET', url, headers: bearer(token) });

    const answer = await get('/api/counters', supervisor.token);
    expect(answer.statusCode, answer.body).toBe(200);
    const items = answer.json().items as Record<string, unknown>[];
    expect(items.map((item) => item.username)).toEqual(['counter.a', 'counter.b']);
    expect(Object.keys(items[0]!).sort()).toEqual(['display_name', 'id', 'username']);
    expect((await get('/api/counters?q=counter.b', supervisor.token)).json().items).toHaveLength(1);
    expect((await get('/api/counters', (await app.userWithToken('staff')).token)).statusCode).toBe(403);
    expect((await get('/api/counters', (await app.userWithToken('auditor')).token)).statusCode).toBe(403);
  });

  it('finds users by username prefix, treating LIKE wildcards literally', async () => {
    await app.users.create(
      { username: 'ab_c', display_name: 'x', role: 'staff', password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    await app.users.create(
      { username: 'abxc', display_name: 'x', role: 'staff', password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    const found = await app.server.inject({
      method: 'GET',
      url: '/api/users?q=AB_',
      headers: bearer(admin.token),
    });
    expect(found.json().items.map((item: { username: string }) => item.username)).toEqual(['ab_c']);
  });

  it('refuses a taken username regardless of case', async () => {
    expect(
      (await create({ username: 'Sam', display_name: 'S', role: 'staff', password: STRONG_PASSWORD }))
        .statusCode,
    ).toBe(201);
    const again = await create({
      username: 'sAM',
      display_name: 'S',
      role: 'staff',
      password: STRONG_PASSWORD,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('USERNAME_TAKEN');
  });

  it.each([
    [{ password: 'short-pw' }, 'password', 'must be at least 12 characters long'],
    [
      { password: 'Password1234!' },
      'password',
      'is too common; choose a longer phrase that others would not guess',
    ],
    [{ password: 'my-name-is-newuser!' }, 'password', 'must not contain the username'],
    [{ pin: '111111' }, 'pin', 'must not be one repeated digit'],
    [{ pin: '123456' }, 'pin', 'must not be a simple sequence'],
  ])('enforces the password and PIN policy: %o', async (override, field, message) => {
    const response = await create({
      username: 'newuser',
      display_name: 'N',
      role: 'staff',
      password: STRONG_PASSWORD,
      ...override,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([{ field, message }]);
  });

  it.each([
    [{ username: 'x' }, 'username'],
    [{ username: 'has space' }, 'username'],
    [{ role: 'superuser' }, 'role'],
    [{ display_name: '' }, 'display_name'],
    [{ pin: '12ab56' }, 'pin'],
    [{ is_admin: true }, 'is_admin'],
  ])('answers bad input %o with 400 naming the field', async (override, field) => {
    const response = await create({
      username: 'valid.name',
      display_name: 'V',
      role: 'staff',
      password: STRONG_PASSWORD,
      ...override,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_ERROR');
    expect(response.json().error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect(await app.users.list({ limit: 10, q: 'valid' })).toEqual({ items: [], next_cursor: null });
  });

  it("resets a password and ends the user's sessions", async () => {
    const staff = await app.userWithToken('staff', 'resetme');
    const reset = await app.server.inject({
      method: 'POST',
      url: `/api/users/${staff.id}/reset-password`,
      headers: bearer(admin.token),
      payload: { new_password: 'Temporary-Secret-2026' },
    });
    expect(reset.statusCode).toBe(204);
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(staff.token) }))
        .statusCode,
    ).toBe(401);
    await expect(app.login('resetme', 'Temporary-Secret-2026')).resolves.toBeTruthy();
  });

  it('sends an admin to change-password for their own password', async () => {
    const self = await app.server.inject({
      method: 'POST',
      url: `/api/users/${admin.id}/reset-password`,
      headers: bearer(admin.token),
      payload: { new_password: 'Temporary-Secret-2026' },
    });
    expect(self.statusCode).toBe(409);
    expect(self.json().error.code).toBe('SELF_RESET');
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(admin.token) }))
        .statusCode,
    ).toBe(200);
  });

  it('lists users by username and refuses a forged cursor', async () => {
    for (const name of ['zoe', 'Bert', 'carla']) {
      await app.users.create(
        {
          username: name,
          display_name: name,
          role: 'staff',
          password: STRONG_PASSWORD,
        },
        SYSTEM_CONTEXT,
      );
    }
    const page = await app.server.inject({
      method: 'GET',
      url: '/api/users?role=staff',
      headers: bearer(admin.token),
    });
    expect(page.json().items.map((item: { username: string }) => item.username)).toEqual([
      'Bert',
      'carla',
      'zoe',
    ]);
    const forged = await app.server.inject({
      method: 'GET',
      url: '/api/users?cursor=%27%3B--',
      headers: bearer(admin.token),
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.details[0].field).toBe('cursor');
  });

  it('explains a malformed username in words, not as a pattern', async () => {
    const response = await create({
      username: 'has space',
      display_name: 'V',
      role: 'staff',
      password: STRONG_PASSWORD,
    });
    expect(response.json().error.message).toBe(
      'Invalid request: username is not valid: 3 to 64 letters, digits or . _ @ - (unique regardless of case)',
    );
  });

  it('keeps at least one active admin and stops admins locking themselves out', async () => {
    const self = await app.server.inject({
      method: 'PATCH',
      url: `/api/users/${admin.id}`,
      headers: bearer(admin.token),
      payload: { active: false },
    });
    expect(self.statusCode).toBe(409);
    expect(self.json().error.code).toBe('SELF_LOCKOUT');

    const second = await app.userWithToken('admin', 'second-admin');
    const demoteFirst = await app.server.inject({
      method: 'PATCH',
      url: `/api/users/${admin.id}`,
      headers: bearer(second.token),
      payload: { role: 'auditor' },
    });
    expect(demoteFirst.statusCode).toBe(200);
    // The demoted admin's sessions ended with the role change.
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(admin.token) }))
        .statusCode,
    ).toBe(401);
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const missing = await app.server.inject({
      method: 'GET',
      url: '/api/users/0190f0e4-0000-7000-8000-000000000000',
      headers: bearer(admin.token),
    });
    expect(missing.statusCode).toBe(404);
    const malformed = await app.server.inject({
      method: 'GET',
      url: '/api/users/42',
      headers: bearer(admin.token),
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details[0].field).toBe('id');
  });
});

describe.each(dialects())('first admin on %s', (dialect) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await app.close();
  });

  it('creates the first admin with a random password when none is configured, once', async () => {
    const first = await ensureFirstAdmin(app.users, { adminUsername: 'boss', adminPassword: null });
    expect(first.created).toBe(true);
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await expect(app.login('boss', first.generatedPassword!)).resolves.toBeTruthy();
    const second = await ensureFirstAdmin(app.users, { adminUsername: 'boss', adminPassword: null });
    expect(second).toEqual({ created: false });
  });

  it('uses ADMIN_PASSWORD, and refuses a weak one', async () => {
    await expect(
      ensureFirstAdmin(app.users, { adminUsername: 'boss', adminPassword: 'admin' }),
    ).rejects.toThrow(/ADMIN_PASSWORD must be at least 12/);
    const made = await ensureFirstAdmin(app.users, {
      adminUsername: 'boss',
      adminPassword: 'Sturdy-Admin-Phrase-9',
    });
    expect(made).toEqual({ created: true, username: 'boss' });
    await expect(app.login('boss', 'Sturdy-Admin-Phrase-9')).resolves.toBeTruthy();
  });
});
