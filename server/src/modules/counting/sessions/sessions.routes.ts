import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { access, principalOf } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import type { LifecycleAction } from './lifecycle.ts';
import {
  AssignBody,
  AssignmentPageSchema,
  AssignResultSchema,
  CancelBody,
  ClaimBody,
  ClaimPageSchema,
  ClaimSchema,
  CountSessionDetailSchema,
  CountSessionPageSchema,
  CountSessionSchema,
  CreateSessionBody,
  ListAssignmentsQuery,
  ListClaimsQuery,
  ListSessionsQuery,
  LocationIdParams,
  MyAssignmentPageSchema,
  MyAssignmentsQuery,
  SessionIdParams,
  TransitionBody,
  UnassignParams,
  UpdateSessionBody,
} from './sessions.schemas.ts';
import type { CountSessions, Viewer } from './sessions.service.ts';

function viewerOf(request: FastifyRequest): Viewer {
  const { id, role } = principalOf(request).user;
  return { id, role };
}

const STEP_SUMMARIES: Record<Exclude<LifecycleAction, 'cancel'>, string> = {
  start: 'Start counting (draft → counting): freezes the snapshot of book quantities and creates the lines',
  submit: 'Submit the count for review (counting → review); claims are released',
  approve: 'Approve the session (review → approved) once no line is pending',
  post: 'Post the approved adjustments (approved → posted); a posted session never changes again',
};

/**
 * Count sessions, their lifecycle, assignments and location claims. Planning, steps and
 * assignments are for admins and supervisors; auditors read; staff read only the sessions they
 * are assigned in, and claim the locations they count.
 */
export function countSessionsRoutes(deps: { sessions: CountSessions }): FastifyPluginAsyncTypebox {
  const { sessions } = deps;
  return async (app) => {
    const tags = ['counting'];
    const planners = access.roles('admin', 'supervisor');
    const readers = access.roles('admin', 'supervisor', 'auditor', 'staff');
    const counters = access.roles('admin', 'supervisor', 'staff');

    app.post(
      '/api/count-sessions',
      {
        config: { access: planners },
        schema: {
          tags,
          summary: 'Plan a count session (draft): warehouse, scope, mode, tolerance profile',
          body: CreateSessionBody,
          response: { 201: CountSessionSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const session = await sessions.create(request.body, auditContextOf(request));
        request.log.info(
          { session_id: session.id, warehouse_id: session.warehouse_id },
          'count session created',
        );
        return reply.status(201).send(session);
      },
    );

    app.get(
      '/api/count-sessions',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'List count sessions, newest first (staff: the sessions they are assigned in)',
          querystring: ListSessionsQuery,
          response: { 200: CountSessionPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return sessions.list({ ...rest, limit }, viewerOf(request));
      },
    );

    app.get(
      '/api/count-sessions/:id',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Read a count session with its progress',
          description:
            'For staff in a blind session the tolerance profile and the line counts by status are left out.',
          params: SessionIdParams,
          response: { 200: CountSessionDetailSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => sessions.get(request.params.id, viewerOf(request)),
    );

    app.patch(
      '/api/count-sessions/:id',
      {
        config: { access: planners },
        schema: {
          tags,
          summary: 'Change a draft session (scope and tolerance are replaced as a whole)',
          params: SessionIdParams,
          body: UpdateSessionBody,
          response: { 200: CountSessionSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const session = await sessions.update(request.params.id, request.body, auditContextOf(request));
        request.log.info(
          { session_id: session.id, fields: Object.keys(request.body) },
          'count session updated',
        );
        return session;
      },
    );

    for (const step of ['start', 'submit', 'approve', 'post'] as const) {
      app.post(
        `/api/count-sessions/:id/${step}`,
        {
          config: { access: planners },
          schema: {
            tags,
            summary: STEP_SUMMARIES[step],
            description:
              'Answers 409 ILLEGAL_TRANSITION (naming the current status) when the step is not allowed now.',
            params: SessionIdParams,
            body: TransitionBody,
            response: { 200: CountSessionSchema, ...errorResponses(400, 401, 403, 404, 409) },
          },
        },
        async (request) => {
          const session = await sessions[step](
            request.params.id,
            request.body ?? {},
            auditContextOf(request),
          );
          request.log.info({ session_id: session.id, status: session.status }, `count session ${step}`);
          return session;
        },
      );
    }

    app.post(
      '/api/count-sessions/:id/cancel',
      {
        config: { access: planners },
        schema: {
          tags,
          summary: 'Cancel a session that is not posted yet, with a reason',
          params: SessionIdParams,
          body: CancelBody,
          response: { 200: CountSessionSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const session = await sessions.cancel(request.params.id, request.body, auditContextOf(request));
        request.log.info({ session_id: session.id }, 'count session cancelled');
        return session;
      },
    );

    app.post(
      '/api/count-sessions/:id/assignments',
      {
        config: { access: planners },
        schema: {
          tags,
          summary: 'Assign counters to locations (draft or counting); an assignment covers the subtree',
          params: SessionIdParams,
          body: AssignBody,
          response: { 200: AssignResultSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const result = await sessions.assign(request.params.id, request.body, auditContextOf(request));
        request.log.info({ session_id: request.params.id, added: result.added }, 'counters assigned');
        return result;
      },
    );

    app.get(
      '/api/count-sessions/:id/assignments',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Assignments of a session, by location code (staff: their own)',
          params: SessionIdParams,
          querystring: ListAssignmentsQuery,
          response: { 200: AssignmentPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return sessions.listAssignments(request.params.id, { ...rest, limit }, viewerOf(request));
      },
    );

    app.delete(
      '/api/count-sessions/:id/assignments/:location_id/:user_id',
      {
        config: { access: planners },
        schema: {
          tags,
          summary: 'Unassign a counter from a location (draft or counting); releases the claims it covered',
          params: UnassignParams,
          response: {
            204: { type: 'null', description: 'Unassigned' },
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const { id, location_id, user_id } = request.params;
        await sessions.unassign(id, location_id, user_id, auditContextOf(request));
        request.log.info({ session_id: id, location_id }, 'counter unassigned');
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/my/assignments',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary:
            "The caller's assigned locations in sessions that are counting, with each location's claim",
          querystring: MyAssignmentsQuery,
          response: { 200: MyAssignmentPageSchema, ...errorResponses(400, 401) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return sessions.myAssignments({ ...rest, limit }, viewerOf(request));
      },
    );

    app.post(
      '/api/locations/:id/claim',
      {
        config: { access: counters },
        schema: {
          tags,
          summary: 'Claim a location for counting, or renew your claim (heartbeat)',
          description:
            'The claim lapses COUNT_CLAIM_TTL_SECONDS after the last call. A live claim of someone else is ' +
            'a 409 LOCATION_CLAIMED naming the holder (details: holder, holder_user_id, expires_at); an ' +
            'expired one is taken over. Staff must be assigned to the location. Claims are advisory: they ' +
            'do not block entries.',
          params: LocationIdParams,
          body: ClaimBody,
          response: { 200: ClaimSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => sessions.claim(request.params.id, request.body.session_id, auditContextOf(request)),
    );

    app.post(
      '/api/locations/:id/release',
      {
        config: { access: counters },
        schema: {
          tags,
          summary: 'Release a claim (the holder, a supervisor or an admin); nothing to release is fine',
          params: LocationIdParams,
          body: ClaimBody,
          response: {
            204: { type: 'null', description: 'Released (or there was no claim)' },
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await sessions.release(request.params.id, request.body.session_id, auditContextOf(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/count-sessions/:id/claims',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor') },
        schema: {
          tags,
          summary: 'Who holds which location of a session, by location code',
          params: SessionIdParams,
          querystring: ListClaimsQuery,
          response: { 200: ClaimPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return sessions.listClaims(request.params.id, { ...rest, limit });
      },
    );
  };
}
