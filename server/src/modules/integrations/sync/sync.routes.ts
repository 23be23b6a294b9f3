import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { SyncStatusResponse } from './sync.schemas.ts';
import type { ErpSync } from './sync.service.ts';

/**
 * Where each connector's syncs stand (admins and auditors). Runs themselves — history, progress,
 * "run now" — are the jobs API's (`/api/integrations/jobs`, jobs erp.stock-levels, erp.items,
 * erp.full-sync).
 */
export function syncRoutes(sync: ErpSync): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/integrations/sync',
      {
        config: { access: access.roles('admin', 'auditor') },
        schema: {
          tags: ['integrations'],
          summary: 'ERP sync state per connector: passes under way, last completed pass, rejected rows',
          response: { 200: SyncStatusResponse, ...errorResponses(401, 403) },
        },
      },
      async () => ({ items: await sync.status() }),
    );
  };
}
