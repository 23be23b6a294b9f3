import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import {
  ConnectorIdParams,
  ConnectorPageSchema,
  ConnectorSchema,
  CreateConnectorBody,
  ListConnectorsQuery,
  TestReportSchema,
  UpdateConnectorBody,
} from './connectors.schemas.ts';
import type { Connectors } from './connectors.service.ts';

/** ERP connectors: admins manage them, auditors may read them; secrets are write-only. */
export function connectorsRoutes(connectors: Connectors): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['integrations'];
    const admin = { access: access.roles('admin') };
    const readers = { access: access.roles('admin', 'auditor') };
    const base = '/api/integrations/connectors';

    app.get(
      base,
      {
        config: readers,
        schema: {
          tags,
          summary: 'ERP connectors, by name',
          querystring: ListConnectorsQuery,
          response: { 200: ConnectorPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => connectors.list({ limit: request.query.limit ?? 50, cursor: request.query.cursor }),
    );

    app.post(
      base,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Add a connector (a source: SQL database, HTTP JSON API or file drop)',
          body: CreateConnectorBody,
          response: { 201: ConnectorSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const { secret, enabled, ...rest } = request.body;
        const view = await connectors.create(
          {
            ...rest,
            ...(enabled !== undefined ? { enabled } : {}),
            ...(secret !== undefined ? { secret } : {}),
          },
          auditContextOf(request),
        );
        return reply.status(201).send(view);
      },
    );

    app.get(
      `${base}/:id`,
      {
        config: readers,
        schema: {
          tags,
          summary: 'One connector (never its secret)',
          params: ConnectorIdParams,
          response: { 200: ConnectorSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => connectors.get(request.params.id),
    );

    app.patch(
      `${base}/:id`,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Change a connector: settings are replaced whole; secret null removes it',
          params: ConnectorIdParams,
          body: UpdateConnectorBody,
          response: { 200: ConnectorSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return connectors.update(
          request.params.id,
          {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            ...(body.settings !== undefined ? { settings: body.settings } : {}),
            ...(body.secret !== undefined ? { secret: body.secret } : {}),
          },
          auditContextOf(request),
        );
      },
    );

    app.delete(
      `${base}/:id`,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Remove a connector',
          params: ConnectorIdParams,
          response: { 204: { type: 'null', description: 'Removed' }, ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        await connectors.remove(request.params.id, auditContextOf(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${base}/:id/test`,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Test the connection: connect and read one row per mapped entity, with a short timeout',
          params: ConnectorIdParams,
          response: { 200: TestReportSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => connectors.test(request.params.id, auditContextOf(request)),
    );
  };
}
