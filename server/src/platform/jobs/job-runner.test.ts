import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, dialects, TEST_PG_URL } from '../../../test/helpers/test-app.ts';
import { ManualClock } from '../clock.ts';
import { type DbHandle, type Dialect, openDb } from '../db/database.ts';
import { migrateToLatest } from '../db/migrator.ts';
import type { AppError } from '../http/errors.ts';
import { systemIds } from '../ids.ts';
import {
  createJobRunner,
  type JobContext,
  type JobRunner,
  type JobRunnerDeps,
  nextDailySlot,
  safeErrorText,
} from './job-runner.ts';

const silent = pino({ enabled: false });

/** Two handles on one database: what two instances of the server see. */
async function sharedDatabase(
  dialect: Dialect,
): Promise<{ a: DbHandle; b: DbHandle; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-jobs-'));
    const file = path.join(dir, 'jobs.sqlite');
    const a = openDb({ databaseUrl: null, sqliteFile: file });
    await migrateToLatest(a.db, a.dialect);
    const b = openDb({ databaseUrl: null, sqliteFile: file });
    return {
      a,
      b,
      async drop() {
        await a.close();
        await b.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = await createTestSchema();
  const a = openDb({ databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 4 });
  await migrateToLatest(a.db, a.dialect);
  const b = openDb({ databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 4 });
  return {
    a,
    b,
    async drop() {
      await a.close();
      await b.close();
    },
  };
}

/** A promise a test resolves by hand: keeps a job running until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Resolves when the signal fires, rejecting like an aborted I/O call would. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}

async function statusOf(error: Promise<unknown>): Promise<{ statusCode: number; code: string }> {
  try {
    await error;
  } catch (thrown) {
    const app = thrown as AppError;
    return { statusCode: app.statusCode, code: app.code };
  }
  throw new Error('expected a rejection');
}

describe.each(dialects())('job runner on %s', (dialect) => {
  let shared: Awaited<ReturnType<typeof sharedDatabase>>;
  let clock: ManualClock;
  const runners: JobRunner[] = [];

  function runner(handle: DbHandle, instanceId: string, options: Partial<JobRunnerDeps> = {}): JobRunner {
    const created = createJobRunner({
      db: handle.db,
      clock,
      ids: systemIds,
      logger: silent,
      instanceId,
      leaseMs: 30_000,
      progressEveryMs: 0,
      ...options,
    });
    runners.push(created);
    return created;
  }

  async function runRows(job: string) {
    return shared.a.db
      .selectFrom('job_runs')
      .selectAll()
      .where('job_name', '=', job)
      .orderBy('started_at')
      .orderBy('id')
      .execute();
  }

  beforeEach(async () => {
    shared = await sharedDatabase(dialect);
    clock = new ManualClock('2026-03-02T08:00:00.000Z');
  });
  afterEach(async () => {
    for (const created of runners.splice(0)) await created.stop();
    await shared.drop();
  });

  it('runs a due job exactly once when two instances race for it, again and again', async () => {
    const a = runner(shared.a, 'instance-a');
    const b = runner(shared.b, 'instance-b');
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    const job = {
      everyMs: 60_000,
      async run() {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 1));
        active -= 1;
        runs += 1;
        return { rows: 1 };
      },
    };
    a.register('race', job);
    b.register('race', job);
    const rounds = 25;
    for (let round = 1; round <= rounds; round += 1) {
      // Either may start first: on SQLite the one that starts first would otherwise always win.
      const [first, second] = Math.random() < 0.5 ? [a, b] : [b, a];
      await Promise.all([first.tick(), second.tick(), first.tick(), second.tick()]);
      await Promise.all([a.idle(), b.idle()]);
      expect(runs, `round ${round}`).toBe(round);
      // Not due again until the interval has passed.
      await Promise.all([a.tick(), b.tick()]);
      await Promise.all([a.idle(), b.idle()]);
      expect(runs, `round ${round}, before the next slot`).toBe(round);
      clock.advance(60_000);
    }
    expect(maxActive).toBe(1);
    const rows = await runRows('race');
    expect(rows).toHaveLength(rounds);
    expect(rows.every((row) => row.status === 'succeeded' && row.trigger === 'schedule')).toBe(true);
    // Each claim took a new fencing token, whichever instance won it.
    const tokens = rows.map((row) => Number(row.fencing_token));
    expect(new Set(tokens).size).toBe(rounds);
    expect([...tokens].sort((x, y) => x - y)).toEqual(tokens);
  });

  it('lets exactly one of two racing manual triggers win', async () => {
    const a = runner(shared.a, 'instance-a');
    const b = runner(shared.b, 'instance-b');
    let release = gate();
    let runs = 0;
    const job = {
      everyMs: 3_600_000,
      async run() {
        runs += 1;
        await release.opened;
      },
    };
    a.register('manual-race', job);
    b.register('manual-race', job);
    for (let round = 1; round <= 15; round += 1) {
      const results = await Promise.allSettled([a.trigger('manual-race'), b.trigger('manual-race')]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won, `round ${round}`).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason.code).toBe('JOB_RUNNING');
      release.open();
      await Promise.all([a.idle(), b.idle()]);
      release = gate();
    }
    expect(runs).toBe(15);
  });

  it("takes over a crashed holder's job once its lease has expired, and fences the old holder", async () => {
    const a = runner(shared.a, 'instance-a');
    const b = runner(shared.b, 'instance-b');
    const finishB = gate();
    const seen: { instance: string; token: number; aborted?: boolean }[] = [];
    const make = (instance: string) => ({
      everyMs: 3_600_000,
      async run(ctx: JobContext) {
        const entry: { instance: string; token: number; aborted?: boolean } = {
          instance,
          token: ctx.fencingToken,
        };
        seen.push(entry);
        if (instance === 'a') {
          // Instance A "hangs" (a crash, as far as the others can tell): it never heartbeats.
          await untilAborted(ctx.signal).catch((error: unknown) => {
            entry.aborted = true;
            throw error;
          });
        }
        await finishB.opened;
        return { rows: 7 };
      },
    });
    a.register('takeover', make('a'));
    b.register('takeover', make('b'));
    const first = await a.trigger('takeover');
    expect(first.status).toBe('running');

    // Within the lease, B leaves the job alone, and a heartbeat keeps the lease alive past it.
    clock.advance(20_000);
    await b.tick();
    await a.heartbeat();
    clock.advance(20_000);
    await b.tick();
    expect(seen.map((entry) => entry.instance)).toEqual(['a']);

    // A stops renewing: once the lease is past, B takes the job over on its next pass.
    clock.advance(31_000);
    await b.tick();
    expect(seen.map((entry) => entry.instance)).toEqual(['a', 'b']);
    const [stale] = await runRows('takeover');
    expect(stale).toMatchObject({ id: first.id, status: 'interrupted', instance_id: 'instance-a' });
    expect(stale?.error).toMatch(/lease expired/);
    expect(Number(stale?.fencing_token)).toBeLessThan(seen[1]!.token);

    // A comes back to life: its heartbeat finds another token, so its job is told to stop, and
    // neither its outcome nor its release overwrite B's.
    await a.heartbeat();
    await a.idle();
    expect(seen[0]?.aborted).toBe(true);
    const lease = await shared.a.db.selectFrom('job_leases').selectAll().executeTakeFirstOrThrow();
    expect(lease.holder).toBe('instance-b');
    finishB.open();
    await b.idle();
    const rows = await runRows('takeover');
    expect(rows.map((row) => [row.instance_id, row.status])).toEqual([
      ['instance-a', 'interrupted'],
      ['instance-b', 'succeeded'],
    ]);
    expect(rows[1]?.rows_processed).toBe(7);
  });

  it('keeps a run history with progress, rows and a scrubbed error', async () => {
    const a = runner(shared.a, 'instance-a');
    const halfway = gate();
    const proceed = gate();
    a.register('progress', {
      everyMs: 60_000,
      description: 'counts to three',
      async run(ctx) {
        await ctx.progress(1, 3);
        halfway.open();
        await proceed.opened;
        await ctx.progress(2);
        await ctx.progress(3);
        return { rows: 2 };
      },
    });
    a.register('boom', {
      everyMs: 60_000,
      async run() {
        throw new Error(
          'could not reach postgres://erp:hunter2@erp.example/stock (password=hunter2, Authorization: Bearer abc.def)',
        );
      },
    });

    await a.trigger('progress');
    await halfway.opened;
    const during = (await a.status()).find((job) => job.name === 'progress')!;
    expect(during).toMatchObject({ running: true, holder: 'instance-a', description: 'counts to three' });
    expect(during.current_run?.progress).toEqual({ processed: 1, total: 3 });
    proceed.open();
    await a.idle();

    await a.trigger('boom');
    await a.idle();

    const [done] = (await a.runs('progress', { limit: 10 })).items;
    expect(done).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      rows_processed: 2,
      progress: { processed: 3, total: 3 },
      error: null,
    });
    expect(done?.finished_at).not.toBeNull();
    const [failed] = (await a.runs('boom', { limit: 10 })).items;
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toMatch(/could not reach/);
    expect(failed?.error).not.toMatch(/hunter2|abc\.def/);

    const listed = await a.status();
    expect(listed.map((job) => job.name)).toEqual(['boom', 'progress']);
    expect(listed[1]).toMatchObject({ running: false, current_run: null, last_run: { id: done?.id } });

    // History pages, newest first.
    for (let i = 0; i < 3; i += 1) {
      clock.advance(1000);
      proceed.open();
      await a.trigger('progress');
      await a.idle();
    }
    const first = await a.runs('progress', { limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.next_cursor).not.toBeNull();
    const second = await a.runs('progress', { limit: 3, cursor: first.next_cursor! });
    expect(second.items.map((run) => run.id)).toEqual([done?.id]);
    expect(second.next_cursor).toBeNull();
    const startedAt = [...first.items, ...second.items].map((run) => run.started_at);
    expect([...startedAt].sort().reverse()).toEqual(startedAt);
    expect((await statusOf(a.runs('progress', { limit: 3, cursor: 'bogus' }))).statusCode).toBe(400);
  });

  it('moves the schedule on after a scheduled run, succeeded or failed', async () => {
    const a = runner(shared.a, 'instance-a');
    let fail = false;
    a.register('every-minute', {
      everyMs: 60_000,
      async run() {
        if (fail) throw new Error('peer down');
      },
    });
    a.register('nightly', { dailyAt: '02:30', run: async () => ({ rows: 0 }) });
    await a.tick();
    await a.idle();
    let jobs = await a.status();
    expect(jobs.find((job) => job.name === 'every-minute')).toMatchObject({
      schedule: { every_ms: 60_000, daily_at: null },
      next_run_at: '2026-03-02T08:01:00.000Z',
      last_run: { status: 'succeeded', trigger: 'schedule' },
    });
    // The daily job waits for its slot (02:30 UTC tomorrow).
    expect(jobs.find((job) => job.name === 'nightly')).toMatchObject({
      schedule: { every_ms: null, daily_at: '02:30' },
      next_run_at: '2026-03-03T02:30:00.000Z',
      last_run: null,
    });

    fail = true;
    clock.advance(60_000);
    await a.tick();
    await a.idle();
    jobs = await a.status();
    expect(jobs.find((job) => job.name === 'every-minute')).toMatchObject({
      next_run_at: '2026-03-02T08:02:00.000Z',
      last_run: { status: 'failed', error: 'peer down' },
    });

    clock.set('2026-03-03T02:30:00.000Z');
    await a.tick();
    await a.idle();
    jobs = await a.status();
    expect(jobs.find((job) => job.name === 'nightly')).toMatchObject({
      next_run_at: '2026-03-04T02:30:00.000Z',
      last_run: { status: 'succeeded' },
    });

    // A manual run leaves the schedule where it was.
    const scheduled = jobs.find((job) => job.name === 'every-minute')?.next_run_at;
    expect(scheduled).toBe('2026-03-03T02:31:00.000Z');
    fail = false;
    await a.trigger('every-minute');
    await a.idle();
    jobs = await a.status();
    expect(jobs.find((job) => job.name === 'every-minute')).toMatchObject({
      next_run_at: scheduled,
      last_run: { status: 'succeeded', trigger: 'manual' },
    });
  });

  it('answers 409 to a manual trigger while the job runs anywhere, 404 for an unknown job', async () => {
    const a = runner(shared.a, 'instance-a');
    const b = runner(shared.b, 'instance-b');
    const release = gate();
    const job = { everyMs: 3_600_000, run: () => release.opened };
    a.register('busy', job);
    b.register('busy', job);
    await a.trigger('busy');
    expect(await statusOf(a.trigger('busy'))).toEqual({ statusCode: 409, code: 'JOB_RUNNING' });
    expect(await statusOf(b.trigger('busy'))).toEqual({ statusCode: 409, code: 'JOB_RUNNING' });
    expect(await statusOf(a.trigger('nope'))).toEqual({ statusCode: 404, code: 'NOT_FOUND' });
    release.open();
    await a.idle();
    expect((await b.trigger('busy')).instance_id).toBe('instance-b');
    await b.idle();
    expect((await runRows('busy')).map((row) => row.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('stop aborts running jobs, waits for them and records them as interrupted', async () => {
    const a = runner(shared.a, 'instance-a');
    const b = runner(shared.b, 'instance-b', { stopTimeoutMs: 100 });
    let aborted = false;
    const job = {
      everyMs: 60_000,
      async run(ctx: JobContext) {
        await untilAborted(ctx.signal).catch((error: unknown) => {
          aborted = true;
          throw error;
        });
      },
    };
    a.register('long', job);
    await a.tick();
    await a.stop();
    expect(aborted).toBe(true);
    const [run] = await runRows('long');
    expect(run).toMatchObject({ status: 'interrupted', error: 'the instance is shutting down' });
    expect(run?.finished_at).not.toBeNull();
    // The lease is free at once and the job still due: another instance picks it up.
    const lease = await shared.a.db.selectFrom('job_leases').selectAll().executeTakeFirstOrThrow();
    expect(lease.holder).toBeNull();
    expect(lease.next_due_at! <= clock.now().toISOString()).toBe(true);

    // A job that ignores its signal is closed after stopTimeoutMs all the same.
    let finishStubborn!: () => void;
    b.register('long', {
      everyMs: 60_000,
      run: () =>
        new Promise<void>((resolve) => {
          finishStubborn = resolve;
        }),
    });
    await b.tick();
    expect((await runRows('long')).map((row) => row.instance_id)).toEqual(['instance-a', 'instance-b']);
    await b.stop();
    const rows = await runRows('long');
    expect(rows[1]).toMatchObject({
      status: 'interrupted',
      error: 'the instance shut down before the job stopped',
    });
    expect(
      (await shared.a.db.selectFrom('job_leases').selectAll().executeTakeFirstOrThrow()).holder,
    ).toBeNull();
    finishStubborn();
    await b.idle();
    expect((await runRows('long'))[1]?.status).toBe('interrupted');
    expect(await statusOf(b.trigger('long'))).toMatchObject({ statusCode: 503 });
  });
});

describe('job schedules and error text', () => {
  it('finds the next daily slot in UTC', () => {
    expect(nextDailySlot('02:30', new Date('2026-03-02T01:00:00Z')).toISOString()).toBe(
      '2026-03-02T02:30:00.000Z',
    );
    expect(nextDailySlot('02:30', new Date('2026-03-02T02:30:00Z')).toISOString()).toBe(
      '2026-03-03T02:30:00.000Z',
    );
    expect(nextDailySlot('00:00', new Date('2026-12-31T23:59:59Z')).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });

  it('keeps secrets out of the stored error', () => {
    const text = safeErrorText(
      new TypeError(
        'GET https://svc:s3cr3t@erp.example/api failed; api_key=XYZ123 token: "t0k" Bearer aaa.bbb',
      ),
    );
    expect(text).toMatch(/^TypeError: GET https:\/\/\*\*\*@erp\.example/);
    expect(text).not.toMatch(/s3cr3t|XYZ123|t0k|aaa\.bbb/);
    expect(safeErrorText('x'.repeat(5000))).toHaveLength(2000);
  });

  it('refuses bad registrations', () => {
    const runner = createJobRunner({
      db: null as never,
      clock: new ManualClock(),
      ids: systemIds,
      logger: silent,
    });
    const run = async () => undefined;
    expect(() => runner.register('Bad Name', { everyMs: 60_000, run })).toThrow(/must match/);
    expect(() => runner.register('fast', { everyMs: 10, run })).toThrow(/at least 1000/);
    expect(() => runner.register('nightly', { dailyAt: '25:00', run })).toThrow(/HH:MM/);
    runner.register('ok', { everyMs: 60_000, run });
    expect(() => runner.register('ok', { everyMs: 60_000, run })).toThrow(/registered already/);
  });
});
