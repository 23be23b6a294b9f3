import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from './helpers/test-app.ts';

describe.each(dialects())('OpenAPI document on %s', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ dialect });
  });
  afterAll(async () => {
    await app.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    const response = await app.server.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every API route with its error responses', async () => {
    const document = (await app.server.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const expected = [...app.server.routeAccess.keys()]
      .filter((route) => !route.startsWith('HEAD '))
      .filter(
        (route) =>
          !route.includes('/docs') && !route.startsWith('GET /assets/') && route !== 'GET /api/openapi.json',
      )
      .map((route) => route.replace(/:([A-Za-z_]+)/g, '{$1}'));
    expect(expected.length).toBeGreaterThan(10);
    for (const route of expected) expect(documented, route).toContain(route);

    // Every non-public operation documents 401; every operation with a body documents 400.
    const users = document.paths['/api/users']!;
    expect(Object.keys(users.post!.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '409']),
    );
  });

  it('serves interactive docs at /docs', async () => {
    const response = await app.server.inject({ method: 'GET', url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('swagger');
  });
});
