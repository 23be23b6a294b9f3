import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStore, killAllServers, type ServerProcess, type Store } from '../helpers/server-process.ts';
import {
  type Answer,
  baseEnv,
  call,
  errorLogLines,
  errorShape,
  eventually,
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
 * Issue 10, point 3: three product processes on one PostgreSQL schema take a concurrent load of
 * sign-ins (good and bad), entry submissions (some replayed to another instance while the first
 * is still in flight) and flag changes, spread round-robin. Everything that must hold across
 * instances lives in the database: the audit chain stays one chain, entries are stored once,
 * and lockouts, IP blocks, ended sessions and flag changes made on one apply on the others.
 */

const ENTRIES = 300;
/** Every REPLAY_EVERY-th submission is also sent, at the same time, to the next instance. */
const REPLAY_EVERY = 4;
const VICTIM_ATTEMPTS = 8;
const MAX_LOGIN_ATTEMPTS = 5;
const FLAG = 'resilience_toggle';
/** Flags changed at the same moment on different instances: each ends in a known state. */
const RACING_FLAGS = ['resilience_a', 'resilience_b', 'resilience_c'];
const racingFinal = (k: number) => k % 2 === 0;

const xff = (address: string) => ({ 'x-forwarded-for': address });

let store: Store;
let servers: ServerProcess[] = [];
let floor: Floor;
let submissions: Submission[];
/** Every answer to every entry send, by client_id. */
const entryAnswers = new Map<string, Answer[]>();
const victim = { id: '', username: 'res-victim' };
const victimAnswers: Answer[] = [];
const signInAnswers: { good: boolean; status: number }[] = [];
const flagAnswers: { change: string; answer: Answer }[] = [];

const urls = () => servers.map((server) => server.url);

/** An error of the start-up or the load, rethrown by every test (so they fail, not skip). */
let setupError: unknown = null;
function loaded(): void {
  if (setupError) throw setupError;
}

beforeAll(async () => {
  try {
    await runLoad();
  } catch (error) {
    setupError = error;
  }
}, 300_000);

async function runLoad(): Promise<void> {
  store = await emptyStore('postgres');
  const env = {
    ...store.env,
    ...baseEnv(),
    // The three share DATA_DIR: the first creates the audit signing, MFA and integrations keys there.
    TRUST_PROXY: '127.0.0.1',
    FEATURE_FLAGS_CACHE_TTL: '1',
    MAX_LOGIN_ATTEMPTS: String(MAX_LOGIN_ATTEMPTS),
    // Sign-ins of the same users on every instance: the session cap is not under test here.
    MAX_CONCURRENT_SESSIONS: '200',
    // Signed checkpoints come often, so all three race to make them during the load.
    AUDIT_CHECKPOINT_EVERY_ENTRIES: '100',
  };
  // The first migrates and creates the admin and the key files; the other two start together.
  const first = await startInstance(env);
  const others = await Promise.all([startInstance(env), startInstance(env)]);
  servers = [first, ...others];

  floor = await setUpFloor(first.url, { locations: 6, items: 24, counters: 4 });
  submissions = makeSubmissions(floor, ENTRIES);
  const victimUser = await expectCall(201, first.url, 'POST', '/api/users', {
    token: floor.admin.token,
    body: { username: victim.username, display_name: 'Victim', role: 'staff', password: USER_PASSWORD },
  });
  victim.id = victimUser.id;
  for (const key of [FLAG, ...RACING_FLAGS])
    await expectCall(201, first.url, 'POST', '/api/enterprise/features', {
      token: floor.admin.token,
      body: { key, state: 'enabled' },
    });

  const send = async (submission: Submission, instance: number) => {
    const answer = await call(urls()[instance]!, 'POST', `/api/count-sessions/${floor.sessionId}/entries`, {
      token: floor.counters[submission.counter]!.token,
      body: submission.body,
      headers: xff(`10.2.0.${submission.counter + 1}`),
    });
    const answers = entryAnswers.get(submission.body.client_id) ?? [];
    answers.push(answer);
    entryAnswers.set(submission.body.client_id, answers);
  };
  const entriesLoad = pool(submissions, 9, async (submission, index) => {
    const instance = index % 3;
    await Promise.all([
      send(submission, instance),
      ...(index % REPLAY_EVERY === 0 ? [send(submission, (instance + 1) % 3)] : []),
    ]);
  });

  // Sign-ins: counters and the supervisor with the right password, unknown names with a wrong one.
  const signIns = Array.from({ length: 36 }, (_, i) => ({
    good: i % 3 !== 2,
    username: i % 3 !== 2 ? (i % 9 === 0 ? floor.supervisor.username : `res-counter-${i % 4}`) : `ghost-${i}`,
  }));
  const signInLoad = pool(signIns, 3, async (attempt, i) => {
    const answer = await call(urls()[i % 3]!, 'POST', '/api/auth/login', {
      body: { username: attempt.username, password: attempt.good ? USER_PASSWORD : 'wrong-Password-123' },
      headers: xff(`10.3.${i}.1`),
    });
    signInAnswers.push({ good: attempt.good, status: answer.status });
  });

  // Wrong passwords for one account, from different addresses, on all three at once.
  const victimLoad = pool(
    Array.from({ length: VICTIM_ATTEMPTS }, (_, i) => i),
    4,
    async (i) => {
      victimAnswers.push(
        await call(urls()[i % 3]!, 'POST', '/api/auth/login', {
          body: { username: victim.username, password: `not-the-Password-${i}` },
          headers: xff(`10.4.0.${i + 1}`),
        }),
      );
    },
  );

  // Flag changes on every instance in turn, ending enabled at 100 %.
  const changes: { method: string; path: string; body?: unknown }[] = [];
  for (let i = 0; i < 14; i += 1) {
    if (i % 3 === 2)
      changes.push({
        method: 'PATCH',
        path: `/api/enterprise/features/${FLAG}`,
        body: { percentage: (i * 7) % 101 },
      });
    else
      changes.push({
        method: 'POST',
        path: `/api/enterprise/features/${FLAG}/${i % 2 === 0 ? 'disable' : 'enable'}`,
      });
  }
  changes.push({ method: 'PATCH', path: `/api/enterprise/features/${FLAG}`, body: { percentage: null } });
  changes.push({ method: 'POST', path: `/api/enterprise/features/${FLAG}/enable` });
  const flagLoad = (async () => {
    for (const [i, change] of changes.entries()) {
      const answer = await call(urls()[i % 3]!, change.method, change.path, {
        token: floor.admin.token,
        body: change.body,
      });
      flagAnswers.push({ change: `${change.method} ${change.path}`, answer });
      // Reads of the flag in between, by counters, on all three.
      await call(urls()[(i + 1) % 3]!, 'GET', `/api/enterprise/features/${FLAG}`, {
        token: floor.counters[i % 4]!.token,
      });
    }
  })();

  // And three flags toggled at once, each on its own instance in turn.
  const racingLoad = Promise.all(
    RACING_FLAGS.map(async (key, k) => {
      for (let i = 0; i < 7; i += 1) {
        const on = i === 6 ? racingFinal(k) : i % 2 === 1;
        const answer = await call(
          urls()[(k + i) % 3]!,
          'POST',
          `/api/enterprise/features/${key}/${on ? 'enable' : 'disable'}`,
          {
            token: floor.admin.token,
          },
        );
        flagAnswers.push({ change: `${key} ${on}`, answer });
      }
    }),
  );

  await Promise.all([entriesLoad, signInLoad, victimLoad, flagLoad, racingLoad]);
}

afterAll(() => {
  killAllServers();
  store?.remove();
});

async function auditRows(): Promise<
  { seq: number; previous_hash: string; hash: string; event_type: string }[]
> {
  const client = new pg.Client({ connectionString: store.env.DATABASE_URL });
  await client.connect();
  try {
    const result = await client.query(
      'select seq::int as seq, previous_hash, hash, event_type from enterprise_audit_logs order by seq',
    );
    return result.rows;
  } finally {
    await client.end();
  }
}

describe('three instances on one PostgreSQL under concurrent load', () => {
  it('answered every request of the load as it should', () => {
    loaded();
    expect(servers.every((server) => server.child.exitCode === null)).toBe(true);
    // No process logged an error while the three wrote at once (audit appends, checkpoints, jobs).
    expect(servers.flatMap((server) => errorLogLines(server.output()))).toEqual([]);
    expect(flagAnswers.filter(({ answer }) => answer.status !== 200)).toEqual([]);
    expect(signInAnswers.filter((answer) => answer.good).map((answer) => answer.status)).toEqual(
      Array(24).fill(200),
    );
    expect(signInAnswers.filter((answer) => !answer.good).map((answer) => answer.status)).toEqual(
      Array(12).fill(401),
    );
    expect(victimAnswers.map(errorShape)).toEqual(
      Array(VICTIM_ATTEMPTS).fill({
        status: 401,
        code: 'INVALID_CREDENTIALS',
        message: 'Invalid username or password',
      }),
    );
  });

  it('keeps one audit chain: verified on every instance, no fork, no gap', async () => {
    loaded();
    // The three sign with one key, the one the first instance created in the shared DATA_DIR.
    const keys = await Promise.all(
      urls().map((url) =>
        expectCall(200, url, 'GET', '/api/enterprise/audit/public-key', { token: floor.admin.token }),
      ),
    );
    expect(new Set(keys.map((key) => JSON.stringify(key))).size).toBe(1);

    for (const url of urls()) {
      const report = await expectCall(200, url, 'GET', '/api/enterprise/audit/verify-integrity', {
        token: floor.admin.token,
      });
      expect(report).toMatchObject({ valid: true, first_bad: null, first_seq: 1 });
      expect(report.checkpoints_checked).toBeGreaterThan(0);
    }

    // And straight from the table: seqs 1..n with no hole, each entry linked to the one before,
    // no two entries claiming the same predecessor.
    const rows = await auditRows();
    expect(rows.length).toBeGreaterThan(ENTRIES);
    expect(rows.map((row) => row.seq)).toEqual(rows.map((_, index) => index + 1));
    expect(new Set(rows.map((row) => row.hash)).size).toBe(rows.length);
    expect(new Set(rows.map((row) => row.previous_hash)).size).toBe(rows.length);
    const broken = rows.slice(1).filter((row, index) => row.previous_hash !== rows[index]!.hash);
    expect(broken).toEqual([]);
  });

  it('stores every entry exactly once, replays to another instance included', async () => {
    loaded();
    // Each client_id was accepted once; every other send of it answered duplicate.
    expect(entryAnswers.size).toBe(ENTRIES);
    for (const [clientId, answers] of entryAnswers) {
      const results = answers.map((answer) => `${answer.status} ${answer.body?.result}`).sort();
      const replayed = answers.length === 2;
      expect(results, clientId).toEqual(replayed ? ['200 duplicate', '201 accepted'] : ['201 accepted']);
    }
    expect([...entryAnswers.values()].filter((answers) => answers.length === 2)).toHaveLength(
      Math.ceil(ENTRIES / REPLAY_EVERY),
    );

    // Read back on each instance: the same entries, one per client_id, with their quantities.
    for (const url of urls()) {
      const entries = await listEntries(url, floor.supervisor.token, floor.sessionId);
      expect(entries).toHaveLength(ENTRIES);
      const byClient = new Map(entries.map((entry) => [entry.client_id, entry]));
      for (const submission of submissions) {
        expect(byClient.get(submission.body.client_id)).toMatchObject({
          quantity: submission.body.quantity,
          counted_by: floor.counters[submission.counter]!.id,
        });
      }
    }
    const lines = await listAll(
      urls()[2]!,
      floor.supervisor.token,
      `/api/count-sessions/${floor.sessionId}/lines`,
    );
    expect(lines.reduce((sum, line) => sum + (line.entry_count as number), 0)).toBe(ENTRIES);

    // One creation event per entry in the trail.
    const rows = await auditRows();
    const created = await listAll(
      urls()[1]!,
      floor.admin.token,
      '/api/enterprise/audit/logs?resource_type=count_entry&event_type=DATA_CREATE',
    );
    expect(created).toHaveLength(ENTRIES);
    expect(rows.filter((row) => row.event_type === 'DATA_CREATE').length).toBeGreaterThanOrEqual(ENTRIES);
  });

  it('locks the account attacked across instances on all three, once, with the same answer', async () => {
    loaded();
    // One lockout for the whole run of failures, however they were spread.
    const locks = await listAll(
      urls()[0]!,
      floor.admin.token,
      '/api/enterprise/audit/logs?event_type=ACCOUNT_LOCKED',
    );
    expect(locks).toHaveLength(1);
    const wrongAnswer = errorShape(victimAnswers[0]!);
    for (const url of urls()) {
      const locked = await expectCall(200, url, 'GET', '/api/enterprise/security/locked-accounts', {
        token: floor.admin.token,
      });
      expect(locked.items.map((row: { username: string }) => row.username)).toContain(victim.username);
      // The right password is refused too, with the answer a wrong one gets (nothing to tell them apart).
      const attempt = await call(url, 'POST', '/api/auth/login', {
        body: { username: victim.username, password: USER_PASSWORD },
        headers: xff('10.4.1.1'),
      });
      expect(errorShape(attempt)).toEqual(wrongAnswer);
    }
    // Unlocked on one, the account signs in on another.
    await expectCall(200, urls()[1]!, 'POST', '/api/enterprise/security/unlock-account', {
      token: floor.admin.token,
      body: { username: victim.username },
    });
    await signIn(urls()[2]!, victim.username, USER_PASSWORD, xff('10.4.1.2'));
  });

  it('applies an IP block added on one instance on all three, and its removal', async () => {
    loaded();
    const blocked = '10.66.0.7';
    const me = (url: string, address: string) =>
      call(url, 'GET', '/api/auth/me', { token: floor.counters[0]!.token, headers: xff(address) });
    for (const url of urls()) expect((await me(url, blocked)).status).toBe(200);

    await expectCall(201, urls()[0]!, 'POST', '/api/enterprise/security/ip-list', {
      token: floor.admin.token,
      body: { ip_address: blocked, list_type: 'blacklist', reason: 'resilience test' },
    });
    expect(errorShape(await me(urls()[0]!, blocked))).toMatchObject({ status: 403, code: 'IP_BLOCKED' });
    for (const url of urls().slice(1)) {
      await eventually(`the block on ${url}`, async () => (await me(url, blocked)).status === 403);
      expect(errorShape(await me(url, blocked))).toMatchObject({ status: 403, code: 'IP_BLOCKED' });
      // Sign-in from the blocked address is refused as well; a neighbouring address is not.
      const login = await call(url, 'POST', '/api/auth/login', {
        body: { username: floor.counters[1]!.username, password: USER_PASSWORD },
        headers: xff(blocked),
      });
      expect(errorShape(login)).toMatchObject({ status: 403, code: 'IP_BLOCKED' });
      expect((await me(url, '10.66.0.8')).status).toBe(200);
    }

    await expectCall(
      204,
      urls()[2]!,
      'DELETE',
      `/api/enterprise/security/ip-list/${blocked}?list_type=blacklist`,
      {
        token: floor.admin.token,
      },
    );
    for (const url of urls())
      await eventually(`the unblock on ${url}`, async () => (await me(url, blocked)).status === 200);
  });

  it('refuses a session ended on one instance on the others at the very next request', async () => {
    loaded();
    const me = (url: string, token: string) => call(url, 'GET', '/api/auth/me', { token });

    // Signed out on the second instance.
    const token = await signIn(urls()[0]!, floor.counters[1]!.username, USER_PASSWORD);
    for (const url of urls()) expect((await me(url, token)).status).toBe(200);
    await expectCall(204, urls()[1]!, 'POST', '/api/auth/logout', { token });
    for (const url of urls()) expect((await me(url, token)).status).toBe(401);

    // Ended by an admin on the third instance.
    const other = await signIn(urls()[1]!, floor.counters[2]!.username, USER_PASSWORD);
    for (const url of urls()) expect((await me(url, other)).status).toBe(200);
    const ended = await expectCall(
      200,
      urls()[2]!,
      'DELETE',
      `/api/enterprise/security/sessions/${floor.counters[2]!.id}`,
      {
        token: floor.admin.token,
      },
    );
    expect(ended.terminated).toBeGreaterThanOrEqual(1);
    for (const url of urls()) expect((await me(url, other)).status).toBe(401);
  });

  it('shows a flag change made on one instance on the others within the cache TTL', async () => {
    loaded();
    const check = (url: string) =>
      expectCall(200, url, 'GET', `/api/enterprise/features/${FLAG}`, { token: floor.counters[3]!.token });
    // After the load's changes every instance agrees on the last ones (within the TTL).
    const expected = [FLAG, ...RACING_FLAGS.filter((_, k) => racingFinal(k))].sort();
    const enabledOn = async (url: string) => {
      const answer = await expectCall(200, url, 'GET', '/api/enterprise/features/enabled', {
        token: floor.counters[3]!.token,
      });
      return (answer.flags as string[]).filter((key) => key.startsWith('resilience_')).sort();
    };
    for (const url of urls())
      await eventually(
        `the final states on ${url}`,
        async () => JSON.stringify(await enabledOn(url)) === JSON.stringify(expected),
        10_000,
      );
    for (const url of urls()) expect(await enabledOn(url)).toEqual(expected);
    const stored = await expectCall(200, urls()[0]!, 'GET', '/api/enterprise/features', {
      token: floor.admin.token,
    });
    expect(stored.items.find((flag: { key: string }) => flag.key === FLAG)).toMatchObject({
      state: 'enabled',
      percentage: null,
    });

    await expectCall(200, urls()[1]!, 'POST', `/api/enterprise/features/${FLAG}/disable`, {
      token: floor.admin.token,
    });
    for (const url of urls())
      await eventually(`the change on ${url}`, async () => (await check(url)).enabled === false, 10_000);
    expect(await check(urls()[2]!)).toMatchObject({ enabled: false, reason: 'DISABLED' });
  });
});
