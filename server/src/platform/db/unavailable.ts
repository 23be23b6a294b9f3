/**
 * "The database cannot be reached right now" versus "this request went wrong": the first is a
 * 503 the client may retry (PostgreSQL restarting, a failover, the pool unable to connect, SQLite
 * locked beyond its busy timeout), the second stays a 500. The error handler (http/errors.ts)
 * asks `isDatabaseUnavailable` before it gives up with a 500.
 */

/** Retry-After on a 503 for an unreachable database: about how long a PostgreSQL restart takes. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATEs of a server that is going away or not there yet: 57P01 admin_shutdown (pg_ctl stop
 * -m fast), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down),
 * 53300 too_many_connections, and class 08, connection exceptions.
 */
const UNAVAILABLE_SQLSTATE = /^(57P0[123]|53300|08[0-9A-Z]{3})$/;

/** Socket errors on the way to the database: refused, reset, unreachable, timed out. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** SQLite: another connection held the lock for longer than busy_timeout (5 s). */
const SQLITE_BUSY = /^SQLITE_BUSY/;

/**
 * pg and pg-pool say "connection lost" in words only: a socket that ended mid-query, the pool's
 * connect timeout (connectionTimeoutMillis), a client already broken, Kysely's discarded connection.
 */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Postgres connection has been discarded)/;

function unavailableItself(error: object): boolean {
  const { code, message, statusCode } = error as { code?: unknown; message?: unknown; statusCode?: unknown };
  // An error that carries its own HTTP status (AppError, Fastify's) has been decided already.
  if (typeof statusCode === 'number') return false;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATE.test(code) || NETWORK_CODES.has(code) || SQLITE_BUSY.test(code)) return true;
  }
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/**
 * True when `error` (or its cause, or one of an AggregateError's errors: a host with an IPv4 and
 * an IPv6 address refuses twice) says the database is unreachable or restarting.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  if (unavailableItself(error)) return true;
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return cause !== undefined && isDatabaseUnavailable(cause, depth + 1);
}

/** Logs one line per `everyMs` at most while the database stays unreachable: an outage under load is not a line per request. */
export function createUnavailableReporter(everyMs = 10_000, now: () => number = Date.now) {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (log: { warn(fields: object, message: string): void }, error: unknown): void => {
    const at = now();
    if (at - last < everyMs) {
      suppressed += 1;
      return;
    }
    last = at;
    const { code } = error as { code?: unknown };
    // The code only: pg's messages name the host and port, and logs leave the building.
    log.warn(
      { db_error_code: typeof code === 'string' ? code : 'connection', suppressed },
      'database unavailable: answering 503',
    );
    suppressed = 0;
  };
}

/** The process-wide reporter the error handler uses. */
export const reportDatabaseUnavailable = createUnavailableReporter();
