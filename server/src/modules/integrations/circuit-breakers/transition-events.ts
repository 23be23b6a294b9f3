import type { BreakerTransition } from './breaker.ts';

/** The event types a transition becomes: an opening is what alerting watches for. */
export type CircuitEventType = 'CIRCUIT_OPENED' | 'CIRCUIT_HALF_OPENED' | 'CIRCUIT_CLOSED';

/** A transition in the shape of an audit-trail event (system category, no user, no request). */
export interface CircuitEvent {
  type: CircuitEventType;
  action: string;
  severity: 'high' | 'low' | 'info';
  outcome: 'failure' | 'success';
  resource: { type: 'circuit_breaker'; id: string };
  details: {
    from: string;
    to: string;
    reason: string;
    consecutive_failures: number;
    last_failure: { at: string; message: string } | null;
    next_attempt_at: string | null;
  };
}

const TYPE: Record<BreakerTransition['to'], CircuitEventType> = {
  open: 'CIRCUIT_OPENED',
  half_open: 'CIRCUIT_HALF_OPENED',
  closed: 'CIRCUIT_CLOSED',
};

/**
 * The event to record for a transition. An opening is `high` (the guide's monitoring section:
 * alert on circuit breaker state changes), a recovery `low`, the half-open probe `info`. The last
 * failure's message is already sanitised by the breaker.
 */
export function transitionEvent(transition: BreakerTransition): CircuitEvent {
  return {
    type: TYPE[transition.to],
    action: `circuit_breaker.${transition.to === 'half_open' ? 'half_open' : transition.to === 'open' ? 'open' : 'close'}`,
    severity: transition.to === 'open' ? 'high' : transition.to === 'closed' ? 'low' : 'info',
    outcome: transition.to === 'open' ? 'failure' : 'success',
    resource: { type: 'circuit_breaker', id: transition.name },
    details: {
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      consecutive_failures: transition.consecutive_failures,
      last_failure: transition.last_failure,
      next_attempt_at: transition.next_attempt_at,
    },
  };
}
