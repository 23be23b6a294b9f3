/** What the parent asks of a load worker (one argv JSON), and what the worker prints back. */

export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  /**
   * A file of request paths (`/api/…?…`), one a line, against the origin of `url`: every request
   * takes the next path, all connections sharing one cursor and wrapping at the end, so the server
   * answers varied requests. Without it every request goes to `url`.
   */
  pathsFile?: string;
  /**
   * With `pathsFile`: a file of request bodies, one a line, paired with the paths line for line
   * (a request takes path n and body n). `{{send}}` in a body becomes a token unique to that send
   * (this worker's start and a counter), so a write sent again still changes what it writes;
   * `{{uuid}}` becomes a fresh random UUID (each occurrence its own), for ids that must be UUIDs.
   */
  bodiesFile?: string;
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadSummary {
  url: string;
  connections: number;
  /** Seconds actually measured. */
  seconds: number;
  /** Completed requests (any status). */
  requests: number;
  reqPerSec: number;
  /** Latency of 2xx responses, ms (autocannon's resolution is 1 ms). */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  /** Connection errors and timeouts (timeouts are also counted here). */
  errors: number;
  timeouts: number;
  resets: number;
  /** Count per HTTP status, e.g. { "200": 41234 }. */
  statusCodes: Record<string, number>;
}

export const MAX_LOAD_SECONDS = 300;
