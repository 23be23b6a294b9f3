import type { Rng } from './rng.ts';
import {
  boundaryNumbers,
  lengthStrings,
  NASTY_STRINGS,
  type Pools,
  poolForField,
  type Schema,
  validValue,
  wrongType,
} from './values.ts';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

export interface MediaType {
  schema?: Schema;
}

export interface Operation {
  method: string;
  /** The OpenAPI path, e.g. /api/users/{id}. */
  path: string;
  parameters: Parameter[];
  body: { required: boolean; content: Record<string, MediaType> } | null;
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

/** One generated request: what `server.inject` is given, and which kind of case it is. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  kind: string;
}

/** Every operation of the document, in document order. */
export function operationsOf(document: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const op = raw as {
        parameters?: Parameter[];
        requestBody?: { required?: boolean; content: Record<string, MediaType> };
        responses?: Record<string, { content?: Record<string, MediaType> }>;
      };
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody
          ? { required: op.requestBody.required ?? false, content: op.requestBody.content }
          : null,
        responses: op.responses ?? {},
      });
    }
  }
  return out;
}

/** The pool a path parameter's real values come from: `{id}` takes its kind from the segment before it. */
export function poolForPathParam(path: string, name: string): string | null {
  if (name !== 'id') return poolForField(name);
  const segments = path.split('/');
  const index = segments.indexOf('{id}');
  const resource = segments[index - 1] ?? '';
  const aliases: Record<string, string> = { 'data-requests': 'data-requests', outbox: 'outbox' };
  return aliases[resource] ?? resource;
}

/**
 * Percent-encodes any JS string, lone surrogates included (as the WTF-8 bytes a sloppy client
 * would send), which `encodeURIComponent` refuses.
 */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    let out = '';
    for (const char of value) {
      const code = char.codePointAt(0) ?? 0;
      if (code >= 0xd800 && code <= 0xdfff) {
        const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
        out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      } else out += encodeURIComponent(char);
    }
    return out;
  }
}

const BAD_JSON: readonly string[] = [
  '{',
  '{"a":',
  '[1,2',
  '{"a":1,}',
  "{'a':1}",
  'nul',
  '{"a":1}{"b":2}',
  '{"a":"\\x41"}',
  '{"a":"\\uZZZZ"}',
  '\u0000',
  '{"a":01}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '\uFEFF{}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  '"just a string"',
  '12345',
  'true',
  'null',
  '[]',
];

const BOUNDARY = '----fuzzBoundary7MA4YWxkTrZu0gW';

function multipart(
  parts: { name: string; value: string | Buffer; filename?: string }[],
  close = true,
): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.filename
      ? `form-data; name="${part.name}"; filename="${part.filename}"`
      : `form-data; name="${part.name}"`;
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n`));
    if (part.filename) chunks.push(Buffer.from('Content-Type: text/csv\r\n'));
    chunks.push(Buffer.from('\r\n'), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** Follows `path` through a schema (properties, items, the object/array branch of an anyOf). */
function schemaAt(schema: Schema, path: (string | number)[]): Schema {
  let current: Schema = schema;
  for (const key of path) {
    const branches = current.anyOf ?? current.oneOf;
    if (branches) {
      current =
        branches.find((branch) =>
          typeof key === 'number' ? branch.type === 'array' : branch.type === 'object' || branch.properties,
        ) ?? current;
    }
    current = (typeof key === 'number' ? current.items : current.properties?.[key]) ?? {};
  }
  return current;
}

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function pathsIn(value: unknown, prefix: (string | number)[] = [], depth = 0): (string | number)[][] {
  if (depth > 4 || value === null || typeof value !== 'object') return [];
  const out: (string | number)[][] = [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((inner, index) => [index, inner])
    : Object.entries(value);
  for (const [key, inner] of entries) {
    out.push([...prefix, key]);
    out.push(...pathsIn(inner, [...prefix, key], depth + 1));
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, remove = false): void {
  let current = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) current = current[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove) {
    if (Array.isArray(current)) current.splice(last as number, 1);
    else delete current[last];
  } else current[last] = value;
}

/** Every object schema reachable from `schema`, with its path, for missing/extra field cases. */
function objectPaths(value: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push([]);
  for (const path of pathsIn(value)) {
    let inner: unknown = value;
    for (const key of path) inner = (inner as Record<string | number, unknown>)[key];
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) out.push(path);
  }
  return out;
}

const BODY_KINDS = [
  'valid',
  'valid',
  'valid',
  'missing-field',
  'extra-field',
  'wrong-type',
  'boundary-number',
  'long-string',
  'unicode',
  'whole-body-wrong-type',
  'bad-json',
  'invalid-utf8',
  'empty-body',
  'no-body',
  'text/plain',
  'form-urlencoded',
  'multipart',
  'no-content-type',
  'odd-content-type',
] as const;

const PARAM_KINDS = [
  'unknown-id',
  'malformed-path',
  'query-missing',
  'query-wrong-type',
  'query-boundary',
  'query-long',
  'query-unicode',
  'query-extra',
  'query-repeated',
] as const;

export class RequestGenerator {
  constructor(
    private readonly rng: Rng,
    private readonly pools: Pools,
  ) {}

  /** A request for `op`: valid about half the time, otherwise one thing (or a few) wrong. */
  build(op: Operation): FuzzRequest {
    const rng = this.rng;
    const hasJsonBody = op.body?.content['application/json'] !== undefined;
    const isMultipart = op.body?.content['multipart/form-data'] !== undefined;
    const hasPath = op.parameters.some((p) => p.in === 'path');
    const hasQuery = op.parameters.some((p) => p.in === 'query');
    const hasParams = hasPath || hasQuery;
    const paramKinds = PARAM_KINDS.filter((k) =>
      k === 'unknown-id' || k === 'malformed-path'
        ? hasPath
        : k === 'query-extra' || k === 'query-repeated' || hasQuery,
    );
    let kind: string = 'valid';
    const roll = rng.next();
    if (roll < 0.4) kind = 'valid';
    else if (hasParams && roll < 0.62) kind = rng.pick(paramKinds);
    else if (isMultipart) kind = rng.pick(MULTIPART_KINDS);
    else if (hasJsonBody) kind = rng.pick(BODY_KINDS);
    else if (op.method !== 'GET' && rng.chance(0.3)) kind = rng.pick(['unexpected-body', 'bad-json']);
    else if (hasParams) kind = rng.pick(paramKinds);

    const url = this.url(op, kind);
    const headers: Record<string, string> = {};
    let payload: string | Buffer | undefined;
    if (isMultipart) {
      const built = this.multipartBody(kind);
      if (built.contentType) headers['content-type'] = built.contentType;
      payload = built.payload;
    } else if (hasJsonBody) {
      const built = this.jsonBody(op.body?.content['application/json']?.schema ?? {}, kind);
      if (built.contentType) headers['content-type'] = built.contentType;
      payload = built.payload;
    } else if (kind === 'unexpected-body') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify({ unexpected: rng.pick(NASTY_STRINGS) });
    } else if (kind === 'bad-json') {
      headers['content-type'] = 'application/json';
      payload = rng.pick(BAD_JSON);
    }
    return { method: op.method, url, headers, ...(payload !== undefined ? { payload } : {}), kind };
  }

  private url(op: Operation, kind: string): string {
    const rng = this.rng;
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const target = pathParams.length > 0 ? rng.pick(pathParams) : null;
    let path = op.path;
    for (const param of pathParams) {
      let value: string;
      if (param === target && kind === 'malformed-path') {
        value = rng.pick([
          'not-a-uuid',
          '0',
          '-1',
          '1e999',
          'x'.repeat(rng.int(150, 400)),
          // Not the empty string: `/api/items/` is another operation (the list), not a malformed id.
          rng.pick(NASTY_STRINGS.filter((nasty) => nasty !== '')),
          '%',
          '%zz',
          // Not '..': the URL parser resolves it to another path (another operation).
          '...',
          '%2F..%2F',
          `${rng.uuid().toUpperCase()}`,
          `${rng.uuid()}x`,
        ]);
        // A few are sent raw, so the router sees broken escapes.
        path = path.replace(`{${param.name}}`, value.startsWith('%') ? value : encode(value));
        continue;
      }
      const pool = poolForPathParam(op.path, param.name);
      const real = pool ? this.pools.get(pool) : [];
      const preferred = pool ? this.pools.preferred(pool) : undefined;
      if (param === target && kind === 'unknown-id') value = this.unknownValue(param);
      else if (preferred !== undefined && rng.chance(0.5)) value = preferred;
      else if (real.length > 0 && rng.chance(0.85)) value = rng.pick(real);
      else value = String(validValue(param.schema, rng, this.pools, param.name));
      path = path.replace(`{${param.name}}`, encode(value));
    }
    const query: string[] = [];
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const queryTarget = queryParams.length > 0 ? rng.pick(queryParams) : null;
    for (const param of queryParams) {
      const isTarget = param === queryTarget;
      if (isTarget && kind === 'query-missing') continue;
      if (!param.required && !isTarget && rng.chance(0.6)) continue;
      let value: unknown = validValue(param.schema, rng, this.pools, param.name);
      if (isTarget) {
        if (kind === 'query-wrong-type')
          value = rng.pick(['abc', 'true', '1.5', '', '[]', '{}', '-', 'null']);
        else if (kind === 'query-boundary') value = rng.pick(boundaryNumbers(param.schema));
        else if (kind === 'query-long') value = rng.pick(lengthStrings(param.schema, rng));
        else if (kind === 'query-unicode') value = rng.pick(NASTY_STRINGS);
      }
      const encoded = `${encode(param.name)}=${encode(String(value))}`;
      query.push(encoded);
      if (isTarget && kind === 'query-repeated')
        query.push(encoded, `${encode(param.name)}=${encode('other')}`);
    }
    if (kind === 'query-extra')
      query.push(`${rng.pick(['zzz', '__proto__', 'limit[]', 'a[b]'])}=${encode('1')}`);
    if (kind === 'query-repeated' && queryParams.length === 0) query.push('x=1&x=2');
    return query.length > 0 ? `${path}?${query.join('&')}` : path;
  }

  private unknownValue(param: Parameter): string {
    const rng = this.rng;
    if (param.schema.format === 'uuid' || param.name === 'id' || param.name.endsWith('_id'))
      return rng.uuid();
    if (param.name === 'ip') return `198.51.100.${rng.int(1, 254)}`;
    if (param.name === 'key') return `no_such_flag_${rng.alnum(4).toLowerCase()}`;
    return `unknown${rng.alnum(6)}`;
  }

  private jsonBody(schema: Schema, kind: string): { contentType?: string; payload?: string | Buffer } {
    const rng = this.rng;
    const json = 'application/json';
    const body = validValue(schema, rng, this.pools);
    const fieldPaths = pathsIn(body);
    switch (kind) {
      case 'valid':
        return { contentType: json, payload: JSON.stringify(body) };
      case 'missing-field': {
        const required = (schema.required ?? []).filter(
          (key) => (body as Record<string, unknown>)?.[key] !== undefined,
        );
        if (required.length > 0) delete (body as Record<string, unknown>)[rng.pick(required)];
        else if (fieldPaths.length > 0) setAt(body, rng.pick(fieldPaths), undefined, true);
        return { contentType: json, payload: JSON.stringify(body) };
      }
      case 'extra-field': {
        const objects = objectPaths(body);
        if (objects.length > 0) {
          const at = rng.pick(objects);
          const name = rng.pick([
            'extra',
            'id',
            'role',
            'created_at',
            '__proto__',
            'constructor',
            'is_admin',
          ]);
          const value = rng.pick<unknown>(['x', 1, true, null, { a: 1 }]);
          if (at.length === 0) (body as Record<string, unknown>)[name] = value;
          else setAt(body, [...at, name], value);
        }
        return { contentType: json, payload: JSON.stringify(body) };
      }
      case 'wrong-type':
      case 'boundary-number':
      case 'long-string':
      case 'unicode': {
        if (fieldPaths.length === 0)
          return { contentType: json, payload: JSON.stringify(wrongType(body, rng)) };
        const at = rng.pick(fieldPaths);
        const fieldSchema = schemaAt(schema, at);
        let current: unknown = body;
        for (const key of at) current = (current as Record<string | number, unknown>)[key];
        let value: unknown;
        if (kind === 'wrong-type') value = wrongType(current, rng);
        else if (kind === 'boundary-number') value = rng.pick(boundaryNumbers(fieldSchema));
        else if (kind === 'long-string') value = rng.pick(lengthStrings(fieldSchema, rng));
        else value = rng.pick(NASTY_STRINGS);
        setAt(body, at, value);
        return { contentType: json, payload: JSON.stringify(body) };
      }
      case 'whole-body-wrong-type':
        return {
          contentType: json,
          payload: JSON.stringify(rng.pick<unknown>([[], [body], 'text', 42, null, true])),
        };
      case 'bad-json':
        return { contentType: json, payload: rng.pick(BAD_JSON) };
      case 'invalid-utf8':
        return {
          contentType: json,
          payload: Buffer.concat([
            Buffer.from('{"name":"'),
            Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
            Buffer.from('"}'),
          ]),
        };
      case 'empty-body':
        return { contentType: json, payload: '' };
      case 'no-body':
        return {};
      case 'text/plain':
        return { contentType: 'text/plain', payload: JSON.stringify(body) };
      case 'form-urlencoded':
        return {
          contentType: 'application/x-www-form-urlencoded',
          payload: Object.entries((body as Record<string, unknown>) ?? {})
            .map(([key, value]) => `${encode(key)}=${encode(String(value))}`)
            .join('&'),
        };
      case 'multipart':
        return {
          contentType: `multipart/form-data; boundary=${BOUNDARY}`,
          payload: multipart([{ name: 'json', value: JSON.stringify(body) }]),
        };
      case 'no-content-type':
        return { payload: JSON.stringify(body) };
      default:
        return {
          contentType: rng.pick([
            'application/xml',
            'application/json; charset=utf-16',
            'application/json; charset=latin1',
            'application/vnd.api+json',
            'image/png',
            'application/octet-stream',
            'json',
            '',
          ]),
          payload: JSON.stringify(body),
        };
    }
  }

  private multipartBody(kind: string): { contentType?: string; payload?: string | Buffer } {
    const rng = this.rng;
    const contentType = `multipart/form-data; boundary=${BOUNDARY}`;
    const barcodes = this.pools.get('barcodes');
    const items = 'item_code,name,base_uom,unit_cost,barcode';
    const goodItems = `${items}\nFZ-${rng.alnum(5)},Fuzz item,EA,${rng.int(1, 90)}.5,${barcodes[0] ?? 'X'}${rng.int(0, 9)}\n`;
    const nasty = `${items}\n${rng.pick(NASTY_STRINGS)},${rng.pick(NASTY_STRINGS)},${rng.pick(NASTY_STRINGS)},${rng.pick(['abc', '-1', '1e999', 'NaN', ''])},\n`;
    const stock = `item_code,warehouse_code,location_code,quantity\nNOPE,${rng.alnum(3)},${rng.alnum(3)},${rng.pick(['5', '-1', 'x', '1e999'])}\n`;
    switch (kind) {
      case 'valid':
        return {
          contentType,
          payload: multipart([
            { name: 'kind', value: 'items' },
            { name: 'dry_run', value: rng.pick(['true', 'false']) },
            { name: 'file', value: goodItems, filename: 'items.csv' },
          ]),
        };
      case 'mp-missing-file':
        return { contentType, payload: multipart([{ name: 'kind', value: 'items' }]) };
      case 'mp-missing-kind':
        return {
          contentType,
          payload: multipart([{ name: 'file', value: goodItems, filename: 'items.csv' }]),
        };
      case 'mp-bad-kind':
        return {
          contentType,
          payload: multipart([
            { name: 'kind', value: rng.pick(NASTY_STRINGS) },
            { name: 'file', value: goodItems, filename: 'items.csv' },
          ]),
        };
      case 'mp-bad-file':
        return {
          contentType,
          payload: multipart([
            { name: 'kind', value: rng.pick(['items', 'stock_levels']) },
            { name: 'delimiter', value: rng.pick([',', ';', '\t', '|', 'xx', '']) },
            {
              name: 'file',
              value: rng.pick<string | Buffer>([
                nasty,
                stock,
                '',
                '\uFEFF',
                Buffer.from([0x50, 0x4b, 3, 4, 0, 0]),
                'a,b\n"unclosed',
              ]),
              filename: rng.pick(['x.csv', 'x.xlsx', '../../x.csv', '😀.csv']),
            },
          ]),
        };
      case 'mp-file-first':
        return {
          contentType,
          payload: multipart([
            { name: 'file', value: goodItems, filename: 'items.csv' },
            { name: 'kind', value: 'items' },
          ]),
        };
      case 'mp-truncated':
        return {
          contentType,
          payload: multipart(
            [
              { name: 'kind', value: 'items' },
              { name: 'file', value: goodItems, filename: 'a.csv' },
            ],
            false,
          ),
        };
      case 'mp-no-boundary':
        return { contentType: 'multipart/form-data', payload: multipart([{ name: 'kind', value: 'items' }]) };
      case 'mp-extra-field':
        return {
          contentType,
          payload: multipart([
            { name: 'kind', value: 'items' },
            { name: 'zzz', value: 'x'.repeat(rng.int(1, 5000)) },
            { name: 'file', value: goodItems, filename: 'items.csv' },
          ]),
        };
      case 'mp-json':
        return {
          contentType: 'application/json',
          payload: JSON.stringify({ kind: 'items', file: goodItems }),
        };
      case 'mp-bad-json':
        return { contentType: 'application/json', payload: rng.pick(BAD_JSON) };
      case 'mp-text':
        return { contentType: 'text/plain', payload: goodItems };
      case 'mp-empty':
        return { contentType, payload: '' };
      default:
        return {};
    }
  }
}

const MULTIPART_KINDS = [
  'valid',
  'mp-missing-file',
  'mp-missing-kind',
  'mp-bad-kind',
  'mp-bad-file',
  'mp-file-first',
  'mp-truncated',
  'mp-no-boundary',
  'mp-extra-field',
  'mp-json',
  'mp-bad-json',
  'mp-text',
  'mp-empty',
  'mp-none',
] as const;
