import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access, principalOf } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import {
  EnabledFlagsSchema,
  FlagChangesBody,
  FlagCheckSchema,
  FlagKeyParams,
  FlagListSchema,
  FlagSchema,
  NewFlagBody,
} from './flags.schemas.ts';
import { type FeatureFlags, flagNotFound } from './flags.service.ts';

const BASE = '/api/enterprise/features';

/**
 * The guide's feature flag endpoints. Admins manage flags (auditors may read the list); every
 * signed-in user may ask which flags are on for them and check one.
 */
export function flagsRoutes(flags: FeatureFlags): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['feature flags'];
    const admin = { access: access.roles('admin') };

    app.get(
      BASE,
      {
        config: { access: access.roles('admin', 'auditor') },
        schema: {
          tags,
          summary: 'Every feature flag',
          response: { 200: FlagListSchema, ...errorResponses(401, 403) },
        },
      },
      async () => ({
        evaluation_enabled: flags.evaluationEnabled,
        cache_ttl_seconds: flags.cacheTtlSeconds,
        items: await flags.list(),
      }),
    );

    app.get(
      `${BASE}/enabled`,
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'The flags that are on for you',
          response: { 200: EnabledFlagsSchema, ...errorResponses(401) },
        },
      },
      async (request) => {
        await flags.ensureFresh();
        return { flags: flags.enabledFor(principalOf(request).user) };
      },
    );

    app.get(
      `${BASE}/:key`,
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Whether a flag is on for you, and why',
          description:
            'reason: TARGETING_MATCH (you or your role are listed), SPLIT (your rollout bucket decided), ' +
            'DEFAULT (no rule applies to you), DISABLED (the flag is off)',
          params: FlagKeyParams,
          response: { 200: FlagCheckSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        await flags.ensureFresh();
        const { user } = principalOf(request);
        const { key } = request.params;
        const evaluation = flags.evaluate(key, { userId: user.id, role: user.role });
        if (!evaluation) throw flagNotFound(key);
        return { key, enabled: evaluation.value, reason: evaluation.reason };
      },
    );

    app.post(
      BASE,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Create a flag',
          body: NewFlagBody,
          response: { 201: FlagSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await flags.create(request.body, auditContextOf(request))),
    );

    app.patch(
      `${BASE}/:key`,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Change a flag: name, description, state, percentage, allowed users and roles',
          description: '`percentage: null` removes the gradual rollout.',
          params: FlagKeyParams,
          body: FlagChangesBody,
          response: { 200: FlagSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => flags.update(request.params.key, request.body, auditContextOf(request)),
    );

    for (const [verb, state] of [
      ['enable', 'enabled'],
      ['disable', 'disabled'],
    ] as const) {
      app.post(
        `${BASE}/:key/${verb}`,
        {
          config: admin,
          schema: {
            tags,
            summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a flag`,
            params: FlagKeyParams,
            response: { 200: FlagSchema, ...errorResponses(400, 401, 403, 404) },
          },
        },
        async (request) => flags.setState(request.params.key, state, auditContextOf(request)),
      );
    }

    app.delete(
      `${BASE}/:key`,
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a flag (the built-in default flags cannot be deleted: disable them)',
          params: FlagKeyParams,
          response: {
            204: { type: 'null', description: 'Deleted' },
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await flags.remove(request.params.key, auditContextOf(request));
        return reply.status(204).send(null);
      },
    );
  };
}
