import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { ComplianceQuery, ComplianceReportSchema, InventorySchema } from './compliance.schemas.ts';
import type { Compliance } from './compliance.service.ts';

/** The guide's inventory and compliance report: admins and auditors, behind the data_governance flag. */
export function complianceRoutes(compliance: Compliance): FastifyPluginAsyncTypebox {
  return async (app) => {
    const config = { access: access.roles('admin', 'auditor'), flag: 'data_governance' };
    const tags = ['governance'];
    app.get(
      '/api/enterprise/governance/inventory',
      {
        config,
        schema: {
          tags,
          summary: "Data inventory: every table, its columns' classes, row count, retention and purpose",
          response: { 200: InventorySchema, ...errorResponses(401, 403) },
        },
      },
      async () => compliance.inventory(),
    );
    app.get(
      '/api/enterprise/governance/compliance-report',
      {
        config,
        schema: {
          tags,
          summary:
            'Compliance report: classification coverage, retention runs and rows removed, data subject requests, overdue requests, erasures',
          querystring: ComplianceQuery,
          response: { 200: ComplianceReportSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => compliance.report({ days: request.query.days ?? 30 }),
    );
  };
}
