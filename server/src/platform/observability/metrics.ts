import type { LogEvent } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The guide's six metrics plus the process metrics, in a registry of our own (never the
 * global one, so two apps in one test process do not share counters).
 * Labels are route templates, never raw URLs or ids, so cardinality stays bounded.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  activeUsers: Gauge;
  databaseQueries: Counter<'operation' | 'outcome'>;
  cacheHits: Counter<'cache'>;
  cacheMisses: Counter<'cache'>;
  /** Circuit breakers (modules/integrations/circuit-breakers): 0 closed, 1 open, 2 half-open. */
  circuitBreakerState: Gauge<'name'>;
  circuitBreakerTransitions: Counter<'name' | 'from' | 'to'>;
  circuitBreakerRejections: Counter<'name'>;
  /** Kysely's log hook: one count per query, by SQL verb. */
  observeQuery(event: LogEvent): void;
  /** Supplies the active-users figure at scrape time. */
  setActiveUsersSource(source: () => Promise<number>): void;
  /** Refreshes the breaker states at scrape time (an open breaker turns half-open by the clock alone). */
  setCircuitBreakerSource(source: () => void): void;
}

function operationOf(sql: string): string {
  const verb = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete'].includes(verb) ? verb : 'other';
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let activeUsersSource: (() => Promise<number>) | null = null;
  let circuitBreakerSource: (() => void) | null = null;

  const metrics: Metrics = {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'Total HTTP requests',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Request latency',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    activeUsers: new Gauge({
      name: 'active_users',
      help: 'Currently active users (distinct users holding a live session)',
      registers: [registry],
      async collect() {
        if (!activeUsersSource) return;
        try {
          this.set(await activeUsersSource());
        } catch {
          // The database being down must not break the scrape; the gauge keeps its last value.
        }
      },
    }),
    databaseQueries: new Counter({
      name: 'database_queries_total',
      help: 'Total database queries',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    cacheHits: new Counter({
      name: 'cache_hits_total',
      help: 'Cache hit count',
      labelNames: ['cache'],
      registers: [registry],
    }),
    cacheMisses: new Counter({
      name: 'cache_misses_total',
      help: 'Cache miss count',
      labelNames: ['cache'],
      registers: [registry],
    }),
    circuitBreakerState: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open',
      labelNames: ['name'],
      registers: [registry],
      collect() {
        circuitBreakerSource?.();
      },
    }),
    circuitBreakerTransitions: new Counter({
      name: 'circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes',
      labelNames: ['name', 'from', 'to'],
      registers: [registry],
    }),
    circuitBreakerRejections: new Counter({
      name: 'circuit_breaker_rejections_total',
      help: 'Calls refused by an open (or full half-open) circuit breaker without reaching the peer',
      labelNames: ['name'],
      registers: [registry],
    }),
    observeQuery(event) {
      metrics.databaseQueries.inc({
        operation: operationOf(event.query.sql),
        outcome: event.level === 'error' ? 'error' : 'ok',
      });
    },
    setActiveUsersSource(source) {
      activeUsersSource = source;
    },
    setCircuitBreakerSource(source) {
      circuitBreakerSource = source;
    },
  };
  return metrics;
}
