import { describe, expect, it } from 'vitest';
import type { BreakerTransition } from './breaker.ts';
import { transitionEvent } from './transition-events.ts';

const base: BreakerTransition = {
  name: 'erp:http',
  from: 'closed',
  to: 'open',
  at: '2026-03-01T08:00:00.000Z',
  reason: 'failure_threshold',
  consecutive_failures: 5,
  last_failure: { at: '2026-03-01T08:00:00.000Z', message: 'Error: connect ECONNREFUSED' },
  next_attempt_at: '2026-03-01T08:00:30.000Z',
};

describe('transition events', () => {
  it('an opening is a high-severity CIRCUIT_OPENED about the breaker', () => {
    expect(transitionEvent(base)).toEqual({
      type: 'CIRCUIT_OPENED',
      action: 'circuit_breaker.open',
      severity: 'high',
      outcome: 'failure',
      resource: { type: 'circuit_breaker', id: 'erp:http' },
      details: {
        from: 'closed',
        to: 'open',
        reason: 'failure_threshold',
        consecutive_failures: 5,
        last_failure: base.last_failure,
        next_attempt_at: base.next_attempt_at,
      },
    });
  });

  it('half-open is informational, closing is a low-severity recovery', () => {
    const half = transitionEvent({ ...base, from: 'open', to: 'half_open', reason: 'recovery_timeout' });
    expect(half).toMatchObject({
      type: 'CIRCUIT_HALF_OPENED',
      action: 'circuit_breaker.half_open',
      severity: 'info',
    });
    const closed = transitionEvent({
      ...base,
      from: 'half_open',
      to: 'closed',
      reason: 'half_open_successes',
    });
    expect(closed).toMatchObject({
      type: 'CIRCUIT_CLOSED',
      action: 'circuit_breaker.close',
      severity: 'low',
      outcome: 'success',
    });
  });
});
