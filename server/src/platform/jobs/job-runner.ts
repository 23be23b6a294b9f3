import os from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { AppError, conflict } from '../http/errors.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import type { IdGenerator } from '../ids.ts';
import type { RunRow, RunStatus, RunTrigger } from './jobs.store.ts';
import * as store from './jobs.store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The background job runner (app.ts): modules register their jobs on it. */
    jobs: JobRunner;
  }
}

/** What a running job gets. */
export interface JobContext {
  readonly runId: string;
  readonly trigger: RunTrigger;
  /**
   * The lease's fencing token: a job whose writes must never come from a holder that lost the
   * lease can add `WHERE token >= this` to them (or store it with its cursor).
   */
  readonly fencingToken: number;
  /** Aborted on shutdown, on a lost lease and on the job's timeout: stop soon when it fires. */
  readonly signal: AbortSignal;
  /** Progress shown with the run: rows handled so far, out of `total` when known. */
  progress(processed: number, total?: number | null): Promise<void>;
}

export interface JobResult {
  /** Rows the run wrote; defaults to the last progress count. */
  rows?: number;
}

interface JobBody {
  description?: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a job that reports nothing is a plain `async () => {}`
  run(ctx: JobContext): Promise<JobResult | void>;
  /** Aborts the run's signal after this long. */
  timeoutMs?: number;
}

/** Every `everyMs` (the first run right after the first start), or daily at `dailyAt` (HH:MM, UTC). */
export type JobDefinition = JobBody &
  ({ everyMs: number; dailyAt?: never } | { dailyAt: string; everyMs?: never });

export interface JobSchedule {
  every_ms: number | null;
  daily_at: string | null;
}

export interface JobRun {
  id: string;
  job: string;
  instance_id: string;
  trigger: RunTrigger;
  triggered_by: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  rows_processed: number | null;
  progress: { processed: number; total: number | null };
  error: string | null;
}

export interface JobStatus {
  name: string;
  description: string;
  schedule: JobSchedule;
  /** Whether some instance holds an unexpired lease on it. */
  running: boolean;
  /** The instance running it now. */
  holder: string | null;
  current_run: JobRun | null;
  last_run: JobRun | null;
  next_run_at: string | null;
}

/** Runs a transaction around the claim: the API passes the audit trail's, so the claim is audited. */
export type ClaimTransaction = (claim: (trx: Kysely<Database>) => Promise<JobRun>) => Promise<JobRun>;

export interface JobRunner {
  readonly instanceId: string;
  register(name: string, definition: JobDefinition): void;
  /** Whether a job of this name is registered on this instance. */
  has(name: string): boolean;
  /** Starts the schedule: a pass now, then every `pollMs`. */
  start(): void;
  /** Aborts running jobs, waits for them (up to `stopTimeoutMs`), records them as interrupted. */
  stop(): Promise<void>;
  /** One scheduling pass: closes stale runs, claims and starts every due job. */
  tick(): Promise<void>;
  /** Renews the leases of the jobs running here (the heartbeat timer does it every `heartbeatMs`). */
  heartbeat(): Promise<void>;
  /** Runs the job now; 409 JOB_RUNNING when any instance runs it, 404 when not registered. */
  trigger(name: string, options?: { triggeredBy?: string; transaction?: ClaimTransaction }): Promise<JobRun>;
  /** Resolves once no job runs on this instance. */
  idle(): Promise<void>;
  status(): Promise<JobStatus[]>;
  runs(name: string, page: { cursor?: string; limit: number }): Promise<Page<JobRun>>;
}

export interface JobRunnerDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  instanceId?: string;
  /** How long a lease lasts without a heartbeat: a crashed holder's job is taken over after it. */
  leaseMs?: number;
  heartbeatMs?: number;
  /** How often each instance looks for due jobs. */
  pollMs?: number;
  /** Progress is written at most this often (and always at the end). */
  progressEveryMs?: number;
  stopTimeoutMs?: number;
}

export const JOB_NAME_PATTERN = '^[a-z][a-z0-9_.-]{0,63}$';
const NAME = new RegExp(JOB_NAME_PATTERN);
const DAILY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const ERROR_MAX = 2000;

export const jobNotFound = (name: string) => new AppError(404, 'NOT_FOUND', `Job "${name}" not found`);
export const jobRunning = (name: string) =>
  conflict(`Job "${name}" is running already; try again when it has finished`, 'JOB_RUNNING');

class JobInterrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobInterrupted';
  }
}

/**
 * Error text kept with a run: the message only (no stack), without credentials in URLs,
 * `password=`-style pairs or bearer tokens, and bounded in length.
 */
export function safeErrorText(error: unknown): string {
  let text =
    error instanceof Error
      ? `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`
      : String(error);
  text = text
    .replace(/\/\/[^/\s:@]+:[^@\s/]+@/g, '//***@')
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [REDACTED]')
    .replace(
      /\b(password|passwd|pwd|secret|token|api[_-]?key|authorization|credential)s?(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi,
      '$1$2[REDACTED]',
    );
  return text.length > ERROR_MAX ? `${text.slice(0, ERROR_MAX - 1)}…` : text;
}

/** The first daily slot strictly after `after`. */
export function nextDailySlot(dailyAt: string, after: Date): Date {
  const [, hours, minutes] = DAILY.exec(dailyAt) ?? [];
  const slot = new Date(after);
  slot.setUTCHours(Number(hours), Number(minutes), 0, 0);
  if (slot.getTime() <= after.getTime()) slot.setUTCDate(slot.getUTCDate() + 1);
  return slot;
}

function toJobRun(row: RunRow): JobRun {
  return {
    id: row.id,
    job: row.job_name,
    instance_id: row.instance_id,
    trigger: row.trigger,
    triggered_by: row.triggered_by,
    status: row.status,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: row.finished_at === null ? null : Date.parse(row.finished_at) - Date.parse(row.started_at),
    rows_processed: row.rows_processed,
    progress: { processed: row.progress_processed, total: row.progress_total },
    error: row.error,
  };
}

interface Execution {
  runId: string;
  token: number;
  controller: AbortController;
  done: Promise<void>;
}

interface Claimed {
  name: string;
  runId: string;
  token: number;
  trigger: RunTrigger;
  startedAt: Date;
}

/**
 * Background jobs that run once across instances. Each job has a lease row in the database
 * (jobs.store.ts): an instance runs a job only after winning the claim, renews the lease while
 * the job runs, and frees it at the end. A crashed holder's lease runs out and the next instance
 * to look takes the job over; the abandoned run is then recorded as interrupted.
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { db, clock, ids, logger } = deps;
  const instanceId = deps.instanceId ?? `${os.hostname()}:${process.pid}:${ids.uuid().slice(-8)}`;
  const leaseMs = deps.leaseMs ?? 60_000;
  const heartbeatMs = deps.heartbeatMs ?? Math.max(1000, Math.floor(leaseMs / 3));
  const pollMs = deps.pollMs ?? 5_000;
  const progressEveryMs = deps.progressEveryMs ?? 1_000;
  const stopTimeoutMs = deps.stopTimeoutMs ?? 15_000;
  const log = logger.child({ component: 'jobs', instance_id: instanceId });

  const definitions = new Map<string, JobDefinition>();
  const ensured = new Set<string>();
  const executions = new Map<string, Execution>();
  let pollTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let stopped = false;

  const iso = (date: Date) => date.toISOString();
  const leaseUntil = () => iso(new Date(clock.now().getTime() + leaseMs));

  function scheduleOf(definition: JobDefinition): JobSchedule {
    return { every_ms: definition.everyMs ?? null, daily_at: definition.dailyAt ?? null };
  }

  /** When the next scheduled run is due after one that started at `startedAt`. */
  function nextDue(definition: JobDefinition, startedAt: Date, finishedAt: Date): Date {
    if (definition.dailyAt !== undefined) return nextDailySlot(definition.dailyAt, startedAt);
    return new Date(Math.max(startedAt.getTime() + definition.everyMs, finishedAt.getTime()));
  }

  async function ensureLeaseRows(): Promise<void> {
    const now = clock.now();
    for (const [name, definition] of definitions) {
      if (ensured.has(name)) continue;
      const first = definition.dailyAt !== undefined ? nextDailySlot(definition.dailyAt, now) : now;
      const latest = definition.dailyAt !== undefined ? first : new Date(now.getTime() + definition.everyMs);
      await store.ensureLease(db, {
        name,
        firstDue: iso(first),
        latestDue: iso(latest),
        now: iso(now),
      });
      ensured.add(name);
    }
  }

  /** The claim, the closing of an abandoned run and the new run row. */
  async function claim(
    handle: Kysely<Database>,
    name: string,
    trigger: RunTrigger,
    triggeredBy: string | null,
  ): Promise<Claimed | null> {
    const runId = ids.uuid();
    const startedAt = clock.now();
    const now = iso(startedAt);
    const token = await store.claimLease(handle, {
      name,
      holder: instanceId,
      runId,
      now,
      leaseUntil: leaseUntil(),
      ignoreSchedule: trigger === 'manual',
    });
    if (token === null) return null;
    const stale = await store.interruptStaleRuns(handle, {
      now,
      jobName: name,
      error: 'lease expired: the instance running it stopped renewing it (crash or shutdown)',
    });
    if (stale > 0) log.warn({ job: name, runs: stale }, 'job taken over from a stale lease');
    await store.insertRun(handle, {
      id: runId,
      job_name: name,
      instance_id: instanceId,
      trigger,
      status: 'running',
      fencing_token: token,
      started_at: now,
      finished_at: null,
      rows_processed: null,
      progress_processed: 0,
      progress_total: null,
      error: null,
      triggered_by: triggeredBy,
    });
    return { name, runId, token, trigger, startedAt };
  }

  function launch(claimed: Claimed): void {
    const controller = new AbortController();
    const execution: Execution = {
      runId: claimed.runId,
      token: claimed.token,
      controller,
      done: Promise.resolve(),
    };
    executions.set(claimed.name, execution);
    execution.done = execute(claimed, controller)
      .catch((error: unknown) => log.error({ err: error, job: claimed.name }, 'job bookkeeping failed'))
      .finally(() => {
        if (executions.get(claimed.name) === execution) executions.delete(claimed.name);
      });
  }

  async function execute(claimed: Claimed, controller: AbortController): Promise<void> {
    const definition = definitions.get(claimed.name)!;
    const { runId, token, name } = claimed;
    let processed = 0;
    let total: number | null = null;
    let lastWrite = 0;
    let timeout: NodeJS.Timeout | null = null;
    if (definition.timeoutMs !== undefined) {
      timeout = setTimeout(
        () => controller.abort(new JobInterrupted(`timed out after ${definition.timeoutMs} ms`)),
        definition.timeoutMs,
      );
      timeout.unref();
    }
    const context: JobContext = {
      runId,
      trigger: claimed.trigger,
      fencingToken: token,
      signal: controller.signal,
      async progress(count, of) {
        processed = count;
        if (of !== undefined) total = of;
        if (Date.now() - lastWrite < progressEveryMs) return;
        lastWrite = Date.now();
        await store.updateProgress(db, runId, processed, total);
      },
    };
    log.info({ job: name, run_id: runId, trigger: claimed.trigger, fencing_token: token }, 'job started');
    let status: Exclude<RunStatus, 'running'>;
    let rows: number | null = null;
    let error: string | null = null;
    try {
      const result = await definition.run(context);
      rows = result?.rows ?? processed;
      status = 'succeeded';
    } catch (thrown) {
      status = 'failed';
      error = safeErrorText(thrown);
    } finally {
      if (timeout) clearTimeout(timeout);
    }
    // Aborted (shutdown, lost lease, timeout): the work may be incomplete whatever the job
    // returned, so the run counts as interrupted and the schedule is not moved on.
    if (controller.signal.aborted) {
      status = 'interrupted';
      const reason: unknown = controller.signal.reason;
      error = reason instanceof JobInterrupted ? reason.message : safeErrorText(reason);
    }
    const finished = clock.now();
    const recorded = await store.finishRun(db, runId, {
      status,
      finishedAt: iso(finished),
      rows,
      processed,
      total,
      error,
    });
    if (!recorded) log.warn({ job: name, run_id: runId }, 'job run was closed by another instance meanwhile');
    const released = await store.releaseLease(db, {
      name,
      token,
      now: iso(finished),
      ...(claimed.trigger === 'schedule' && status !== 'interrupted'
        ? { nextDueAt: iso(nextDue(definition, claimed.startedAt, finished)) }
        : {}),
    });
    if (!released) log.warn({ job: name, run_id: runId }, 'job lease was taken over before the run ended');
    const line = {
      job: name,
      run_id: runId,
      status,
      rows,
      duration_ms: finished.getTime() - claimed.startedAt.getTime(),
      ...(error ? { error } : {}),
    };
    if (status === 'succeeded') log.info(line, 'job finished');
    else log.warn(line, `job ${status}`);
  }

  async function renewAll(): Promise<void> {
    for (const [name, execution] of executions) {
      if (execution.controller.signal.aborted) continue;
      const kept = await store.renewLease(db, {
        name,
        holder: instanceId,
        token: execution.token,
        leaseUntil: leaseUntil(),
        now: iso(clock.now()),
      });
      if (!kept) {
        log.warn({ job: name, run_id: execution.runId }, 'job lease lost to another instance');
        execution.controller.abort(new JobInterrupted('lease lost to another instance'));
      }
    }
  }

  async function pass(): Promise<void> {
    await ensureLeaseRows();
    const now = clock.now();
    await store.interruptStaleRuns(db, {
      now: iso(now),
      error: 'lease expired: the instance running it stopped renewing it (crash or shutdown)',
    });
    const rows = await store.leases(db, [...definitions.keys()]);
    for (const name of definitions.keys()) {
      if (stopped) return;
      if (executions.has(name)) continue;
      const lease = rows.get(name);
      const held = lease?.holder != null && lease.lease_until !== null && lease.lease_until >= iso(now);
      const due = !lease || lease.next_due_at === null || lease.next_due_at <= iso(now);
      if (held || !due) continue;
      const claimed = await claim(db, name, 'schedule', null);
      if (claimed) launch(claimed);
    }
  }

  const runner: JobRunner = {
    instanceId,

    register(name, definition) {
      if (!NAME.test(name)) throw new Error(`job name "${name}" must match ${JOB_NAME_PATTERN}`);
      if (definitions.has(name)) throw new Error(`job "${name}" is registered already`);
      if (definition.dailyAt !== undefined) {
        if (!DAILY.test(definition.dailyAt))
          throw new Error(`job "${name}": dailyAt must be HH:MM (UTC), got "${definition.dailyAt}"`);
      } else if (!Number.isInteger(definition.everyMs) || definition.everyMs < 1000) {
        throw new Error(`job "${name}": everyMs must be a whole number of at least 1000`);
      }
      definitions.set(name, definition);
    },

    has: (name) => definitions.has(name),

    start() {
      if (pollTimer || stopped) return;
      const safeTick = () =>
        void runner.tick().catch((error: unknown) => log.error({ err: error }, 'job scheduling failed'));
      safeTick();
      pollTimer = setInterval(safeTick, pollMs);
      pollTimer.unref();
      heartbeatTimer = setInterval(
        () => void renewAll().catch((error: unknown) => log.error({ err: error }, 'job heartbeat failed')),
        heartbeatMs,
      );
      heartbeatTimer.unref();
    },

    async stop() {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      pollTimer = null;
      heartbeatTimer = null;
      await ticking?.catch(() => undefined);
      const running = [...executions.values()];
      for (const execution of running)
        execution.controller.abort(new JobInterrupted('the instance is shutting down'));
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
      });
      const outcome = await Promise.race([Promise.all(running.map((e) => e.done)), gaveUp]);
      clearTimeout(timer);
      if (outcome !== 'timeout') return;
      // A job that ignores its signal: its run is closed and its lease freed without it.
      for (const [name, execution] of executions) {
        const now = iso(clock.now());
        await store.finishRun(db, execution.runId, {
          status: 'interrupted',
          finishedAt: now,
          rows: null,
          processed: 0,
          total: null,
          error: 'the instance shut down before the job stopped',
        });
        await store.releaseLease(db, { name, token: execution.token, now });
        log.warn({ job: name, run_id: execution.runId }, 'job did not stop in time');
      }
    },

    async tick() {
      if (stopped) return;
      // One pass at a time per instance: a slow pass is not stacked on by the next timer.
      if (ticking) return ticking;
      ticking = pass().finally(() => {
        ticking = null;
      });
      return ticking;
    },

    heartbeat: renewAll,

    async trigger(name, options = {}) {
      if (!definitions.has(name)) throw jobNotFound(name);
      if (stopped) throw new AppError(503, 'SHUTTING_DOWN', 'The server is shutting down');
      if (executions.has(name)) throw jobRunning(name);
      await ensureLeaseRows();
      const won: { claimed?: Claimed } = {};
      const work = async (trx: Kysely<Database>): Promise<JobRun> => {
        const claimed = await claim(trx, name, 'manual', options.triggeredBy ?? null);
        if (!claimed) throw jobRunning(name);
        won.claimed = claimed;
        return toJobRun((await store.getRun(trx, claimed.runId))!);
      };
      const run = options.transaction ? await options.transaction(work) : await work(db);
      // Only once the claim is committed: a rolled-back claim never runs.
      if (won.claimed) launch(won.claimed);
      return run;
    },

    async idle() {
      while (executions.size > 0) await Promise.all([...executions.values()].map((e) => e.done));
    },

    async status() {
      await ensureLeaseRows();
      const names = [...definitions.keys()].sort();
      const rows = await store.leases(db, names);
      const now = iso(clock.now());
      const out: JobStatus[] = [];
      for (const name of names) {
        const definition = definitions.get(name)!;
        const lease = rows.get(name);
        const running = lease?.holder != null && lease.lease_until !== null && lease.lease_until >= now;
        const current = running && lease?.run_id ? await store.getRun(db, lease.run_id) : undefined;
        const last = await store.latestRun(db, name, true);
        out.push({
          name,
          description: definition.description ?? '',
          schedule: scheduleOf(definition),
          running,
          holder: running ? (lease?.holder ?? null) : null,
          current_run: current ? toJobRun(current) : null,
          last_run: last ? toJobRun(last) : null,
          next_run_at: lease?.next_due_at ?? null,
        });
      }
      return out;
    },

    async runs(name, page) {
      if (!definitions.has(name)) throw jobNotFound(name);
      const before = page.cursor
        ? decodeCursor<[string, string]>(
            page.cursor,
            (key) => key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string',
          )
        : undefined;
      const rows = await store.listRuns(db, name, {
        ...(before ? { before } : {}),
        limit: page.limit + 1,
      });
      return toPage(rows, page.limit, toJobRun, (row) => [row.started_at, row.id]);
    },
  };
  return runner;
}
