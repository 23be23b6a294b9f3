import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access, principalOf } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import { CONTENT_TYPES } from './exports/export-kinds.ts';
import {
  ACCURACY_DEFINITIONS,
  AccuracyQuery,
  AccuracyReportSchema,
  ExportQuery,
  PeriodQuery,
  PRODUCTIVITY_DEFINITIONS,
  ProductivityReportSchema,
  SessionIdParams,
  SessionReportSchema,
  SHRINKAGE_DEFINITIONS,
  ShrinkageReportSchema,
} from './reports.schemas.ts';
import type { CountReports } from './reports.service.ts';

/** The export's file, described per content type in the OpenAPI document. */
const FileResponse = {
  description: 'The file, as an attachment named after the session',
  content: Object.fromEntries(
    Object.values(CONTENT_TYPES).map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
  ),
};

/** Counting reports and exports: supervisors, admins and auditors; staff only their count sheets. */
export function countReportsRoutes(deps: { reports: CountReports }): FastifyPluginAsyncTypebox {
  const { reports } = deps;
  return async (app) => {
    const tags = ['counting reports'];
    const readers = access.roles('admin', 'supervisor', 'auditor');

    app.get(
      '/api/count-sessions/:id/report',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Variance summary of a session: totals, +/−, by reason code and status, top variances',
          description:
            '409 `REPORT_NOT_READY` before the session is submitted (review, approved, posted only).',
          params: SessionIdParams,
          response: { 200: SessionReportSchema, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => reports.sessionReport(request.params.id),
    );

    app.get(
      '/api/count-sessions/:id/export',
      {
        config: { access: access.roles('admin', 'supervisor', 'auditor', 'staff') },
        schema: {
          tags,
          summary: 'Export a session: variance (csv, xlsx) or count sheet (pdf, csv)',
          description:
            'CSV cells are formula-safe (a text cell starting with = + - @, tab or CR gets a leading apostrophe). ' +
            'The variance export is not for staff (403). The count sheet is also for staff assigned to the ' +
            'session, with only their locations; it never carries book quantities for a blind session, nor ' +
            'on a line being recounted. 400 for a format the kind does not come in; 409 `REPORT_NOT_READY` ' +
            '(variance before submit), `SESSION_NOT_STARTED` (count sheet of a draft).',
          params: SessionIdParams,
          querystring: ExportQuery,
          response: { 200: FileResponse, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { id, role } = principalOf(request).user;
        const file = await reports.exportSession(
          request.params.id,
          request.query,
          { id, role },
          auditContextOf(request),
        );
        return reply
          .type(file.content_type)
          .header('content-disposition', `attachment; filename="${file.filename}"`)
          .header('cache-control', 'no-store')
          .send(file.body);
      },
    );

    app.get(
      '/api/reports/accuracy',
      {
        config: { access: readers },
        schema: {
          tags,
          summary:
            'Inventory record accuracy over a period: hit rate within tolerance, by location, item and value',
          description: `${ACCURACY_DEFINITIONS} 400 when from > to or the period spans more than 366 days.`,
          querystring: AccuracyQuery,
          response: { 200: AccuracyReportSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => reports.accuracy(request.query),
    );

    app.get(
      '/api/reports/shrinkage',
      {
        // Analytics beyond the core accuracy report: the advanced_analytics feature flag.
        config: { access: readers, flag: 'advanced_analytics' },
        schema: {
          tags,
          summary: 'Shrinkage value over a period, by reason code and category, gains apart',
          description: `${SHRINKAGE_DEFINITIONS} 400 when from > to or the period spans more than 366 days.`,
          querystring: PeriodQuery,
          response: { 200: ShrinkageReportSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => reports.shrinkage(request.query),
    );

    app.get(
      '/api/reports/productivity',
      {
        // Analytics beyond the core accuracy report: the advanced_analytics feature flag.
        config: { access: readers, flag: 'advanced_analytics' },
        schema: {
          tags,
          summary:
            'Counter productivity over a period: entries, lines, recount rate, active time, lines per hour',
          description: `${PRODUCTIVITY_DEFINITIONS} 400 when from > to or the period spans more than 366 days.`,
          querystring: PeriodQuery,
          response: { 200: ProductivityReportSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => reports.productivity(request.query),
    );
  };
}
