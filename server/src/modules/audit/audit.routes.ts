import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import {
  AuditLogsQuery,
  AuditPageSchema,
  CheckpointPageSchema,
  CheckpointsQuery,
  ComplianceQuery,
  ComplianceReportSchema,
  ConsistencyProofSchema,
  ConsistencyQuery,
  EntryWithProofSchema,
  EventIdParams,
  InclusionProofSchema,
  InclusionQuery,
  IntegrityReportSchema,
  PublicKeySchema,
  VerifyQuery,
} from './audit.schemas.ts';
import type { AuditTrail } from './audit.service.ts';
import type { AuditAdmin } from './audit-admin.service.ts';
import { parseDateParam } from './audit-reader.ts';
import type { Checkpointer } from './checkpoints.ts';
import { complianceReportCsv } from './compliance-report.ts';
import { auditContextOf } from './events.ts';

/** Admins and auditors read the trail; no route edits it. */
const readers = access.roles('admin', 'auditor');

export function auditRoutes(deps: {
  admin: AuditAdmin;
  trail: AuditTrail;
  checkpointer: Checkpointer;
}): FastifyPluginAsyncTypebox {
  const { admin, trail, checkpointer } = deps;
  return async (app) => {
    const tags = ['audit'];

    app.get(
      '/api/enterprise/audit/logs',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Search audit entries (newest first)',
          querystring: AuditLogsQuery,
          response: { 200: AuditPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, ...filter } = request.query;
        return admin.search({ ...filter, limit });
      },
    );

    app.get(
      '/api/enterprise/audit/logs/:event_id',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'One audit entry with its inclusion proof against the latest signed checkpoint',
          params: EventIdParams,
          response: { 200: EntryWithProofSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => admin.entryWithProof(request.params.event_id),
    );

    app.get(
      '/api/enterprise/audit/verify-integrity',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Recompute the hash chain and the signed Merkle roots',
          description:
            'Streams through the log from the retention cut (or from the last checkpoint before ' +
            '`start_date`), recomputing every hash and link and every signed root; reports the first damage.',
          querystring: VerifyQuery,
          response: { 200: IntegrityReportSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { start_date } = request.query;
        return admin.verify(start_date ? { startDate: parseDateParam(start_date, 'start_date') } : {});
      },
    );

    app.get(
      '/api/enterprise/audit/compliance-report',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Compliance report for the last `days` days (JSON, or CSV with format=csv)',
          querystring: ComplianceQuery,
          response: {
            200: {
              description: 'The report; with format=csv, a text/csv attachment (section,name,value)',
              content: {
                'application/json': { schema: ComplianceReportSchema },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const { days = 30, format = 'json' } = request.query;
        const report = await admin.complianceReport(days);
        if (format !== 'csv') return report;
        await trail.record(auditContextOf(request), {
          type: 'DATA_EXPORT',
          action: 'audit.compliance_report.export',
          resource: { type: 'compliance_report', id: null },
          details: { days, format: 'csv' },
        });
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="audit-compliance-${days}d.csv"`)
            .serializer((payload: string) => payload)
            // The CSV form bypasses the JSON schema (and its serializer) on purpose.
            .send(complianceReportCsv(report) as never)
        );
      },
    );

    app.get(
      '/api/enterprise/audit/checkpoints',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'Signed checkpoints (newest first)',
          querystring: CheckpointsQuery,
          response: { 200: CheckpointPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query;
        return admin.checkpoints({ limit, ...(cursor ? { cursor } : {}) });
      },
    );

    app.get(
      '/api/enterprise/audit/public-key',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'The Ed25519 public key that signs checkpoints',
          response: { 200: PublicKeySchema, ...errorResponses(401, 403) },
        },
      },
      async () => checkpointer.publicKey,
    );

    app.get(
      '/api/enterprise/audit/proofs/inclusion',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'RFC 9162 inclusion proof of one entry in a tree size',
          querystring: InclusionQuery,
          response: { 200: InclusionProofSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request) => admin.inclusion(request.query.seq, request.query.tree_size),
    );

    app.get(
      '/api/enterprise/audit/proofs/consistency',
      {
        config: { access: readers },
        schema: {
          tags,
          summary: 'RFC 9162 consistency proof between two tree sizes',
          querystring: ConsistencyQuery,
          response: { 200: ConsistencyProofSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request) => admin.consistency(request.query.first, request.query.second),
    );
  };
}
