import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';

const BASE = '/api/integrations/jobs';

describe.each(dialects())('background jobs API on %s', (dialect) => {
  let app: TestApp;
  let admin: { id: string; token: string };
  let auditor: { token: string };
  let supervisor: { token: string };
  // The probe job blocks until the test lets it finish; once released it no longer blocks.
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    admin = await app.userWithToken('admin');
    auditor = await app.userWithToken('auditor');
    supervisor = await app.userWithToken('supervisor');
    // A job of the test's own: it reports progress, then waits until the test lets it finish.
    app.server.jobs.register('test.probe', {
      everyMs: 15 * 60_000,
      description: 'waits for the test',
      async run(ctx) {
        await ctx.progress(4, 10);
        await released;
        await ctx.progress(10, 10);
        return { rows: 3 };
      },
    });
  });
  afterAll(async () => {
    release();
    await app.close();
  });

  const get = (url: string, token: string) =>
    app.server.inject({ method: 'GET', url, headers: bearer(token) });
  const post = (url: string, token: string) =>
    app.server.inject({ method: 'POST', url, headers: bearer(token) });
  /** The probe among the registered jobs (the app registers its own: ERP sync, delivery, …). */
  const probeStatus = async () =>
    (await get(BASE, admin.token)).json().items.find((job: { name: string }) => job.name === 'test.probe');

  it('lists the registered jobs with their schedule, state, last and next run', async () => {
    const response = await get(BASE, auditor.token);
    expect(response.statusCode).toBe(200);
    const probe = response.json().items.find((job: { name: string }) => job.name === 'test.probe');
    expect(probe).toEqual({
      name: 'test.probe',
      description: 'waits for the test',
      schedule: { every_ms: 900_000, daily_at: null },
      running: false,
      holder: null,
      current_run: null,
      last_run: null,
      next_run_at: app.clock.now().toISOString(),
    });
  });

  it('runs a job on demand (202, audited), 409 while it runs, and keeps its history', async () => {
    const started = await post(`${BASE}/test.probe/run`, admin.token);
    expect(started.statusCode, started.body).toBe(202);
    const run = started.json();
    expect(run).toMatchObject({
      job: 'test.probe',
      status: 'running',
      trigger: 'manual',
      triggered_by: admin.id,
      instance_id: app.server.jobs.instanceId,
      finished_at: null,
    });

    const again = await post(`${BASE}/test.probe/run`, admin.token);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('JOB_RUNNING');

    const during = await probeStatus();
    expect(during).toMatchObject({
      running: true,
      holder: app.server.jobs.instanceId,
      current_run: { id: run.id, status: 'running' },
    });

    const [entry] = await app.auditEntries('job.trigger');
    expect(entry).toMatchObject({
      event_type: 'DATA_UPDATE',
      resource_type: 'job',
      resource_id: 'test.probe',
      request_id: started.headers['x-request-id'],
      actor_user_id: admin.id,
    });
    expect(entry?.details).toMatchObject({ run_id: run.id, trigger: 'manual' });
    // The refused trigger changed nothing and recorded nothing.
    expect(await app.auditEntries('job.trigger')).toHaveLength(1);

    release();
    await app.server.jobs.idle();
    const history = await get(`${BASE}/test.probe/runs?limit=10`, auditor.token);
    expect(history.statusCode).toBe(200);
    expect(history.json()).toEqual({
      items: [
        {
          ...run,
          status: 'succeeded',
          finished_at: expect.any(String),
          duration_ms: expect.any(Number),
          rows_processed: 3,
          progress: { processed: 10, total: 10 },
          error: null,
        },
      ],
      next_cursor: null,
    });
    const after = await probeStatus();
    expect(after).toMatchObject({ running: false, current_run: null, last_run: { id: run.id } });
  });

  it('pages the history with limit and cursor', async () => {
    for (let i = 0; i < 2; i += 1) {
      app.clock.advance(1000);
      expect((await post(`${BASE}/test.probe/run`, admin.token)).statusCode).toBe(202);
      await app.server.jobs.idle();
    }
    const first = (await get(`${BASE}/test.probe/runs?limit=2`, admin.token)).json();
    expect(first.items).toHaveLength(2);
    const second = (
      await get(`${BASE}/test.probe/runs?limit=2&cursor=${first.next_cursor}`, admin.token)
    ).json();
    expect(second.items).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((run: { id: string }) => run.id)).size).toBe(3);
    expect((await get(`${BASE}/test.probe/runs?cursor=nonsense`, admin.token)).statusCode).toBe(400);
  });

  it('answers 404 for an unknown job and keeps the routes to their roles', async () => {
    const missing = await post(`${BASE}/no.such-job/run`, admin.token);
    expect(missing.statusCode).toBe(404);
    expect((await get(`${BASE}/no.such-job/runs`, admin.token)).statusCode).toBe(404);
    expect((await post(`${BASE}/test.probe/run`, auditor.token)).statusCode).toBe(403);
    expect((await get(BASE, supervisor.token)).statusCode).toBe(403);
    expect((await get(`${BASE}/test.probe/runs`, supervisor.token)).statusCode).toBe(403);
    expect((await app.server.inject({ method: 'GET', url: BASE })).statusCode).toBe(401);
  });
});
