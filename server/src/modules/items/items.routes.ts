import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { access } from '../../platform/http/access.ts';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import {
  BarcodeLookupQuery,
  BarcodeLookupSchema,
  CreateItemBody,
  ItemBarcodeParams,
  ItemIdParams,
  ItemPageSchema,
  ItemSchema,
  ListItemsQuery,
  NewBarcodeBody,
  UpdateItemBody,
} from './items.schemas.ts';
import type { ItemsService } from './items.service.ts';

/** Reads and scans for anyone signed in (counters need them); changes for admins and supervisors. */
export function itemsRoutes(
  items: ItemsService,
  options: {
    /** A lookup found nothing: may fetch the item (from the ERP); true when it now exists. */
    onLookupMiss?: (barcode: string, request: FastifyRequest) => Promise<boolean>;
  } = {},
): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['items'];
    const editors = access.roles('admin', 'supervisor');

    app.get(
      '/api/items',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'List items (sorted by item_code); search by code, name or barcode with q',
          querystring: ListItemsQuery,
          response: { 200: ItemPageSchema, ...errorResponses(400, 401) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return items.list({ ...rest, limit });
      },
    );

    // Registered before /api/items/:id; the router prefers the static segment in any case, so
    // `lookup` is never taken for an id.
    app.get(
      '/api/items/lookup',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Resolve a scanned barcode to its item and pack size',
          description:
            'GTINs are matched whatever their length (a UPC-A scan finds the EAN-13). Inactive items are ' +
            'returned too, with `active: false`. A GTIN with a wrong check digit is a 400 `INVALID_BARCODE`. ' +
            'A code we do not know is looked up live in the ERP connectors that can (a short timeout, ' +
            'through their circuit breaker); found there, the item is added and returned.',
          querystring: BarcodeLookupQuery,
          response: { 200: BarcodeLookupSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        try {
          return await items.lookup(request.query.barcode);
        } catch (error) {
          const miss = error instanceof AppError && error.statusCode === 404;
          if (miss && (await options.onLookupMiss?.(request.query.barcode, request)))
            return items.lookup(request.query.barcode);
          throw error;
        }
      },
    );

    app.post(
      '/api/items',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Create an item with its barcodes',
          body: CreateItemBody,
          response: { 201: ItemSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const item = await items.create(request.body, auditContextOf(request));
        request.log.info({ item_id: item.id, barcodes: item.barcodes.length }, 'item created');
        return reply.status(201).send(item);
      },
    );

    app.get(
      '/api/items/:id',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Read an item with its barcodes',
          params: ItemIdParams,
          response: { 200: ItemSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => items.get(request.params.id),
    );

    app.patch(
      '/api/items/:id',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Change an item (any field but item_code; null clears an optional one)',
          params: ItemIdParams,
          body: UpdateItemBody,
          response: { 200: ItemSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const item = await items.update(request.params.id, request.body, auditContextOf(request));
        request.log.info({ item_id: item.id, fields: Object.keys(request.body) }, 'item updated');
        return item;
      },
    );

    app.post(
      '/api/items/:id/barcodes',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Add a barcode to an item; answers the item with all its barcodes',
          params: ItemIdParams,
          body: NewBarcodeBody,
          response: { 201: ItemSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const item = await items.addBarcode(request.params.id, request.body, auditContextOf(request));
        request.log.info({ item_id: item.id }, 'barcode added');
        return reply.status(201).send(item);
      },
    );

    app.delete(
      '/api/items/:id/barcodes/:barcode',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Remove a barcode from an item',
          params: ItemBarcodeParams,
          response: {
            204: { type: 'null', description: 'Barcode removed' },
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        await items.removeBarcode(request.params.id, request.params.barcode, auditContextOf(request));
        request.log.info({ item_id: request.params.id }, 'barcode removed');
        return reply.status(204).send(null);
      },
    );
  };
}
