import { afterEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { base32Decode, totpAt } from './totp.ts';

/** Two-factor sign-in over HTTP, on both databases: set-up, sign-in, replay, recovery, lockouts, roles. */
describe.each(dialects())('two-factor sign-in on %s', (dialect) => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    app = await createTestApp({ dialect, env: { RATE_LIMIT_SIGNIN_PER_MINUTE: '0', ...env } });
  };
  const post = (url: string, token: string | null, payload?: object) =>
    app.server.inject({
      method: 'POST',
      url,
      headers: token ? bearer(token) : {},
      ...(payload ? { payload } : {}),
    });
  const codeAt = (secret: string, offsetSeconds = 0) =>
    totpAt(base32Decode(secret), app.clock.now().getTime() / 1000 + offsetSeconds);
  /** The next 30-second step, so a fresh code is not a replay of the last one. */
  const nextStep = () => app.clock.advance(30_000);
  const login = (username: string, extra: object = {}, password = STRONG_PASSWORD) =>
    post('/api/auth/login', null, { username, password, ...extra });

  /** A user with MFA switched on: their token, secret and recovery codes. */
  async function enrolled(role: 'staff' | 'supervisor' | 'admin' = 'staff', username = 'mara') {
    const user = await app.userWithToken(role, username);
    const setup = await post('/api/auth/mfa/setup', user.token);
    expect(setup.statusCode, setup.body).toBe(200);
    const { secret } = setup.json();
    const enable = await post('/api/auth/mfa/enable', user.token, { otp_code: codeAt(secret) });
    expect(enable.statusCode, enable.body).toBe(200);
    nextStep();
    return { ...user, secret, recoveryCodes: enable.json().recovery_codes as string[] };
  }

  it('sets up with an otpauth URL and QR code, confirms with a code, and answers recovery codes once', async () => {
    await start({ MFA_ISSUER: 'Acme Stock' });
    const user = await app.userWithToken('staff', 'mara');
    const setup = await post('/api/auth/mfa/setup', user.token);
    expect(setup.statusCode).toBe(200);
    expect(setup.headers['cache-control']).toBe('no-store');
    const { secret, otpauth_url, qr_svg } = setup.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_url).toBe(
      `otpauth://totp/Acme%20Stock:mara?secret=${secret}&issuer=Acme%20Stock&algorithm=SHA1&digits=6&period=30`,
    );
    expect(qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    // Nothing is on until a code from the new secret comes back.
    const before = await app.server.inject({
      method: 'GET',
      url: '/api/auth/mfa',
      headers: bearer(user.token),
    });
    expect(before.json()).toEqual({ enabled: false, required: false, recovery_codes_left: 0 });
    expect((await login('mara')).statusCode).toBe(200);
    const wrong = await post('/api/auth/mfa/enable', user.token, { otp_code: codeAt(secret, 300) });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('INVALID_OTP_CODE');

    const enable = await post('/api/auth/mfa/enable', user.token, { otp_code: codeAt(secret) });
    expect(enable.statusCode).toBe(200);
    const codes = enable.json().recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);

    const after = await app.server.inject({
      method: 'GET',
      url: '/api/auth/mfa',
      headers: bearer(user.token),
    });
    expect(after.json()).toEqual({ enabled: true, required: false, recovery_codes_left: 10 });
    const me = await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(user.token) });
    expect(me.json().user.mfa_enabled).toBe(true);
    // A second set-up while on is refused: the app in use is not silently replaced.
    expect((await post('/api/auth/mfa/setup', user.token)).statusCode).toBe(409);

    // Stored sealed and hashed: neither the secret nor a code is in the database.
    const row = await app.database.db
      .selectFrom('security_mfa')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(secret);
    expect(row.pending_secret_sealed).toBeNull();
    const hashes = await app.database.db
      .selectFrom('security_mfa_recovery_codes')
      .select('code_hash')
      .where('user_id', '=', user.id)
      .execute();
    expect(hashes).toHaveLength(10);
    for (const { code_hash } of hashes) {
      expect(code_hash).toMatch(/^[0-9a-f]{64}$/);
      for (const code of codes) expect(code_hash).not.toContain(code.replace(/-/g, ''));
    }
    expect(app.rawLogs()).not.toContain(secret);
    for (const code of codes) expect(app.rawLogs()).not.toContain(code);
    expect(await app.auditEntries('auth.mfa.enable')).toEqual([
      expect.objectContaining({ event_type: 'MFA_ENABLE', outcome: 'failure' }),
      expect.objectContaining({ event_type: 'MFA_ENABLE', outcome: 'success' }),
    ]);
  });

  it('asks for the code after the right password only, refuses a wrong or replayed code', async () => {
    await start();
    const { secret } = await enrolled();

    const noCode = await login('mara');
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().error.code).toBe('MFA_REQUIRED');
    // A wrong password is the usual answer, whatever the code: the code step tells nothing new.
    const wrongPassword = await login('mara', { otp_code: codeAt(secret) }, 'Not-the-password-1');
    const unknownUser = await login('nobody', { otp_code: codeAt(secret) });
    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.json().error).toEqual(unknownUser.json().error);

    const wrongCode = await login('mara', { otp_code: codeAt(secret, 600) });
    expect(wrongCode.statusCode).toBe(401);
    expect(wrongCode.json().error).toEqual(unknownUser.json().error);

    const code = codeAt(secret);
    const ok = await login('mara', { otp_code: code });
    expect(ok.statusCode, ok.body).toBe(200);
    // The same code again, within its 30 seconds, is a replay.
    const replay = await login('mara', { otp_code: code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('INVALID_CREDENTIALS');
    nextStep();
    expect((await login('mara', { otp_code: codeAt(secret) })).statusCode).toBe(200);

    const reasons = (await app.auditEntries('auth.login'))
      .filter((entry) => entry.event_type === 'LOGIN_FAILED')
      .map((entry) => entry.details.reason);
    expect(reasons).toEqual(['wrong_password', 'unknown_or_inactive_user', 'wrong_otp', 'replayed_otp']);
  });

  it('lets exactly one of many parallel sign-ins with the same code through', async () => {
    await start({ MAX_LOGIN_ATTEMPTS: '50' });
    const { secret } = await enrolled();
    const code = codeAt(secret);
    const answers = await Promise.all(Array.from({ length: 8 }, () => login('mara', { otp_code: code })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([
      200, 401, 401, 401, 401, 401, 401, 401,
    ]);
  });

  it('accepts each recovery code once, in any case and spacing', async () => {
    await start();
    const { token, recoveryCodes } = await enrolled();
    const [first, second] = recoveryCodes as [string, string];
    expect((await login('mara', { recovery_code: first.toUpperCase() })).statusCode).toBe(200);
    const again = await login('mara', { recovery_code: first });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('INVALID_CREDENTIALS');
    expect((await login('mara', { recovery_code: second.replace(/-/g, ' ') })).statusCode).toBe(200);
    const status = await app.server.inject({ method: 'GET', url: '/api/auth/mfa', headers: bearer(token) });
    expect(status.json().recovery_codes_left).toBe(8);
  });

  it('counts wrong codes towards the lockout, after which even the right code is refused', async () => {
    await start({ MAX_LOGIN_ATTEMPTS: '3' });
    const { secret } = await enrolled();
    for (let i = 0; i < 3; i++) {
      expect((await login('mara', { otp_code: codeAt(secret, 900) })).statusCode).toBe(401);
    }
    const right = await login('mara', { otp_code: codeAt(secret) });
    expect(right.statusCode).toBe(401);
    expect(right.json().error.code).toBe('INVALID_CREDENTIALS');
    const admin = await app.userWithToken('admin', 'root');
    const locked = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/security/locked-accounts',
      headers: bearer(admin.token),
    });
    expect(locked.json().items.map((item: { username: string }) => item.username)).toEqual(['mara']);
  });

  it('gives back the try when it asks for the code, so an abandoned code step locks nobody out', async () => {
    await start({ MAX_LOGIN_ATTEMPTS: '3' });
    const { secret } = await enrolled();
    for (let i = 0; i < 6; i++) expect((await login('mara')).json().error.code).toBe('MFA_REQUIRED');
    expect((await login('mara', { otp_code: codeAt(secret) })).statusCode).toBe(200);
    // Asking in between does not reset the run either: three wrong codes lock, however interleaved.
    nextStep();
    for (let i = 0; i < 3; i++) {
      expect((await login('mara')).json().error.code).toBe('MFA_REQUIRED');
      expect((await login('mara', { otp_code: codeAt(secret, 900) })).statusCode).toBe(401);
    }
    const locked = await login('mara', { otp_code: codeAt(secret) });
    expect(locked.json().error.code).toBe('INVALID_CREDENTIALS');
    expect((await login('mara')).json().error.code).toBe('INVALID_CREDENTIALS');
  });

  it('replaces the recovery codes for a code from the app; the old ones stop working', async () => {
    await start();
    const { token, secret, recoveryCodes } = await enrolled();
    const wrong = await post('/api/auth/mfa/recovery-codes', token, { otp_code: codeAt(secret, 900) });
    expect(wrong.statusCode).toBe(400);
    const fresh = await post('/api/auth/mfa/recovery-codes', token, { otp_code: codeAt(secret) });
    expect(fresh.statusCode).toBe(200);
    const codes = fresh.json().recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(codes.some((code) => recoveryCodes.includes(code))).toBe(false);
    expect((await login('mara', { recovery_code: recoveryCodes[0] })).statusCode).toBe(401);
    expect((await login('mara', { recovery_code: codes[0] })).statusCode).toBe(200);
  });

  it('gives back the try when it asks for the code, so an abandoned code step locks nobody out', async () => {
    await start({ MAX_LOGIN_ATTEMPTS: '3' });
    const { secret } = await enrolled();
    for (let i = 0; i < 6; i++) expect((await login('mara')).json().error.code).toBe('MFA_REQUIRED');
    expect((await login('mara', { otp_code: codeAt(secret) })).statusCode).toBe(200);
    // Asking in between does not reset the run either: three wrong codes lock, however interleaved.
    nextStep();
    for (let i = 0; i < 3; i++) {
      expect((await login('mara')).json().error.code).toBe('MFA_REQUIRED');
      expect((await login('mara', { otp_code: codeAt(secret, 900) })).statusCode).toBe(401);
    }
    const locked = await login('mara', { otp_code: codeAt(secret) });
    expect(locked.json().error.code).toBe('INVALID_CREDENTIALS');
    expect((await login('mara')).json().error.code).toBe('INVALID_CREDENTIALS');
  });

  it('replaces the recovery codes for a code from the app; the old ones stop working', async () => {
    await start();
    const { token, secret, recoveryCodes } = await enrolled();
    const wrong = await post('/api/auth/mfa/recovery-codes', token, { otp_code: codeAt(secret, 900) });
    expect(wrong.statusCode).toBe(400);
    const fresh = await post('/api/auth/mfa/recovery-codes', token, { otp_code: codeAt(secret) });
    expect(fresh.statusCode).toBe(200);
    const codes = fresh.json().recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(codes.some((code) => recoveryCodes.includes(code))).toBe(false);
    expect((await login('mara', { recovery_code: recoveryCodes[0] })).statusCode).toBe(401);
    expect((await login('mara', { recovery_code: codes[0] })).statusCode).toBe(200);
  });

  it('asks a PIN sign-in for the code too', async () => {
    await start();
    const { id, secret } = await enrolled();
    await app.users.update(id, { pin: '583920' }, SYSTEM_CONTEXT);
    const noCode = await post('/api/auth/pin-login', null, { username: 'mara', pin: '583920' });
    expect(noCode.json().error.code).toBe('MFA_REQUIRED');
    const ok = await post('/api/auth/pin-login', null, {
      username: 'mara',
      pin: '583920',
      otp_code: codeAt(secret),
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('switches off only with the password and a code; an admin can reset it for a lost phone', async () => {
    await start();
    const { id, token, secret } = await enrolled();
    const badPassword = await post('/api/auth/mfa/disable', token, {
      password: 'Not-the-password-1',
      otp_code: codeAt(secret),
    });
    expect(badPassword.statusCode).toBe(400);
    const noCode = await post('/api/auth/mfa/disable', token, { password: STRONG_PASSWORD });
    expect(noCode.statusCode).toBe(400);
    const off = await post('/api/auth/mfa/disable', token, {
      password: STRONG_PASSWORD,
      otp_code: codeAt(secret),
    });
    expect(off.statusCode, off.body).toBe(204);
    expect((await login('mara')).statusCode).toBe(200);
    expect((await app.auditEntries('auth.mfa.disable')).map((entry) => entry.outcome)).toEqual([
      'failure',
      'failure',
      'success',
    ]);

    // On again, then the phone is lost: an admin resets it, and the password alone signs in.
    await post('/api/auth/mfa/setup', token).then(async (setup) => {
      const again = await post('/api/auth/mfa/enable', token, { otp_code: codeAt(setup.json().secret) });
      expect(again.statusCode).toBe(200);
    });
    expect((await login('mara')).json().error.code).toBe('MFA_REQUIRED');
    const admin = await app.userWithToken('admin', 'root');
    const staffReset = await app.server.inject({
      method: 'DELETE',
      url: `/api/users/${id}/mfa`,
      headers: bearer(token),
    });
    expect(staffReset.statusCode).toBe(403);
    const reset = await app.server.inject({
      method: 'DELETE',
      url: `/api/users/${id}/mfa`,
      headers: bearer(admin.token),
    });
    expect(reset.json()).toEqual({ reset: true });
    // Whoever holds the lost phone may hold a session too: it ends.
    const me = await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    expect(me.statusCode).toBe(401);
    expect((await login('mara')).statusCode).toBe(200);
    // An admin's own MFA goes off through /api/auth/mfa/disable (password and code), not a reset.
    const self = await app.server.inject({
      method: 'DELETE',
      url: `/api/users/${admin.id}/mfa`,
      headers: bearer(admin.token),
    });
    expect(self.statusCode).toBe(400);
    const resetAgain = await app.server.inject({
      method: 'DELETE',
      url: `/api/users/${id}/mfa`,
      headers: bearer(admin.token),
    });
    expect(resetAgain.json()).toEqual({ reset: false });
    expect(await app.auditEntries('user.mfa_reset')).toEqual([
      expect.objectContaining({ event_type: 'MFA_DISABLE', details: { by_admin: true } }),
    ]);
  });

  it('MFA_REQUIRED_ROLES: such a user can only set MFA up until it is on, and cannot switch it off', async () => {
    await start({ MFA_REQUIRED_ROLES: 'supervisor,admin' });
    const staff = await app.userWithToken('staff', 'sam');
    const supervisor = await app.userWithToken('supervisor', 'sue');
    const signIn = await login('sue');
    expect(signIn.json().mfa_enrolment_required).toBe(true);
    expect((await login('sam')).json().mfa_enrolment_required).toBe(false);

    const items = () =>
      app.server.inject({ method: 'GET', url: '/api/items', headers: bearer(supervisor.token) });
    const refused = await items();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('MFA_ENROLMENT_REQUIRED');
    const me = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: bearer(supervisor.token),
    });
    expect(me.json().mfa_enrolment_required).toBe(true);
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/items', headers: bearer(staff.token) }))
        .statusCode,
    ).toBe(200);

    const { secret } = (await post('/api/auth/mfa/setup', supervisor.token)).json();
    expect(
      (await post('/api/auth/mfa/enable', supervisor.token, { otp_code: codeAt(secret) })).statusCode,
    ).toBe(200);
    // On the very next request, the same session may do its work.
    expect((await items()).statusCode).toBe(200);
    nextStep();
    const off = await post('/api/auth/mfa/disable', supervisor.token, {
      password: STRONG_PASSWORD,
      otp_code: codeAt(secret),
    });
    expect(off.statusCode).toBe(403);
    expect(off.json().error.code).toBe('MFA_REQUIRED_FOR_ROLE');
  });

  it('a set-up not confirmed within 15 minutes must be started again', async () => {
    await start();
    const user = await app.userWithToken('staff', 'mara');
    const { secret } = (await post('/api/auth/mfa/setup', user.token)).json();
    app.clock.advance(16 * 60_000);
    const late = await post('/api/auth/mfa/enable', user.token, { otp_code: codeAt(secret) });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('MFA_SETUP_REQUIRED');
  });
});
