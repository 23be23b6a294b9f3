import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../../../platform/http/request-context.ts';
import type { OutboxRow } from './delivery.store.ts';

/**
 * How a message reaches the ERP: a signed webhook (webhook-channel.ts) or a row in a staging table
 * (sql-channel.ts). `deliver` resolves only when the ERP has the message — it acknowledged it, or
 * said it had it already (same idempotency key) — and rejects otherwise, with a DeliveryError
 * saying whether trying again can help. Every call honours its signal: on timeout the request or
 * statement is cancelled, not just abandoned.
 */
export interface DeliveryChannel {
  deliver(message: OutboxRow, signal: AbortSignal): Promise<DeliveryAck>;
  /** A harmless round trip (a signed `ping`; a rolled-back probe insert): what works, or a DeliveryError. */
  test(signal: AbortSignal): Promise<string>;
  /** Releases connections. */
  close(): Promise<void>;
}

export interface DeliveryAck {
  /** The ERP had the key already: an earlier attempt got through, only its answer was lost. */
  duplicate: boolean;
}

/**
 * A failed delivery. `permanent`: the ERP refused this message and will refuse it again (a 4xx,
 * bad data): no more retries until an admin retries it. Otherwise it is retried with backoff.
 * `status` (HTTP) and `sqlState` are kept for the circuit breaker's error filter: a peer that
 * answers "no" is alive, and does not open the breaker.
 */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly status: number | undefined;
  readonly sqlState: string | undefined;
  /** The ERP asked us to wait this long (Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: {
      permanent: boolean;
      status?: number;
      sqlState?: string;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = 'DeliveryError';
    this.permanent = options.permanent;
    this.status = options.status;
    this.sqlState = options.sqlState;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * What the ERP receives: the outbox payload as posting wrote it, with the message's identity in
 * front. `idempotency_key` is the same on every attempt; `message_id` is the outbox row.
 */
export function messageBody(
  message: Pick<OutboxRow, 'id' | 'topic' | 'idempotency_key' | 'payload'>,
): Record<string, unknown> {
  const payload = JSON.parse(message.payload) as Record<string, unknown>;
  return {
    message_id: message.id,
    topic: message.topic,
    idempotency_key: message.idempotency_key,
    ...payload,
  };
}

export type TraceContext = Pick<RequestContext, 'request_id' | 'trace_id' | 'correlation_id' | 'trace_flags'>;

/**
 * The trace context of a delivery pass, which has no request: the run id is the request and
 * correlation id, and the pass starts a trace of its own, so every call it makes joins one trace
 * in the ERP's logs.
 */
export function runTraceContext(runId: string): TraceContext {
  return {
    request_id: runId,
    trace_id: randomBytes(16).toString('hex'),
    correlation_id: runId,
    trace_flags: '01',
  };
}
