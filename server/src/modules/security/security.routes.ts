import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Clock } from '../../platform/clock.ts';
import { access, principalOf } from '../../platform/http/access.ts';
import { errorResponses, nullable, stringEnum } from '../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import { auditContextOf, SEVERITIES } from '../audit/events.ts';
import type { SessionsService } from '../auth/sessions.service.ts';
import type { UsersService } from '../users/users.service.ts';
import { SECURITY_EVENT_TYPES, type SecurityEvents } from './events/security-events.service.ts';
import type { IpLists } from './ip-lists/ip-lists.service.ts';
import type { Lockouts } from './lockout/lockout.service.ts';

const SecurityEventSchema = Type.Object(
  {
    id: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    event_type: stringEnum<string>(SECURITY_EVENT_TYPES),
    severity: stringEnum<string>(SEVERITIES),
    user_id: nullable(Type.String()),
    username: nullable(Type.String({ description: "The user's current username, if the user exists" })),
    ip_address: nullable(Type.String()),
    details: Type.Object({}, { additionalProperties: true }),
    request_id: nullable(Type.String()),
  },
  { title: 'SecurityEvent' },
);

const SessionSchema = Type.Object(
  {
    id: Type.String(),
    auth_method: Type.String({ description: 'password | pin' }),
    ip_address: nullable(Type.String()),
    user_agent: nullable(Type.String({ description: 'The device, as its browser names itself' })),
    created_at: Type.String({ format: 'date-time' }),
    last_seen_at: Type.String({ format: 'date-time' }),
    expires_at: Type.String({ format: 'date-time' }),
    current: Type.Boolean({ description: 'The session making this request' }),
  },
  { title: 'UserSession' },
);

const UserIdParams = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 64 }) });

/** The guide's security endpoints for events and sessions. Admins act; auditors may read events. */
export function securityRoutes(deps: {
  events: SecurityEvents;
  sessions: SessionsService;
  users: UsersService;
  trail: AuditTrail;
  ipLists: IpLists;
  lockouts: Lockouts;
  clock: Clock;
}): FastifyPluginAsyncTypebox {
  const { events, sessions, users, trail, ipLists, lockouts, clock } = deps;
  return async (app) => {
    const tags = ['security'];

    app.get(
      '/api/enterprise/security/summary',
      {
        config: { access: access.roles('admin', 'auditor') },
        schema: {
          tags,
          summary:
            'Security status: settings, list sizes, locked accounts, active users, last 24 hours of events',
          response: {
            200: Type.Object(
              {
                enabled: Type.Boolean({ description: 'ENTERPRISE_SECURITY_ENABLED' }),
                ip_filter_mode: Type.String(),
                ip_lists: Type.Object({ whitelist: Type.Integer(), blacklist: Type.Integer() }),
                locked_accounts: Type.Integer(),
                active_users: Type.Integer({ description: 'Users with a live session' }),
                events_24h: Type.Object({
                  total: Type.Integer(),
                  by_type: Type.Record(Type.String(), Type.Integer()),
                  by_severity: Type.Record(Type.String(), Type.Integer()),
                }),
                generated_at: Type.String({ format: 'date-time' }),
              },
              { title: 'SecuritySummary' },
            ),
            ...errorResponses(401, 403),
          },
        },
      },
      async () => {
        const now = clock.now();
        const [lists, locked, activeUsers, recent] = await Promise.all([
          ipLists.list(),
          lockouts.listLocked(),
          sessions.countActiveUsers(),
          events.countSince(new Date(now.getTime() - 86_400_000).toISOString()),
        ]);
        return {
          enabled: lists.enabled,
          ip_filter_mode: lists.mode,
          ip_lists: { whitelist: lists.whitelist.length, blacklist: lists.blacklist.length },
          locked_accounts: locked.length,
          active_users: activeUsers,
          events_24h: recent,
          generated_at: now.toISOString(),
        };
      },
    );

    app.get(
      '/api/enterprise/security/events',
      {
        config: { access: access.roles('admin', 'auditor') },
        schema: {
          tags,
          summary: 'Security events, newest first',
          querystring: Type.Object(
            {
              severity: Type.Optional(stringEnum<string>(SEVERITIES)),
              type: Type.Optional(stringEnum<string>(SECURITY_EVENT_TYPES)),
              cursor: CursorQuery,
              limit: LimitQuery,
            },
            { additionalProperties: false },
          ),
          response: {
            200: pageSchema(SecurityEventSchema, 'SecurityEventPage'),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => {
        const { limit = 50, severity, type, cursor } = request.query;
        return events.list({
          limit,
          ...(severity ? { severity: severity as never } : {}),
          ...(type ? { type: type as never } : {}),
          ...(cursor ? { cursor } : {}),
        });
      },
    );

    app.get(
      '/api/enterprise/security/sessions/:user_id',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: "A user's live sessions (device, address, times; never a token)",
          params: UserIdParams,
          response: {
            200: Type.Object({ items: Type.Array(SessionSchema) }),
            ...errorResponses(401, 403, 404),
          },
        },
      },
      async (request) => {
        await users.get(request.params.user_id);
        const own = principalOf(request).session.id;
        const items = await sessions.listForUser(request.params.user_id);
        return { items: items.map((session) => ({ ...session, current: session.id === own })) };
      },
    );

    app.delete(
      '/api/enterprise/security/sessions/:user_id',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: "End all of a user's sessions, effective on their next request",
          params: UserIdParams,
          response: {
            200: Type.Object({ terminated: Type.Integer() }),
            ...errorResponses(401, 403, 404),
          },
        },
      },
      async (request) => {
        const userId = request.params.user_id;
        await users.get(userId);
        const context = auditContextOf(request);
        const terminated = await trail.transaction(context, async (trx, record) => {
          const count = await sessions.revokeAllForUser(userId, 'terminated_by_admin', undefined, trx);
          record(
            await events.record(trx, context, {
              type: 'SESSION_TERMINATED',
              action: 'session.terminate_all',
              severity: 'medium',
              outcome: 'success',
              user_id: userId,
              details: { terminated: count },
            }),
          );
          return count;
        });
        return { terminated };
      },
    );
  };
}
