const MAX_LENGTH = 500;

/** `scheme://user:password@host` → `scheme://***@host`. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
/** Every query-string value in a URL: a token, a signature or a key may hide in any of them. */
const QUERY = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*\?)([^\s#]*)/gi;
/** `password=…`, `token: …`, `Authorization: Bearer …`, `apikey=…` outside URLs (connection strings, headers). */
const SECRET_PAIR =
  /\b(pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret|authorization|signature|sig)(\s*[=:]\s*)(?:bearer\s+|basic\s+)?("[^"]*"|'[^']*'|[^\s&;,]+)/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/**
 * An error message from a peer as the breaker may show and log it: peers (and their drivers)
 * put URLs with credentials, signed query strings and connection strings into messages.
 */
export function sanitizeErrorMessage(message: string): string {
  const cleaned = message
    .replace(USERINFO, '$1***@')
    .replace(QUERY, (_, head: string, query: string) => head + redactQuery(query))
    .replace(SECRET_PAIR, '$1$2***')
    .replace(BEARER, '$1 ***');
  return cleaned.length > MAX_LENGTH ? `${cleaned.slice(0, MAX_LENGTH)}…` : cleaned;
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0 ? pair : `${pair.slice(0, equals)}=***`;
    })
    .join('&');
}
