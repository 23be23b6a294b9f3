import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import {
  CreateLocationBody,
  ListLocationsQuery,
  LocationIdParams,
  LocationLookupQuery,
  LocationPageSchema,
  LocationSchema,
  UpdateLocationBody,
} from './locations.schemas.ts';
import type { LocationsService } from './locations.service.ts';

/** Reads and label lookups for anyone signed in (counters scan locations); changes for admins and supervisors. */
export function locationsRoutes(locations: LocationsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['locations'];
    const editors = access.roles('admin', 'supervisor');

    app.get(
      '/api/locations',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'List locations: by warehouse, children of a parent, or a whole subtree (`under`)',
          querystring: ListLocationsQuery,
          response: { 200: LocationPageSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return locations.list({ ...rest, limit });
      },
    );

    // A static segment: the router matches it before /api/locations/:id, whatever the order here.
    app.get(
      '/api/locations/lookup',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Resolve a scanned location label',
          querystring: LocationLookupQuery,
          response: { 200: LocationSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => locations.lookup(request.query.barcode),
    );

    app.post(
      '/api/locations',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Create a location (a root, or under a parent of the same warehouse)',
          body: CreateLocationBody,
          response: { 201: LocationSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const location = await locations.create(request.body, auditContextOf(request));
        request.log.info(
          { location_id: location.id, warehouse_id: location.warehouse_id },
          'location created',
        );
        return reply.status(201).send(location);
      },
    );

    app.get(
      '/api/locations/:id',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Read a location',
          params: LocationIdParams,
          response: { 200: LocationSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => locations.get(request.params.id),
    );

    app.patch(
      '/api/locations/:id',
      {
        config: { access: editors },
        schema: {
          tags,
          summary: 'Change a location, or move it with its subtree (parent_id)',
          params: LocationIdParams,
          body: UpdateLocationBody,
          response: { 200: LocationSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const location = await locations.update(request.params.id, request.body, auditContextOf(request));
        request.log.info({ location_id: location.id, fields: Object.keys(request.body) }, 'location updated');
        return location;
      },
    );
  };
}
