import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import { JobRunSchema } from '../../integrations/jobs/jobs.schemas.ts';
import {
  ApplyQuery,
  OverviewSchema,
  PolicyBody,
  PolicyParams,
  PolicySchema,
  RetentionRunPageSchema,
  RetentionRunSchema,
  RunsQuery,
} from './retention.schemas.ts';
import { governanceDisabled, type Retention } from './retention.service.ts';

const BASE = '/api/enterprise/governance';

/**
 * The guide's retention endpoints. Admins set policies and apply them; auditors read. Every
 * route answers 403 FEATURE_DISABLED while the data_governance flag is off for the caller, and
 * 404 DATA_GOVERNANCE_DISABLED when DATA_GOVERNANCE_ENABLED=false.
 */
export function retentionRoutes(retention: Retention): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['governance'];
    const flag = 'data_governance' as const;
    const readers = { access: access.roles('admin', 'auditor'), flag };
    const admin = { access: access.roles('admin'), flag };
    app.addHook('preHandler', async () => {
      if (!retention.enabled) throw governanceDisabled();
    });

    app.get(
      `${BASE}/retention-policies`,
      {
        config: readers,
        schema: {
          tags,
          summary: 'Retention policies, and every retainable table with the retention that applies to it',
          response: { 200: OverviewSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async () => retention.overview(),
    );

    app.post(
      `${BASE}/retention-policies`,
      {
        config: admin,
        schema: {
          tags,
          summary: "Set a table's retention policy (created, or replaced)",
          description:
            '`collection_name` must be a retainable table; 201 when the policy is new, 200 when it replaced one.',
          body: PolicyBody,
          response: { 200: PolicySchema, 201: PolicySchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { policy, created } = await retention.setPolicy(request.body, auditContextOf(request));
        return reply.status(created ? 201 : 200).send(policy);
      },
    );

    app.delete(
      `${BASE}/retention-policies/:table`,
      {
        config: admin,
        schema: {
          tags,
          summary: "Remove a table's policy: DEFAULT_RETENTION_DAYS applies to it again",
          params: PolicyParams,
          response: { 204: { type: 'null', description: 'Removed' }, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await retention.deletePolicy(request.params.table, auditContextOf(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${BASE}/apply-retention`,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Apply the retention policies now',
          description:
            'Starts the governance.retention job: 202 with its run at once (progress under ' +
            '/api/integrations/jobs/governance.retention/runs, the report under retention-runs); ' +
            '`?wait=true` answers 200 with the finished run report instead. 409 JOB_RUNNING while it runs.',
          querystring: ApplyQuery,
          response: {
            200: RetentionRunSchema,
            202: JobRunSchema,
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const run = await retention.apply(auditContextOf(request));
        if (request.query.wait) return reply.status(200).send(await retention.waitFor(run.id));
        return reply.status(202).send(run);
      },
    );

    app.get(
      `${BASE}/retention-runs`,
      {
        config: readers,
        schema: {
          tags,
          summary: 'Retention runs, newest first: rows archived, deleted and held, per table',
          querystring: RunsQuery,
          response: { 200: RetentionRunPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        retention.runs({
          limit: request.query.limit ?? 20,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
    );
  };
}
