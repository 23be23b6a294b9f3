import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import {
  OutboxIdParams,
  OutboxMessageSchema,
  OutboxPageSchema,
  OutboxQuery,
  PutTargetBody,
  SessionDeliverySchema,
  SessionIdParams,
  TargetSchema,
  TargetTestSchema,
} from './delivery.schemas.ts';
import type { ErpDelivery } from './delivery.service.ts';

/**
 * Adjustment delivery: the ERP that receives the adjustments (admins configure it, auditors may
 * read it; its secret is write-only), the outbox, and each count session's delivery status.
 */
export function deliveryRoutes(delivery: ErpDelivery): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['integrations'];
    const admin = { access: access.roles('admin') };
    const readers = { access: access.roles('admin', 'auditor') };
    const target = '/api/integrations/delivery-target';

    app.get(
      target,
      {
        config: readers,
        schema: {
          tags,
          summary: 'Where adjustments are delivered (never its secret); 404 when none is set',
          response: { 200: TargetSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async () => delivery.getTarget(),
    );

    app.put(
      target,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Set the delivery target: a signed webhook or a staging table (replaced whole)',
          body: PutTargetBody,
          response: { 200: TargetSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { kind, settings, secret } = request.body;
        return delivery.putTarget(
          { kind, settings, ...(secret !== undefined ? { secret } : {}) },
          auditContextOf(request),
        );
      },
    );

    app.delete(
      target,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Remove the delivery target (messages wait, pending, for a new one)',
          response: { 204: { type: 'null', description: 'Removed' }, ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        await delivery.removeTarget(auditContextOf(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${target}/test`,
      {
        config: admin,
        schema: {
          tags,
          summary:
            'Test the target: a signed ping to the webhook, or the staging table checked (columns, a rolled-back insert, a unique key)',
          response: { 200: TargetTestSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => delivery.testTarget(auditContextOf(request), request.ctx),
    );

    app.get(
      '/api/integrations/outbox',
      {
        config: readers,
        schema: {
          tags,
          summary: 'ERP outbox messages, newest first',
          querystring: OutboxQuery,
          response: { 200: OutboxPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) =>
        delivery.listOutbox({
          status: request.query.status,
          limit: request.query.limit ?? 50,
          cursor: request.query.cursor,
        }),
    );

    app.post(
      '/api/integrations/outbox/:id/retry',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Put a failed message back to pending, due now (409 OUTBOX_NOT_FAILED otherwise)',
          params: OutboxIdParams,
          response: { 200: OutboxMessageSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => delivery.retry(request.params.id, auditContextOf(request)),
    );

    app.get(
      '/api/count-sessions/:id/delivery',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor') },
        schema: {
          tags: ['counting'],
          summary:
            "Delivery to the ERP of a session's adjustments: messages by status, last attempt and error",
          params: SessionIdParams,
          response: { 200: SessionDeliverySchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => delivery.sessionDelivery(request.params.id),
    );
  };
}
