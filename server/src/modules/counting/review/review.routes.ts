import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { access, principalOf } from '../../../platform/http/access.ts';
import { errorResponses, nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import { LINE_RESOLUTIONS, LINE_STATUSES } from '../counting.tables.ts';
import { type CountReview, VARIANCE_REASON_CODES, VARIANCE_REASONS } from './review.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const ReasonCode = stringEnum(VARIANCE_REASON_CODES);

const LineDecisionSchema = Type.Object({
  id: Uuid,
  session_id: Uuid,
  status: stringEnum(LINE_STATUSES),
  round: Type.Integer(),
  reason_code: nullable(Type.String()),
  decided_by: nullable(Type.String()),
  decided_at: nullable(Type.String({ format: 'date-time' })),
  flags: Type.Array(Type.String()),
  book_qty: Type.Number({ description: "The snapshot's book quantity" }),
  current_book_qty: nullable(
    Type.Number({ description: 'The book found when it changed after the snapshot (flag book_changed)' }),
  ),
  counted_qty: nullable(Type.Number()),
  resolution: nullable(stringEnum(LINE_RESOLUTIONS)),
  adjustment_qty: nullable(
    Type.Number({ description: 'The adjustment a resolution decided (signed); null: counted − book' }),
  ),
});

const reviewerOf = (request: FastifyRequest) => {
  const { id, role } = principalOf(request).user;
  return { id, role };
};

/** Review of a submitted count: per line, in bulk, recounts; supervisors and admins only. */
export function countReviewRoutes(deps: { review: CountReview }): FastifyPluginAsyncTypebox {
  const { review } = deps;
  return async (app) => {
    const tags = ['counting'];
    const reviewers = access.roles('admin', 'supervisor');

    app.get(
      '/api/variance-reasons',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor') },
        schema: {
          tags,
          summary: 'The reason codes a non-zero variance is approved with',
          response: {
            200: Type.Object({
              items: Type.Array(Type.Object({ code: Type.String(), label: Type.String() })),
            }),
            ...errorResponses(401, 403),
          },
        },
      },
      async () => ({ items: VARIANCE_REASONS.map((reason) => ({ ...reason })) }),
    );

    app.post(
      '/api/count-lines/:id/approve',
      {
        config: { access: reviewers },
        schema: {
          tags,
          summary: 'Approve a line in review (reason_code required for a non-zero variance)',
          description:
            '400 `REASON_REQUIRED`; 403 `OWN_COUNT` (you counted it); 409 `SESSION_NOT_IN_REVIEW`, `LINE_NOT_IN_REVIEW`, `LINE_NOT_COUNTED`, `LINE_BOOK_CHANGED` (resolve it instead).',
          params: IdParams,
          body: Type.Object({ reason_code: Type.Optional(ReasonCode) }, { additionalProperties: false }),
          response: { 200: LineDecisionSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        review.approve(request.params.id, request.body, reviewerOf(request), auditContextOf(request)),
    );

    app.post(
      '/api/count-lines/:id/reject',
      {
        config: { access: reviewers },
        schema: {
          tags,
          summary: 'Reject a line: order a blind recount by a different counter (next round)',
          description: '409 `SESSION_NOT_IN_REVIEW`, `LINE_NOT_IN_REVIEW`.',
          params: IdParams,
          body: Type.Object(
            { note: Type.Optional(Type.String({ maxLength: 500 })) },
            { additionalProperties: false },
          ),
          response: { 200: LineDecisionSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        review.reject(request.params.id, request.body ?? {}, reviewerOf(request), auditContextOf(request)),
    );

    app.post(
      '/api/count-lines/:id/resolve',
      {
        config: { access: reviewers },
        schema: {
          tags,
          summary:
            'Settle a line whose book changed during the count: keep counted quantity, or keep difference',
          description:
            '`keep: counted` — the counted quantity is the truth: adjustment = counted − current book. ' +
            '`keep: difference` — the difference found against the snapshot applies to the new book: ' +
            'adjustment = counted − snapshot book. The line becomes approved. 400 `REASON_REQUIRED` (non-zero ' +
            'adjustment); 403 `OWN_COUNT`; 409 `SESSION_NOT_IN_REVIEW`, `LINE_NOT_BOOK_CHANGED`, `LINE_NOT_COUNTED`.',
          params: IdParams,
          body: Type.Object(
            { keep: stringEnum(LINE_RESOLUTIONS), reason_code: Type.Optional(ReasonCode) },
            { additionalProperties: false },
          ),
          response: { 200: LineDecisionSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        review.resolve(request.params.id, request.body, reviewerOf(request), auditContextOf(request)),
    );

    app.post(
      '/api/count-sessions/:id/lines/approve',
      {
        // A bulk operation: the bulk_operations feature flag (admins only by default) decides.
        config: { access: reviewers, flag: 'bulk_operations' },
        schema: {
          tags,
          summary:
            'Approve every line in review matching a filter; lines you counted, needing a reason, or whose book changed are skipped',
          description:
            'A bulk operation: 403 `FEATURE_DISABLED` unless the `bulk_operations` feature flag is on for you (admins only by default).',
          params: IdParams,
          body: Type.Object(
            {
              filter: Type.Optional(
                Type.Object(
                  {
                    status: Type.Optional(stringEnum(['review', 'counted'] as const)),
                    location_id: Type.Optional(Uuid),
                    max_abs_variance: Type.Optional(Type.Number({ minimum: 0 })),
                  },
                  { additionalProperties: false },
                ),
              ),
              reason_code: Type.Optional(ReasonCode),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              approved: Type.Integer(),
              skipped_own_count: Type.Integer(),
              skipped_reason_required: Type.Integer(),
              skipped_not_counted: Type.Integer(),
              skipped_book_changed: Type.Integer(),
            }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request) =>
        review.approveBulk(request.params.id, request.body, reviewerOf(request), auditContextOf(request)),
    );

    app.post(
      '/api/count-sessions/:id/recounts/close',
      {
        config: { access: reviewers },
        schema: {
          tags,
          summary:
            'Compare counted recounts with the round before: agreeing confirms, disagreeing goes to review',
          params: IdParams,
          response: {
            200: Type.Object({
              confirmed: Type.Integer(),
              disagreed: Type.Integer(),
              still_open: Type.Integer(),
            }),
            ...errorResponses(401, 403, 404, 409),
          },
        },
      },
      async (request) => review.closeRecounts(request.params.id, auditContextOf(request)),
    );
  };
}
