import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../platform/clock.ts';
import { clientIp } from '../../../platform/http/client-ip.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { auditContextOf } from '../../audit/events.ts';
import { eventThrottle, type SecurityEvents } from '../events/security-events.service.ts';
import type { IpLists } from './ip-lists.service.ts';

/**
 * Every request's first check, before authentication: the client address (X-Forwarded-For only
 * from TRUST_PROXY peers, see client-ip.ts) against the IP lists. Health probes are exempt, so an
 * orchestrator can still see the service while an allow-list is in force.
 */
export function registerIpFilter(
  app: FastifyInstance,
  deps: { ipLists: IpLists; events: SecurityEvents; clock: Clock },
): void {
  const { ipLists, events, clock } = deps;
  // One IP_BLOCKED event per address per minute: a blocked scanner must not flood the trail.
  const shouldRecord = eventThrottle(clock);

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (path === '/health' || path.startsWith('/health/')) return;
    const ip = clientIp(request);
    const decision = ipLists.check(ip);
    if (decision.allowed) return;
    if (shouldRecord(ip)) {
      await events.recordAlone(auditContextOf(request), {
        type: 'IP_BLOCKED',
        action: 'request.ip_blocked',
        details: {
          reason: decision.reason,
          entry: decision.entry,
          method: request.method,
          path,
        },
      });
    }
    throw new AppError(403, 'IP_BLOCKED', 'Requests from this address are not allowed');
  });
}
