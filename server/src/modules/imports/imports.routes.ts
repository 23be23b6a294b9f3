import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access, principalOf } from '../../platform/http/access.ts';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import type { FlagUser } from '../flags/flags.service.ts';
import {
  ImportIdParams,
  ImportJobDetailSchema,
  ImportJobPageSchema,
  ImportJobSchema,
  ImportRowErrorPageSchema,
  ListImportErrorsQuery,
  ListImportsQuery,
  UploadForm,
} from './imports.schemas.ts';
import {
  type ImportsService,
  LARGE_IMPORT_BYTES,
  largeImportRefused,
  tooLarge,
  type UploadPart,
} from './imports.service.ts';

/** Room for the form fields and multipart boundaries around the file itself. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

export function importsRoutes(
  imports: ImportsService,
  options: {
    maxBytes: number;
    /** Whether this user may run a bulk operation (the bulk_operations feature flag). */
    bulkAllowed: (user: FlagUser) => boolean;
  },
): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['imports'];
    const staffRoles = access.roles('admin', 'supervisor');

    // Multipart for these routes only; the file is streamed by the handler, never buffered.
    await app.register(fastifyMultipart, {
      limits: {
        fileSize: options.maxBytes,
        files: 1,
        fields: 10,
        parts: 12,
        fieldNameSize: 100,
        fieldSize: 1000,
        headerPairs: 100,
      },
    });

    app.post(
      '/api/imports',
      {
        config: { access: staffRoles },
        // The form is read as a stream in the handler: the body schema only documents it.
        validatorCompiler: () => () => true,
        schema: {
          tags,
          summary: 'Upload a CSV or XLSX file of items or stock levels; it is imported as a background job',
          description:
            'multipart/form-data with `kind`, optional `dry_run` and `delimiter`, then `file`. ' +
            'Answers 202 with the queued job; poll GET /api/imports/{id}. All or nothing: if any row ' +
            'is rejected nothing is written, and every rejected row is listed with its reason.',
          consumes: ['multipart/form-data'],
          body: UploadForm,
          response: {
            202: ImportJobSchema,
            ...errorResponses(400, 401, 403, 413, 415, 422, 503),
          },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) {
          throw new AppError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            'Send the file as multipart/form-data with the fields kind, dry_run, delimiter and file',
          );
        }
        const length = Number(request.headers['content-length']);
        if (Number.isFinite(length) && length > options.maxBytes + FORM_OVERHEAD_BYTES) {
          throw tooLarge(options.maxBytes);
        }
        const user = principalOf(request).user;
        const bulkAllowed = options.bulkAllowed(user);
        // Refused before reading when the size is declared; otherwise once the file is in.
        if (!bulkAllowed && Number.isFinite(length) && length > LARGE_IMPORT_BYTES + FORM_OVERHEAD_BYTES) {
          throw largeImportRefused();
        }
        const job = await imports.accept(
          request.parts() as AsyncIterable<UploadPart>,
          user.id,
          auditContextOf(request),
          { bulkAllowed },
        );
        request.log.info({ job_id: job.id, kind: job.kind, size_bytes: job.size_bytes }, 'import queued');
        return reply.status(202).send(job);
      },
    );

    app.get(
      '/api/imports',
      {
        config: { access: staffRoles },
        schema: {
          tags,
          summary: 'List import jobs, newest first',
          querystring: ListImportsQuery,
          response: { 200: ImportJobPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return imports.list({ ...rest, limit });
      },
    );

    app.get(
      '/api/imports/:id',
      {
        config: { access: staffRoles },
        schema: {
          tags,
          summary: 'An import job: progress, counts and the first rejected rows',
          params: ImportIdParams,
          response: { 200: ImportJobDetailSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => imports.get(request.params.id),
    );

    app.get(
      '/api/imports/:id/errors',
      {
        config: { access: staffRoles },
        schema: {
          tags,
          summary: 'All rejected rows of an import job, in row order',
          params: ImportIdParams,
          querystring: ListImportErrorsQuery,
          response: { 200: ImportRowErrorPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 100, cursor } = request.query;
        return imports.errors(request.params.id, { limit, ...(cursor ? { cursor } : {}) });
      },
    );
  };
}
