import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from './helpers/test-app.ts';

describe.each(dialects())('serving the web app on %s', (dialect) => {
  let app: TestApp;
  let webRoot: string;
  beforeAll(async () => {
    webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-web-'));
    fs.mkdirSync(path.join(webRoot, 'assets'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Stock Verify</title>');
    fs.writeFileSync(path.join(webRoot, 'assets', 'app-1234.js'), 'console.log(1)');
    app = await createTestApp({ dialect, webRoot });
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(webRoot, { recursive: true, force: true });
  });

  it('answers client-side routes with the app, for GET and HEAD', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await app.server.inject({ method, url: '/users/some-id' });
      expect(response.statusCode, method).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
    }
    expect((await app.server.inject({ method: 'GET', url: '/' })).body).toContain(
      '<title>Stock Verify</title>',
    );
  });

  it('serves assets, and a missing asset or API path is a 404, not the app', async () => {
    const asset = await app.server.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const url of ['/assets/app-old.js', '/api/nothing']) {
      const response = await app.server.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('sends exactly our Content-Security-Policy, which works over plain HTTP', async () => {
    const response = await app.server.inject({ method: 'GET', url: '/' });
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});
