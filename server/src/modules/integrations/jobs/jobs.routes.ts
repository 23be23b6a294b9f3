import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import {
  JobListSchema,
  JobNameParams,
  JobRunPageSchema,
  JobRunSchema,
  ListJobRunsQuery,
} from './jobs.schemas.ts';
import type { JobsAdmin } from './jobs.service.ts';

const BASE = '/api/integrations/jobs';

/** Background jobs: admins and auditors see them and their history; admins run one now. */
export function jobsRoutes(jobs: JobsAdmin): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['integrations'];
    const readers = { access: access.roles('admin', 'auditor') };

    app.get(
      BASE,
      {
        config: readers,
        schema: {
          tags,
          summary: 'Every background job: schedule, whether it runs, last and next run',
          response: { 200: JobListSchema, ...errorResponses(401, 403) },
        },
      },
      async () => ({ items: await jobs.list() }),
    );

    app.get(
      `${BASE}/:name/runs`,
      {
        config: readers,
        schema: {
          tags,
          summary: "A job's run history, newest first",
          params: JobNameParams,
          querystring: ListJobRunsQuery,
          response: { 200: JobRunPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        jobs.runs(request.params.name, {
          limit: request.query.limit ?? 50,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
    );

    app.post(
      `${BASE}/:name/run`,
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: 'Run a job now',
          description:
            'Starts the job on this instance and answers at once with the new run (poll its history ' +
            'for progress). 409 JOB_RUNNING while any instance runs it.',
          params: JobNameParams,
          response: { 202: JobRunSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) =>
        reply.status(202).send(await jobs.trigger(request.params.name, auditContextOf(request))),
    );
  };
}
