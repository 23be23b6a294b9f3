import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../../platform/clock.ts';
import { clientIp } from '../../../platform/http/client-ip.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { auditContextOf } from '../../audit/events.ts';
import { eventThrottle, type SecurityEvents } from '../events/security-events.service.ts';
import {
  createMemoryStore,
  createRateLimiter,
  type RateLimiter,
  type RateLimitRule,
} from './rate-limiter.ts';
import { createRedisStore } from './redis-store.ts';

const SIGN_IN_ROUTES = new Set(['/api/auth/login', '/api/auth/pin-login']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Request rate limits: sign-in per client address, writes per user and per address. Counters are
 * shared through Redis when REDIS_URL is set. If Redis goes away, every instance keeps limiting
 * from its own memory (so a client may get up to N times the limit across N instances) and says
 * so in the log at most every 30 s; it goes back to Redis when Redis answers again. Nothing is
 * refused because Redis is down, and nothing goes unlimited.
 */
export function registerRequestLimits(
  app: FastifyInstance,
  deps: {
    signinPerMinute: number;
    writesPerMinute: number;
    redisUrl: string | null;
    events: SecurityEvents;
    clock: Clock;
    logger: Logger;
  },
): RateLimiter | null {
  const { signinPerMinute, writesPerMinute, events, clock, logger } = deps;
  if (signinPerMinute === 0 && writesPerMinute === 0) return null;
  const limiter = createRateLimiter({
    // A Redis slower than a second is treated as down (the memory fallback answers meanwhile).
    store: deps.redisUrl
      ? createRedisStore({ url: deps.redisUrl, commandTimeoutMs: 1000 })
      : createMemoryStore(),
    onStoreError: (error, report) =>
      logger.warn(
        { err: error, failures: report.failures },
        'rate limits: Redis unavailable, limiting per instance from memory',
      ),
    onStoreRecovered: (report) => logger.info({ down_ms: report.downForMs }, 'rate limits: back on Redis'),
  });
  app.addHook('onClose', () => limiter.close());

  const signin: RateLimitRule = { name: 'signin-ip', limit: signinPerMinute, windowMs: 60_000 };
  const writesByUser: RateLimitRule = { name: 'writes-user', limit: writesPerMinute, windowMs: 60_000 };
  const writesByIp: RateLimitRule = { name: 'writes-ip', limit: writesPerMinute * 2, windowMs: 60_000 };
  // One RATE_LIMITED event per rule and key per minute: a flood must not flood the trail too.
  const shouldRecord = eventThrottle(clock);

  async function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    rule: RateLimitRule,
    key: string,
    retryAfterSeconds: number,
  ) {
    if (shouldRecord(`${rule.name}:${key}`)) {
      await events.recordAlone(auditContextOf(request), {
        type: 'RATE_LIMITED',
        action: 'request.rate_limited',
        details: {
          rule: rule.name,
          limit: rule.limit,
          window_seconds: rule.windowMs / 1000,
          route: request.routeOptions.url ?? null,
        },
      });
    }
    reply.header('retry-after', String(retryAfterSeconds));
    throw new AppError(
      429,
      'RATE_LIMITED',
      `Too many requests; try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`,
    );
  }

  async function check(request: FastifyRequest, reply: FastifyReply, rule: RateLimitRule, key: string) {
    if (rule.limit === 0) return;
    const decision = await limiter.check(rule, key, clock.now().getTime());
    if (!decision.allowed) await refuse(request, reply, rule, key, decision.retryAfterSeconds);
  }

  // After authentication (the principal is known), before the handler.
  app.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url ?? '';
    if (request.method === 'POST' && SIGN_IN_ROUTES.has(route)) {
      await check(request, reply, signin, clientIp(request));
      return;
    }
    if (SAFE_METHODS.has(request.method) || !request.principal) return;
    await check(request, reply, writesByUser, request.principal.user.id);
    await check(request, reply, writesByIp, clientIp(request));
  });
  return limiter;
}
