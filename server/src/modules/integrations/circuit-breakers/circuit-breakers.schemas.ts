import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';

const State = stringEnum(['closed', 'open', 'half_open'] as const);

const LastFailure = nullable(
  Type.Object({
    at: Type.String({ format: 'date-time' }),
    message: Type.String({ description: 'The error, with credentials and query-string values masked' }),
  }),
);

export const BreakerSchema = Type.Object(
  {
    name: Type.String(),
    state: State,
    failure_count: Type.Integer({ description: 'Consecutive counted failures' }),
    success_count: Type.Integer({ description: 'Successful trial calls so far while half-open' }),
    half_open_in_flight: Type.Integer({ description: 'Trial calls in flight while half-open' }),
    totals: Type.Object({
      calls: Type.Integer(),
      successes: Type.Integer(),
      failures: Type.Integer(),
      timeouts: Type.Integer(),
      ignored_errors: Type.Integer({
        description: 'Errors the error filter did not count (the peer answered)',
      }),
      cancelled: Type.Integer({ description: 'Calls the caller cancelled' }),
      rejections: Type.Integer({ description: 'Calls refused without reaching the peer' }),
    }),
    last_failure: LastFailure,
    last_state_change_at: nullable(Type.String({ format: 'date-time' })),
    next_attempt_at: nullable(
      Type.String({ format: 'date-time', description: 'While open: when trial calls are let through again' }),
    ),
    options: Type.Object({
      failure_threshold: Type.Integer(),
      recovery_timeout_ms: Type.Number(),
      half_open_max_calls: Type.Integer(),
      success_threshold: Type.Integer(),
      timeout_ms: Type.Number(),
    }),
  },
  { title: 'CircuitBreaker' },
);

export const TransitionSchema = Type.Object(
  {
    name: Type.String(),
    from: State,
    to: State,
    at: Type.String({ format: 'date-time' }),
    reason: Type.String({
      description: 'failure_threshold | recovery_timeout | half_open_failure | half_open_successes | reset',
    }),
    consecutive_failures: Type.Integer(),
    last_failure: LastFailure,
    next_attempt_at: nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'CircuitBreakerTransition' },
);

export const CircuitBreakersResponse = Type.Object({
  circuit_breakers: Type.Array(BreakerSchema),
  summary: Type.Object({
    total: Type.Integer(),
    closed: Type.Integer(),
    open: Type.Integer(),
    half_open: Type.Integer(),
  }),
  recent_transitions: Type.Array(TransitionSchema, {
    description: 'Newest first, at most 100, since the start',
  }),
});
