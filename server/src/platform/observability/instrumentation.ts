import type { FastifyInstance } from 'fastify';
import { contextOf, type RequestContext, traceparentOf } from '../http/request-context.ts';
import type { Metrics } from './metrics.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Request, trace and correlation ids: read by logs, audit and outgoing calls. */
    ctx: RequestContext;
  }
}

/**
 * Per-request observability: the context ids echoed on every response (errors and 404s too),
 * one "request completed" log line, and the HTTP metrics labelled by route template.
 */
export function registerInstrumentation(
  app: FastifyInstance,
  options: { metrics: Metrics | null; tracingEnabled: boolean },
): void {
  const { metrics, tracingEnabled } = options;
  app.decorateRequest('ctx', null as unknown as RequestContext);

  app.addHook('onRequest', async (request, reply) => {
    const ctx = contextOf(request.raw, tracingEnabled);
    request.ctx = ctx;
    reply.header('x-request-id', ctx.request_id);
    reply.header('x-correlation-id', ctx.correlation_id);
    if (tracingEnabled) {
      reply.header('x-trace-id', ctx.trace_id);
      const traceparent = traceparentOf(ctx);
      if (traceparent) reply.header('traceparent', traceparent);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    if (metrics) {
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
    }
    const line = {
      method: request.method,
      route,
      status_code: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      ...(request.principal ? { user_id: request.principal.user.id } : {}),
    };
    // A 503 is a dependency away (the database restarting, the server shutting down), said once by
    // whoever saw it: a WARN per request, not an ERROR per request of an outage.
    if (reply.statusCode === 503) request.log.warn(line, 'request refused: service unavailable');
    else if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request completed');
  });
}
