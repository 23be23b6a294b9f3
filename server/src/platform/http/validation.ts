import { Ajv, type Options } from 'ajv';
import formatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS with a `default` export: take whichever the loader hands over.
const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (
  ajv: Ajv,
) => Ajv;

import type { FastifyInstance } from 'fastify';

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
