import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../platform/clock.ts';
import {
  type BreakerCallContext,
  type BreakerOptions,
  type BreakerTransition,
  CircuitBreaker,
  CircuitOpenError,
  CircuitTimeoutError,
  isPeerFailure,
} from './breaker.ts';

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`peer answered ${status}`);
  }
}

/** A peer that can be made up, down, answer with a status, or hang; it counts the calls it saw. */
function fakePeer() {
  const peer = {
    calls: 0,
    mode: 'up' as 'up' | 'down' | 'hang' | 'hang-ignoring-signal' | number,
    signals: [] as AbortSignal[],
    async call({ signal }: BreakerCallContext): Promise<string> {
      peer.calls += 1;
      peer.signals.push(signal);
      const mode = peer.mode;
      if (mode === 'up') return 'ok';
      if (mode === 'down')
        throw new Error('connect ECONNREFUSED https://erp:hunter2@erp.example/api?key=s3cret');
      if (typeof mode === 'number') throw new HttpError(mode);
      if (mode === 'hang-ignoring-signal') return new Promise<string>(() => undefined);
      return new Promise<string>((_, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted by signal')), { once: true });
      });
    },
  };
  return peer;
}

function setup(options: Partial<BreakerOptions> = {}) {
  const clock = new ManualClock('2026-03-01T08:00:00.000Z');
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker(
    'erp',
    { failureThreshold: 3, recoveryTimeoutMs: 30_000, ...options },
    clock,
    (transition) => transitions.push(transition),
  );
  const peer = fakePeer();
  const call = () => breaker.call((context) => peer.call(context));
  return { clock, breaker, peer, call, transitions };
}

async function failTimes(call: () => Promise<unknown>, times: number) {
  for (let i = 0; i < times; i += 1) await expect(call()).rejects.toThrow();
}

describe('circuit breaker state machine', () => {
  it('opens after the threshold of consecutive failures and then fails fast without calling the peer', async () => {
    const { breaker, peer, call, transitions, clock } = setup();
    peer.mode = 'down';
    await failTimes(call, 2);
    expect(breaker.currentState()).toBe('closed');
    await expect(call()).rejects.toThrow(/ECONNREFUSED/);
    expect(breaker.currentState()).toBe('open');
    expect(peer.calls).toBe(3);

    peer.mode = 'up';
    const refused = await call().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).nextAttemptAt).toBe('2026-03-01T08:00:30.000Z');
    expect(peer.calls).toBe(3);

    expect(transitions).toEqual([
      expect.objectContaining({
        name: 'erp',
        from: 'closed',
        to: 'open',
        reason: 'failure_threshold',
        consecutive_failures: 3,
        at: clock.now().toISOString(),
        next_attempt_at: '2026-03-01T08:00:30.000Z',
      }),
    ]);
    const snapshot = breaker.snapshot();
    expect(snapshot).toMatchObject({
      state: 'open',
      failure_count: 3,
      next_attempt_at: '2026-03-01T08:00:30.000Z',
      totals: { calls: 3, failures: 3, successes: 0, rejections: 1 },
    });
  });

  it('needs the failures to be consecutive: a success in between starts the count again', async () => {
    const { breaker, peer, call } = setup();
    peer.mode = 'down';
    await failTimes(call, 2);
    peer.mode = 'up';
    await call();
    peer.mode = 'down';
    await failTimes(call, 2);
    expect(breaker.currentState()).toBe('closed');
    expect(breaker.snapshot().failure_count).toBe(2);
  });

  it('half-opens after the recovery timeout (by the clock) and closes after a successful trial', async () => {
    const { breaker, peer, call, clock, transitions } = setup();
    peer.mode = 'down';
    await failTimes(call, 3);
    clock.advance(29_999);
    await expect(call()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(peer.calls).toBe(3);
    clock.advance(1);
    expect(breaker.currentState()).toBe('half_open');
    expect(breaker.snapshot().next_attempt_at).toBeNull();
    peer.mode = 'up';
    await expect(call()).resolves.toBe('ok');
    expect(peer.calls).toBe(4);
    expect(breaker.currentState()).toBe('closed');
    expect(transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'closed>open:failure_threshold',
      'open>half_open:recovery_timeout',
      'half_open>closed:half_open_successes',
    ]);
    expect(breaker.snapshot().failure_count).toBe(0);
  });

  it('needs successThreshold successful trials to close', async () => {
    const { breaker, peer, call, clock } = setup({ successThreshold: 3 });
    peer.mode = 'down';
    await failTimes(call, 3);
    clock.advance(30_000);
    peer.mode = 'up';
    await call();
    await call();
    expect(breaker.currentState()).toBe('half_open');
    expect(breaker.snapshot().success_count).toBe(2);
    await call();
    expect(breaker.currentState()).toBe('closed');
  });

  it('re-opens on a failed trial, for another full recovery timeout', async () => {
    const { breaker, peer, call, clock, transitions } = setup({ successThreshold: 2 });
    peer.mode = 'down';
    await failTimes(call, 3);
    clock.advance(30_000);
    peer.mode = 'up';
    await call();
    peer.mode = 'down';
    await expect(call()).rejects.toThrow(/ECONNREFUSED/);
    expect(breaker.currentState()).toBe('open');
    expect(transitions.at(-1)).toMatchObject({ from: 'half_open', to: 'open', reason: 'half_open_failure' });
    expect(breaker.snapshot().next_attempt_at).toBe(new Date(clock.now().getTime() + 30_000).toISOString());
    const seen = peer.calls;
    clock.advance(29_000);
    await expect(call()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(peer.calls).toBe(seen);
  });

  it('lets at most halfOpenMaxCalls trials through at once; the others fail fast', async () => {
    const { breaker, peer, clock } = setup({ halfOpenMaxCalls: 2, successThreshold: 2 });
    peer.mode = 'down';
    await failTimes(() => breaker.call((c) => peer.call(c)), 3);
    clock.advance(30_000);

    const gates: ((value: string) => void)[] = [];
    const slow = () =>
      breaker.call(async () => {
        peer.calls += 1;
        return new Promise<string>((resolve) => gates.push(resolve));
      });
    const first = slow();
    const second = slow();
    await Promise.resolve();
    const third = await breaker.call((c) => peer.call(c)).catch((error: unknown) => error);
    expect(third).toBeInstanceOf(CircuitOpenError);
    expect((third as CircuitOpenError).state).toBe('half_open');
    await settled(() => gates.length === 2);
    expect(peer.calls).toBe(5);
    expect(breaker.snapshot().half_open_in_flight).toBe(2);
    for (const gate of gates) gate('ok');
    await Promise.all([first, second]);
    expect(breaker.currentState()).toBe('closed');
  });

  it('ignores, for the state, calls admitted before the last transition', async () => {
    const { breaker, peer, clock } = setup({ failureThreshold: 2 });
    let failLate: (error: Error) => void = () => undefined;
    const late = breaker.call(
      () =>
        new Promise<string>((_, reject) => {
          failLate = reject;
        }),
    );
    peer.mode = 'down';
    await failTimes(() => breaker.call((c) => peer.call(c)), 2);
    clock.advance(30_000);
    expect(breaker.currentState()).toBe('half_open');
    // The closed-era call fails now: the half-open period is the trials' to decide.
    failLate(new Error('late'));
    await expect(late).rejects.toThrow('late');
    expect(breaker.currentState()).toBe('half_open');
    peer.mode = 'up';
    await breaker.call((c) => peer.call(c));
    expect(breaker.currentState()).toBe('closed');
  });
});

describe('error filter', () => {
  it('by default does not count 4xx answers or validation errors: the peer is up', async () => {
    const { breaker, peer, call } = setup({ failureThreshold: 2 });
    for (const status of [400, 404, 409, 422]) {
      peer.mode = status;
      await expect(call()).rejects.toBeInstanceOf(HttpError);
    }
    const validation = Object.assign(new Error('quantity must be a number'), { name: 'ValidationError' });
    await expect(breaker.call(async () => Promise.reject(validation))).rejects.toBe(validation);
    expect(breaker.currentState()).toBe('closed');
    expect(breaker.snapshot()).toMatchObject({
      failure_count: 0,
      totals: { ignored_errors: 5, failures: 0 },
    });
    expect(breaker.snapshot().last_failure).toBeNull();
  });

  it('counts 5xx, 408, 429 and network errors', async () => {
    for (const status of [500, 503, 408, 429]) {
      const { breaker, peer, call } = setup({ failureThreshold: 2 });
      peer.mode = status;
      await failTimes(call, 2);
      expect(breaker.currentState(), String(status)).toBe('open');
    }
  });

  it('classifies SQL errors by SQLSTATE class: our mistakes are not the peer being down', () => {
    expect(isPeerFailure(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    expect(isPeerFailure(Object.assign(new Error('dup'), { sqlState: '23000', code: 'ER_DUP_ENTRY' }))).toBe(
      false,
    );
    expect(isPeerFailure(Object.assign(new Error('conn'), { code: '08006' }))).toBe(true);
    expect(isPeerFailure(Object.assign(new Error('shutdown'), { code: '57P01' }))).toBe(true);
    expect(isPeerFailure(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isPeerFailure('a string')).toBe(true);
  });

  it('a filtered error during half-open is a sign of life and counts towards closing', async () => {
    const { breaker, peer, call, clock } = setup();
    peer.mode = 'down';
    await failTimes(call, 3);
    clock.advance(30_000);
    peer.mode = 404;
    await expect(call()).rejects.toBeInstanceOf(HttpError);
    expect(breaker.currentState()).toBe('closed');
  });

  it('takes a custom filter', async () => {
    const { breaker, peer, call } = setup({
      failureThreshold: 1,
      errorFilter: (error) => !(error instanceof HttpError),
    });
    peer.mode = 503;
    await expect(call()).rejects.toBeInstanceOf(HttpError);
    expect(breaker.currentState()).toBe('closed');
    peer.mode = 'down';
    await expect(call()).rejects.toThrow();
    expect(breaker.currentState()).toBe('open');
  });
});

describe('timeouts and cancellation', () => {
  it('aborts the signal on timeout, and the timeout counts as a failure', async () => {
    const { breaker, peer, call } = setup({ failureThreshold: 2, timeoutMs: 25 });
    peer.mode = 'hang';
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitTimeoutError);
    expect(peer.signals[0]!.aborted).toBe(true);
    expect(peer.signals[0]!.reason).toBe(error);
    expect(breaker.snapshot()).toMatchObject({ failure_count: 1, totals: { timeouts: 1 } });
    expect(breaker.snapshot().last_failure?.message).toMatch(/timed out after 25 ms/);
    await expect(call()).rejects.toBeInstanceOf(CircuitTimeoutError);
    expect(breaker.currentState()).toBe('open');
  });

  it('settles on timeout even when the function ignores its signal', async () => {
    const { call, peer } = setup({ timeoutMs: 20 });
    peer.mode = 'hang-ignoring-signal';
    const started = Date.now();
    await expect(call()).rejects.toBeInstanceOf(CircuitTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a half-open trial that never settles is timed out and its slot comes back', async () => {
    const { breaker, peer, call, clock } = setup({ timeoutMs: 20 });
    peer.mode = 'down';
    await failTimes(call, 3);
    clock.advance(30_000);
    peer.mode = 'hang-ignoring-signal';
    const trial = call();
    await Promise.resolve();
    expect(breaker.snapshot().half_open_in_flight).toBe(1);
    await expect(call()).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(trial).rejects.toBeInstanceOf(CircuitTimeoutError);
    // The timed-out trial was a failure: open again, and no slot is held.
    expect(breaker.currentState()).toBe('open');
    expect(breaker.snapshot().half_open_in_flight).toBe(0);
    clock.advance(30_000);
    peer.mode = 'up';
    await expect(call()).resolves.toBe('ok');
    expect(breaker.currentState()).toBe('closed');
  });

  it('a half-open trial the caller cancels frees its slot and counts neither way', async () => {
    const { breaker, peer, clock } = setup({ timeoutMs: 60_000 });
    peer.mode = 'down';
    await failTimes(() => breaker.call((c) => peer.call(c)), 3);
    clock.advance(30_000);
    peer.mode = 'hang';
    const caller = new AbortController();
    const trial = breaker.call((c) => peer.call(c), caller.signal);
    await settled(() => peer.signals.length === 4);
    await expect(breaker.call((c) => peer.call(c))).rejects.toBeInstanceOf(CircuitOpenError);
    caller.abort(new Error('request closed'));
    await expect(trial).rejects.toThrow('request closed');
    expect(peer.signals[3]!.aborted).toBe(true);
    expect(breaker.currentState()).toBe('half_open');
    expect(breaker.snapshot()).toMatchObject({ half_open_in_flight: 0, totals: { cancelled: 1 } });
    peer.mode = 'up';
    await expect(breaker.call((c) => peer.call(c))).resolves.toBe('ok');
    expect(breaker.currentState()).toBe('closed');
  });

  it('a call cancelled while closed is not a failure; an already-aborted signal makes no call', async () => {
    const { breaker, peer } = setup({ failureThreshold: 1 });
    peer.mode = 'hang';
    const caller = new AbortController();
    const pending = breaker.call((c) => peer.call(c), caller.signal);
    caller.abort();
    await expect(pending).rejects.toThrow();
    expect(breaker.currentState()).toBe('closed');
    await expect(breaker.call((c) => peer.call(c), caller.signal)).rejects.toThrow();
    await settled(() => peer.calls >= 1);
    expect(peer.calls).toBe(1);
  });
});

describe('breaker options and last failure', () => {
  it('uses the defaults: 5 failures, 30 s recovery, 1 trial, 1 success, 10 s timeout', () => {
    const breaker = new CircuitBreaker('x', {}, new ManualClock());
    expect(breaker.snapshot().options).toEqual({
      failure_threshold: 5,
      recovery_timeout_ms: 30_000,
      half_open_max_calls: 1,
      success_threshold: 1,
      timeout_ms: 10_000,
    });
  });

  it('refuses nonsense options', () => {
    const clock = new ManualClock();
    expect(() => new CircuitBreaker('x', { failureThreshold: 0 }, clock)).toThrow(RangeError);
    expect(() => new CircuitBreaker('x', { halfOpenMaxCalls: 1.5 }, clock)).toThrow(RangeError);
    expect(() => new CircuitBreaker('x', { timeoutMs: -1 }, clock)).toThrow(RangeError);
  });

  it('keeps the last failure without credentials or query-string secrets', async () => {
    const { breaker, peer, call, clock } = setup();
    peer.mode = 'down';
    await expect(call()).rejects.toThrow();
    const last = breaker.snapshot().last_failure!;
    expect(last.at).toBe(clock.now().toISOString());
    expect(last.message).toContain('ECONNREFUSED');
    expect(last.message).toContain('erp.example/api');
    expect(last.message).not.toContain('hunter2');
    expect(last.message).not.toContain('s3cret');
  });
});

/** Lets pending microtasks run (no timers). */
async function settled(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i += 1) await Promise.resolve();
  expect(condition()).toBe(true);
}
