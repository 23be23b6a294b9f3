import { Ajv, type Options } from 'ajv';
import formatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS with a `default` export: take whichever the loader hands over.
const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (
  ajv: Ajv,
) => Ajv;

import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.ts';

/**
 * Request validation. Bodies are validated strictly — no type coercion, unknown fields refused
 * (schemas say `additionalProperties: false`), so `"5"` is not silently taken for 5.
 * Query strings and path parameters arrive as text, so they are coerced to the declared types.
 */
function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    // Keeps the failing schema on each error, so a message can use its description.
    verbose: true,
    ...options,
  });
  addFormats(ajv);
  return ajv;
}

export function registerValidation(app: FastifyInstance): void {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  for (const ajv of [strict, coercing]) {
    ajv.addSchema({ $id: 'ErrorBody', type: 'object' });
  }
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema);
  });
}

/** The path of the first string holding a NUL character, or null. */
function nulPath(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return path ? `${path}.${key.replaceAll('\u0000', '\\0')}` : key;
    const found = nulPath(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/**
 * No text field may hold a NUL character: PostgreSQL cannot store one, and no real value needs
 * it. Refused as bad input for every route, before any schema or handler sees it.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const field = nulPath(request.params, '') ?? nulPath(request.query, '') ?? nulPath(request.body, '');
    if (field !== null) {
      throw badRequest(`Invalid request: ${field || 'value'} contains a NUL character`, [
        { field: field || 'body', message: 'contains a NUL character' },
      ]);
    }
  });
}
