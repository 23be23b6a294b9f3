import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  dialects,
  freshDatabase,
  STRONG_PASSWORD,
  testHasher,
} from '../../../../test/helpers/test-app.ts';
import { type App, buildApp } from '../../../app.ts';
import { loadConfig } from '../../../config.ts';
import { ManualClock } from '../../../platform/clock.ts';
import type { Dialect } from '../../../platform/db/database.ts';
import { ROLES, type Role } from '../../../platform/http/access.ts';
import { createLogger } from '../../../platform/observability/logger.ts';
import { createMetrics } from '../../../platform/observability/metrics.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { CircuitOpenError } from './breaker.ts';

/**
 * createTestApp keeps only the server; these tests need the app's breaker registry too (the
 * connectors will reach it the same way, through buildApp's result).
 */
async function startApp(dialect: Dialect) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-cb-'));
  const config = loadConfig({ LOG_LEVEL: 'INFO', DATA_DIR: dataDir }, process.cwd());
  const metrics = createMetrics();
  const fresh = await freshDatabase(dialect, metrics.observeQuery);
  const clock = new ManualClock('2026-03-01T08:00:00.000Z');
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({
    level: config.logLevel,
    service: config.serviceName,
    structured: config.structuredLogging,
    destination: destination as never,
  });
  const app: App = await buildApp({
    config,
    database: fresh.handle,
    logger,
    metrics,
    clock,
    hasher: testHasher,
    webRoot: null,
  });
  await app.server.ready();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const username = `cb-${role}`;
    await app.users.create(
      { username, display_name: username, role, password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    const response = await app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: STRONG_PASSWORD },
    });
    tokens[role] = (response.json() as { access_token: string }).access_token;
  }
  return {
    ...app,
    clock,
    tokens,
    logs: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await app.server.close();
      await fresh.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.each(dialects())('circuit breakers endpoint on %s', (dialect) => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp(dialect);
  });
  afterAll(async () => {
    await app?.close();
  });

  const list = (role?: Role) =>
    app.server.inject({
      method: 'GET',
      url: '/api/enterprise/circuit-breakers',
      ...(role ? { headers: bearer(app.tokens[role]) } : {}),
    });

  it('admins and auditors read it; others are refused', async () => {
    expect((await list()).statusCode).toBe(401);
    for (const role of ['admin', 'auditor'] as const) expect((await list(role)).statusCode, role).toBe(200);
    for (const role of ['supervisor', 'staff'] as const) {
      const response = await list(role);
      expect(response.statusCode, role).toBe(403);
      expect(response.json().error.code).toBe('PERMISSION_DENIED');
    }
  });

  it('shows each breaker: state, counts, last failure without secrets, next attempt, options', async () => {
    const breakers = app.circuitBreakers;
    const options = { failureThreshold: 2, recoveryTimeoutMs: 60_000, timeoutMs: 5_000 };
    let peerCalls = 0;
    const failing = async () => {
      peerCalls += 1;
      throw new Error(
        'GET https://erp-user:erp-Secret-9@erp.example.com/api/stock?access_token=AbC123 failed: 503',
      );
    };
    await breakers.withCircuitBreaker('erp:ok', async () => 'fine');
    for (let i = 0; i < 2; i += 1)
      await expect(breakers.withCircuitBreaker('erp:rest', failing, options)).rejects.toThrow();
    await expect(breakers.withCircuitBreaker('erp:rest', failing)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(peerCalls).toBe(2);

    const response = await list('auditor');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.summary).toEqual({ total: 2, closed: 1, open: 1, half_open: 0 });
    const rest = body.circuit_breakers.find((breaker: { name: string }) => breaker.name === 'erp:rest');
    expect(rest).toEqual({
      name: 'erp:rest',
      state: 'open',
      failure_count: 2,
      success_count: 0,
      half_open_in_flight: 0,
      totals: {
        calls: 2,
        successes: 0,
        failures: 2,
        timeouts: 0,
        ignored_errors: 0,
        cancelled: 0,
        rejections: 1,
      },
      last_failure: {
        at: '2026-03-01T08:00:00.000Z',
        message: 'Error: GET https://***@erp.example.com/api/stock?access_token=*** failed: 503',
      },
      last_state_change_at: '2026-03-01T08:00:00.000Z',
      next_attempt_at: '2026-03-01T08:01:00.000Z',
      options: {
        failure_threshold: 2,
        recovery_timeout_ms: 60_000,
        half_open_max_calls: 1,
        success_threshold: 1,
        timeout_ms: 5_000,
      },
    });
    expect(body.recent_transitions[0]).toMatchObject({ name: 'erp:rest', from: 'closed', to: 'open' });
    expect(response.body).not.toContain('erp-Secret-9');
    expect(response.body).not.toContain('AbC123');

    // The warn line for the opening, with no secret in any log line.
    const opened = app.logs().find((line) => line.message === 'circuit breaker opened');
    expect(opened).toMatchObject({
      level: 'WARN',
      extra: { breaker: 'erp:rest', from: 'closed', to: 'open' },
    });
    const raw = JSON.stringify(app.logs());
    expect(raw).not.toContain('erp-Secret-9');
    expect(raw).not.toContain('AbC123');

    // After the recovery timeout the endpoint reads half-open, with no next attempt time.
    app.clock.advance(60_000);
    const later = (await list('admin')).json();
    expect(later.circuit_breakers.find((b: { name: string }) => b.name === 'erp:rest')).toMatchObject({
      state: 'half_open',
      next_attempt_at: null,
    });
  });

  it('exposes circuit_breaker_state on /metrics', async () => {
    const breakers = app.circuitBreakers;
    for (let i = 0; i < 2; i += 1)
      await expect(
        breakers.withCircuitBreaker(
          'erp:metrics',
          async () => {
            throw new Error('down');
          },
          { failureThreshold: 2 },
        ),
      ).rejects.toThrow();
    const response = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/metrics/prometheus',
      headers: bearer(app.tokens.admin),
    });
    expect(response.statusCode).toBe(200);
    const family = parsePrometheusTextFormat(response.body).find((f) => f.name === 'circuit_breaker_state');
    expect(family?.type).toBe('GAUGE');
    const value = (name: string) => family?.metrics.find((metric) => metric.labels?.name === name)?.value;
    expect(value('erp:metrics')).toBe('1');
    expect(value('erp:ok')).toBe('0');
  });
  it('records each transition in the audit trail (system category), for alerting', async () => {
    const breakers = app.circuitBreakers;
    const options = { failureThreshold: 1, recoveryTimeoutMs: 1_000 };
    await expect(
      breakers.withCircuitBreaker(
        'erp:audited',
        async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.9:5432');
        },
        options,
      ),
    ).rejects.toThrow();
    const opened = async () => {
      const response = await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/audit/logs?event_type=CIRCUIT_OPENED',
        headers: bearer(app.tokens.auditor),
      });
      expect(response.statusCode, response.body).toBe(200);
      return (
        response.json().items as { resource: { id: string | null }; category: string; severity: string }[]
      ).filter((entry) => entry.resource.id === 'erp:audited');
    };
    await expect.poll(async () => (await opened()).length).toBe(1);
    expect((await opened())[0]).toMatchObject({ category: 'system', severity: 'high' });
  });
});
