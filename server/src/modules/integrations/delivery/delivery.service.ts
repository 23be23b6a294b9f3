import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError, badRequest, conflict, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { JobContext, JobDefinition, JobResult } from '../../../platform/jobs/job-runner.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext, JsonObject } from '../../audit/events.ts';
import type { OutboxStatus } from '../../counting/counting.tables.ts';
import { findSession } from '../../counting/sessions/session-access.ts';
import { CircuitOpenError, CircuitTimeoutError } from '../circuit-breakers/breaker.ts';
import type { CircuitBreakers } from '../circuit-breakers/registry.ts';
import type { ConnectorKey } from '../connectors/connector-key.ts';
import { safeMessage } from '../connectors/erp-source.ts';
import * as store from './delivery.store.ts';
import {
  type DeliveryChannel,
  DeliveryError,
  runTraceContext,
  type TraceContext,
} from './delivery-channel.ts';
import {
  checkTargetSettings,
  MIN_SIGNING_KEY_LENGTH,
  type SqlTargetSettings,
  type TargetSettings,
  type WebhookSettings,
} from './delivery-settings.ts';
import { createSqlChannel } from './sql-channel.ts';
import { createWebhookChannel } from './webhook-channel.ts';

/**
 * Adjustment delivery: the outbox that posting fills is emptied into the ERP by the job
 * `erp.deliver-adjustments`, exactly once from the ERP's side.
 *
 * Exactly once rests on two things: a message is marked delivered only after the ERP acknowledged
 * it (2xx, a 409 naming our key, a committed or already present staging row), and every attempt
 * carries the same idempotency key, so the attempt that follows one whose answer was lost (the
 * ERP committed, then the connection timed out) is recognised by the ERP and applied zero times.
 *
 * A pass takes the due pending messages oldest first, in batches, one at a time through the
 * circuit breaker `erp.delivery` (with the target's timeout). A failure is retried after a backoff
 * (30 s doubling, at most 1 h, ±25 % jitter, at least what Retry-After asked) until the maximum
 * number of attempts, then the message is failed; a refusal (4xx, bad row) fails it at once. An
 * admin puts a failed message back (POST /api/integrations/outbox/:id/retry). While the breaker is
 * open the pass stops without touching the messages: no attempt was made, none is counted.
 */

export const DELIVERY_JOB = 'erp.deliver-adjustments';
export const DELIVERY_BREAKER = 'erp.delivery';
/** The target test has a breaker of its own: a failing test never stops deliveries, nor an open delivery breaker a test. */
export const DELIVERY_TEST_BREAKER = 'erp.delivery-test';

/** The owner the target's secret is sealed for (connector secrets are sealed for their ids). */
const SECRET_OWNER = 'erp-delivery-target';
const MIN_TEST_TIMEOUT_MS = 5_000;

export interface DeliveryTargetView {
  kind: store.DeliveryKind;
  settings: TargetSettings;
  /** The signing key or password is write-only: it is never returned. */
  has_secret: boolean;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  last_test: { status: 'ok' | 'failed'; message: string; tested_at: string } | null;
}

export interface TargetInput {
  kind: store.DeliveryKind;
  settings: unknown;
  /** A new secret; null removes it; absent keeps it (when the kind stays the same). */
  secret?: string | null;
}

export interface TargetTestReport {
  status: 'ok' | 'failed';
  message: string;
  tested_at: string;
  duration_ms: number;
}

export interface OutboxMessage {
  id: string;
  topic: string;
  idempotency_key: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  delivered_at: string | null;
  last_error: string | null;
  created_at: string;
  /** The count session the message comes from (its payload says), when it has one. */
  session_id: string | null;
  payload: Record<string, unknown>;
}

export interface SessionDelivery {
  session_id: string;
  total: number;
  pending: number;
  delivered: number;
  failed: number;
  last_attempt_at: string | null;
  /** The error of the last attempted message not delivered yet; null when none failed. */
  last_error: string | null;
  /** When the next pending message is due. */
  next_attempt_at: string | null;
}

export interface ErpDelivery {
  getTarget(): Promise<DeliveryTargetView>;
  putTarget(input: TargetInput, context: AuditContext): Promise<DeliveryTargetView>;
  removeTarget(context: AuditContext): Promise<void>;
  /** Webhook: a signed ping; SQL: the table's columns, a rolled-back insert, its key unique. Recorded. */
  testTarget(context: AuditContext, trace: TraceContext): Promise<TargetTestReport>;
  /** One delivery pass (the job's body). */
  deliverDue(ctx: JobContext): Promise<JobResult>;
  listOutbox(options: {
    status?: OutboxStatus | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<Page<OutboxMessage>>;
  /** A failed message back to pending, due now; 409 for any other status. */
  retry(id: string, context: AuditContext): Promise<OutboxMessage>;
  sessionDelivery(sessionId: string): Promise<SessionDelivery>;
}

export interface DeliveryPolicy {
  /** Attempts before a message is failed (a refusal fails it at the first). */
  maxAttempts: number;
  /** The first retry's delay; each next one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Messages read per query. */
  batchSize: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = Object.freeze({
  maxAttempts: 12,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  batchSize: 50,
});

/** The delay before attempt `attempts + 1`: exponential, capped, with ±25 % jitter; never under Retry-After. */
export function backoffMs(
  attempts: number,
  policy: Pick<DeliveryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
  retryAfterMs = 0,
): number {
  const exponential = Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
  const jittered = Math.round(exponential * (0.75 + 0.5 * random()));
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs), 1_000);
}

function toView(row: store.TargetRow): DeliveryTargetView {
  return {
    kind: row.kind,
    settings: JSON.parse(row.settings) as TargetSettings,
    has_secret: row.secret_sealed !== null,
    created_at: row.created_at,
    created_by: row.created_by,
    updated_at: row.updated_at,
    updated_by: row.updated_by,
    last_test:
      row.last_test_status && row.last_tested_at
        ? {
            status: row.last_test_status,
            message: row.last_test_message ?? '',
            tested_at: row.last_tested_at,
          }
        : null,
  };
}

function toMessage(row: store.OutboxRow): OutboxMessage {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(row.payload) as Record<string, unknown>;
  } catch {
    payload = {};
  }
  return {
    id: row.id,
    topic: row.topic,
    idempotency_key: row.idempotency_key,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at,
    last_attempt_at: row.last_attempt_at,
    delivered_at: row.delivered_at,
    last_error: row.last_error,
    created_at: row.created_at,
    session_id: typeof payload.session_id === 'string' ? payload.session_id : null,
    payload,
  };
}

export function createErpDelivery(deps: {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditTrail;
  /** The integrations key (connector-key.ts): the one that seals connector secrets. */
  key: ConnectorKey;
  breakers: CircuitBreakers;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  policy?: Partial<DeliveryPolicy>;
  /** For the jitter; tests pin it. */
  random?: () => number;
}): ErpDelivery {
  const { db, clock, audit, key, breakers, logger } = deps;
  const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };
  const random = deps.random ?? Math.random;

  async function load(): Promise<store.TargetRow> {
    const row = await store.findTarget(db);
    if (!row) throw notFound('Delivery target');
    return row;
  }

  function secretOf(row: store.TargetRow): string | null {
    if (row.secret_sealed === null) return null;
    try {
      return key.open(SECRET_OWNER, row.secret_sealed);
    } catch (error) {
      throw new AppError(
        409,
        'SECRET_UNREADABLE',
        `The delivery target's secret cannot be opened: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
    }
  }

  function channelOf(
    row: store.TargetRow,
    secret: string | null,
    trace: () => TraceContext,
  ): DeliveryChannel {
    const settings = JSON.parse(row.settings) as TargetSettings;
    if (row.kind === 'webhook') {
      if (secret === null) throw conflict('The webhook has no signing key: set one', 'SECRET_MISSING');
      return createWebhookChannel(settings as WebhookSettings, secret, { clock, trace });
    }
    return createSqlChannel(settings as SqlTargetSettings, secret);
  }

  function timeoutOf(row: store.TargetRow): number {
    return (JSON.parse(row.settings) as TargetSettings).timeout_ms ?? 10_000;
  }

  /** The delivery breaker with the target's timeout (a breaker's options are fixed: a changed timeout makes a new one). */
  function deliveryBreaker(timeoutMs: number): void {
    if (breakers.get(DELIVERY_BREAKER, { timeoutMs }).options.timeoutMs !== timeoutMs) {
      breakers.remove(DELIVERY_BREAKER);
      breakers.get(DELIVERY_BREAKER, { timeoutMs });
    }
  }

  function describe(error: unknown, timeoutMs: number, secret: string | null): string {
    if (error instanceof CircuitTimeoutError) return `No answer within ${timeoutMs} ms`;
    return safeMessage(error, [secret]);
  }

  return {
    async getTarget() {
      return toView(await load());
    },

    async putTarget(input, context) {
      const checked = checkTargetSettings(input.kind, input.settings);
      if (!checked.ok) {
        const first = checked.errors[0]!;
        throw badRequest(`Invalid settings: ${first.field} ${first.message}`, checked.errors);
      }
      if (
        input.kind === 'webhook' &&
        typeof input.secret === 'string' &&
        input.secret.length < MIN_SIGNING_KEY_LENGTH
      )
        throw badRequest(`The signing key must be at least ${MIN_SIGNING_KEY_LENGTH} characters`, [
          { field: 'secret', message: `must be at least ${MIN_SIGNING_KEY_LENGTH} characters` },
        ]);
      const existing = await store.findTarget(db);
      const sealed =
        typeof input.secret === 'string' && input.secret !== ''
          ? key.seal(SECRET_OWNER, input.secret)
          : input.secret === null || input.secret === ''
            ? null
            : // A password is not a signing key: a change of kind drops the old secret.
              existing?.kind === input.kind
              ? existing.secret_sealed
              : null;
      if (input.kind === 'webhook' && sealed === null)
        throw badRequest('A webhook needs its signing key in secret', [
          { field: 'secret', message: 'is required for a webhook (the HMAC signing key)' },
        ]);
      const now = clock.now().toISOString();
      const settings = JSON.stringify(checked.settings);
      const row: store.TargetRow = {
        id: store.TARGET_ID,
        kind: input.kind,
        settings,
        secret_sealed: sealed,
        created_at: existing?.created_at ?? now,
        created_by: existing ? existing.created_by : context.actor.user_id,
        updated_at: now,
        updated_by: context.actor.user_id,
        last_test_status: null,
        last_test_message: null,
        last_tested_at: null,
      };
      const changed: string[] = [];
      if (!existing || existing.kind !== row.kind) changed.push('kind');
      if (!existing || existing.settings !== settings) changed.push('settings');
      if (input.secret !== undefined || (existing && existing.secret_sealed !== sealed))
        changed.push(sealed === null ? 'secret_removed' : 'secret');
      const details: JsonObject = {
        kind: row.kind,
        changed,
        // The secret by name only: the audit trail refuses secret-named values anyway.
        stored: sealed !== null ? ['settings', 'secret'] : ['settings'],
      };
      await audit.transaction(context, async (trx, record) => {
        await store.saveTarget(trx, row);
        record({
          type: 'CONFIG_CHANGE',
          action: existing ? 'integration_delivery_target.update' : 'integration_delivery_target.create',
          resource: { type: 'erp_delivery_target', id: store.TARGET_ID },
          details,
          severity: 'medium',
        });
      });
      // A new target is tried at once, whatever the breaker learnt about the old one.
      breakers.remove(DELIVERY_BREAKER);
      return toView(row);
    },

    async removeTarget(context) {
      const row = await load();
      await audit.transaction(context, async (trx, record) => {
        if (!(await store.deleteTarget(trx))) throw notFound('Delivery target');
        record({
          type: 'CONFIG_CHANGE',
          action: 'integration_delivery_target.delete',
          resource: { type: 'erp_delivery_target', id: store.TARGET_ID },
          details: { kind: row.kind },
          severity: 'medium',
        });
      });
      breakers.remove(DELIVERY_BREAKER);
    },

    async testTarget(context, trace) {
      const row = await load();
      const started = performance.now();
      let secret: string | null = null;
      let status: 'ok' | 'failed' = 'failed';
      let message: string;
      const timeoutMs = Math.max(timeoutOf(row), MIN_TEST_TIMEOUT_MS);
      try {
        secret = secretOf(row);
        const channel = channelOf(row, secret, () => trace);
        try {
          message = await breakers.withCircuitBreaker(
            DELIVERY_TEST_BREAKER,
            ({ signal }) => channel.test(signal),
            { timeoutMs: 120_000, signal: AbortSignal.timeout(timeoutMs) },
          );
          status = 'ok';
        } finally {
          await channel.close().catch(() => undefined);
        }
      } catch (error) {
        const name = (error as { name?: string })?.name;
        message =
          error instanceof AppError
            ? error.message
            : name === 'TimeoutError' || error instanceof CircuitTimeoutError
              ? `No answer within ${timeoutMs} ms`
              : safeMessage(error, [secret]);
      }
      message = safeMessage(message, [secret]);
      const testedAt = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        await store.recordTestResult(trx, { status, message, at: testedAt });
        record({
          type: 'CONFIG_CHANGE',
          action: 'integration_delivery_target.test',
          resource: { type: 'erp_delivery_target', id: store.TARGET_ID },
          details: { kind: row.kind, result: status },
          severity: 'info',
        });
      });
      // The target works now: deliveries need not wait out an open breaker.
      if (status === 'ok' && breakers.snapshot().some((one) => one.name === DELIVERY_BREAKER))
        breakers.get(DELIVERY_BREAKER).reset();
      return {
        status,
        message,
        tested_at: testedAt,
        duration_ms: Math.round(performance.now() - started),
      };
    },

    async deliverDue(ctx) {
      const row = await store.findTarget(db);
      // No target yet: the messages wait, pending, for one.
      if (!row) return { rows: 0 };
      const secret = secretOf(row);
      const trace = runTraceContext(ctx.runId);
      const channel = channelOf(row, secret, () => trace);
      const timeoutMs = timeoutOf(row);
      deliveryBreaker(timeoutMs);
      const seen = new Set<string>();
      const counts = { delivered: 0, duplicates: 0, retrying: 0, failed: 0 };
      let processed = 0;
      let stoppedBy: string | null = null;
      try {
        pass: for (;;) {
          if (ctx.signal.aborted) break;
          const batch = (await store.duePending(db, clock.now().toISOString(), policy.batchSize)).filter(
            (message) => !seen.has(message.id),
          );
          if (batch.length === 0) break;
          for (const message of batch) {
            if (ctx.signal.aborted) break pass;
            seen.add(message.id);
            try {
              // A payload that is not JSON can never be sent: refused here, without the ERP.
              JSON.parse(message.payload);
            } catch {
              await store.markAttemptFailed(db, message.id, {
                at: clock.now().toISOString(),
                status: 'failed',
                error: 'The message payload is not valid JSON',
                nextAttemptAt: clock.now().toISOString(),
              });
              counts.failed += 1;
              processed += 1;
              continue;
            }
            try {
              const ack = await breakers.withCircuitBreaker(
                DELIVERY_BREAKER,
                ({ signal }) => channel.deliver(message, signal),
                { signal: ctx.signal },
              );
              await store.markDelivered(db, message.id, clock.now().toISOString());
              if (ack.duplicate) counts.duplicates += 1;
              else counts.delivered += 1;
            } catch (error) {
              if (error instanceof CircuitOpenError) {
                // Not attempted: nothing to count. The next pass tries again once the breaker lets it.
                stoppedBy = error.message;
                break pass;
              }
              // Stopped (shutdown, lost lease): the attempt may or may not have reached the ERP;
              // either way the same key goes next time. Not counted against the message.
              if (ctx.signal.aborted) break pass;
              const at = clock.now().toISOString();
              const attempts = message.attempts + 1;
              const text = describe(error, timeoutMs, secret);
              const refused = error instanceof DeliveryError && error.permanent;
              const exhausted = !refused && attempts >= policy.maxAttempts;
              const retryAfter = error instanceof DeliveryError ? error.retryAfterMs : undefined;
              await store.markAttemptFailed(db, message.id, {
                at,
                status: refused || exhausted ? 'failed' : 'pending',
                error: exhausted ? `${text} (gave up after ${attempts} attempts)` : text,
                nextAttemptAt:
                  refused || exhausted
                    ? at
                    : new Date(
                        clock.now().getTime() + backoffMs(attempts, policy, random, retryAfter),
                      ).toISOString(),
              });
              if (refused || exhausted) counts.failed += 1;
              else counts.retrying += 1;
              logger.warn(
                {
                  job: DELIVERY_JOB,
                  message_id: message.id,
                  idempotency_key: message.idempotency_key,
                  attempts,
                  outcome: refused ? 'refused' : exhausted ? 'gave_up' : 'retry',
                  error: text,
                },
                'ERP delivery failed',
              );
            }
            processed += 1;
            await ctx.progress(processed);
          }
        }
      } finally {
        await channel.close().catch(() => undefined);
      }
      if (processed > 0 || stoppedBy)
        logger.info(
          { job: DELIVERY_JOB, processed, ...counts, ...(stoppedBy ? { stopped: stoppedBy } : {}) },
          'ERP delivery pass',
        );
      return { rows: counts.delivered + counts.duplicates };
    },

    async listOutbox({ status, limit, cursor }) {
      const before = cursor
        ? decodeCursor<[string, string]>(
            cursor,
            (k) => k.length === 2 && k.every((part) => typeof part === 'string'),
          )
        : null;
      const rows = await store.listOutbox(db, { status: status ?? null, before, limit: limit + 1 });
      return toPage(rows, limit, toMessage, (row) => [row.created_at, row.id]);
    },

    async retry(id, context) {
      const row = await store.findOutbox(db, id);
      if (!row) throw notFound('Outbox message');
      const refuse = (status: string) =>
        conflict(`Only a failed message can be retried; this one is ${status}`, 'OUTBOX_NOT_FAILED');
      if (row.status !== 'failed') throw refuse(row.status);
      const now = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        if (!(await store.requeueFailed(trx, id, now))) throw refuse('no longer failed');
        record({
          type: 'DATA_UPDATE',
          action: 'erp_outbox.retry',
          resource: { type: 'erp_outbox', id },
          details: { idempotency_key: row.idempotency_key, topic: row.topic, attempts_before: row.attempts },
          severity: 'medium',
        });
      });
      return toMessage((await store.findOutbox(db, id))!);
    },

    async sessionDelivery(sessionId) {
      if (!(await findSession(db, sessionId))) throw notFound('Count session');
      const counts = await store.sessionCounts(db, sessionId);
      const lastError =
        counts.pending + counts.failed > 0 ? await store.sessionLastError(db, sessionId) : null;
      return { session_id: sessionId, ...counts, last_error: lastError };
    },
  };
}

/** The delivery job, for app.ts to register: a pass every `everyMs`. */
export function deliveryJob(delivery: ErpDelivery, everyMs: number): JobDefinition {
  return {
    description: 'Delivers posted stock adjustments from the outbox to the ERP (webhook or staging table)',
    everyMs,
    run: (ctx) => delivery.deliverDue(ctx),
  };
}
