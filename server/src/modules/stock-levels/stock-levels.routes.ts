import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { ListStockLevelsQuery, StockLevelPageSchema } from './stock-levels.schemas.ts';
import type { StockLevelsService } from './stock-levels.service.ts';

/**
 * Book quantities. Never for `staff`: counters count blind, and a book figure they could read
 * here would leak into their counts.
 */
export function stockLevelsRoutes(stockLevels: StockLevelsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/stock-levels',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor') },
        schema: {
          tags: ['stock-levels'],
          summary: 'Book quantities by item, location or warehouse',
          querystring: ListStockLevelsQuery,
          response: { 200: StockLevelPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return stockLevels.list({ ...rest, limit });
      },
    );
  };
}
