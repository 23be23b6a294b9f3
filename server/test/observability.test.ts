import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from './helpers/test-app.ts';

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

describe.each(dialects())('observability on %s', (dialect) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp({ dialect, env: { METRICS_TOKEN } });
  });
  afterEach(async () => {
    await app.close();
  });

  it('generates request, trace and correlation ids and echoes them on every response', async () => {
    for (const url of ['/health/live', '/api/auth/me', '/api/no-such-route']) {
      const response = await app.server.inject({ method: 'GET', url });
      expect(response.headers['x-request-id'], url).toMatch(/^req_[0-9a-f]{24}$/);
      expect(response.headers['x-trace-id'], url).toMatch(/^[0-9a-f]{32}$/);
      expect(response.headers['x-correlation-id'], url).toBe(response.headers['x-request-id']);
      expect(response.headers.traceparent, url).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    const error = await app.server.inject({ method: 'GET', url: '/api/auth/me' });
    expect(error.json().request_id).toBe(error.headers['x-request-id']);
  });

  it('takes well-formed incoming ids and a W3C traceparent, and replaces malformed ones', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const good = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: {
        'x-request-id': 'lb-7f3a.12',
        'x-correlation-id': 'order-991',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    });
    expect(good.headers['x-request-id']).toBe('lb-7f3a.12');
    expect(good.headers['x-correlation-id']).toBe('order-991');
    expect(good.headers['x-trace-id']).toBe(traceId);
    // Same trace, our own span.
    expect(good.headers.traceparent).toMatch(
      new RegExp(`^00-${traceId}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`),
    );

    const plainTrace = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-trace-id': 'trace_xyz' },
    });
    expect(plainTrace.headers['x-trace-id']).toBe('trace_xyz');

    const bad = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: {
        'x-request-id': 'bad id with spaces <script>',
        'x-correlation-id': 'x'.repeat(500),
        traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      },
    });
    expect(bad.headers['x-request-id']).toMatch(/^req_/);
    expect(bad.headers['x-correlation-id']).toBe(bad.headers['x-request-id']);
    expect(bad.headers['x-trace-id']).not.toBe('0'.repeat(32));
  });

  it('writes one JSON log line per request in the guide format, with the request and trace ids', async () => {
    const response = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'req-abc-123', 'x-trace-id': 'trace-xyz-1' },
    });
    expect(response.statusCode).toBe(200);
    const line = app.logs.find((entry) => entry.request_id === 'req-abc-123');
    expect(line).toBeDefined();
    expect(Object.keys(line!).sort()).toEqual([
      'extra',
      'level',
      'message',
      'request_id',
      'service',
      'timestamp',
      'trace_id',
    ]);
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'stock-verify-api',
      trace_id: 'trace-xyz-1',
      message: 'request completed',
      extra: { method: 'GET', route: '/health/live', status_code: 200 },
    });
    expect(line!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('exposes the six guide metrics and process metrics in a format Prometheus parses', async () => {
    const admin = await app.userWithToken('admin');
    await app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(admin.token) });
    await app.server.inject({ method: 'GET', url: `/api/users/${admin.id}`, headers: bearer(admin.token) });
    const response = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/metrics/prometheus',
      headers: bearer(admin.token),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const families = parsePrometheusTextFormat(response.body);
    const byName = new Map(families.map((family) => [family.name, family]));
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds',
      'active_users',
      'database_queries_total',
      'cache_hits_total',
      'cache_misses_total',
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(byName.has(name), name).toBe(true);
    }
    expect(byName.get('http_requests_total')!.type).toBe('COUNTER');
    expect(byName.get('http_request_duration_seconds')!.type).toBe('HISTOGRAM');
    expect(byName.get('active_users')!.type).toBe('GAUGE');
    expect(Number(byName.get('active_users')!.metrics[0]!.value)).toBe(1);

    // Route templates, never raw URLs with ids.
    const routes = byName.get('http_requests_total')!.metrics.map((metric) => metric.labels?.route);
    expect(routes).toContain('/api/users/:id');
    expect(routes.join(' ')).not.toContain(admin.id);
    const queries = byName.get('database_queries_total')!.metrics;
    expect(queries.some((metric) => metric.labels?.operation === 'select' && Number(metric.value) > 0)).toBe(
      true,
    );
  });

  it('serves metrics as JSON too', async () => {
    const admin = await app.userWithToken('admin');
    const response = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/metrics',
      headers: bearer(admin.token),
    });
    expect(response.statusCode).toBe(200);
    const names = response.json().metrics.map((metric: { name: string }) => metric.name);
    expect(names).toEqual(
      expect.arrayContaining(['http_requests_total', 'active_users', 'database_queries_total']),
    );
  });

  it('lets a scraper in with METRICS_TOKEN, and nobody else but admins', async () => {
    const scrape = (token?: string) =>
      app.server.inject({
        method: 'GET',
        url: '/api/enterprise/metrics/prometheus',
        ...(token ? { headers: bearer(token) } : {}),
      });
    expect((await scrape(METRICS_TOKEN)).statusCode).toBe(200);
    expect((await scrape()).statusCode).toBe(401);
    expect((await scrape('scrape-token-0123456789abcdeX')).statusCode).toBe(401);
    const staff = await app.userWithToken('staff');
    expect((await scrape(staff.token)).statusCode).toBe(403);
    // The metrics token opens nothing else.
    const other = await app.server.inject({
      method: 'GET',
      url: '/api/users',
      headers: bearer(METRICS_TOKEN),
    });
    expect(other.statusCode).toBe(401);
  });

  it('reports liveness and readiness with the database and migrations checks', async () => {
    const live = await app.server.inject({ method: 'GET', url: '/health/live' });
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await app.server.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ok');
    expect(ready.json().checks).toEqual([
      { name: 'database', status: 'ok', critical: true, detail: dialect },
      { name: 'migrations', status: 'ok', critical: true, detail: 'all applied' },
    ]);
  });

  it('is not ready when a migration is pending', async () => {
    await app.database.db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', '0002_security_sessions' as never)
      .execute();
    const ready = await app.server.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().status).toBe('fail');
    expect(ready.json().checks[1]).toEqual({
      name: 'migrations',
      status: 'fail',
      critical: true,
      detail: '1 pending',
    });
  });
});

describe('observability switches', () => {
  it('METRICS_ENABLED=false removes the metrics endpoints', async () => {
    const { createTestApp: make } = await import('./helpers/test-app.ts');
    const app = await make({ dialect: 'sqlite', env: { METRICS_ENABLED: 'false' } });
    try {
      const admin = await app.userWithToken('admin');
      const response = await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/metrics',
        headers: bearer(admin.token),
      });
      expect(response.statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('TRACING_ENABLED=false keeps request ids but propagates no trace', async () => {
    const app = await createTestApp({ dialect: 'sqlite', env: { TRACING_ENABLED: 'false' } });
    try {
      const response = await app.server.inject({
        method: 'GET',
        url: '/health/live',
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      });
      expect(response.headers['x-request-id']).toMatch(/^req_/);
      expect(response.headers.traceparent).toBeUndefined();
      expect(response.headers['x-trace-id']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('STRUCTURED_LOGGING=false writes plain text lines', async () => {
    const app = await createTestApp({ dialect: 'sqlite', env: { STRUCTURED_LOGGING: 'false' } });
    try {
      await app.server.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'plain-1' } });
      expect(app.rawLogs()).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO \[plain-1\] request completed \{/m);
    } finally {
      await app.close();
    }
  });
});
