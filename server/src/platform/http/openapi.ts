import type { FastifyInstance } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { ErrorBody } from './errors.ts';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: the message and `details` name each field and why',
  401: 'Not signed in, or the session ended',
  403: 'Signed in, but this role may not do this (or the address is blocked)',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  415: 'Unsupported Content-Type',
  422: 'Understood but cannot be processed',
  429: 'Too many requests; see Retry-After',
  503: 'A dependency is unavailable',
};

/** The shared error body for each listed status, for a route's `response` schema. */
export function errorResponses(...statuses: number[]): Record<number, { $ref: string; description: string }> {
  const out: Record<number, { $ref: string; description: string }> = {};
  for (const status of statuses)
    out[status] = { $ref: 'ErrorBody#', description: DESCRIPTIONS[status] ?? 'Error' };
  return out;
}

export function registerSharedSchemas(app: FastifyInstance): void {
  app.addSchema(ErrorBody);
}

/** `schema` or null. */
export const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string from a fixed list, typed as `T` (an `enum` in the OpenAPI document). */
export const stringEnum = <T extends string>(values: readonly T[], description = values.join(' | ')) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], description });
