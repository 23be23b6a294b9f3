import { randomBytes } from 'node:crypto';
import type { RequestContext } from './request-context.ts';

const W3C_TRACE_ID = /^[0-9a-f]{32}$/;
const ZERO_SPAN = '0'.repeat(16);

/** A fresh W3C span id: 8 random bytes, never all zero. */
export function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (id !== ZERO_SPAN) return id;
  }
}

/**
 * The headers an outgoing HTTP call (ERP, webhook) carries so the peer's logs join ours: the
 * request, trace and correlation ids, and a W3C `traceparent` with the same trace id and a new
 * span id for the outgoing call (the call is a child span of this request's span, not the span
 * itself). `traceparent` is left out when the trace id is not W3C-shaped (an X-Trace-ID from a
 * caller that does not speak W3C), as the standard asks.
 *
 * Without a request (a scheduled sync), pass the job's own context; `spanId` is for tests.
 */
export function outgoingHeaders(
  context: Pick<RequestContext, 'request_id' | 'trace_id' | 'correlation_id' | 'trace_flags'>,
  spanId: string = newSpanId(),
): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Request-ID': context.request_id,
    'X-Trace-ID': context.trace_id,
    'X-Correlation-ID': context.correlation_id,
  };
  if (W3C_TRACE_ID.test(context.trace_id) && context.trace_id !== '0'.repeat(32)) {
    const flags = /^[0-9a-f]{2}$/.test(context.trace_flags) ? context.trace_flags : '01';
    headers.traceparent = `00-${context.trace_id}-${spanId}-${flags}`;
  }
  return headers;
}
