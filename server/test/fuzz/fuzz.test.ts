import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/http/access.ts';
import { createTestApp, dialects, type TestApp } from '../helpers/test-app.ts';
import { type FuzzRequest, type Operation, operationsOf, RequestGenerator } from './requests.ts';
import { ResponseChecker } from './responses.ts';
import { Rng } from './rng.ts';
import { World } from './world.ts';

/**
 * Fuzzing from the OpenAPI document: every operation it lists gets valid and malformed requests
 * (missing/extra fields, wrong types, boundary numbers, huge and Unicode strings, bad JSON, wrong
 * content types, unknown and malformed ids), generated from a fixed seed, so a run is repeatable.
 * Every response must be below 500, have a status the document declares for the operation, and
 * (JSON) match the declared schema; the app must still be alive at the end.
 *
 * FUZZ_SEED and FUZZ_REQUESTS override the seed and the count for exploring locally.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_128);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 20_000);

interface Failure {
  operation: string;
  kind: string;
  count: number;
  example: string;
}

function describeRequest(request: FuzzRequest, role: string): string {
  const payload =
    request.payload === undefined
      ? ''
      : Buffer.isBuffer(request.payload)
        ? request.payload.toString('utf8')
        : request.payload;
  const preview = payload.length > 300 ? `${payload.slice(0, 300)}… (${payload.length} chars)` : payload;
  return `${role} ${request.method} ${request.url.slice(0, 300)} [${request.kind}] content-type=${
    request.headers['content-type'] ?? '(none)'
  } body=${JSON.stringify(preview)}`;
}

/** Who sends a request: mostly an admin (reaches the most code), sometimes another role or nobody. */
function pickRole(rng: Rng): Role | 'anonymous' {
  const roll = rng.next();
  if (roll < 0.8) return 'admin';
  if (roll < 0.86) return 'staff';
  if (roll < 0.91) return 'supervisor';
  if (roll < 0.96) return 'auditor';
  return 'anonymous';
}

describe.each(dialects())('fuzzing the API from its OpenAPI document on %s', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({
      dialect,
      // Rate limits off, so every request reaches validation and the handlers instead of a 429.
      env: { RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_SIGNIN_PER_MINUTE: '0' },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`answers ${REQUESTS} generated requests as the document declares, without a 5xx`, async () => {
    const documentResponse = await app.server.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(documentResponse.statusCode).toBe(200);
    const document = documentResponse.json();
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(100);

    const world = new World(app);
    await world.seed();
    const rng = new Rng(SEED);
    const generator = new RequestGenerator(rng, world);
    const checker = new ResponseChecker(document);

    const failures = new Map<string, Failure>();
    const statusCounts = new Map<number, number>();
    const reached = new Set<string>();
    const succeeded = new Set<string>();
    const kinds = new Map<string, number>();
    const timeByOperation = new Map<string, number>();
    let renewals = 0;
    const started = Date.now();

    const record = (op: Operation, kind: string, example: string) => {
      const operation = `${op.method} ${op.path}`;
      const key = `${operation} | ${kind}`;
      const existing = failures.get(key);
      if (existing) existing.count += 1;
      else failures.set(key, { operation, kind, count: 1, example });
    };

    for (let i = 0; i < REQUESTS; i += 1) {
      // Every operation in turn, so each gets its share; the case itself is random.
      const op = operations[i % operations.length] as Operation;
      const request = generator.build(op);
      const role = pickRole(rng);
      const token = role === 'anonymous' ? undefined : world.tokens.get(role);
      if (token && !request.headers.authorization && rng.chance(0.99))
        request.headers.authorization = `Bearer ${token}`;
      kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);

      let response: Awaited<ReturnType<typeof app.server.inject>>;
      const sentAt = performance.now();
      try {
        response = await app.server.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: request.headers,
          ...(request.payload !== undefined ? { payload: request.payload } : {}),
        });
      } catch (error) {
        record(op, 'inject threw', `${describeRequest(request, role)} → ${String(error)}`);
        continue;
      }
      const operationKey = `${op.method} ${op.path}`;
      timeByOperation.set(
        operationKey,
        (timeByOperation.get(operationKey) ?? 0) + performance.now() - sentAt,
      );
      reached.add(operationKey);
      statusCounts.set(response.statusCode, (statusCounts.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode < 300) {
        succeeded.add(`${op.method} ${op.path}`);
        try {
          world.harvest(op.method, op.path, JSON.parse(response.body));
        } catch {
          // Not JSON (CSV, PDF, 204): nothing to harvest.
        }
      }
      const problem = checker.check(op, {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
      });
      if (problem) {
        record(
          op,
          problem.kind,
          `${describeRequest(request, role)} → ${response.statusCode} ${response.body.slice(0, 400)} ${problem.detail.slice(0, 400)}`,
        );
      }

      // A request may have ended this role's session (logout, password change, deactivation,
      // reset): carry on with a working one, so later requests still reach the handlers.
      if (response.statusCode === 401 && role !== 'anonymous')
        renewals += (await world.ensureToken(role)) ? 1 : 0;
      if (response.statusCode === 403 && role !== 'anonymous' && response.body.includes('MFA'))
        await world.renewToken(role);
      // Now and then: a fresh counting session, and the built-in flags as seeded.
      if (i > 0 && i % 500 === 0) {
        await world.ensureToken('admin');
        await world.ensureToken('staff');
        await world.restoreFlags();
        await world.newCountingSession().catch((error: unknown) => {
          console.log(`fuzz ${dialect}: no new counting session at request ${i}: ${String(error)}`);
        });
      }
    }

    const live = await app.server.inject({ method: 'GET', url: '/health/live' });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const notSucceeded = operations
      .map((op) => `${op.method} ${op.path}`)
      .filter((operation) => !succeeded.has(operation));
    console.log(
      [
        `fuzz ${dialect}: ${REQUESTS} requests (seed ${SEED}) in ${seconds}s (${Math.round(
          [...timeByOperation.values()].reduce((sum, ms) => sum + ms, 0) / 1000,
        )}s in the app, ${renewals} sessions renewed)`,
        `  statuses: ${[...statusCounts.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([status, count]) => `${status}×${count}`)
          .join(' ')}`,
        `  operations: ${operations.length} in the document, ${reached.size} reached, ${succeeded.size} answered 2xx at least once`,
        `  no 2xx: ${notSucceeded.join(', ') || 'none'}`,
        `  slowest (total ms): ${[...timeByOperation.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([operation, ms]) => `${operation} ${Math.round(ms)}`)
          .join(', ')}`,
        `  cases: ${[...kinds.entries()].map(([kind, count]) => `${kind}×${count}`).join(' ')}`,
        `  failures: ${failures.size} distinct (operation + kind)`,
      ].join('\n'),
    );
    const report = [...failures.values()]
      .sort((a, b) => a.operation.localeCompare(b.operation) || a.kind.localeCompare(b.kind))
      .map(
        (failure) =>
          `${failure.operation} | ${failure.kind} (×${failure.count})\n    e.g. ${failure.example}`,
      );
    if (report.length > 0) console.log(`fuzz ${dialect} failures:\n${report.join('\n')}`);

    expect(live.statusCode).toBe(200);
    expect(reached.size).toBe(operations.length);
    // The examples are printed above; the assertion lists what failed, compactly.
    expect([...failures.values()].map((failure) => `${failure.operation} | ${failure.kind}`).sort()).toEqual(
      [],
    );
  }, 600_000);
});
