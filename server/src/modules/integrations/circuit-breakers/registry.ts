import type { Logger } from 'pino';
import type { Clock } from '../../../platform/clock.ts';
import type { Metrics } from '../../../platform/observability/metrics.ts';
import {
  type BreakerCallContext,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerTransition,
  CircuitBreaker,
  STATE_VALUE,
} from './breaker.ts';

export interface CallOptions extends Partial<BreakerOptions> {
  /** The caller's signal (a request that went away, a job being stopped): cancels the call. */
  signal?: AbortSignal;
}

export interface CircuitBreakers {
  /**
   * The breaker called `name`, created with `options` (over the defaults) on first use. Later
   * options for the same name are ignored: a breaker's rules are fixed once it exists (`remove`
   * it to change them, e.g. when an admin edits a connector).
   */
  get(name: string, options?: Partial<BreakerOptions>): CircuitBreaker;
  /**
   * Runs `fn` through the named breaker (the guide's `with_circuit_breaker`):
   *
   *   await breakers.withCircuitBreaker('erp:http', ({ signal }) => fetch(url, { signal }), { timeoutMs: 5_000 });
   *
   * `fn` must pass `signal` on to fetch or the driver: on timeout the signal is aborted and the
   * call counts as a failure, and the returned promise rejects at once (CircuitTimeoutError)
   * whether or not `fn` stops. While open it rejects with CircuitOpenError without calling `fn`.
   */
  withCircuitBreaker<T>(
    name: string,
    fn: (context: BreakerCallContext) => Promise<T>,
    options?: CallOptions,
  ): Promise<T>;
  /** Every breaker, by name. */
  snapshot(): BreakerSnapshot[];
  /** The last transitions of all breakers, newest first (at most 100). */
  recentTransitions(): BreakerTransition[];
  /** Told of every transition, after the metric and the log line (e.g. to record an event). */
  onTransition(listener: (transition: BreakerTransition) => void | Promise<void>): void;
  /** Forgets a breaker (its gauge series goes too). */
  remove(name: string): void;
}

const RECENT = 100;
const LOG_MESSAGE = {
  open: 'circuit breaker opened',
  half_open: 'circuit breaker half-open',
  closed: 'circuit breaker closed',
};

export function createCircuitBreakers(deps: {
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Null when METRICS_ENABLED=false. */
  metrics: Metrics | null;
}): CircuitBreakers {
  const { clock, logger, metrics } = deps;
  const breakers = new Map<string, CircuitBreaker>();
  const listeners: ((transition: BreakerTransition) => void | Promise<void>)[] = [];
  const recent: BreakerTransition[] = [];
  // At scrape time: an open breaker past its recovery timeout reads (and becomes) half-open.
  metrics?.setCircuitBreakerSource(() => {
    for (const breaker of breakers.values())
      metrics.circuitBreakerState.set({ name: breaker.name }, STATE_VALUE[breaker.currentState()]);
  });

  function transitioned(transition: BreakerTransition): void {
    metrics?.circuitBreakerState.set({ name: transition.name }, STATE_VALUE[transition.to]);
    metrics?.circuitBreakerTransitions.inc({
      name: transition.name,
      from: transition.from,
      to: transition.to,
    });
    recent.unshift(transition);
    if (recent.length > RECENT) recent.length = RECENT;
    const fields = {
      breaker: transition.name,
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      consecutive_failures: transition.consecutive_failures,
      last_failure: transition.last_failure,
      next_attempt_at: transition.next_attempt_at,
    };
    if (transition.to === 'open') logger.warn(fields, LOG_MESSAGE.open);
    else logger.info(fields, LOG_MESSAGE[transition.to]);
    // A listener failing (the database down as well) must neither break the call nor go unnoticed.
    for (const listener of listeners) {
      try {
        const pending = listener(transition);
        if (pending) pending.catch((error: unknown) => listenerFailed(transition, error));
      } catch (error) {
        listenerFailed(transition, error);
      }
    }
  }

  function listenerFailed(transition: BreakerTransition, error: unknown): void {
    logger.error(
      { breaker: transition.name, to: transition.to, err: error },
      'circuit breaker transition could not be recorded',
    );
  }

  function get(name: string, options: Partial<BreakerOptions> = {}): CircuitBreaker {
    let breaker = breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, options, clock, transitioned, () =>
        metrics?.circuitBreakerRejections.inc({ name }),
      );
      breakers.set(name, breaker);
      metrics?.circuitBreakerState.set({ name }, STATE_VALUE.closed);
    }
    return breaker;
  }

  return {
    get,
    withCircuitBreaker(name, fn, options = {}) {
      const { signal, ...breakerOptions } = options;
      return get(name, breakerOptions).call(fn, signal);
    },
    snapshot() {
      return [...breakers.values()]
        .map((breaker) => breaker.snapshot())
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    recentTransitions: () => recent.map((transition) => ({ ...transition })),
    onTransition(listener) {
      listeners.push(listener);
    },
    remove(name) {
      if (!breakers.delete(name)) return;
      metrics?.circuitBreakerState.remove({ name });
    },
  };
}
