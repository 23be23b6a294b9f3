import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  DATABASE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailable,
  reportDatabaseUnavailable,
} from '../db/unavailable.ts';

/** An expected failure with its HTTP status and a stable machine-readable code. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface FieldError {
  field: string;
  message: string;
}

export const badRequest = (message: string, details?: FieldError[]) =>
  new AppError(400, 'VALIDATION_ERROR', message, details);
export const unauthenticated = (message = 'Authentication required') =>
  new AppError(401, 'UNAUTHENTICATED', message);
export const forbidden = (message = 'You do not have permission to do this') =>
  new AppError(403, 'PERMISSION_DENIED', message);
export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (message: string, code = 'CONFLICT') => new AppError(409, code, message);

/** The one error body, declared once so every route's OpenAPI entry can reference it. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    }),
    request_id: Type.String(),
  },
  { $id: 'ErrorBody', title: 'Error' },
);

export function errorBody(request: FastifyRequest, code: string, message: string, details?: FieldError[]) {
  return {
    error: { code, message, ...(details && details.length > 0 ? { details } : {}) },
    request_id: request.id,
  };
}

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
  parentSchema?: { description?: string };
}

function fieldOf(issue: AjvIssue, context: string | undefined): string {
  const base = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const params = issue.params ?? {};
  const extra =
    (params.missingProperty as string | undefined) ?? (params.additionalProperty as string | undefined) ?? '';
  const name = [base, extra].filter((part) => part !== '').join('.');
  return name || (context ?? 'body');
}

function messageOf(issue: AjvIssue): string {
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'additionalProperties') return 'is not an allowed field';
  // A raw regular expression means nothing to a user; the schema's description says it in words.
  if (issue.keyword === 'pattern' || issue.keyword === 'format') {
    const described = issue.parentSchema?.description;
    return described ? `is not valid: ${described}` : `is not a valid ${issue.params?.format ?? 'value'}`;
  }
  return issue.message ?? 'is invalid';
}

const FASTIFY_CLIENT_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'Request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST', 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON', 'Body is empty but Content-Type is application/json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON', 'Body is not valid JSON'],
};

/** Maps every thrown error to the one error shape; a 5xx never shows internals. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply: FastifyReply) => {
    if (error instanceof AppError) {
      return reply
        .status(error.statusCode)
        .send(errorBody(request, error.code, error.message, error.details));
    }
    if (error.validation) {
      const details = error.validation.map((issue) => ({
        field: fieldOf(issue as AjvIssue, error.validationContext),
        message: messageOf(issue as AjvIssue),
      }));
      const first = details[0];
      const message = first ? `Invalid request: ${first.field} ${first.message}` : 'Invalid request';
      return reply.status(400).send(errorBody(request, 'VALIDATION_ERROR', message, details));
    }
    const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (known) {
      return reply.status(known[0]).send(errorBody(request, known[1], known[2]));
    }
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON') {
      return reply.status(400).send(errorBody(request, 'INVALID_JSON', 'Body is not valid JSON'));
    }
    // The database is down or restarting: a 503 to retry, not a 500 (platform/db/unavailable.ts).
    if (isDatabaseUnavailable(error)) {
      reportDatabaseUnavailable(request.log, error);
      return reply
        .status(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send(
          errorBody(request, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable; try again shortly'),
        );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send(errorBody(request, 'BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(status >= 500 && status < 600 ? status : 500)
      .send(errorBody(request, 'INTERNAL_ERROR', 'Internal server error'));
  });
}

/**
 * For Fastify's `frameworkErrors` option (app.ts): what the router refuses before any route is
 * matched — a path with a broken percent-escape, a path parameter longer than `maxParamLength` —
 * gets the one error body too, instead of Fastify's own shape.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return reply.status(414).send(errorBody(request, 'URI_TOO_LONG', 'A path parameter is too long'));
  if (error.code === 'FST_ERR_BAD_URL')
    return reply.status(400).send(errorBody(request, 'BAD_URL', 'The URL is not validly percent-encoded'));
  request.log.error({ err: error }, 'router error');
  return reply.status(500).send(errorBody(request, 'INTERNAL_ERROR', 'Internal server error'));
}
