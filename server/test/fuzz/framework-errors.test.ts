import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { frameworkErrorHandler, registerErrorHandling } from '../../src/platform/http/errors.ts';

/**
 * What the router refuses before a route matches (found by the fuzzer: a broken percent-escape,
 * a path parameter over maxParamLength) gets the common error body, not Fastify's own shape.
 */
describe('router errors', () => {
  const build = async () => {
    const app = Fastify({ frameworkErrors: frameworkErrorHandler, routerOptions: { maxParamLength: 200 } });
    registerErrorHandling(app);
    app.get('/things/:id', async (request) => request.params);
    await app.ready();
    return app;
  };

  it('answers a broken percent-escape with 400 and the error body', async () => {
    const app = await build();
    for (const url of ['/things/%zz', '/things/%', '/things/%ED%A0%80']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual({
        error: { code: 'BAD_URL', message: expect.any(String) },
        request_id: expect.any(String),
      });
    }
    await app.close();
  });

  it('answers a path parameter over the length limit with 414 and the error body', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: `/things/${'x'.repeat(300)}` });
    expect(response.statusCode).toBe(414);
    expect(response.json()).toMatchObject({ error: { code: 'URI_TOO_LONG' } });
    expect((await app.inject({ method: 'GET', url: '/things/ok' })).json()).toEqual({ id: 'ok' });
    await app.close();
  });
});
