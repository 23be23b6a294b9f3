import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { access } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  name: string;
  /** Resolves with a short detail when healthy; throws (or rejects) when not. */
  check(): Promise<string>;
}

const CheckResult = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  detail: Type.String(),
});

const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  service: Type.String(),
  version: Type.String(),
  uptime_seconds: Type.Number(),
  checks: Type.Array(CheckResult),
});

async function runChecks(checks: ReadinessCheck[]) {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        const detail = await Promise.race([
          check(),
          new Promise<string>((_, reject) =>
            setTimeout(() => reject(new Error('timed out after 2s')), 2000).unref(),
          ),
        ]);
        return { name, status: 'ok' as const, detail };
      } catch (error) {
        // The reason stays short and generic: health is readable by anyone.
        const detail =
          error instanceof Error && error.message.startsWith('timed out') ? error.message : 'unavailable';
        return { name, status: 'fail' as const, detail };
      }
    }),
  );
}

export function healthRoutes(deps: {
  service: string;
  version: string;
  checks: ReadinessCheck[];
}): FastifyPluginAsyncTypebox {
  const started = Date.now();
  return async (app) => {
    const tags = ['health'];
    const body = async () => {
      const results = await runChecks(deps.checks);
      return {
        status: results.every((result) => result.status === 'ok') ? ('ok' as const) : ('fail' as const),
        service: deps.service,
        version: deps.version,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        checks: results,
      };
    };

    for (const url of ['/health', '/health/ready']) {
      app.get(
        url,
        {
          config: { access: access.public },
          schema: {
            tags,
            summary:
              url === '/health' ? 'Overall health' : 'Readiness: database reachable and migrations applied',
            security: [],
            response: { 200: HealthBody, 503: HealthBody },
          },
        },
        async (_request, reply) => {
          const result = await body();
          return reply.status(result.status === 'ok' ? 200 : 503).send(result);
        },
      );
    }

    app.get(
      '/health/live',
      {
        config: { access: access.public },
        schema: {
          tags,
          summary: 'Liveness: the process answers',
          security: [],
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
  };
}

export function metricsRoutes(metrics: Metrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['metrics'];
    app.get(
      '/api/enterprise/metrics',
      {
        config: { access: access.rolesOrMetricsToken('admin') },
        schema: {
          tags,
          summary: 'All metrics as JSON (admins, or a bearer METRICS_TOKEN)',
          response: {
            200: Type.Object({ metrics: Type.Array(Type.Unknown()) }),
            ...errorResponses(401, 403),
          },
        },
      },
      async () => ({ metrics: await metrics.registry.getMetricsAsJSON() }),
    );

    app.get(
      '/api/enterprise/metrics/prometheus',
      {
        config: { access: access.rolesOrMetricsToken('admin') },
        schema: {
          tags,
          summary: 'Metrics in the Prometheus text exposition format',
          produces: ['text/plain'],
          response: {
            200: { type: 'string', description: 'Prometheus text format 0.0.4' },
            ...errorResponses(401, 403),
          },
        },
      },
      async (_request, reply) => {
        reply.header('content-type', metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  };
}
