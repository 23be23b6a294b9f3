import type { Clock } from '../../../platform/clock.ts';
import { sanitizeErrorMessage } from './sanitize.ts';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** The gauge's value for each state: 0 closed, 1 open, 2 half-open. */
export const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };

export interface BreakerOptions {
  /** Consecutive counted failures that open a closed breaker. */
  failureThreshold: number;
  /** How long an open breaker fails fast before it lets trial calls through. */
  recoveryTimeoutMs: number;
  /** Trial calls let through at once while half-open; the rest fail fast. */
  halfOpenMaxCalls: number;
  /** Successful trial calls needed to close again. */
  successThreshold: number;
  /** Per call: the call's signal is aborted and the call counts as a failure. */
  timeoutMs: number;
  /**
   * Whether an error is the peer failing (true: counted) or a sign of life (false: the peer
   * answered, but said no — a 4xx, a validation error). Timeouts always count; calls the caller
   * cancelled never do. Defaults to `isPeerFailure`.
   */
  errorFilter: (error: unknown) => boolean;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  failureThreshold: 5,
  recoveryTimeoutMs: 30_000,
  halfOpenMaxCalls: 1,
  successThreshold: 1,
  timeoutMs: 10_000,
  errorFilter: isPeerFailure,
});

/** What the wrapped function receives: pass `signal` to fetch / the driver, or a timeout cannot stop the work. */
export interface BreakerCallContext {
  signal: AbortSignal;
}

/** Thrown without calling the peer: the breaker is open, or half-open with every trial slot taken. */
export class CircuitOpenError extends Error {
  readonly code = 'CIRCUIT_OPEN';
  constructor(
    readonly breaker: string,
    readonly state: 'open' | 'half_open',
    /** When an open breaker next lets a trial call through (ISO), null while half-open. */
    readonly nextAttemptAt: string | null,
  ) {
    super(
      state === 'open'
        ? `Circuit "${breaker}" is open until ${nextAttemptAt}: the call was not made`
        : `Circuit "${breaker}" is half-open and its trial calls are taken: the call was not made`,
    );
    this.name = 'CircuitOpenError';
  }
}

/** The call took longer than `timeoutMs`; its signal was aborted. */
export class CircuitTimeoutError extends Error {
  readonly code = 'CIRCUIT_TIMEOUT';
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`Call through circuit "${breaker}" timed out after ${timeoutMs} ms`);
    this.name = 'CircuitTimeoutError';
  }
}

/** Peer answers that mean "you asked wrongly", not "I am down" (408 and 429 are load, so they count). */
const LIVE_STATUS = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;
/** SQLSTATE classes of our own mistakes: data exception, integrity violation, syntax or access rule. */
const LIVE_SQLSTATE = /^(22|23|42)[0-9A-Z]{3}$/;

/**
 * The default error filter. Not counted: an error carrying a 4xx status (`status` or
 * `statusCode`, but 408 and 429 count), a validation error (`name` ValidationError or a
 * `code` of VALIDATION_ERROR), a SQL error of class 22/23/42 (`sqlState`, or pg's `code`).
 * Everything else counts: refused connections, DNS failures, resets, 5xx, driver errors.
 */
export function isPeerFailure(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return true;
  const e = error as {
    status?: unknown;
    statusCode?: unknown;
    name?: unknown;
    code?: unknown;
    sqlState?: unknown;
  };
  for (const status of [e.status, e.statusCode])
    if (typeof status === 'number' && LIVE_STATUS(status)) return false;
  if (e.name === 'ValidationError' || e.code === 'VALIDATION_ERROR') return false;
  for (const state of [e.sqlState, e.code])
    if (typeof state === 'string' && LIVE_SQLSTATE.test(state)) return false;
  return true;
}

export interface BreakerTransition {
  name: string;
  from: BreakerState;
  to: BreakerState;
  at: string;
  /** Why: `failure_threshold`, `recovery_timeout`, `half_open_failure`, `half_open_successes`, `reset`. */
  reason: string;
  consecutive_failures: number;
  /** The counted failure behind an opening (sanitised), else null. */
  last_failure: { at: string; message: string } | null;
  next_attempt_at: string | null;
}

export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  /** Consecutive counted failures since the last success (closed) or the last opening. */
  failure_count: number;
  /** Successful trial calls so far while half-open. */
  success_count: number;
  /** Trial calls in flight while half-open. */
  half_open_in_flight: number;
  totals: {
    calls: number;
    successes: number;
    failures: number;
    timeouts: number;
    /** Errors the filter did not count (the peer answered). */
    ignored_errors: number;
    /** Calls the caller cancelled: not counted either way. */
    cancelled: number;
    /** Calls refused without reaching the peer. */
    rejections: number;
  };
  last_failure: { at: string; message: string } | null;
  last_state_change_at: string | null;
  next_attempt_at: string | null;
  options: {
    failure_threshold: number;
    recovery_timeout_ms: number;
    half_open_max_calls: number;
    success_threshold: number;
    timeout_ms: number;
  };
}

type Outcome = 'success' | 'failure' | 'timeout' | 'ignored' | 'cancelled';

/**
 * A circuit breaker of our own (the house style allows it): opossum's half-open state lets one
 * call through and has no slot accounting, while here half-open admits `halfOpenMaxCalls`
 * concurrent trials and a trial that is cancelled or times out always gives its slot back.
 * Time is read from the injected clock; only the per-call timeout uses a real timer.
 */
export class CircuitBreaker {
  readonly options: Readonly<BreakerOptions>;
  private state: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private halfOpenSuccesses = 0;
  private halfOpenInFlight = 0;
  private openedAt = 0;
  /** Bumped on every transition: outcomes of calls admitted in an earlier state do not move this one. */
  private generation = 0;
  private lastFailure: { at: string; message: string } | null = null;
  private lastStateChangeAt: string | null = null;
  private readonly totals = {
    calls: 0,
    successes: 0,
    failures: 0,
    timeouts: 0,
    ignored_errors: 0,
    cancelled: 0,
    rejections: 0,
  };

  constructor(
    readonly name: string,
    options: Partial<BreakerOptions>,
    private readonly clock: Clock,
    private readonly onTransition: (transition: BreakerTransition) => void = () => undefined,
    /** Told of every call refused without reaching the peer. */
    private readonly onRejection: () => void = () => undefined,
  ) {
    this.options = Object.freeze(validOptions({ ...DEFAULT_BREAKER_OPTIONS, ...defined(options) }));
  }

  /** The state now: an open breaker whose recovery timeout has passed reads as half-open. */
  currentState(): BreakerState {
    this.maybeHalfOpen();
    return this.state;
  }

  /**
   * Runs `fn` through the breaker. `fn` gets a signal aborted on timeout or when `signal` (the
   * caller's) aborts; the returned promise settles then even if `fn` ignores it.
   */
  async call<T>(fn: (context: BreakerCallContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    this.maybeHalfOpen();
    if (this.state === 'open') return this.reject('open');
    const trial = this.state === 'half_open';
    if (trial && this.halfOpenInFlight >= this.options.halfOpenMaxCalls) return this.reject('half_open');
    if (trial) this.halfOpenInFlight += 1;
    const generation = this.generation;
    this.totals.calls += 1;

    const controller = new AbortController();
    const timeout = new CircuitTimeoutError(this.name, this.options.timeoutMs);
    let stop: (reason: unknown) => void = () => undefined;
    const stopped = new Promise<never>((_, rejectStopped) => {
      stop = rejectStopped;
    });
    const abort = (reason: unknown) => {
      if (controller.signal.aborted) return;
      controller.abort(reason);
      stop(reason);
    };
    const timer = setTimeout(() => abort(timeout), this.options.timeoutMs);
    const onCallerAbort = () => abort(signal!.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      // Started at once; a synchronous throw becomes a rejection like any other.
      const running = (async () => fn({ signal: controller.signal }))();
      const value = await Promise.race([running, stopped]);
      this.settle(generation, trial, 'success');
      return value;
    } catch (error) {
      const outcome: Outcome = controller.signal.aborted
        ? controller.signal.reason === timeout
          ? 'timeout'
          : 'cancelled'
        : this.options.errorFilter(error)
          ? 'failure'
          : 'ignored';
      this.settle(generation, trial, outcome, outcome === 'timeout' ? timeout : error);
      throw outcome === 'timeout' ? timeout : error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
      // A trial's slot comes back however it ended (also when its generation has passed: the
      // counter was reset at the transition, so only a trial of this half-open period gives one back).
      if (trial && generation === this.generation) this.halfOpenInFlight -= 1;
    }
  }

  /** Back to closed, counts cleared (an admin action, or tests). */
  reset(): void {
    if (this.state !== 'closed') this.transition('closed', 'reset');
    this.consecutiveFailures = 0;
  }

  snapshot(): BreakerSnapshot {
    const state = this.currentState();
    return {
      name: this.name,
      state,
      failure_count: this.consecutiveFailures,
      success_count: this.halfOpenSuccesses,
      half_open_in_flight: this.halfOpenInFlight,
      totals: { ...this.totals },
      last_failure: this.lastFailure ? { ...this.lastFailure } : null,
      last_state_change_at: this.lastStateChangeAt,
      next_attempt_at: state === 'open' ? this.nextAttemptAt() : null,
      options: {
        failure_threshold: this.options.failureThreshold,
        recovery_timeout_ms: this.options.recoveryTimeoutMs,
        half_open_max_calls: this.options.halfOpenMaxCalls,
        success_threshold: this.options.successThreshold,
        timeout_ms: this.options.timeoutMs,
      },
    };
  }

  private nextAttemptAt(): string {
    return new Date(this.openedAt + this.options.recoveryTimeoutMs).toISOString();
  }

  private reject(state: 'open' | 'half_open'): never {
    this.totals.rejections += 1;
    this.onRejection();
    throw new CircuitOpenError(this.name, state, state === 'open' ? this.nextAttemptAt() : null);
  }

  private maybeHalfOpen(): void {
    if (this.state === 'open' && this.clock.now().getTime() >= this.openedAt + this.options.recoveryTimeoutMs)
      this.transition('half_open', 'recovery_timeout');
  }

  private settle(generation: number, trial: boolean, outcome: Outcome, error?: unknown): void {
    if (outcome === 'success') this.totals.successes += 1;
    else if (outcome === 'failure') this.totals.failures += 1;
    else if (outcome === 'timeout') this.totals.timeouts += 1;
    else if (outcome === 'ignored') this.totals.ignored_errors += 1;
    else this.totals.cancelled += 1;
    const counted = outcome === 'failure' || outcome === 'timeout';
    if (counted) this.lastFailure = { at: this.clock.now().toISOString(), message: messageOf(error) };
    // A call admitted before the last transition says nothing about the state now.
    if (generation !== this.generation || outcome === 'cancelled') return;

    if (this.state === 'closed') {
      if (!counted) {
        this.consecutiveFailures = 0;
        return;
      }
      this.consecutiveFailures += 1;
      if (this.consecutiveFailures >= this.options.failureThreshold) this.open('failure_threshold');
    } else if (this.state === 'half_open' && trial) {
      if (counted) {
        this.consecutiveFailures += 1;
        this.open('half_open_failure');
        return;
      }
      // The peer answered (a success, or an error the filter does not count): it is back.
      this.halfOpenSuccesses += 1;
      if (this.halfOpenSuccesses >= this.options.successThreshold)
        this.transition('closed', 'half_open_successes');
    }
  }

  private open(reason: string): void {
    this.openedAt = this.clock.now().getTime();
    this.transition('open', reason);
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.state;
    this.state = to;
    this.generation += 1;
    this.halfOpenInFlight = 0;
    this.halfOpenSuccesses = 0;
    if (to === 'closed') this.consecutiveFailures = 0;
    const at = this.clock.now().toISOString();
    this.lastStateChangeAt = at;
    this.onTransition({
      name: this.name,
      from,
      to,
      at,
      reason,
      consecutive_failures: this.consecutiveFailures,
      last_failure: to === 'open' && this.lastFailure ? { ...this.lastFailure } : null,
      next_attempt_at: to === 'open' ? this.nextAttemptAt() : null,
    });
  }
}

function messageOf(error: unknown): string {
  const raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return sanitizeErrorMessage(raw);
}

function defined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function validOptions(options: BreakerOptions): BreakerOptions {
  for (const key of ['failureThreshold', 'halfOpenMaxCalls', 'successThreshold'] as const)
    if (!Number.isInteger(options[key]) || options[key] < 1)
      throw new RangeError(`circuit breaker ${key} must be a whole number ≥ 1 (got ${options[key]})`);
  for (const key of ['recoveryTimeoutMs', 'timeoutMs'] as const)
    if (!Number.isFinite(options[key]) || options[key] <= 0)
      throw new RangeError(
        `circuit breaker ${key} must be a positive number of milliseconds (got ${options[key]})`,
      );
  if (typeof options.errorFilter !== 'function')
    throw new TypeError('circuit breaker errorFilter must be a function');
  return options;
}
