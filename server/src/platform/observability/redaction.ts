import { classifiedColumnNames } from '../db/data-registry.ts';

/**
 * What never reaches a log line, matched by field name at any depth:
 * - every column the data registry (platform/db/data-registry.ts) classifies PERSONAL or
 *   SENSITIVE — a column added and classified there is redacted here too, with no second list;
 * - secrets by the shape of their name (passwords, PINs, tokens, one-time codes, keys), whatever
 *   the field is called in a request or an error;
 * - personal fields of requests and peers that are not columns (e-mail, phone, addresses).
 */
const SECRET_KEY =
  /pass(word)?|pin$|^pin|token|secret|authorization|cookie|otp|csrf|api[_-]?key|private[_-]?key|recovery/i;
const PERSONAL_NOT_COLUMNS = /^(name|email|e_mail|subject_email|phone|ip|remote_address|address)$/i;
const CLASSIFIED = new Set(
  [...classifiedColumnNames('PERSONAL', 'SENSITIVE')].map((key) => key.toLowerCase()),
);

export const REDACTED = '[REDACTED]';

export function isRedactedKey(key: string): boolean {
  return CLASSIFIED.has(key.toLowerCase()) || SECRET_KEY.test(key) || PERSONAL_NOT_COLUMNS.test(key);
}

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isRedactedKey(key) ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}
