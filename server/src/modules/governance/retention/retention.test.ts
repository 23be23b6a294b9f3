import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import type { JobContext } from '../../../platform/jobs/job-runner.ts';
import { countingFixture } from '../../counting/sessions/sessions-test-support.ts';
import { postedSession } from '../../integrations/delivery/delivery.test-support.ts';
import { createRetention, RETENTION_JOB, type RetentionRun } from './retention.service.ts';

const BASE = '/api/enterprise/governance';
const DAY = 86_400_000;
const COUNT_DEPENDENTS = [
  'count_snapshot',
  'count_assignments',
  'count_claims',
  'count_entries',
  'count_lines',
  'count_line_rounds',
  'count_location_completions',
  'count_adjustments',
] as const;

describe.each(dialects())('retention on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };
  let auditor: { token: string };

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin', 'ret-admin');
    auditor = await app.userWithToken('auditor', 'ret-auditor');
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(async () => {
    await app.database.db.deleteFrom('security_events').execute();
    await app.database.db.deleteFrom('data_archive').execute();
    await app.database.db.deleteFrom('retention_policies').execute();
  });

  const ago = (days: number) => new Date(app.clock.now().getTime() - days * DAY).toISOString();

  async function events(...ages: number[]): Promise<string[]> {
    const ids = ages.map(() => systemIds.uuid());
    await app.database.db
      .insertInto('security_events')
      .values(
        ages.map((days, index) => ({
          id: ids[index]!,
          timestamp: ago(days),
          event_type: 'LOGIN_FAILED' as never,
          severity: 'medium' as const,
          user_id: null,
          ip_address: `10.0.0.${index + 1}`,
          details: JSON.stringify({ n: index }),
          request_id: null,
        })),
      )
      .execute();
    return ids;
  }

  async function eventIds(): Promise<string[]> {
    return (await app.database.db.selectFrom('security_events').select('id').execute()).map((r) => r.id);
  }

  function call(method: 'GET' | 'POST' | 'DELETE', url: string, token = admin.token, payload?: unknown) {
    return app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  }

  async function applyNow(): Promise<RetentionRun> {
    const response = await call('POST', `${BASE}/apply-retention?wait=true`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as RetentionRun;
  }

  const figures = (run: RetentionRun, table: string) => run.tables.find((f) => f.table === table)!;

  /** A trigger that makes the archive refuse one record (an injected failure mid-batch). */
  async function failArchiveOf(recordId: string): Promise<void> {
    const db = app.database.db;
    if (dialect === 'sqlite') {
      await sql
        .raw(
          `create trigger retention_test_fail before insert on data_archive when new.record_id = '${recordId}' ` +
            `begin select raise(abort, 'injected failure'); end`,
        )
        .execute(db);
      return;
    }
    await sql
      .raw(
        `create function retention_test_fail() returns trigger language plpgsql as $$ begin ` +
          `if new.record_id = '${recordId}' then raise exception 'injected failure'; end if; return new; end $$`,
      )
      .execute(db);
    await sql
      .raw(
        'create trigger retention_test_fail before insert on data_archive for each row execute function retention_test_fail()',
      )
      .execute(db);
  }

  async function dropFailure(): Promise<void> {
    const db = app.database.db;
    if (dialect === 'sqlite') await sql.raw('drop trigger retention_test_fail').execute(db);
    else await sql.raw('drop trigger retention_test_fail on data_archive').execute(db);
  }

  it('archives expired rows with the SHA-256 of their payload, removes them, keeps younger ones', async () => {
    const set = await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'security_events',
      retention_days: 30,
      archive_before_delete: true,
      description: 'Security events for a month',
    });
    expect(set.statusCode, set.body).toBe(201);
    const before = await app.database.db.selectFrom('security_events').selectAll().execute();
    expect(before).toHaveLength(0);
    const old = await events(40, 41, 45, 100, 31);
    const young = await events(10, 29);
    const originals = await app.database.db
      .selectFrom('security_events')
      .selectAll()
      .where('id', 'in', old)
      .execute();

    const run = await applyNow();
    expect(run.status).toBe('succeeded');
    expect(figures(run, 'security_events')).toMatchObject({
      source: 'policy',
      retention_days: 30,
      archive_before_delete: true,
      archived: 5,
      deleted: 5,
      held: 0,
    });
    expect((await eventIds()).sort()).toEqual([...young].sort());

    const archived = await app.database.db
      .selectFrom('data_archive')
      .selectAll()
      .where('source', '=', 'security_events')
      .execute();
    expect(archived.map((row) => row.record_id).sort()).toEqual([...old].sort());
    for (const row of archived) {
      expect(row.hash).toBe(createHash('sha256').update(row.payload, 'utf8').digest('hex'));
      const original = originals.find((o) => o.id === row.record_id)!;
      expect(JSON.parse(row.payload)).toEqual({ ...original });
    }

    // Audited: the request, and each batch in the transaction that removed it.
    expect((await app.auditEntries('retention.apply')).at(-1)?.details.run_id).toBe(run.id);
    const batches = (await app.auditEntries('retention.batch')).filter((e) => e.details.run_id === run.id);
    expect(batches.map((e) => e.resource_id)).toContain('security_events');

    // The report is kept for the compliance report.
    const runs = await call('GET', `${BASE}/retention-runs?limit=5`, auditor.token);
    expect(runs.statusCode).toBe(200);
    const listed = runs.json().items[0] as RetentionRun;
    expect(listed).toMatchObject({ id: run.id, status: 'succeeded', triggered_by: admin.id });
    expect(listed.rows_deleted).toBeGreaterThanOrEqual(5);
  });

  it('never copies secrets to the archive: token hashes of expired sessions are left out', async () => {
    const id = systemIds.uuid();
    await app.database.db
      .insertInto('security_sessions')
      .values({
        id,
        user_id: admin.id,
        token_hash: 'a'.repeat(64),
        csrf_hash: 'b'.repeat(64),
        auth_method: 'password',
        ip_address: '10.1.2.3',
        user_agent: 'Retention test',
        created_at: ago(500),
        last_seen_at: ago(500),
        idle_expires_at: ago(499),
        expires_at: ago(400),
        revoked_at: null,
        revoked_reason: null,
      })
      .execute();
    const run = await applyNow();
    expect(figures(run, 'security_sessions')).toMatchObject({ archived: 1, deleted: 1 });
    const row = await app.database.db
      .selectFrom('data_archive')
      .selectAll()
      .where('source', '=', 'security_sessions')
      .where('record_id', '=', id)
      .executeTakeFirstOrThrow();
    const payload = JSON.parse(row.payload);
    expect(payload).toMatchObject({
      id,
      user_id: admin.id,
      user_agent: 'Retention test',
      expires_at: ago(400),
    });
    expect(payload).not.toHaveProperty('token_hash');
    expect(payload).not.toHaveProperty('csrf_hash');
    expect(row.hash).toBe(createHash('sha256').update(row.payload, 'utf8').digest('hex'));
  });

  it('deletes without archiving when the policy says so', async () => {
    await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'security_events',
      retention_days: 7,
      archive_before_delete: false,
    });
    await events(8, 9);
    const run = await applyNow();
    expect(figures(run, 'security_events')).toMatchObject({ archived: 0, deleted: 2 });
    expect(await eventIds()).toEqual([]);
    expect(await app.database.db.selectFrom('data_archive').select('id').execute()).toEqual([]);
  });

  it('applies DEFAULT_RETENTION_DAYS where no policy exists, and the archive has a retention of its own', async () => {
    const [old] = await events(366);
    const [kept] = await events(300);
    const archivedAt = ago(400);
    await app.database.db
      .insertInto('data_archive')
      .values({
        id: systemIds.uuid(),
        source: 'security_events',
        record_id: 'gone',
        payload: '{}',
        archived_at: archivedAt,
        hash: createHash('sha256').update('{}').digest('hex'),
      })
      .execute();
    const run = await applyNow();
    expect(figures(run, 'security_events')).toMatchObject({
      source: 'default',
      retention_days: 365,
      deleted: 1,
    });
    expect(await eventIds()).toEqual([kept]);
    // The stale archive row is gone, deleted without being archived again; the new one is there.
    const archive = await app.database.db
      .selectFrom('data_archive')
      .select(['source', 'record_id'])
      .execute();
    expect(archive).toEqual([{ source: 'security_events', record_id: old }]);
    expect(figures(run, 'data_archive')).toMatchObject({
      archived: 0,
      deleted: 1,
      archive_before_delete: false,
    });

    // A shorter policy for the archive itself removes the fresh copy too.
    const set = await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'data_archive',
      retention_days: 1,
      archive_before_delete: false,
    });
    expect(set.statusCode, set.body).toBe(201);
    await app.database.db
      .updateTable('data_archive')
      .set({ archived_at: ago(2) })
      .execute();
    await applyNow();
    expect(await app.database.db.selectFrom('data_archive').select('id').execute()).toEqual([]);
  });

  it('keeps posted counts inside the accounting period (legal hold); removes old ones with every dependent row', async () => {
    const f = await countingFixture(app);
    const expired = await postedSession(f, 2);
    const held = await postedSession(f, 1);
    const draft = (await f.createSession({})).id;
    const cancelled = (await f.createSession({})).id;
    await f.drive(cancelled, 'cancel');
    const db = app.database.db;
    const age = async (id: string, created: number, posted: number | null) =>
      db
        .updateTable('count_sessions')
        .set({ created_at: ago(created), ...(posted !== null ? { posted_at: ago(posted) } : {}) })
        .where('id', '=', id)
        .execute();
    await age(expired, 3000, 2990);
    await age(held, 2000, 1990);
    await age(draft, 3000, null);
    await age(cancelled, 400, null);
    const dependentsOf = async (id: string) => {
      const counts: Record<string, number> = {};
      for (const table of COUNT_DEPENDENTS) {
        const query =
          table === 'count_line_rounds'
            ? db
                .selectFrom('count_line_rounds')
                .select((eb) => eb.fn.countAll().as('n'))
                .where(
                  'line_id',
                  'in',
                  db.selectFrom('count_lines').select('id').where('session_id', '=', id),
                )
            : db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .where('session_id', '=', id);
        counts[table] = Number((await query.executeTakeFirstOrThrow()).n);
      }
      return counts;
    };
    const expiredRows = await dependentsOf(expired);
    expect(expiredRows.count_entries).toBeGreaterThan(0);
    expect(expiredRows.count_adjustments).toBeGreaterThan(0);
    expect(expiredRows.count_line_rounds).toBeGreaterThan(0);
    const heldRows = await dependentsOf(held);

    const run = await applyNow();
    expect(figures(run, 'count_sessions')).toMatchObject({
      source: 'default',
      deleted: 2,
      archived: 2,
      held: 1,
    });
    expect(run.rows_held).toBeGreaterThanOrEqual(1);
    const left = (await db.selectFrom('count_sessions').select('id').execute()).map((r) => r.id).sort();
    expect(left).toEqual([held, draft].sort());
    const gone = await dependentsOf(expired);
    for (const table of COUNT_DEPENDENTS) {
      expect(gone[table], table).toBe(0);
      expect(figures(run, table), table).toMatchObject({ source: 'dependent', parent: 'count_sessions' });
      expect(figures(run, table).archived, table).toBe(expiredRows[table]);
    }
    expect(await dependentsOf(held)).toEqual(heldRows);
    const archivedSessions = await db
      .selectFrom('data_archive')
      .select(['record_id', 'payload'])
      .where('source', '=', 'count_sessions')
      .execute();
    expect(archivedSessions.map((row) => row.record_id).sort()).toEqual([expired, cancelled].sort());
    expect(JSON.parse(archivedSessions.find((row) => row.record_id === expired)!.payload).status).toBe(
      'posted',
    );
  });

  it('refuses a table retention does not apply to, and archiving the archive', async () => {
    for (const name of ['activity_logs', 'enterprise_audit_logs', 'users', 'items']) {
      const response = await call('POST', `${BASE}/retention-policies`, admin.token, {
        collection_name: name,
        retention_days: 30,
      });
      expect(response.statusCode, name).toBe(400);
      expect(response.json().error.message).toContain('security_events');
    }
    const archive = await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'data_archive',
      retention_days: 30,
      archive_before_delete: true,
    });
    expect(archive.statusCode).toBe(400);
    const zero = await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'security_events',
      retention_days: 0,
    });
    expect(zero.statusCode).toBe(400);
  });

  it('sets, replaces and removes a policy, each change audited', async () => {
    const body = { collection_name: 'job_runs', retention_days: 90, description: 'Run history' };
    const created = await call('POST', `${BASE}/retention-policies`, admin.token, body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ ...body, archive_before_delete: true, created_by: admin.id });
    const replaced = await call('POST', `${BASE}/retention-policies`, admin.token, {
      ...body,
      retention_days: 60,
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ retention_days: 60, description: 'Run history' });
    const overview = (await call('GET', `${BASE}/retention-policies`, auditor.token)).json();
    expect(overview.policies).toHaveLength(1);
    expect(overview.default_retention_days).toBe(365);
    expect(overview.accounting_retention_days).toBe(2555);
    const jobRuns = overview.retainable_tables.find((t: { name: string }) => t.name === 'job_runs');
    expect(jobRuns.effective).toEqual({ retention_days: 60, archive_before_delete: true, source: 'policy' });
    const names = overview.retainable_tables.map((t: { name: string }) => t.name);
    expect(names).toContain('count_sessions');
    expect(names).not.toContain('enterprise_audit_logs');

    expect((await call('DELETE', `${BASE}/retention-policies/job_runs`)).statusCode).toBe(204);
    expect((await call('DELETE', `${BASE}/retention-policies/job_runs`)).statusCode).toBe(404);
    expect((await call('DELETE', `${BASE}/retention-policies/users`)).statusCode).toBe(400);
    for (const action of ['retention_policy.create', 'retention_policy.update', 'retention_policy.delete']) {
      const entries = await app.auditEntries(action);
      expect(entries.at(-1)?.event_type, action).toBe('CONFIG_CHANGE');
      expect(entries.at(-1)?.resource_id, action).toBe('job_runs');
    }
  });

  it('starts the job and answers 202 at once; its progress is under the jobs API', async () => {
    await events(400, 401);
    const response = await call('POST', `${BASE}/apply-retention`);
    expect(response.statusCode, response.body).toBe(202);
    const run = response.json();
    expect(run).toMatchObject({ job: RETENTION_JOB, trigger: 'manual', triggered_by: admin.id });
    await app.jobs.idle();
    const history = (await call('GET', `/api/integrations/jobs/${RETENTION_JOB}/runs`)).json();
    expect(history.items[0]).toMatchObject({ id: run.id, status: 'succeeded' });
    expect(history.items[0].progress.processed).toBeGreaterThanOrEqual(2);
    expect(await eventIds()).toEqual([]);
  });

  it('moves rows in batches, each atomic: a failure mid-batch leaves both tables as they were', async () => {
    const [, , third] = (await events(44, 43, 42, 41, 40)) as [string, string, string];
    await call('POST', `${BASE}/retention-policies`, admin.token, {
      collection_name: 'security_events',
      retention_days: 30,
    });
    // The archive refuses the third oldest row: the second batch fails after its DELETE ran.
    await failArchiveOf(third);
    const retention = createRetention({
      db: app.database.db,
      dialect,
      clock: app.clock,
      trail: app.audit.trail,
      logger: pino({ level: 'silent' }),
      jobs: app.jobs,
      settings: {
        enabled: true,
        defaultRetentionDays: 365,
        accountingRetentionDays: 2555,
        runAt: '03:00',
        batchSize: 2,
      },
      flagOn: () => true,
    });
    const runId = systemIds.uuid();
    const ctx: JobContext = {
      runId,
      trigger: 'manual',
      fencingToken: 1,
      signal: new AbortController().signal,
      progress: async () => {},
    };
    await expect(retention.job().run(ctx)).rejects.toThrow();
    await dropFailure();
    // The first batch (2 rows) went through whole; the second left nothing half-done.
    expect(await eventIds()).toHaveLength(3);
    const archived = await app.database.db
      .selectFrom('data_archive')
      .select('record_id')
      .where('source', '=', 'security_events')
      .execute();
    expect(archived).toHaveLength(2);
    const report = await retention.waitFor(runId);
    expect(report).toMatchObject({ status: 'failed', rows_archived: 2, rows_deleted: 2 });

    // The next run carries on from there: nothing lost, nothing archived twice.
    const next = await applyNow();
    expect(figures(next, 'security_events')).toMatchObject({ archived: 3, deleted: 3 });
    expect(await eventIds()).toEqual([]);
    const all = await app.database.db
      .selectFrom('data_archive')
      .select('record_id')
      .where('source', '=', 'security_events')
      .execute();
    expect(new Set(all.map((row) => row.record_id)).size).toBe(5);
  });

  it('lets admins write, auditors read, nobody else in', async () => {
    const policy = { collection_name: 'security_events', retention_days: 30 };
    expect((await call('GET', `${BASE}/retention-policies`, auditor.token)).statusCode).toBe(200);
    expect((await call('GET', `${BASE}/retention-runs`, auditor.token)).statusCode).toBe(200);
    expect((await call('POST', `${BASE}/retention-policies`, auditor.token, policy)).statusCode).toBe(403);
    expect((await call('POST', `${BASE}/apply-retention`, auditor.token)).statusCode).toBe(403);
    for (const role of ['supervisor', 'staff'] as const) {
      const user = await app.userWithToken(role);
      expect((await call('GET', `${BASE}/retention-policies`, user.token)).statusCode).toBe(403);
      expect((await call('GET', `${BASE}/retention-runs`, user.token)).statusCode).toBe(403);
    }
  });

  it('is refused while the data_governance flag is off, and the scheduled job does nothing', async () => {
    const off = await call('POST', '/api/enterprise/features/data_governance/disable');
    expect(off.statusCode, off.body).toBe(200);
    try {
      const response = await call('GET', `${BASE}/retention-policies`);
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('FEATURE_DISABLED');
      expect((await call('POST', `${BASE}/apply-retention`)).json().error.code).toBe('FEATURE_DISABLED');
      const [old] = await events(400);
      const retention = createRetention({
        db: app.database.db,
        dialect,
        clock: app.clock,
        trail: app.audit.trail,
        logger: pino({ level: 'silent' }),
        jobs: app.jobs,
        settings: { enabled: true, defaultRetentionDays: 365, accountingRetentionDays: 2555, runAt: '03:00' },
        flagOn: () => false,
      });
      const signal = new AbortController().signal;
      await retention.job().run({
        runId: systemIds.uuid(),
        trigger: 'schedule',
        fencingToken: 1,
        signal,
        progress: async () => {},
      });
      expect(await eventIds()).toEqual([old]);
    } finally {
      await call('POST', '/api/enterprise/features/data_governance/enable');
    }
  });
});

describe.each(dialects())('retention switched off on %s', (dialect) => {
  it('answers 404 DATA_GOVERNANCE_DISABLED and its job removes nothing', async () => {
    const app = await createTestApp({ dialect, env: { DATA_GOVERNANCE_ENABLED: 'false' } });
    try {
      const admin = await app.userWithToken('admin');
      for (const [method, url] of [
        ['GET', `${BASE}/retention-policies`],
        ['GET', `${BASE}/retention-runs`],
        ['POST', `${BASE}/apply-retention`],
      ] as const) {
        const response = await app.server.inject({ method, url, headers: bearer(admin.token) });
        expect(response.statusCode, url).toBe(404);
        expect(response.json().error.code).toBe('DATA_GOVERNANCE_DISABLED');
      }
      const id = systemIds.uuid();
      await app.database.db
        .insertInto('security_events')
        .values({
          id,
          timestamp: new Date(app.clock.now().getTime() - 1000 * DAY).toISOString(),
          event_type: 'LOGIN_FAILED' as never,
          severity: 'medium',
          user_id: null,
          ip_address: null,
          details: '{}',
          request_id: null,
        })
        .execute();
      await app.jobs.trigger(RETENTION_JOB);
      await app.jobs.idle();
      const left = await app.database.db
        .selectFrom('security_events')
        .select('id')
        .where('id', '=', id)
        .execute();
      expect(left).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
