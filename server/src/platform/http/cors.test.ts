import { afterEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';

describe('CORS', () => {
  let app: TestApp;
  afterEach(async () => {
    await app.close();
  });

  it('is closed by default: no CORS headers for any origin', async () => {
    app = await createTestApp({ dialect: 'sqlite' });
    const response = await app.server.inject({
      method: 'GET',
      url: '/api/health/live',
      headers: { origin: 'https://evil.example' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.server.inject({
      method: 'OPTIONS',
      url: '/api/items',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the configured origins only, without credentials', async () => {
    app = await createTestApp({ dialect: 'sqlite', env: { CORS_ORIGINS: 'https://erp.example.com' } });
    const { token } = await app.userWithToken('admin');
    const allowed = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { origin: 'https://erp.example.com', ...bearer(token) },
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://erp.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    expect(allowed.headers.vary).toMatch(/Origin/);

    const preflight = await app.server.inject({
      method: 'OPTIONS',
      url: '/api/items',
      headers: {
        origin: 'https://erp.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');

    const other = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { origin: 'https://erp.example.com.evil.example', ...bearer(token) },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
