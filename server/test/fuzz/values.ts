import { STRONG_PASSWORD } from '../helpers/test-app.ts';
import { type Rng, samplesMatching } from './rng.ts';

/** A JSON Schema as the OpenAPI document holds it (3.1: plain JSON Schema 2020-12). */
export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  default?: unknown;
};

/** Real values the seeded database holds, by kind (`users`, `locations`, `barcodes` …). */
export interface Pools {
  get(kind: string): readonly string[];
  /** The one of a kind that most requests should aim at (the session being counted), if any. */
  preferred(kind: string): string | undefined;
}

/** Which pool a field or parameter of this name draws its real values from. */
export function poolForField(name: string): string | null {
  const bare = name.replace(/_ids$/, '_id');
  const map: Record<string, string> = {
    warehouse_id: 'warehouses',
    location_id: 'locations',
    parent_id: 'locations',
    item_id: 'items',
    user_id: 'users',
    subject_id: 'users',
    session_id: 'count-sessions',
    barcode: 'barcodes',
    username: 'usernames',
    event_id: 'audit-events',
    key: 'flags',
    ip: 'ips',
    name: 'jobs',
    table: 'tables',
    collection_name: 'tables',
    category: 'categories',
  };
  return map[bare] ?? null;
}

const DAY = 86_400_000;

/** A value valid for `schema`; `name` is the field it is for (to pick real ids and sensible text). */
export function validValue(schema: Schema, rng: Rng, pools: Pools, name = ''): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    // Mostly the non-null branch: null is the least interesting valid value.
    const nonNull = branches.filter((branch) => branch.type !== 'null');
    const choice = nonNull.length > 0 && rng.chance(0.85) ? rng.pick(nonNull) : rng.pick(branches);
    return validValue(choice, rng, pools, name);
  }
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case 'object':
      return validObject(schema, rng, pools);
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? min + 3, min + 3);
      const length = rng.int(min, Math.max(min, max));
      const element = name.endsWith('s') ? name.slice(0, -1) : name;
      const out: unknown[] = [];
      for (let i = 0; i < length; i += 1) out.push(validValue(schema.items ?? {}, rng, pools, element));
      return out;
    }
    case 'integer':
    case 'number':
      return validNumber(schema, rng, type === 'integer', name, Array.isArray(schema.type));
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    case 'string':
      return validString(schema, rng, pools, name);
    default:
      // No type: anything JSON.
      return rng.pick([1, 'x', true, null, {}, []]);
  }
}

/**
 * Rules the schemas cannot say, so that "valid" requests get past the handlers' own checks often
 * enough to reach the code behind them: fields of which exactly one is given, and optional fields
 * whose random values (a unit of measure, a lot on an item that has none) the handler refuses.
 */
const ONE_OF_FIELDS: readonly (readonly [string, string])[] = [['barcode', 'item_id']];
const SELDOM_FIELDS = new Set(['uom', 'lot', 'serial', 'expiry_date']);

function validObject(schema: Schema, rng: Rng, pools: Pools): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = new Set(schema.required ?? []);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const chance = SELDOM_FIELDS.has(key) ? 0.1 : 0.55;
    if (required.has(key) || rng.chance(chance)) out[key] = validValue(property, rng, pools, key);
  }
  for (const pair of ONE_OF_FIELDS) {
    const properties = schema.properties ?? {};
    if (!pair.every((key) => key in properties) || pair.some((key) => required.has(key))) continue;
    const keep = rng.pick(pair);
    const drop = pair.find((key) => key !== keep) as string;
    delete out[drop];
    if (!(keep in out)) out[keep] = validValue(properties[keep] as Schema, rng, pools, keep);
  }
  if ((schema.minProperties ?? 0) > Object.keys(out).length) {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (Object.keys(out).length >= (schema.minProperties ?? 0)) break;
      if (!(key in out)) out[key] = validValue(property, rng, pools, key);
    }
  }
  // Free-form objects (connector settings): a few plain entries.
  if (schema.additionalProperties === true && Object.keys(schema.properties ?? {}).length === 0) {
    if (rng.chance(0.5)) out[`k${rng.alnum(3)}`] = rng.pick(['value', 5, true, null]);
  }
  return out;
}

function validNumber(schema: Schema, rng: Rng, integer: boolean, name: string, asText: boolean): unknown {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
  const max =
    schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : min + 100);
  let value = rng.chance(0.2) ? rng.pick([min, max]) : rng.int(min, Math.min(max, min + 20));
  if (!integer && rng.chance(0.3)) value = Math.min(max, value + rng.int(1, 999) / 1000);
  if (name === 'version') value = rng.int(1, 3);
  return asText && rng.chance(0.3) ? String(value) : value;
}

function validString(schema: Schema, rng: Rng, pools: Pools, name: string): string {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 64;
  const fits = (value: string) => value.length >= min && value.length <= max;
  const pool = poolForField(name);
  const preferred = pool ? pools.preferred(pool) : undefined;
  if (preferred !== undefined && fits(preferred) && rng.chance(0.5)) return preferred;
  if (pool && rng.chance(0.8)) {
    const real = pools.get(pool).filter(fits);
    if (real.length > 0) return rng.pick(real);
  }
  switch (schema.format) {
    case 'uuid':
      return rng.uuid();
    case 'date-time':
      // Around now (some endpoints refuse times far in the future).
      return new Date(Date.now() - rng.int(0, 30) * DAY - rng.int(0, 3_600_000)).toISOString();
    case 'date':
      return new Date(Date.now() - rng.int(0, 60) * DAY).toISOString().slice(0, 10);
    case 'email':
      return `${rng.alnum(6).toLowerCase()}@example.com`;
    case 'binary':
      return 'file';
  }
  // Decimal text (quantities, costs): a number a warehouse would count.
  if (name === 'quantity' || name === 'unit_cost') {
    const decimal = String(rng.int(0, 50));
    if (fits(decimal)) return decimal;
  }
  if (/password/.test(name) || name === 'secret') {
    return rng.chance(0.5) ? STRONG_PASSWORD : `Fuzz-${rng.alnum(12)}-9!`;
  }
  if (name === 'ip_address') return `203.0.113.${rng.int(1, 254)}${rng.chance(0.2) ? '/32' : ''}`;
  if (name === 'start_date' || name === 'end_date' || name === 'from' || name === 'to' || name === 'as_of')
    return new Date(Date.now() - rng.int(0, 30) * DAY).toISOString();
  if (schema.pattern) {
    const matching = samplesMatching(schema.pattern).filter(fits);
    if (matching.length > 0 && rng.chance(0.8)) return rng.pick(matching);
    const plain = rng.alnum(Math.max(min, Math.min(max, rng.int(3, 12))));
    if (new RegExp(schema.pattern).test(plain)) return plain;
    if (matching.length > 0) return rng.pick(matching);
  }
  return rng.alnum(Math.max(min, Math.min(max, rng.int(1, 16))));
}

/** Strings that break naive code: emoji, RTL, NUL, lone surrogates, combining marks, control characters. */
export const NASTY_STRINGS: readonly string[] = [
  '😀👍🏽🇫🇷',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'a\u0000b',
  '\u0000',
  '\uD800',
  'x\uDC00y',
  'e\u0301\u0301\u0301\u0301',
  'Z̴̡̛̖̟a̸̢̛l̷̨g̵o̶',
  '\uFEFF',
  '\u200B',
  '\r\n\t',
  ' ',
  '',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '../../etc/passwd',
  '%00',
  '%s%s%s%n',
  `$${'{'}7*7}{{7*7}}`,
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e999',
  '0x10',
  ' 5 ',
  '9'.repeat(400),
  'ß'.repeat(100),
  '\u{10FFFF}',
];

/** Numbers at and across the edges, and text that looks like one. */
export function boundaryNumbers(schema: Schema): unknown[] {
  const out: unknown[] = [
    0,
    -1,
    1,
    0.5,
    -0.0001,
    1e308,
    -1e308,
    2 ** 53 + 1,
    -(2 ** 53) - 1,
    1e-7,
    123456789.123456,
  ];
  for (const edge of [schema.minimum, schema.maximum, schema.exclusiveMinimum, schema.exclusiveMaximum]) {
    if (edge !== undefined) out.push(edge, edge - 1, edge + 1, edge + 0.5);
  }
  out.push('NaN', 'Infinity', '-Infinity', '1e999', '0x1F', '', ' ', '1,5', '1.2.3', '-0', '00012', '1e3');
  return out;
}

/** Strings at and over the length limits, up to ~100 KB. */
export function lengthStrings(schema: Schema, rng: Rng): string[] {
  const out = ['x'.repeat(100_000), '€'.repeat(35_000)];
  if (schema.maxLength !== undefined)
    out.push('a'.repeat(schema.maxLength), 'a'.repeat(schema.maxLength + 1));
  if (schema.minLength !== undefined && schema.minLength > 0) out.push('a'.repeat(schema.minLength - 1));
  out.push('😀'.repeat(rng.int(1, 50)));
  return out;
}

/** A value of some other JSON type than `value`. */
export function wrongType(value: unknown, rng: Rng): unknown {
  const candidates: unknown[] = [123, -4.5, 'text', true, null, [], [1, 'a'], {}, { nested: { deep: 1 } }];
  const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  return rng.pick(candidates.filter((candidate) => typeOf(candidate) !== typeOf(value)));
}
