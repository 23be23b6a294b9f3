import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses, nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import type { IpLists } from './ip-lists.service.ts';

const ListType = stringEnum(['whitelist', 'blacklist'] as const);

const IpEntrySchema = Type.Object(
  {
    id: Type.String(),
    list_type: ListType,
    ip_address: Type.String({ description: 'Canonical CIDR: 203.0.113.7/32, 10.0.0.0/8, 2001:db8::/32' }),
    reason: Type.String(),
    source: Type.String({ description: 'manual | automatic (brute-force protection)' }),
    created_by: nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    expires_at: nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'IpListEntry' },
);

/** The guide's IP list endpoints (admin only). */
export function ipListsRoutes(ipLists: IpLists): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['security'];
    const admin = { access: access.roles('admin') };

    app.get(
      '/api/enterprise/security/ip-lists',
      {
        config: admin,
        schema: {
          tags,
          summary: 'The IP whitelist and blacklist (entries not yet expired)',
          response: {
            200: Type.Object({
              mode: Type.String({ description: 'IP_FILTER_MODE' }),
              enabled: Type.Boolean({ description: 'ENTERPRISE_SECURITY_ENABLED' }),
              whitelist: Type.Array(IpEntrySchema),
              blacklist: Type.Array(IpEntrySchema),
            }),
            ...errorResponses(401, 403),
          },
        },
      },
      async () => ipLists.list(),
    );

    app.post(
      '/api/enterprise/security/ip-list',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Add an address or CIDR range to a list (replaces the same entry)',
          body: Type.Object(
            {
              ip_address: Type.String({
                minLength: 2,
                maxLength: 64,
                description: 'An address (203.0.113.7, 2001:db8::1) or a CIDR range (10.0.0.0/8)',
              }),
              list_type: ListType,
              reason: Type.String({ minLength: 1, maxLength: 500 }),
              expires_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3650 })),
              force: Type.Optional(
                Type.Boolean({ description: 'Needed when the change would block your own address' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: IpEntrySchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await ipLists.add(request.body, auditContextOf(request))),
    );

    app.delete(
      '/api/enterprise/security/ip-list/:ip',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Remove an entry (URL-encode a CIDR: 10.0.0.0%2F8)',
          params: Type.Object({ ip: Type.String({ minLength: 2, maxLength: 64 }) }),
          querystring: Type.Object(
            {
              list_type: Type.Optional(ListType),
              force: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: {
            204: { type: 'null', description: 'Removed' },
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await ipLists.remove(
          {
            ip: request.params.ip,
            list_type: request.query.list_type ?? 'blacklist',
            ...(request.query.force !== undefined ? { force: request.query.force } : {}),
          },
          auditContextOf(request),
        );
        return reply.status(204).send(null);
      },
    );
  };
}
