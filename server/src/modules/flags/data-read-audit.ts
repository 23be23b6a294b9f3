import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../audit/audit.service.ts';
import { auditContextOf } from '../audit/events.ts';
import type { FeatureFlags } from './flags.service.ts';

/** A sensitive read: the route template, the resource it reads, and the path parameter naming it. */
export interface SensitiveRead {
  resource: string;
  idParam?: string;
}

/**
 * The `enterprise_audit` flag's effect: while it is on for the caller, each successful read of a
 * route listed here leaves a DATA_READ entry (who read what, when, from where). Changes are always
 * audited, whatever the flag. The entry is written before the answer leaves, so a read that was
 * answered is a read that was recorded.
 */
export function registerDataReadAudit(
  app: FastifyInstance,
  deps: { flags: FeatureFlags; trail: AuditTrail; routes: Record<string, SensitiveRead> },
): void {
  const { flags, trail, routes } = deps;
  const sensitive = new Map(Object.entries(routes));
  app.addHook('onSend', async (request, reply, payload) => {
    const template = `${request.method} ${request.routeOptions.url}`;
    const read = sensitive.get(template);
    if (!read || reply.statusCode >= 300 || !request.principal) return payload;
    await flags.ensureFresh();
    if (!flags.isEnabled('enterprise_audit', request.principal.user)) return payload;
    const params = (request.params ?? {}) as Record<string, string>;
    await trail.record(auditContextOf(request), {
      type: 'DATA_READ',
      action: `${read.resource}.read`,
      resource: { type: read.resource, id: read.idParam ? (params[read.idParam] ?? null) : null },
      details: { route: template },
    });
    return payload;
  });
}
