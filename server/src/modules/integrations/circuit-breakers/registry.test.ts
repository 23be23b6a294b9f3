import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../platform/clock.ts';
import { createMetrics } from '../../../platform/observability/metrics.ts';
import { type BreakerTransition, CircuitOpenError } from './breaker.ts';
import { createCircuitBreakers } from './registry.ts';

function fakeLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } as never };
}

function setup(withMetrics = true) {
  const clock = new ManualClock('2026-03-01T08:00:00.000Z');
  const metrics = withMetrics ? createMetrics() : null;
  const { lines, logger } = fakeLogger();
  const breakers = createCircuitBreakers({ clock, logger, metrics });
  return { clock, metrics, lines, breakers };
}

const down = async () => {
  throw new Error('connect ECONNREFUSED');
};

async function gauge(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const match = new RegExp(`^circuit_breaker_state\\{name="${name}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('circuit breaker registry', () => {
  it('creates a named breaker on first use with its options; later options do not change it', async () => {
    const { breakers } = setup();
    let received: AbortSignal | null = null;
    const value = await breakers.withCircuitBreaker(
      'erp:http',
      async ({ signal }) => {
        received = signal;
        return 42;
      },
      { failureThreshold: 2, recoveryTimeoutMs: 5_000 },
    );
    expect(value).toBe(42);
    expect(received).toBeInstanceOf(AbortSignal);
    await breakers.withCircuitBreaker('erp:http', async () => 1, { failureThreshold: 9 });
    expect(breakers.get('erp:http').options.failureThreshold).toBe(2);
    expect(breakers.get('erp:http').options.timeoutMs).toBe(10_000);
    await breakers.withCircuitBreaker('erp:sql', async () => 1);
    expect(breakers.snapshot().map((b) => b.name)).toEqual(['erp:http', 'erp:sql']);
    expect(breakers.get('erp:sql').options).toMatchObject({
      failureThreshold: 5,
      recoveryTimeoutMs: 30_000,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
      timeoutMs: 10_000,
    });
  });

  it('passes the caller signal through', async () => {
    const { breakers } = setup();
    const caller = new AbortController();
    caller.abort(new Error('gone'));
    await expect(breakers.withCircuitBreaker('x', async () => 1, { signal: caller.signal })).rejects.toThrow(
      'gone',
    );
  });

  it('keeps the state gauge at 0 closed, 1 open, 2 half-open, and counts transitions and rejections', async () => {
    const { breakers, metrics, clock } = setup();
    const options = { failureThreshold: 2, recoveryTimeoutMs: 10_000 };
    await breakers.withCircuitBreaker('erp', async () => 'ok', options);
    expect(await gauge(metrics!, 'erp')).toBe(0);
    for (let i = 0; i < 2; i += 1) await expect(breakers.withCircuitBreaker('erp', down)).rejects.toThrow();
    expect(await gauge(metrics!, 'erp')).toBe(1);
    await expect(breakers.withCircuitBreaker('erp', down)).rejects.toBeInstanceOf(CircuitOpenError);
    // No call is needed for the gauge to notice the recovery timeout: the scrape reads the clock.
    clock.advance(10_000);
    expect(await gauge(metrics!, 'erp')).toBe(2);
    await breakers.withCircuitBreaker('erp', async () => 'ok');
    expect(await gauge(metrics!, 'erp')).toBe(0);
    const text = await metrics!.registry.metrics();
    expect(text).toContain('circuit_breaker_transitions_total{name="erp",from="closed",to="open"} 1');
    expect(text).toContain('circuit_breaker_transitions_total{name="erp",from="open",to="half_open"} 1');
    expect(text).toContain('circuit_breaker_transitions_total{name="erp",from="half_open",to="closed"} 1');
    expect(text).toContain('circuit_breaker_rejections_total{name="erp"} 1');
    breakers.remove('erp');
    expect(await gauge(metrics!, 'erp')).toBeUndefined();
  });

  it('logs every transition: warn on open, info on half-open and close', async () => {
    const { breakers, lines, clock } = setup();
    const options = { failureThreshold: 1, recoveryTimeoutMs: 1_000 };
    await expect(
      breakers.withCircuitBreaker(
        'erp',
        async () => {
          throw new Error('GET https://u:p4ss@erp.example/x?token=t0k failed');
        },
        options,
      ),
    ).rejects.toThrow();
    clock.advance(1_000);
    await breakers.withCircuitBreaker('erp', async () => 'ok');
    expect(lines.map((line) => `${line.level} ${line.message}`)).toEqual([
      'warn circuit breaker opened',
      'info circuit breaker half-open',
      'info circuit breaker closed',
    ]);
    expect(lines[0]!.fields).toMatchObject({
      breaker: 'erp',
      from: 'closed',
      to: 'open',
      reason: 'failure_threshold',
      consecutive_failures: 1,
      next_attempt_at: '2026-03-01T08:00:01.000Z',
    });
    const logged = JSON.stringify(lines);
    expect(logged).toContain('erp.example/x');
    expect(logged).not.toContain('p4ss');
    expect(logged).not.toContain('t0k');
  });

  it('tells listeners of every transition and keeps the recent ones; a failing listener breaks nothing', async () => {
    const { breakers, lines } = setup(false);
    const seen: BreakerTransition[] = [];
    breakers.onTransition(() => {
      throw new Error('sink down');
    });
    breakers.onTransition(async () => {
      throw new Error('async sink down');
    });
    breakers.onTransition((transition) => {
      seen.push(transition);
    });
    await expect(breakers.withCircuitBreaker('erp', down, { failureThreshold: 1 })).rejects.toThrow(
      'ECONNREFUSED',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((t) => t.to)).toEqual(['open']);
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(2);
    expect(breakers.recentTransitions()).toEqual([expect.objectContaining({ name: 'erp', to: 'open' })]);
    breakers.get('erp').reset();
    expect(breakers.recentTransitions().map((t) => `${t.to}:${t.reason}`)).toEqual([
      'closed:reset',
      'open:failure_threshold',
    ]);
  });
});
