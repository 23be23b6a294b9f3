import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import type { Operation } from './requests.ts';

// ajv-formats is CommonJS with a `default` export: take whichever the loader hands over.
const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (
  ajv: Ajv2020,
) => Ajv2020;

/** JSON Pointer escaping, for `$ref`s into the document. */
const pointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

export interface ResponseLike {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * Checks responses against what the OpenAPI document declares for the operation: the status
 * (or `default`), the media type, and the JSON body against the declared schema (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1; `$ref`s resolve inside the document).
 */
export class ResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(document: object) {
    this.ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ ...document, $id: 'openapi.json' } as Record<string, unknown>);
  }

  /** The problem with this response, or null if it is as declared. */
  check(op: Operation, response: ResponseLike): { kind: string; detail: string } | null {
    const status = response.statusCode;
    if (status >= 500) return { kind: `status ${status}`, detail: 'server error' };
    const key =
      String(status) in op.responses ? String(status) : 'default' in op.responses ? 'default' : null;
    if (key === null)
      return {
        kind: `undeclared status ${status}`,
        detail: `declared: ${Object.keys(op.responses).join(',')}`,
      };
    // Media types compare without their parameters (`text/csv; charset=utf-8` is text/csv).
    const declared = Object.fromEntries(
      Object.entries(op.responses[key]?.content ?? {}).map(([type, media]) => [
        type.split(';')[0]?.trim().toLowerCase() ?? type,
        media,
      ]),
    );
    const mediaType = String(response.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    if (status === 204 || status === 304) {
      return response.body.length === 0 ? null : { kind: `body on ${status}`, detail: 'expected no body' };
    }
    if (Object.keys(declared).length === 0) return null;
    if (!mediaType) return { kind: `no content-type on ${status}`, detail: '' };
    if (!(mediaType in declared) && !('*/*' in declared)) {
      return {
        kind: `undeclared media type ${mediaType} on ${status}`,
        detail: `declared: ${Object.keys(declared).join(',')}`,
      };
    }
    if (mediaType !== 'application/json') return null;
    const declaredType = Object.keys(op.responses[key]?.content ?? {}).find(
      (type) => type.split(';')[0]?.trim().toLowerCase() === 'application/json',
    ) as string;
    const validate = this.validator(op, key, declaredType);
    if (!validate) return null;
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return { kind: `invalid JSON on ${status}`, detail: response.body.slice(0, 200) };
    }
    if (validate(body)) return null;
    const first = validate.errors?.[0];
    return {
      kind: `schema mismatch on ${status}: ${first?.instancePath.replace(/\/\d+/g, '/*') || '/'} ${first?.message ?? ''}`,
      detail: JSON.stringify(validate.errors?.slice(0, 3)),
    };
  }

  private validator(op: Operation, status: string, mediaType: string): ValidateFunction | null {
    const id = `${op.method} ${op.path} ${status} ${mediaType}`;
    if (!this.validators.has(id)) {
      const schema = op.responses[status]?.content?.[mediaType]?.schema;
      const ref = [
        'paths',
        op.path,
        op.method.toLowerCase(),
        'responses',
        status,
        'content',
        mediaType,
        'schema',
      ]
        .map(pointer)
        .join('/');
      this.validators.set(id, schema ? this.ajv.compile({ $ref: `openapi.json#/${ref}` }) : null);
    }
    return this.validators.get(id) ?? null;
  }
}
