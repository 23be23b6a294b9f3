import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { ErrorBody } from './errors.ts';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: the message and `details` name each field and why',
  401: 'Not signed in, or the session ended',
  403: 'Signed in, but this role may not do this (or the address is blocked)',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  414: 'A path parameter is longer than any valid value',
  415: 'Unsupported Content-Type',
  422: 'Understood but cannot be processed',
  429: 'Too many requests; see Retry-After',
  503: 'Service unavailable: the database is unreachable (or another dependency is down); retry',
};

type ErrorResponse = {
  description: string;
  content: { 'application/json': { schema: { $ref: string } } };
};

/**
 * The shared error body for each listed status, for a route's `response` schema. Stated with its
 * media type, so a route producing text (CSV, Prometheus) still documents its errors as JSON.
 */
export function errorResponses(...statuses: number[]): Record<number, ErrorResponse> {
  const out: Record<number, ErrorResponse> = {};
  for (const status of statuses)
    out[status] = {
      description: DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': { schema: { $ref: 'ErrorBody#' } } },
    };
  return out;
}

/**
 * What any operation can answer, whatever its own schema lists: malformed input (bad JSON, a
 * broken URL, a failed validation), a body too large or of the wrong type, a rate limit, and
 * 503 while the database is unreachable. Behind the access guard also 401 and 403 (403 includes
 * a blocked address, which applies to public routes too); with path parameters also 404 and 414.
 */
function commonStatuses(route: RouteOptions): number[] {
  const statuses = [400, 413, 415, 429, 503];
  const url = route.url ?? '';
  if (url === '/health' || url.startsWith('/health/')) return [503];
  statuses.push(403);
  const kind = (route.config as { access?: { kind?: string } } | undefined)?.access?.kind;
  if (kind !== 'public') statuses.push(401);
  if (url.includes(':')) statuses.push(404, 414);
  return statuses;
}

export function registerSharedSchemas(app: FastifyInstance): void {
  app.addSchema(ErrorBody);
  // Added to every route as it is registered (before its serializers are built and before the
  // OpenAPI document is generated), so the document declares every status the app can answer.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as (FastifySchema & { hide?: boolean }) | undefined;
    if (!schema || schema.hide) return;
    const response = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
    const declared = new Set(Object.keys(response));
    for (const [status, entry] of Object.entries(errorResponses(...commonStatuses(route))))
      if (!declared.has(status) && !declared.has('4xx') && !declared.has('5xx')) response[status] = entry;
    schema.response = response;
  });
}

/** `schema` or null. */
export const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string from a fixed list, typed as `T` (an `enum` in the OpenAPI document). */
export const stringEnum = <T extends string>(values: readonly T[], description = values.join(' | ')) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], description });
