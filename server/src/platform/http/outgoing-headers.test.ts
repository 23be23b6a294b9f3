import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { newSpanId, outgoingHeaders } from './outgoing-headers.ts';
import { buildRequestContext } from './request-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

function incoming(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('outgoing headers', () => {
  it('carries the request, trace and correlation ids and a child traceparent of the same trace', () => {
    const context = buildRequestContext(
      incoming({
        'x-request-id': 'req-from-client',
        'x-correlation-id': 'order-42',
        traceparent: `00-${TRACE}-${PARENT}-01`,
      }),
      true,
    );
    const headers = outgoingHeaders(context);
    expect(headers['X-Request-ID']).toBe('req-from-client');
    expect(headers['X-Trace-ID']).toBe(TRACE);
    expect(headers['X-Correlation-ID']).toBe('order-42');
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(headers.traceparent ?? '');
    expect(match).not.toBeNull();
    const [, traceId, spanId, flags] = match!;
    expect(traceId).toBe(TRACE);
    expect(flags).toBe('01');
    // A new span for the outgoing call: neither the caller's span nor this server's.
    expect(spanId).not.toBe(PARENT);
    expect(spanId).not.toBe(context.span_id);
    expect(spanId).not.toBe('0'.repeat(16));
  });

  it('gives every outgoing call its own span id', () => {
    const context = buildRequestContext(incoming({}), true);
    const spans = new Set(
      Array.from({ length: 50 }, () => outgoingHeaders(context).traceparent?.split('-')[2]),
    );
    expect(spans.size).toBe(50);
    expect(outgoingHeaders(context, 'abcdef0123456789').traceparent).toBe(
      `00-${context.trace_id}-abcdef0123456789-${context.trace_flags}`,
    );
  });

  it('keeps the sampled flag of the incoming trace', () => {
    const context = buildRequestContext(incoming({ traceparent: `00-${TRACE}-${PARENT}-00` }), true);
    expect(outgoingHeaders(context).traceparent).toMatch(/-00$/);
  });

  it('a request without ids still sends generated ones; correlation falls back to the request id', () => {
    const context = buildRequestContext(incoming({}), true);
    const headers = outgoingHeaders(context);
    expect(headers['X-Request-ID']).toMatch(/^req_[0-9a-f]{24}$/);
    expect(headers['X-Correlation-ID']).toBe(headers['X-Request-ID']);
    expect(headers['X-Trace-ID']).toMatch(/^[0-9a-f]{32}$/);
    expect(headers.traceparent?.split('-')[1]).toBe(headers['X-Trace-ID']);
  });

  it('leaves traceparent out when the trace id is not W3C-shaped', () => {
    const context = buildRequestContext(incoming({ 'x-trace-id': 'legacy-trace-7' }), true);
    const headers = outgoingHeaders(context);
    expect(headers['X-Trace-ID']).toBe('legacy-trace-7');
    expect(headers.traceparent).toBeUndefined();
  });

  it('span ids are 16 hex digits', () => {
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
