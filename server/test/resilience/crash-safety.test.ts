import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyStore, killAllServers, type Store } from '../helpers/server-process.ts';
import { dialects } from '../helpers/test-app.ts';
import {
  baseEnv,
  call,
  errorLogLines,
  expectCall,
  type Floor,
  listAll,
  listEntries,
  makeSubmissions,
  pool,
  type Submission,
  setUpFloor,
  signIn,
  startInstance,
  USER_PASSWORD,
} from './proc-fixture.ts';

/**
 * Issue 10, point 2: the product killed with SIGKILL in the middle of a burst of entry
 * submissions loses nothing it acknowledged, and a replay of every submission — acknowledged,
 * cut off in flight, or never sent — stores each exactly once. The audit trail still verifies.
 */

const SUBMISSIONS = 300;
/** The process is killed when this many submissions have been acknowledged. */
const KILL_AFTER = 100;
const IN_FLIGHT = 8;

type Outcome =
  | { kind: 'unsent' }
  | { kind: 'acknowledged'; status: number; result: string }
  | { kind: 'cut_off'; error: string }
  | { kind: 'refused'; status: number; body: unknown };

const stores: Store[] = [];
afterEach(() => {
  killAllServers();
  for (const store of stores.splice(0)) store.remove();
});

async function submit(baseUrl: string, floor: Floor, submission: Submission) {
  return call(baseUrl, 'POST', `/api/count-sessions/${floor.sessionId}/entries`, {
    token: floor.counters[submission.counter]!.token,
    body: submission.body,
  });
}

describe.each(dialects())('crash safety on %s', (dialect) => {
  it('keeps every acknowledged entry through a SIGKILL, and a full replay stores each exactly once', async () => {
    const store = await emptyStore(dialect);
    stores.push(store);
    const env = { ...store.env, ...baseEnv() };

    const first = await startInstance(env);
    const floor = await setUpFloor(first.url, { locations: 6, items: 24, counters: 4 });
    const submissions = makeSubmissions(floor, SUBMISSIONS);

    // The burst: IN_FLIGHT submissions at a time; SIGKILL once KILL_AFTER are acknowledged.
    const outcomes: Outcome[] = submissions.map(() => ({ kind: 'unsent' }));
    let acknowledged = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let killed: Promise<number | null> | null = null;
    await pool(
      submissions,
      IN_FLIGHT,
      async (submission, index) => {
        inFlight += 1;
        try {
          const answer = await submit(first.url, floor, submission);
          outcomes[index] =
            answer.status === 201 || answer.status === 200
              ? { kind: 'acknowledged', status: answer.status, result: answer.body?.result }
              : { kind: 'refused', status: answer.status, body: answer.body };
        } catch (error) {
          outcomes[index] = { kind: 'cut_off', error: String((error as Error).cause ?? error) };
        } finally {
          inFlight -= 1;
        }
        if (outcomes[index]!.kind === 'acknowledged') acknowledged += 1;
        if (acknowledged === KILL_AFTER && killed === null) {
          inFlightAtKill = inFlight;
          killed = first.kill('SIGKILL');
        }
      },
      () => killed !== null,
    );
    expect(killed).not.toBeNull();
    expect(await killed).toBeNull(); // ended by the signal, not by an exit of its own
    expect(first.child.signalCode).toBe('SIGKILL');

    const byKind = (kind: Outcome['kind']) =>
      outcomes.flatMap((outcome, index) => (outcome.kind === kind ? [index] : []));
    // Nothing was refused before the kill; every acknowledgement was a first acceptance.
    expect(byKind('refused').map((index) => outcomes[index])).toEqual([]);
    expect(
      byKind('acknowledged').every((index) => {
        const outcome = outcomes[index] as Extract<Outcome, { kind: 'acknowledged' }>;
        return outcome.status === 201 && outcome.result === 'accepted';
      }),
    ).toBe(true);
    // The kill really came in the middle: some acknowledged, some in flight, some not yet sent.
    expect(byKind('acknowledged').length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(byKind('unsent').length).toBeGreaterThan(0);

    // Restart on the same store. The tokens issued before the crash are sessions in the database.
    const second = await startInstance(env);
    const afterCrash = await listEntries(second.url, floor.supervisor.token, floor.sessionId);
    const stored = new Map(afterCrash.map((entry) => [entry.client_id, entry]));
    expect(stored.size).toBe(afterCrash.length);
    for (const index of byKind('acknowledged')) {
      const submission = submissions[index]!;
      const entry = stored.get(submission.body.client_id);
      expect(entry, `acknowledged entry ${index} is missing after the crash`).toBeDefined();
      expect(entry).toMatchObject({
        quantity: submission.body.quantity,
        location_id: submission.body.location_id,
        counted_by: floor.counters[submission.counter]!.id,
        voided: false,
      });
    }
    // Nothing is stored that was never sent.
    for (const index of byKind('unsent')) expect(stored.has(submissions[index]!.body.client_id)).toBe(false);

    // Replay every submission, as devices retry whatever they have no answer for (and more).
    const replayed: { status: number; result: unknown }[] = [];
    await pool(submissions, IN_FLIGHT, async (submission, index) => {
      const answer = await submit(second.url, floor, submission);
      replayed[index] = { status: answer.status, result: answer.body?.result };
    });
    for (const [index, outcome] of outcomes.entries()) {
      const answer = replayed[index]!;
      if (outcome.kind === 'acknowledged') expect(answer).toEqual({ status: 200, result: 'duplicate' });
      else if (outcome.kind === 'unsent') expect(answer).toEqual({ status: 201, result: 'accepted' });
      else {
        // Cut off in flight: stored before the kill or not; either way it is stored once now.
        const wasStored = stored.has(submissions[index]!.body.client_id);
        expect(answer).toEqual(
          wasStored ? { status: 200, result: 'duplicate' } : { status: 201, result: 'accepted' },
        );
      }
    }

    // The same submissions once more as offline batches, one per counter: all duplicates.
    for (const [c, counter] of floor.counters.entries()) {
      const mine = submissions.filter((submission) => submission.counter === c);
      const batch = await expectCall(200, second.url, 'POST', '/api/sync/batch', {
        token: counter.token,
        body: { entries: mine.map((submission) => ({ session_id: floor.sessionId, ...submission.body })) },
      });
      expect({ accepted: batch.accepted, duplicate: batch.duplicate, conflict: batch.conflict }).toEqual({
        accepted: 0,
        duplicate: mine.length,
        conflict: 0,
      });
    }

    // Exactly one entry per submission, with its quantity; the lines add up to the same.
    const final = await listEntries(second.url, floor.supervisor.token, floor.sessionId);
    expect(final).toHaveLength(SUBMISSIONS);
    const finalByClient = new Map(final.map((entry) => [entry.client_id, entry]));
    expect(finalByClient.size).toBe(SUBMISSIONS);
    for (const submission of submissions)
      expect(finalByClient.get(submission.body.client_id)?.quantity).toBe(submission.body.quantity);
    const lines = await listAll(
      second.url,
      floor.supervisor.token,
      `/api/count-sessions/${floor.sessionId}/lines`,
    );
    const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
    expect(total(lines.map((line) => line.entry_count as number))).toBe(SUBMISSIONS);
    expect(total(lines.map((line) => (line.counted_qty as number | null) ?? 0))).toBe(
      total(submissions.map((submission) => submission.body.quantity)),
    );

    // The audit trail: one creation event per stored entry, and the chain verifies.
    const created = await listAll(
      second.url,
      floor.admin.token,
      '/api/enterprise/audit/logs?resource_type=count_entry&event_type=DATA_CREATE',
    );
    const auditedIds = created.map((event) => event.resource?.id as string);
    expect(new Set(auditedIds).size).toBe(auditedIds.length);
    expect(new Set(auditedIds)).toEqual(new Set(final.map((entry) => entry.id)));
    const report = await expectCall(200, second.url, 'GET', '/api/enterprise/audit/verify-integrity', {
      token: floor.admin.token,
    });
    expect(report).toMatchObject({ valid: true, first_bad: null });
    expect(report.checked).toBeGreaterThan(SUBMISSIONS);

    // Sign-in still works after the crash (the users and the lockout state are intact).
    await signIn(second.url, floor.counters[0]!.username, USER_PASSWORD);

    // The restarted process logged no error: it recovered the store without complaint.
    expect(errorLogLines(second.output())).toEqual([]);

    // A clean stop, then the store itself: not corrupt, one row per client_id.
    expect(await second.kill('SIGTERM')).toBe(0);
    if (dialect === 'sqlite') {
      const file = new Database(path.join(store.dataDir, 'stock-verify.sqlite'), { readonly: true });
      try {
        expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
        const doubled = file
          .prepare('select client_id from count_entries group by client_id having count(*) > 1')
          .all();
        expect(doubled).toEqual([]);
        expect(file.prepare('select count(*) as n from count_entries').get()).toEqual({ n: SUBMISSIONS });
      } finally {
        file.close();
      }
    } else {
      const client = new pg.Client({ connectionString: store.env.DATABASE_URL });
      await client.connect();
      try {
        const doubled = await client.query(
          'select client_id from count_entries group by client_id having count(*) > 1',
        );
        expect(doubled.rows).toEqual([]);
        const count = await client.query('select count(*)::int as n from count_entries');
        expect(count.rows[0]).toEqual({ n: SUBMISSIONS });
      } finally {
        await client.end();
      }
    }
  }, 240_000);
});
