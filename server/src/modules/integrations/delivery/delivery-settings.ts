import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { FieldError } from '../../../platform/http/errors.ts';
import type { DeliveryKind } from './delivery.store.ts';

/**
 * The delivery target's settings, per kind, without its secret (the webhook's signing key, the
 * database password). Checked here in full — shape, then meaning (an http(s) URL without
 * credentials; a table name that is an identifier) — and stored with defaults filled in.
 */

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 120_000;
/** A signing key shorter than this is refused: an HMAC key must not be guessable. */
export const MIN_SIGNING_KEY_LENGTH = 16;

const TimeoutMs = Type.Integer({
  minimum: 100,
  maximum: MAX_TIMEOUT_MS,
  description: `how long one delivery may take, in ms (default ${DEFAULT_TIMEOUT_MS})`,
});

export const WebhookSettings = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: 2000,
      description: 'http:// or https:// URL the adjustments are POSTed to (no credentials in it)',
    }),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false, title: 'WebhookDeliverySettings' },
);

const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]{0,62}';
/** A staging table: `table` or `schema.table`, plain identifiers only (they are quoted as well). */
export const TABLE_PATTERN = `^${IDENTIFIER}(\\.${IDENTIFIER})?$`;

export const SqlTargetSettings = Type.Object(
  {
    dialect: Type.Union([Type.Literal('postgres'), Type.Literal('mysql')], {
      description: 'postgres, or mysql for MySQL and MariaDB',
    }),
    host: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\\[?[0-9A-Fa-f:.]+\\]?$',
      description: 'a host name or IP address (no URL, no credentials)',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    database: Type.String({ minLength: 1, maxLength: 128 }),
    user: Type.String({ minLength: 1, maxLength: 128 }),
    ssl: Type.Optional(Type.Boolean({ description: 'TLS to the database (certificate verified)' })),
    table: Type.String({
      minLength: 1,
      maxLength: 127,
      pattern: TABLE_PATTERN,
      description: 'the staging table, optionally schema.table: letters, digits and _',
    }),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false, title: 'SqlDeliverySettings' },
);

export type WebhookSettings = Static<typeof WebhookSettings>;
export type SqlTargetSettings = Static<typeof SqlTargetSettings>;
export type TargetSettings = WebhookSettings | SqlTargetSettings;

const schemas = { webhook: WebhookSettings, sql: SqlTargetSettings };
const validators = { webhook: Compile(WebhookSettings), sql: Compile(SqlTargetSettings) };

function shapeErrors(kind: DeliveryKind, value: unknown): FieldError[] {
  const validator = validators[kind];
  if (validator.Check(value)) return [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of validator.Errors(value)) {
    const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[] };
    const base = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const extra = params.requiredProperties?.[0] ?? params.additionalProperties?.[0] ?? '';
    const field = ['settings', base, extra].filter((part) => part !== '').join('.');
    if (seen.has(field)) continue;
    seen.add(field);
    const described = (schemas[kind].properties as Record<string, { description?: string }>)[base];
    errors.push({
      field,
      message:
        error.keyword === 'required'
          ? 'is required'
          : error.keyword === 'additionalProperties'
            ? 'is not an allowed field'
            : error.keyword === 'pattern'
              ? `is not valid: ${described?.description ?? 'wrong format'}`
              : error.message,
    });
  }
  return errors;
}

function webhookErrors(settings: WebhookSettings): FieldError[] {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    return [{ field: 'settings.url', message: 'is not a URL' }];
  }
  const errors: FieldError[] = [];
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    errors.push({ field: 'settings.url', message: 'must be an http:// or https:// URL' });
  if (url.username || url.password)
    errors.push({
      field: 'settings.url',
      message: 'must not hold credentials: the signing key goes in secret',
    });
  if (url.hash) errors.push({ field: 'settings.url', message: 'must not have a fragment' });
  return errors;
}

export type CheckedSettings =
  | { ok: true; settings: TargetSettings & { timeout_ms: number } }
  | { ok: false; errors: FieldError[] };

export function checkTargetSettings(kind: DeliveryKind, value: unknown): CheckedSettings {
  const shape = shapeErrors(kind, value);
  if (shape.length > 0) return { ok: false, errors: shape };
  const typed = value as TargetSettings;
  const errors = kind === 'webhook' ? webhookErrors(typed as WebhookSettings) : [];
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, settings: { ...typed, timeout_ms: typed.timeout_ms ?? DEFAULT_TIMEOUT_MS } };
}
