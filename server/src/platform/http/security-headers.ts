import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Security headers, computed once at start by helmet and then copied onto every response:
 * building helmet's configuration per request cost more than the rest of a cached request.
 */
export const CONTENT_SECURITY_POLICY = {
  // Exactly this policy: helmet's defaults would add upgrade-insecure-requests, which breaks the
  // app for handhelds reaching a plain-HTTP server on the warehouse network.
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    // 'wasm-unsafe-eval' lets WebAssembly compile (the camera's barcode reader, served from 'self');
    // it does not allow eval() or inline scripts.
    scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
  },
};

export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY })(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    () => {
      finished = true;
    },
  );
  if (!finished) throw new Error('helmet did not complete synchronously');
  return headers;
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  const headers = securityHeaders();
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
}
