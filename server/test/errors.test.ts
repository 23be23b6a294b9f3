import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { access } from '../src/platform/http/access.ts';
import { bearer, createTestApp, dialects, type TestApp } from './helpers/test-app.ts';

describe.each(dialects())('errors on %s', (dialect) => {
  let app: TestApp;
  let admin: { token: string };
  beforeEach(async () => {
    app = await createTestApp({
      dialect,
      env: { BODY_LIMIT_BYTES: '2048' },
      extraRoutes: (server) => {
        server.get('/api/test/explode', { config: { access: access.public } }, async () => {
          throw new Error('connection to db-secret-host:5432 refused at /srv/app/secret.ts');
        });
      },
    });
    admin = await app.userWithToken('admin');
  });
  afterEach(async () => {
    await app.close();
  });

  const post = (payload: string, contentType = 'application/json') =>
    app.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: { ...bearer(admin.token), 'content-type': contentType },
      payload,
    });

  it('answers malformed JSON with 400 in the one error shape', async () => {
    const response = await post('{"username": ');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'INVALID_JSON', message: 'Body is not valid JSON' },
      request_id: response.headers['x-request-id'],
    });
  });

  it('answers a body over the limit with 413', async () => {
    const response = await post(JSON.stringify({ username: 'x'.repeat(5000) }));
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await post('username=x', 'application/x-www-form-urlencoded');
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('does not coerce body types: a number sent as text is refused', async () => {
    const response = await app.server.inject({
      method: 'PATCH',
      url: '/api/users/0190f0e4-0000-7000-8000-000000000000',
      headers: bearer(admin.token),
      payload: { active: 'false' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([{ field: 'active', message: 'must be boolean' }]);
  });

  it('names every missing field', async () => {
    const response = await post(JSON.stringify({ username: 'abc' }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/^Invalid request: \w+ is required$/);
  });

  it('refuses NUL characters anywhere in the input with 400, not a database error', async () => {
    const cases = [
      { method: 'GET' as const, url: '/api/users?q=ab%00c', field: 'q' },
      { method: 'GET' as const, url: '/api/items?q=%00', field: 'q' },
      {
        method: 'POST' as const,
        url: '/api/warehouses',
        payload: { code: 'W1', name: 'n\u0000' },
        field: 'name',
      },
      {
        method: 'POST' as const,
        url: '/api/users',
        payload: { username: 'abc', display_name: 'x\u0000', role: 'staff', password: 'Long-enough-pass-99' },
        field: 'display_name',
      },
    ];
    for (const { field, ...request } of cases) {
      const response = await app.server.inject({ ...request, headers: bearer(admin.token) });
      expect(response.statusCode, request.url).toBe(400);
      expect(response.json().error.details, request.url).toEqual([
        { field, message: 'contains a NUL character' },
      ]);
    }
    const login = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'a\u0000', password: 'whatever-password' },
    });
    expect(login.statusCode).toBe(400);
  });

  it('answers unknown routes with 404 in the one error shape', async () => {
    const response = await app.server.inject({ method: 'DELETE', url: '/api/nothing/here?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toEqual({
      code: 'NOT_FOUND',
      message: 'No route for DELETE /api/nothing/here',
    });
  });

  it('hides internals in a 500 and logs them instead', async () => {
    const response = await app.server.inject({ method: 'GET', url: '/api/test/explode' });
    expect(response.statusCode).toBe(500);
    expect(response.json().error).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
    expect(response.body).not.toContain('secret');
    expect(app.rawLogs()).toContain('db-secret-host');
  });
});

describe('process safety net', () => {
  it('logs an unhandled rejection instead of letting it stop the process', () => {
    const script = `
      import { installProcessSafetyNet } from './server/src/platform/observability/process-safety.ts';
      import { createLogger } from './server/src/platform/observability/logger.ts';
      installProcessSafetyNet(createLogger({ level: 'INFO', service: 't', structured: true }));
      Promise.reject(new Error('nobody awaits this'));
      setTimeout(() => process.stdout.write('still alive\\n'), 50);
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('unhandled promise rejection');
    expect(result.stdout).toContain('still alive');
  });
});
