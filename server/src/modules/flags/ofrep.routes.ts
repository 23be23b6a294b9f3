import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { access, principalOf } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import type { Evaluation, Subject } from './evaluate.ts';
import type { FeatureFlags } from './flags.service.ts';

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP v1): any OpenFeature client with an OFREP
 * provider evaluates our flags here. Authenticated like the rest of the API (bearer token).
 *
 * The context's `targetingKey` is the user to evaluate for and `role` their role. Both default to
 * the caller. Only an admin may name someone else (to preview a rollout); anyone else asking as
 * another user or role gets 400 INVALID_CONTEXT: a user must not be able to probe who is targeted.
 */

const Context = Type.Record(Type.String(), Type.Unknown(), {
  description: 'OpenFeature evaluation context: targetingKey (user id), role',
});
const EvaluationRequest = Type.Object(
  { context: Type.Optional(Context) },
  { description: 'OFREP evaluation request' },
);

const Success = Type.Object({
  key: Type.String(),
  value: Type.Boolean(),
  reason: Type.String({ description: 'TARGETING_MATCH | SPLIT | DEFAULT | DISABLED' }),
  variant: Type.String({ description: 'on | off' }),
  metadata: Type.Object({}, { additionalProperties: true }),
});
const Failure = Type.Object({
  key: Type.String(),
  errorCode: Type.String({
    description: 'FLAG_NOT_FOUND | INVALID_CONTEXT | PARSE_ERROR | TARGETING_KEY_MISSING',
  }),
  errorDetails: Type.Optional(Type.String()),
});
const BulkFailure = Type.Object({
  errorCode: Type.String({ description: 'INVALID_CONTEXT | PARSE_ERROR' }),
  errorDetails: Type.Optional(Type.String()),
});
const BulkSuccess = Type.Object({ flags: Type.Array(Type.Union([Success, Failure])) });
/**
 * A 400 is OFREP's own failure when the request parses, or the API's common error body when it
 * does not (malformed JSON, a NUL character): the error handler answers those before the route.
 */
const CommonError = Type.Unsafe<{ error: { code: string; message: string }; request_id: string }>({
  $ref: 'ErrorBody#',
});

interface ContextError {
  errorCode: 'INVALID_CONTEXT' | 'PARSE_ERROR';
  errorDetails: string;
}

/** Who the evaluation is for, under the rule above, or why the request may not ask that. */
function subjectOf(request: FastifyRequest, body: unknown): Subject | ContextError {
  if (request.validationError && body != null) {
    return { errorCode: 'PARSE_ERROR', errorDetails: request.validationError.message };
  }
  const context = ((body as { context?: Record<string, unknown> } | null)?.context ?? {}) as Record<
    string,
    unknown
  >;
  const { targetingKey, role } = context;
  if (targetingKey !== undefined && typeof targetingKey !== 'string') {
    return { errorCode: 'INVALID_CONTEXT', errorDetails: 'targetingKey must be a string (a user id)' };
  }
  if (role !== undefined && typeof role !== 'string') {
    return { errorCode: 'INVALID_CONTEXT', errorDetails: 'role must be a string' };
  }
  const me = principalOf(request).user;
  if (me.role !== 'admin') {
    if (targetingKey !== undefined && targetingKey !== me.id) {
      return { errorCode: 'INVALID_CONTEXT', errorDetails: 'targetingKey must be your own user id' };
    }
    if (role !== undefined && role !== me.role) {
      return { errorCode: 'INVALID_CONTEXT', errorDetails: 'role must be your own role' };
    }
    return { userId: me.id, role: me.role };
  }
  const userId = targetingKey ?? me.id;
  // An admin previewing another user states that user's role, or is evaluated with none.
  return { userId, role: role ?? (userId === me.id ? me.role : null) };
}

const isError = (subject: Subject | ContextError): subject is ContextError => 'errorCode' in subject;

function success(key: string, evaluation: Evaluation) {
  return {
    key,
    value: evaluation.value,
    reason: evaluation.reason,
    variant: evaluation.value ? 'on' : 'off',
    metadata: {},
  };
}

function result(key: string, evaluation: Evaluation) {
  return evaluation.targetingKeyMissing
    ? { key, errorCode: 'TARGETING_KEY_MISSING', errorDetails: 'the context needs a targetingKey' }
    : success(key, evaluation);
}

export function ofrepRoutes(flags: FeatureFlags): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['feature flags'];
    const config = { access: access.signedIn };

    app.post(
      '/ofrep/v1/evaluate/flags/:key',
      {
        config,
        attachValidation: true,
        schema: {
          tags,
          summary: 'OFREP: evaluate one flag',
          params: Type.Object({ key: Type.String({ maxLength: 200 }) }),
          body: EvaluationRequest,
          response: {
            200: Success,
            400: Type.Union([Failure, CommonError]),
            404: Failure,
            ...errorResponses(401),
          },
        },
      },
      async (request, reply) => {
        const { key } = request.params;
        const subject = subjectOf(request, request.body);
        if (isError(subject)) return reply.status(400).send({ key, ...subject });
        await flags.ensureFresh();
        const evaluation = flags.evaluate(key, subject);
        if (!evaluation) {
          return reply
            .status(404)
            .send({ key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `No feature flag "${key}"` });
        }
        const answer = result(key, evaluation);
        return reply.status('errorCode' in answer ? 400 : 200).send(answer);
      },
    );

    app.post(
      '/ofrep/v1/evaluate/flags',
      {
        config,
        attachValidation: true,
        schema: {
          tags,
          summary: 'OFREP: evaluate every flag',
          description: 'Answers an ETag; with a matching If-None-Match the answer is 304 with no body.',
          body: EvaluationRequest,
          response: {
            200: BulkSuccess,
            304: { type: 'null', description: 'Not modified since the ETag sent' },
            400: Type.Union([BulkFailure, CommonError]),
            ...errorResponses(401),
          },
        },
      },
      async (request, reply) => {
        const subject = subjectOf(request, request.body);
        if (isError(subject)) return reply.status(400).send(subject);
        await flags.ensureFresh();
        const body = {
          flags: flags.evaluateAll(subject).map(({ key, evaluation }) => result(key, evaluation)),
        };
        const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
        reply.header('etag', etag);
        if (request.headers['if-none-match'] === etag) return reply.status(304).send(null);
        return body;
      },
    );
  };
}
