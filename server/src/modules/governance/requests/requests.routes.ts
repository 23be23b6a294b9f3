import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import { exportCsv, portabilityZip } from './export-formats.ts';
import {
  CreateRequestBody,
  DataRequestPageSchema,
  DataRequestSchema,
  ExportQuery,
  ListQuery,
  ProcessBody,
  RequestIdParams,
} from './requests.schemas.ts';
import type { DataRequests } from './requests.service.ts';

/**
 * GDPR data subject requests (the guide's `/api/enterprise/governance/data-requests`). Admins
 * act and export (processing one erases or hands over a person's data); auditors may read the
 * queue. With DATA_GOVERNANCE_ENABLED=false or GDPR_COMPLIANCE_MODE=false every route
 * answers 404 (DATA_GOVERNANCE_DISABLED / GDPR_MODE_OFF); the data_governance flag gates them
 * at run time (403 FEATURE_DISABLED).
 */
export function dataRequestsRoutes(
  requests: DataRequests,
  options: { governanceEnabled: boolean; gdprMode: boolean },
): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['governance'];
    const config = { access: access.roles('admin'), flag: 'data_governance' };
    // Auditors may read the queue (each read is a DATA_READ audit entry); only admins act or export.
    const readers = { access: access.roles('admin', 'auditor'), flag: 'data_governance' };
    const base = '/api/enterprise/governance/data-requests';
    const enabled = async () => {
      if (!options.governanceEnabled)
        throw new AppError(
          404,
          'DATA_GOVERNANCE_DISABLED',
          'Data governance is off (DATA_GOVERNANCE_ENABLED=false)',
        );
      if (!options.gdprMode)
        throw new AppError(
          404,
          'GDPR_MODE_OFF',
          'Data subject requests are off (GDPR_COMPLIANCE_MODE=false)',
        );
    };

    app.post(
      base,
      {
        config,
        preHandler: enabled,
        schema: {
          tags,
          summary:
            'Record a data subject request (access, erasure, rectification, portability), due in 30 days',
          body: CreateRequestBody,
          response: { 201: DataRequestSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const created = await requests.create(request.body, auditContextOf(request));
        return reply.status(201).send(created);
      },
    );

    app.get(
      base,
      {
        config: readers,
        preHandler: enabled,
        schema: {
          tags,
          summary: 'Data subject requests, newest first: open ones by default (status=all for every one)',
          querystring: ListQuery,
          response: { 200: DataRequestPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { status, type, overdue, subject_user_id, cursor, limit } = request.query;
        return requests.list({
          ...(status ? { status } : {}),
          ...(type ? { type } : {}),
          ...(overdue !== undefined ? { overdue } : {}),
          ...(subject_user_id ? { subject_user_id } : {}),
          ...(cursor ? { cursor } : {}),
          limit: limit ?? 50,
        });
      },
    );

    app.get(
      `${base}/:id`,
      {
        config: readers,
        preHandler: enabled,
        schema: {
          tags,
          summary: 'One data subject request',
          params: RequestIdParams,
          response: { 200: DataRequestSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => requests.get(request.params.id),
    );

    app.post(
      `${base}/:id/process`,
      {
        config,
        preHandler: enabled,
        // The guide's call has no body: it takes the next step.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
        schema: {
          tags,
          summary:
            'Advance a request: verify, process (does the work: export, corrections or erasure), reject, extend; an illegal step is a 409',
          params: RequestIdParams,
          body: ProcessBody,
          response: { 200: DataRequestSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => requests.process(request.params.id, request.body ?? {}, auditContextOf(request)),
    );

    app.get(
      `${base}/:id/export`,
      {
        config,
        preHandler: enabled,
        schema: {
          tags,
          summary:
            'Download what the system holds about the subject of a completed access or portability request (audited)',
          params: RequestIdParams,
          querystring: ExportQuery,
          response: {
            200: {
              description: 'JSON, CSV or ZIP attachment',
              content: {
                'application/json': { schema: {} },
                'text/csv': { schema: { type: 'string' } },
                'application/zip': { schema: { type: 'string', format: 'binary' } },
              },
            },
            ...errorResponses(401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const { request: dsr, data } = await requests.exportData(request.params.id, auditContextOf(request));
        const format = request.query.format ?? (dsr.request_type === 'portability' ? 'zip' : 'json');
        const name = `data-request-${dsr.id}`;
        reply.header('cache-control', 'no-store').serializer((payload: unknown) => payload as string);
        if (format === 'csv')
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}.csv"`)
            .send(exportCsv(data) as never);
        if (format === 'zip')
          return reply
            .type('application/zip')
            .header('content-disposition', `attachment; filename="${name}.zip"`)
            .send(portabilityZip(data, new Date(data.generated_at)) as never);
        return reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.json"`)
          .send(`${JSON.stringify(data, null, 2)}\n` as never);
      },
    );
  };
}
