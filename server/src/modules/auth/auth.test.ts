import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';

function cookiesOf(response: { cookies: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(response.cookies.map((cookie) => [cookie.name, cookie.value]));
}

describe.each(dialects())('auth on %s', (dialect) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await app.close();
  });

  it('signs in with a password and returns a bearer token, expiry and the user', async () => {
    await app.users.create(
      {
        username: 'Maria',
        display_name: 'Maria K',
        role: 'supervisor',
        password: STRONG_PASSWORD,
      },
      SYSTEM_CONTEXT,
    );
    const response = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'maria', password: STRONG_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.token_type).toBe('bearer');
    // 256 bits of randomness, base64url: 43 characters.
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
    expect(body.user).toMatchObject({ username: 'Maria', role: 'supervisor', active: true, has_pin: false });
    expect(body.user.password_hash).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-store');

    const me = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: bearer(body.access_token),
    });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.username).toBe('Maria');
  });

  it('stores only a hash of the session token', async () => {
    const { token } = await app.userWithToken('staff');
    const rows = await app.database.db
      .selectFrom('security_sessions')
      .select(['token_hash', 'csrf_hash'])
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toContain(token);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers an unknown user, a wrong password and an inactive user identically', async () => {
    const user = await app.users.create(
      {
        username: 'ola',
        display_name: 'Ola',
        role: 'staff',
        password: STRONG_PASSWORD,
      },
      SYSTEM_CONTEXT,
    );
    await app.users.create(
      {
        username: 'admin1',
        display_name: 'A',
        role: 'admin',
        password: STRONG_PASSWORD,
      },
      SYSTEM_CONTEXT,
    );
    const attempt = (username: string, password: string) =>
      app.server.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

    const unknown = await attempt('nobody', STRONG_PASSWORD);
    const wrong = await attempt('ola', 'wrong-password-123');
    await app.users.update(user.id, { active: false }, SYSTEM_CONTEXT);
    const inactive = await attempt('ola', STRONG_PASSWORD);
    for (const response of [unknown, wrong, inactive]) {
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toEqual({
        code: 'INVALID_CREDENTIALS',
        message: 'Invalid username or password',
      });
    }
  });

  it('signs in with a PIN only when the user has one', async () => {
    await app.users.create(
      {
        username: 'hand1',
        display_name: 'H',
        role: 'staff',
        password: STRONG_PASSWORD,
        pin: '480317',
      },
      SYSTEM_CONTEXT,
    );
    await app.users.create(
      {
        username: 'hand2',
        display_name: 'H',
        role: 'staff',
        password: STRONG_PASSWORD,
      },
      SYSTEM_CONTEXT,
    );
    const ok = await app.server.inject({
      method: 'POST',
      url: '/api/auth/pin-login',
      payload: { username: 'hand1', pin: '480317' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.has_pin).toBe(true);
    const wrong = await app.server.inject({
      method: 'POST',
      url: '/api/auth/pin-login',
      payload: { username: 'hand1', pin: '480318' },
    });
    const none = await app.server.inject({
      method: 'POST',
      url: '/api/auth/pin-login',
      payload: { username: 'hand2', pin: '480317' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toEqual(wrong.json().error);
  });

  it('ends the session on logout, effective on the very next request', async () => {
    const { token } = await app.userWithToken('staff');
    const logout = await app.server.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: bearer(token),
    });
    expect(logout.statusCode).toBe(204);
    const me = await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a deactivated user on the next request', async () => {
    const { token: adminToken } = await app.userWithToken('admin');
    const staff = await app.userWithToken('staff');
    const patch = await app.server.inject({
      method: 'PATCH',
      url: `/api/users/${staff.id}`,
      headers: bearer(adminToken),
      payload: { active: false },
    });
    expect(patch.statusCode).toBe(200);
    const me = await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(staff.token) });
    expect(me.statusCode).toBe(401);
  });

  it('expires a session after the idle timeout, and slides it while in use', async () => {
    const { token } = await app.userWithToken('staff');
    const me = () => app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    // 20 minutes idle, then used: the idle window starts again.
    app.clock.advance(20 * 60_000);
    expect((await me()).statusCode).toBe(200);
    app.clock.advance(20 * 60_000);
    expect((await me()).statusCode).toBe(200);
    // 31 minutes idle: over the 30-minute default.
    app.clock.advance(31 * 60_000);
    expect((await me()).statusCode).toBe(401);
  });

  it('ends a session at its absolute lifetime however active it is', async () => {
    const { token } = await app.userWithToken('staff');
    const me = () => app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      app.clock.advance(20 * 60_000);
      expect((await me()).statusCode).toBe(200);
    }
    app.clock.advance(30 * 60_000);
    expect((await me()).statusCode).toBe(401);
  });

  it('authenticates the web app by HttpOnly SameSite cookie and demands the CSRF token on writes', async () => {
    await app.users.create(
      { username: 'web', display_name: 'W', role: 'staff', password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    const login = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'web', password: STRONG_PASSWORD },
    });
    const session = login.cookies.find((cookie) => cookie.name === 'sv_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Strict');
    expect(session.path).toBe('/');
    const csrf = cookiesOf(login).sv_csrf!;
    expect(csrf).toBe(login.json().csrf_token);
    const cookies = { sv_session: session.value, sv_csrf: csrf };

    const me = await app.server.inject({ method: 'GET', url: '/api/auth/me', cookies });
    expect(me.statusCode).toBe(200);

    const forged = await app.server.inject({ method: 'POST', url: '/api/auth/logout', cookies });
    expect(forged.statusCode).toBe(403);
    const wrong = await app.server.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies,
      headers: { 'x-csrf-token': 'not-the-token' },
    });
    expect(wrong.statusCode).toBe(403);
    // Still signed in: the refused requests changed nothing.
    expect((await app.server.inject({ method: 'GET', url: '/api/auth/me', cookies })).statusCode).toBe(200);

    const logout = await app.server.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies,
      headers: { 'x-csrf-token': csrf },
    });
    expect(logout.statusCode).toBe(204);
    expect((await app.server.inject({ method: 'GET', url: '/api/auth/me', cookies })).statusCode).toBe(401);
  });

  it('marks this browser as a trusted device with an HttpOnly SameSite cookie that outlives the session', async () => {
    await app.users.create(
      { username: 'dev', display_name: 'D', role: 'staff', password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    const login = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'dev', password: STRONG_PASSWORD },
    });
    const device = login.cookies.find((cookie) => cookie.name === 'sv_device')!;
    expect(device).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    // Plain HTTP under COOKIE_SECURE=auto: not Secure (see the next test for HTTPS deployments).
    expect(device.secure).toBeUndefined();
    const days = (Date.parse(String(device.expires)) - app.clock.now().getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    expect(login.json()).not.toHaveProperty('device');
    expect(JSON.stringify(login.json())).not.toContain(device.value);

    // Sign-out ends the session, not the trust; signing in again from it keeps the same token.
    const token = login.json().access_token as string;
    const logout = await app.server.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: bearer(token),
    });
    expect(logout.cookies.map((cookie) => cookie.name)).not.toContain('sv_device');
    const again = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'dev', password: STRONG_PASSWORD },
      cookies: { sv_device: device.value },
    });
    expect(again.cookies.find((cookie) => cookie.name === 'sv_device')?.value).toBe(device.value);
  });

  it('sets the trusted-device cookie Secure when COOKIE_SECURE=true', async () => {
    const secure = await createTestApp({ dialect, env: { COOKIE_SECURE: 'true' } });
    try {
      await secure.users.create(
        { username: 'sec', display_name: 'S', role: 'staff', password: STRONG_PASSWORD },
        SYSTEM_CONTEXT,
      );
      const login = await secure.server.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'sec', password: STRONG_PASSWORD },
      });
      expect(login.cookies.find((cookie) => cookie.name === 'sv_device')).toMatchObject({
        secure: true,
        httpOnly: true,
        sameSite: 'Strict',
      });
    } finally {
      await secure.close();
    }
  });

  it('changes the password, keeps this session and ends the others', async () => {
    const user = await app.userWithToken('staff', 'chris');
    const other = await app.login('chris', STRONG_PASSWORD);
    const change = (current: string, next: string) =>
      app.server.inject({
        method: 'POST',
        url: '/api/auth/change-password',
        headers: bearer(user.token),
        payload: { current_password: current, new_password: next },
      });
    const wrongCurrent = await change('not-my-password-1', 'brand-New-secret-42');
    expect(wrongCurrent.statusCode).toBe(400);
    expect(wrongCurrent.json().error.details[0].field).toBe('current_password');
    const weak = await change(STRONG_PASSWORD, 'short');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.details[0]).toEqual({
      field: 'new_password',
      message: 'must be at least 12 characters long',
    });

    expect((await change(STRONG_PASSWORD, 'brand-New-secret-42')).statusCode).toBe(204);
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(user.token) }))
        .statusCode,
    ).toBe(200);
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(other) })).statusCode,
    ).toBe(401);
    await expect(app.login('chris', STRONG_PASSWORD)).rejects.toThrow(/401/);
    await expect(app.login('chris', 'brand-New-secret-42')).resolves.toBeTruthy();
  });

  it('never writes a password, PIN or token to the log', async () => {
    await app.users.create(
      {
        username: 'logme',
        display_name: 'L',
        role: 'staff',
        password: STRONG_PASSWORD,
        pin: '739164',
      },
      SYSTEM_CONTEXT,
    );
    const login = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'logme', password: STRONG_PASSWORD },
    });
    const token = login.json().access_token as string;
    await app.server.inject({
      method: 'POST',
      url: '/api/auth/pin-login',
      payload: { username: 'logme', pin: '739164' },
    });
    await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'logme', password: 'Wrong-password-99' },
    });
    await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    const logs = app.rawLogs();
    expect(logs).toContain('user signed in');
    for (const secret of [STRONG_PASSWORD, 'Wrong-password-99', '739164', token, 'logme']) {
      expect(logs).not.toContain(secret);
    }
  });
});
