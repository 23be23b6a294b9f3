import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses, nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { LINE_RESOLUTIONS, OUTBOX_STATUSES } from '../counting.tables.ts';
import type { CountPosting } from './posting.service.ts';

const Uuid = Type.String({ format: 'uuid' });

const CountAdjustmentSchema = Type.Object(
  {
    id: Uuid,
    line_id: Uuid,
    session_id: Uuid,
    item_id: Uuid,
    item_code: Type.String(),
    item_name: Type.String(),
    base_uom: Type.String(),
    location_id: Uuid,
    location_code: Type.String(),
    lot: nullable(Type.String()),
    quantity: Type.Number({ description: 'Signed, in the base unit: positive adds to the book' }),
    unit_cost: Type.Number({ description: "The snapshot's unit cost" }),
    value: Type.Number({ description: 'quantity × unit_cost' }),
    reason_code: nullable(Type.String()),
    resolution: nullable(stringEnum(LINE_RESOLUTIONS)),
    created_at: Type.String({ format: 'date-time' }),
    erp_status: nullable(
      stringEnum(OUTBOX_STATUSES, 'Delivery of its ERP message: pending | delivered | failed'),
    ),
  },
  { title: 'CountAdjustment' },
);

/** The adjustments a posted session wrote for the ERP. */
export function countPostingRoutes(deps: { posting: CountPosting }): FastifyPluginAsyncTypebox {
  const { posting } = deps;
  return async (app) => {
    app.get(
      '/api/count-sessions/:id/adjustments',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor') },
        schema: {
          tags: ['counting'],
          summary: 'The adjustments a session posted (one per line with a non-zero approved variance)',
          description:
            'Written once, when the session is posted, each with a message in the ERP outbox; empty before. ' +
            'Ordered by id; page with `limit` and `cursor`.',
          params: Type.Object({ id: Uuid }, { additionalProperties: false }),
          querystring: Type.Object(
            { limit: LimitQuery, cursor: CursorQuery },
            { additionalProperties: false },
          ),
          response: {
            200: pageSchema(CountAdjustmentSchema, 'CountAdjustmentPage'),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query;
        return posting.listAdjustments(request.params.id, { limit, ...(cursor ? { cursor } : {}) });
      },
    );
  };
}
