import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import {
  CreateWarehouseBody,
  ListWarehousesQuery,
  UpdateWarehouseBody,
  WarehouseIdParams,
  WarehousePageSchema,
  WarehouseSchema,
} from './warehouses.schemas.ts';
import type { WarehousesService } from './warehouses.service.ts';

/** Reads for anyone signed in (counters pick a warehouse); changes for admins and supervisors. */
export function warehousesRoutes(warehouses: WarehousesService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['warehouses'];
    const editors = access.roles('admin', 'supervisor');

    app.get(
      '/api/warehouses',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'List warehouses (sorted by code)',
          querystring: ListWarehousesQuery,
          response: { 200: WarehousePageSchema, ...errorResponses(400, 401) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return warehouses.list({ ...rest, limit });
      },
    );

    app.post(
      '/api/warehouses',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Create a warehouse',
          body: CreateWarehouseBody,
          response: { 201: WarehouseSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const warehouse = await warehouses.create(request.body, auditContextOf(request));
        request.log.info({ warehouse_id: warehouse.id }, 'warehouse created');
        return reply.status(201).send(warehouse);
      },
    );

    app.get(
      '/api/warehouses/:id',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Read a warehouse',
          params: WarehouseIdParams,
          response: { 200: WarehouseSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => warehouses.get(request.params.id),
    );

    app.patch(
      '/api/warehouses/:id',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Rename, deactivate or reactivate a warehouse',
          params: WarehouseIdParams,
          body: UpdateWarehouseBody,
          response: { 200: WarehouseSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const warehouse = await warehouses.update(request.params.id, request.body, auditContextOf(request));
        request.log.info(
          { warehouse_id: warehouse.id, fields: Object.keys(request.body) },
          'warehouse updated',
        );
        return warehouse;
      },
    );
  };
}
