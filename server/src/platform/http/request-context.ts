import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who and what a request is, read by logs, metrics, audit and outgoing calls. Built once from
 * the incoming headers (before the logger binds to the request) and echoed on every response.
 */
export interface RequestContext {
  request_id: string;
  trace_id: string;
  /** This server's span in the W3C trace. */
  span_id: string;
  /** The caller's span, when a valid traceparent came in. */
  parent_span_id: string | null;
  correlation_id: string;
  trace_flags: string;
}

const TOKEN = /^[A-Za-z0-9._:@-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

const contexts = new WeakMap<IncomingMessage, RequestContext>();

// Ids are drawn from one pre-filled random buffer: one system call per ~100 requests instead of
// three per request. Still the CSPRNG; ids are unguessable, not secrets.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

function header(raw: IncomingMessage, name: string): string | undefined {
  const value = raw.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

function wellFormed(value: string | undefined): string | undefined {
  return value !== undefined && TOKEN.test(value) ? value : undefined;
}

function parseTraceparent(value: string | undefined) {
  if (!value) return undefined;
  const match = TRACEPARENT.exec(value.toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: traceId!, spanId: spanId!, flags: flags! };
}

export function newRequestId(): string {
  return `req_${randomHex(12)}`;
}

export function buildRequestContext(raw: IncomingMessage, tracingEnabled: boolean): RequestContext {
  const requestId = wellFormed(header(raw, 'x-request-id')) ?? newRequestId();
  const parent = tracingEnabled ? parseTraceparent(header(raw, 'traceparent')) : undefined;
  const incomingTrace = tracingEnabled ? wellFormed(header(raw, 'x-trace-id')) : undefined;
  const context: RequestContext = {
    request_id: requestId,
    // A valid traceparent wins: it is the standard and carries the parent span with it.
    trace_id: parent?.traceId ?? incomingTrace ?? randomHex(16),
    span_id: randomHex(8),
    parent_span_id: parent?.spanId ?? null,
    correlation_id: wellFormed(header(raw, 'x-correlation-id')) ?? requestId,
    trace_flags: parent?.flags ?? '01',
  };
  contexts.set(raw, context);
  return context;
}

export function contextOf(raw: IncomingMessage, tracingEnabled: boolean): RequestContext {
  return contexts.get(raw) ?? buildRequestContext(raw, tracingEnabled);
}

/** `traceparent` for this server's span (only when the trace id is W3C-shaped). */
export function traceparentOf(context: RequestContext): string | undefined {
  if (!/^[0-9a-f]{32}$/.test(context.trace_id)) return undefined;
  return `00-${context.trace_id}-${context.span_id}-${context.trace_flags}`;
}
