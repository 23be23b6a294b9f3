import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS =
  'authorization, content-type, x-csrf-token, x-request-id, x-correlation-id, traceparent';
const EXPOSED_HEADERS = 'x-request-id, x-trace-id, x-correlation-id, retry-after, content-disposition';

/**
 * CORS for the origins in CORS_ORIGINS, closed when it is empty (the web app is same-origin and
 * needs none). Cross-origin callers use bearer tokens, so credentials (cookies) are never allowed:
 * a cookie session cannot be ridden from another site. A preflight from an allowed origin is
 * answered here, before authentication; any other origin gets no CORS headers at all.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply.header('access-control-allow-methods', ALLOWED_METHODS);
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
      return reply.status(204).send();
    }
  });
}
