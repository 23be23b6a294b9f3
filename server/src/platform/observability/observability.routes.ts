import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Redis } from 'ioredis';
import { Type } from 'typebox';
import { access } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  name: string;
  /**
   * A critical check failing takes the instance out of the load balancer (503: the database, the
   * migrations). A non-critical one (Redis, the ERP) only makes it `degraded`, still 200: the
   * product works without it, so the instance should keep taking traffic. Default true.
   */
  critical?: boolean;
  /** Whether the check is reported now (the ERP only once a connector has been called). Default: always. */
  applies?(): boolean;
  /**
   * Resolves with a short detail when healthy; throws (or rejects) when not. The failure's text
   * is shown only for a `ReadinessFailure` (written to be public); any other error reads "unavailable".
   */
  check(): Promise<string>;
  /** Releases what the check holds (a connection), when the server closes. */
  close?(): Promise<void>;
}

/** A failed check whose message is safe to show to anyone: counts and states, never hosts or errors. */
export class ReadinessFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadinessFailure';
  }
}

/** How long one check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

const CheckResult = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  critical: Type.Boolean({ description: 'A critical check failing makes the instance not ready (503)' }),
  detail: Type.String(),
});

const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('fail')], {
    description:
      'ok: every check passed; degraded: a non-critical dependency (Redis, the ERP) failed, the service works (200); fail: a critical check failed (503)',
  }),
  service: Type.String(),
  version: Type.String(),
  uptime_seconds: Type.Number(),
  checks: Type.Array(CheckResult),
});

async function runChecks(checks: ReadinessCheck[]) {
  return Promise.all(
    checks
      .filter((check) => check.applies?.() ?? true)
      .map(async ({ name, check, critical = true }) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const detail = await Promise.race([
            check(),
            new Promise<string>((_, reject) => {
              timer = setTimeout(() => reject(new ReadinessFailure('timed out after 2s')), CHECK_TIMEOUT_MS);
            }),
          ]);
          return { name, status: 'ok' as const, critical, detail };
        } catch (error) {
          // The reason stays short and generic: health is readable by anyone.
          const detail = error instanceof ReadinessFailure ? error.message : 'unavailable';
          return { name, status: 'fail' as const, critical, detail };
        } finally {
          clearTimeout(timer);
        }
      }),
  );
}

function overall(results: { status: 'ok' | 'fail'; critical: boolean }[]): 'ok' | 'degraded' | 'fail' {
  if (results.some((result) => result.status === 'fail' && result.critical)) return 'fail';
  return results.some((result) => result.status === 'fail') ? 'degraded' : 'ok';
}

/**
 * Redis answers PING within `timeoutMs`. Its own connection, opened on the first check and
 * reconnecting in the background, so a Redis that comes back reads ok again on the next check.
 */
export function redisReadinessCheck(url: string, timeoutMs = 500): ReadinessCheck {
  let client: Redis | null = null;
  const connection = () => {
    if (!client) {
      client = new Redis(url, {
        lazyConnect: true,
        connectTimeout: Math.max(timeoutMs, 1000),
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        // While disconnected a PING fails at once instead of waiting in a queue.
        enableOfflineQueue: false,
        retryStrategy: (times) => Math.min(100 * times, 2000),
        connectionName: 'health',
      });
      // Connection errors are what the check reports; unheard, ioredis would print them.
      client.on('error', () => {});
      void client.connect().catch(() => undefined);
    }
    return client;
  };
  return {
    name: 'redis',
    critical: false,
    async check() {
      const redis = connection();
      if (redis.status === 'connecting' || redis.status === 'connect') {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            redis.off('ready', done);
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          redis.once('ready', done);
        });
      }
      if (redis.status !== 'ready') throw new ReadinessFailure('unreachable');
      await redis.ping();
      return 'PONG';
    },
    async close() {
      client?.disconnect();
      client = null;
    },
  };
}

/**
 * One check for the circuit breakers of the ERP: failing while any is open (its calls fail fast),
 * reported once a connector has been called. Counting does not need the ERP, so it is not critical.
 */
export function breakersReadinessCheck(
  name: string,
  breakers: () => readonly { name: string; state: string }[],
  matches: (breakerName: string) => boolean,
): ReadinessCheck {
  const relevant = () => breakers().filter((breaker) => matches(breaker.name));
  return {
    name,
    critical: false,
    applies: () => relevant().length > 0,
    async check() {
      const states = relevant().map((breaker) => breaker.state);
      const count = (state: string) => states.filter((each) => each === state).length;
      const circuits = `circuit${states.length === 1 ? '' : 's'}`;
      if (count('open') > 0)
        throw new ReadinessFailure(`${count('open')} of ${states.length} ${circuits} open`);
      const halfOpen = count('half_open');
      return halfOpen > 0
        ? `${halfOpen} of ${states.length} ${circuits} half-open`
        : `${states.length} ${circuits} closed`;
    },
  };
}

export function healthRoutes(deps: {
  service: string;
  version: string;
  checks: ReadinessCheck[];
}): FastifyPluginAsyncTypebox {
  const started = Date.now();
  return async (app) => {
    const tags = ['health'];
    app.addHook('onClose', async () => {
      await Promise.all(deps.checks.map((check) => check.close?.()));
    });
    const body = async () => {
      const results = await runChecks(deps.checks);
      return {
        status: overall(results),
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
              url === '/health'
                ? 'Overall health, one check per dependency'
                : 'Readiness: 503 when a critical check (database, migrations) fails; 200 `degraded` when only Redis or the ERP does',
            security: [],
            response: { 200: HealthBody, 503: HealthBody },
          },
        },
        async (_request, reply) => {
          const result = await body();
          return reply.status(result.status === 'fail' ? 503 : 200).send(result);
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
