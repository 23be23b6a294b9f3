import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { access, principalOf } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import {
  CountEntryPageSchema,
  CountEntrySchema,
  CountLinePageSchema,
  EntryIdParams,
  ListEntriesQuery,
  ListLinesQuery,
  LocationCompleteParams,
  LocationCompletionSchema,
  SessionIdParams,
  SubmitEntryBody,
  SubmitResultSchema,
  SyncAnswerSchema,
  SyncBatchBody,
  UnknownItemPageSchema,
  UnknownItemsQuery,
  VoidEntryBody,
} from './entries.schemas.ts';
import type { CountEntries } from './entries.service.ts';

const actorOf = (request: FastifyRequest) => {
  const { id, role } = principalOf(request).user;
  return { id, role };
};

/**
 * Counting on the floor: entries (online and offline), voids, lines, "count entire location".
 * Counters (staff) work only where they are assigned and, in a blind session, never receive a
 * book quantity or a variance; supervisors and admins work anywhere in the session's scope;
 * auditors read.
 */
export function countEntriesRoutes(deps: { entries: CountEntries }): FastifyPluginAsyncTypebox {
  const { entries } = deps;
  return async (app) => {
    const tags = ['counting'];
    const counters = access.roles('admin', 'supervisor', 'staff');
    const readers = access.roles('admin', 'supervisor', 'auditor', 'staff');

    app.post(
      '/api/count-sessions/:id/entries',
      {
        config: { access: counters },
        schema: {
          tags,
          summary: 'Submit one count entry (idempotent on client_id)',
          description:
            '201 `accepted` (with `warnings: ["duplicate_serial"]` when the serial is already counted in the ' +
            'session) or `unknown_item` (the barcode matches no item: captured, `captured: true`); 200 ' +
            '`duplicate` when this client_id was stored before with the same content. Errors: 409 ' +
            '`CLIENT_ID_CONFLICT` (same client_id, other content), `SESSION_NOT_COUNTING`, ' +
            '`LOCATION_NOT_IN_SCOPE`; 403 `NOT_ASSIGNED`; 400 `INVALID_QUANTITY`, `LOT_REQUIRED`, ' +
            '`SERIAL_REQUIRED`, `ITEM_NOT_FOUND`, `VALIDATION_ERROR`.',
          params: SessionIdParams,
          body: SubmitEntryBody,
          response: {
            200: SubmitResultSchema,
            201: SubmitResultSchema,
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const result = await entries.submit(
          request.params.id,
          request.body,
          actorOf(request),
          auditContextOf(request),
        );
        return reply.status(result.result === 'duplicate' ? 200 : 201).send(result);
      },
    );

    app.get(
      '/api/count-sessions/:id/entries',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Entries of a session, newest first (staff: only their own)',
          params: SessionIdParams,
          querystring: ListEntriesQuery,
          response: { 200: CountEntryPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return entries.listEntries(request.params.id, { ...rest, limit }, actorOf(request));
      },
    );

    app.post(
      '/api/count-entries/:id/void',
      {
        config: { access: counters },
        schema: {
          tags,
          summary: 'Void an entry with a reason (its counter, or a supervisor) while the session is counting',
          description: '409 `ENTRY_ALREADY_VOIDED`, `SESSION_NOT_COUNTING`; 403 `NOT_ENTRY_OWNER`.',
          params: EntryIdParams,
          body: VoidEntryBody,
          response: { 200: CountEntrySchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        entries.void(
          request.params.id,
          request.body.reason.trim(),
          actorOf(request),
          auditContextOf(request),
        ),
    );

    app.post(
      '/api/sync/batch',
      {
        config: { access: counters },
        schema: {
          tags,
          summary: 'Offline upload: up to 1000 entries, each answered in order',
          description:
            'Every entry gets a result, in input order: `accepted`, `duplicate` (already stored: drop it from ' +
            'the outbox) or `conflict` with a `reason`. `captured: true` on a conflict means the entry is ' +
            'stored anyway (`unknown_item`, `duplicate_serial`). A malformed entry is that entry’s conflict ' +
            '(`invalid_entry`, `invalid_quantity`), never the whole batch’s. Replaying a batch changes nothing.',
          body: SyncBatchBody,
          response: { 200: SyncAnswerSchema, ...errorResponses(400, 401, 403, 413) },
        },
      },
      async (request) => entries.sync(request.body.entries, actorOf(request), auditContextOf(request)),
    );

    app.get(
      '/api/count-sessions/:id/lines',
      {
        config: { access: readers },
        schema: {
          tags,
          summary:
            'Lines with counted quantity and variance (staff: their locations; blind: no book, no variance)',
          description:
            'Sorted by location, item and lot. For staff in a blind session book_qty, unit_cost, variance_* and ' +
            'rounds are omitted, the status is only open or counted, and has_variance is refused (403 `BLIND_MODE`).',
          params: SessionIdParams,
          querystring: ListLinesQuery,
          response: { 200: CountLinePageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return entries.listLines(request.params.id, { ...rest, limit }, actorOf(request));
      },
    );

    app.get(
      '/api/count-sessions/:id/unknown-items',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor') },
        schema: {
          tags,
          summary: 'Scanned barcodes that matched no item, by barcode and location',
          params: SessionIdParams,
          querystring: UnknownItemsQuery,
          response: { 200: UnknownItemPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query;
        return entries.unknownItems(request.params.id, {
          limit,
          ...(cursor !== undefined ? { cursor } : {}),
        });
      },
    );

    app.post(
      '/api/count-sessions/:id/locations/:location_id/complete',
      {
        config: { access: counters },
        schema: {
          tags,
          summary: 'Count entire location: expected items nobody counted there become zero counts',
          description:
            'Items found but not expected are already unexpected lines from their entries. A line whose entries ' +
            'are all voided later stays a zero count. Calling it again zeroes whatever is still uncounted.',
          params: LocationCompleteParams,
          response: { 200: LocationCompletionSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        entries.completeLocation(
          request.params.id,
          request.params.location_id,
          actorOf(request),
          auditContextOf(request),
        ),
    );
  };
}
