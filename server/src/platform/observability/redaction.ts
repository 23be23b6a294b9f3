/**
 * What never reaches a log line: secrets (passwords, PINs, tokens, one-time codes, keys) and
 * personal data (names, e-mail and network addresses). Matched by field name at any depth.
 */
const SECRET_KEY =
  /pass(word)?|pin$|^pin|token|secret|authorization|cookie|otp|csrf|api[_-]?key|private[_-]?key|recovery/i;
const PERSONAL_KEY =
  /^(username|display_name|name|email|e_mail|phone|ip|ip_address|remote_address|address|user_agent)$/i;

export const REDACTED = '[REDACTED]';

export function isRedactedKey(key: string): boolean {
  return SECRET_KEY.test(key) || PERSONAL_KEY.test(key);
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
