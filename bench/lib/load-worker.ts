import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import autocannon from 'autocannon';
import { type LoadRequest, type LoadSummary, MAX_LOAD_SECONDS } from './load-types.ts';

/**
 * Runs one autocannon load in its own process, so the load generator never shares an event
 * loop with a server under test. Input: a LoadRequest as JSON in argv[2]. Output: one
 * LoadSummary as JSON on stdout. Loopback targets only; the duration is bounded.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function fail(message: string): never {
  process.stderr.write(`load-worker: ${message}\n`);
  process.exit(2);
}

function parseRequest(raw: string | undefined): LoadRequest {
  if (!raw) fail('expected the load request as JSON in the first argument');
  let request: LoadRequest;
  try {
    request = JSON.parse(raw) as LoadRequest;
  } catch {
    fail('the first argument is not JSON');
  }
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    fail(`not a URL: ${request.url}`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) {
    fail(`refusing to load ${request.url}: only http on loopback (127.0.0.1) is allowed`);
  }
  if (!Number.isInteger(request.duration) || request.duration < 1 || request.duration > MAX_LOAD_SECONDS) {
    fail(`duration must be 1-${MAX_LOAD_SECONDS} seconds, got ${request.duration}`);
  }
  if (!Number.isInteger(request.connections) || request.connections < 1 || request.connections > 1000) {
    fail(`connections must be 1-1000, got ${request.connections}`);
  }
  if (request.bodiesFile !== undefined && request.pathsFile === undefined) {
    fail('bodiesFile needs a pathsFile to pair its bodies with');
  }
  return request;
}

function readLines(file: string, what: string): string[] {
  let lines: string[];
  try {
    lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  } catch (error) {
    fail(`cannot read the ${what} file ${file}: ${error instanceof Error ? error.message : error}`);
  }
  if (lines.length === 0) fail(`the ${what} file ${file} is empty`);
  return lines;
}

/** Replaced in a body by a token unique to the send: see LoadRequest.bodiesFile. */
const SEND_PLACEHOLDER = '{{send}}';
/** Replaced in a body by a fresh random UUID per send (for ids the server checks are UUIDs). */
const UUID_PLACEHOLDER = '{{uuid}}';

/**
 * The paths of `pathsFile` (and the bodies of `bodiesFile`, line for line) as one dynamic
 * request: every send takes the next line, whichever connection sends it (autocannon would
 * start each connection at the first of a static list).
 */
function cyclingRequests(pathsFile: string, bodiesFile: string | undefined): autocannon.Request[] {
  const paths = readLines(pathsFile, 'paths');
  const bad = paths.find((line) => !line.startsWith('/') || /\s/.test(line));
  if (bad !== undefined) fail(`not a request path (${pathsFile}): ${bad.slice(0, 100)}`);
  const bodies = bodiesFile === undefined ? null : readLines(bodiesFile, 'bodies');
  if (bodies && bodies.length !== paths.length) {
    fail(`${bodiesFile} has ${bodies.length} bodies for the ${paths.length} paths of ${pathsFile}`);
  }
  // Unique across loads too: each load is a new worker, started at its own millisecond.
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  let sends = 0;
  let next = 0;
  return [
    {
      setupRequest: (sent) => {
        sent.path = paths[next] as string;
        if (bodies) {
          sends += 1;
          let body = (bodies[next] as string).replaceAll(SEND_PLACEHOLDER, `${run}.${sends.toString(36)}`);
          if (body.includes(UUID_PLACEHOLDER)) body = body.replaceAll(UUID_PLACEHOLDER, () => randomUUID());
          sent.body = body;
        }
        next = next + 1 === paths.length ? 0 : next + 1;
        return sent;
      },
    },
  ];
}

const request = parseRequest(process.argv[2]);

const result = await autocannon({
  url: request.url,
  method: request.method,
  headers: request.headers,
  ...(request.body !== undefined ? { body: request.body } : {}),
  ...(request.pathsFile !== undefined
    ? { requests: cyclingRequests(request.pathsFile, request.bodiesFile) }
    : {}),
  connections: request.connections,
  duration: request.duration,
  timeout: 10,
});

const statusCodes: Record<string, number> = {};
for (const [status, { count }] of Object.entries(result.statusCodeStats)) statusCodes[status] = count;

const summary: LoadSummary = {
  url: request.url,
  connections: request.connections,
  seconds: result.duration,
  requests: result.requests.total,
  reqPerSec: result.duration > 0 ? result.requests.total / result.duration : 0,
  latencyMs: {
    mean: result.latency.mean,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  },
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  resets: result.resets,
  statusCodes,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
