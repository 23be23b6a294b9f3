import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import type { SessionStatus } from '../counting.tables.ts';
import { LIFECYCLE_ACTIONS, type LifecycleAction, TRANSITIONS } from './lifecycle.ts';
import { type CountingFixture, countingFixture } from './sessions-test-support.ts';

const UNKNOWN = '0190f0e4-0000-7000-8000-0000000000ff';

describe.each(dialects())('count sessions on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
  });
  afterEach(async () => {
    await app.close();
  });

  it('plans a draft with scope and tolerance, exact decimals, and records it', async () => {
    const session = await f.createSession({
      name: '  Zone 1 spring count ',
      mode: 'blind',
      scope: {
        location_ids: [f.locations.a01, f.locations.a01],
        categories: ['tools'],
        item_ids: [f.items.hammer],
      },
      tolerance: {
        qty_abs: 0.5,
        qty_pct: '2.5',
        value_abs: '10.0025',
        auto_approve: false,
        by_abc: { A: { qty_pct: 1 }, C: { value_abs: 100, auto_approve: true } },
        by_item_location: [{ item_id: f.items.saw, location_id: f.locations.b3, qty_abs: 0 }],
      },
      notes: 'Before the audit',
    });
    expect(session).toMatchObject({
      name: 'Zone 1 spring count',
      warehouse_id: f.wh1,
      mode: 'blind',
      status: 'draft',
      scope: { location_ids: [f.locations.a01], categories: ['tools'], item_ids: [f.items.hammer] },
      tolerance: {
        qty_abs: 0.5,
        qty_pct: 2.5,
        value_abs: 10.0025,
        auto_approve: false,
        by_abc: { A: { qty_pct: 1 }, C: { value_abs: 100, auto_approve: true } },
        by_item_location: [{ item_id: f.items.saw, location_id: f.locations.b3, qty_abs: 0 }],
      },
      notes: 'Before the audit',
      created_by: f.users.supervisor.id,
      started_at: null,
      version: 1,
    });
    const read = await f.call('GET', `/api/count-sessions/${session.id}`, f.users.auditor.token);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({
      ...session,
      progress: {
        snapshot_size: 0,
        lines_total: 0,
        lines_counted: 0,
        lines_by_status: { open: 0, counted: 0, auto_approved: 0, recount: 0, review: 0, approved: 0 },
        assignments: 0,
      },
    });
    // Stored as scaled integers.
    const row = await app.database.db
      .selectFrom('count_sessions')
      .select('tolerance')
      .where('id', '=', session.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.tolerance)).toMatchObject({
      qty_abs_e3: 500,
      qty_pct_e3: 2500,
      value_abs_e4: 100025,
    });

    const [entry] = await app.auditEntries('count_session.create');
    expect(entry).toMatchObject({
      resource_type: 'count_session',
      resource_id: session.id,
      event_type: 'DATA_CREATE',
    });
    expect(entry!.details).toMatchObject({ mode: 'blind', has_notes: true, scope: { item_ids: 1 } });
    expect(JSON.stringify(entry!.details)).not.toContain('Before the audit');
  });

  it('answers a clear 4xx naming the field for bad plans', async () => {
    const attempt = async (fields: Record<string, unknown>) =>
      f.call('POST', '/api/count-sessions', f.users.supervisor.token, {
        name: 'X',
        warehouse_id: f.wh1,
        mode: 'standard',
        ...fields,
      });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ tolerance: { qty_abs: -1 } }, 400, 'tolerance.qty_abs'],
      [{ tolerance: { qty_abs: 0.0001 } }, 400, 'tolerance.qty_abs'],
      [{ tolerance: { by_abc: { B: { value_pct: '-0.5' } } } }, 400, 'tolerance.by_abc.B.value_pct'],
      [{ tolerance: { value_abs: 'lots' } }, 400, 'tolerance.value_abs'],
      [
        {
          tolerance: {
            by_item_location: [
              { item_id: f.items.saw, location_id: f.locations.b3 },
              { item_id: f.items.saw, location_id: f.locations.b3, qty_abs: 1 },
            ],
          },
        },
        400,
        'tolerance.by_item_location.1',
      ],
      [
        { tolerance: { by_item_location: [{ item_id: f.items.saw, location_id: f.locations.x1 }] } },
        400,
        'tolerance.by_item_location.0.location_id',
      ],
      [{ scope: { location_ids: [f.locations.x1] } }, 400, 'scope.location_ids.0'],
      [{ scope: { location_ids: [UNKNOWN] } }, 400, 'scope.location_ids.0'],
      [{ scope: { item_ids: [f.items.saw, UNKNOWN] } }, 400, 'scope.item_ids.1'],
      [{ mode: 'sloppy' }, 400, 'mode'],
      [{ name: '   ' }, 400, 'name'],
      [{ extra: 1 }, 400, 'extra'],
    ];
    for (const [fields, status, field] of cases) {
      const response = await attempt(fields);
      expect(response.statusCode, JSON.stringify(fields)).toBe(status);
      expect(response.json().error.details?.[0]?.field, JSON.stringify(fields)).toBe(field);
    }
    expect((await attempt({ warehouse_id: UNKNOWN })).statusCode).toBe(404);
    expect(await app.auditEntries('count_session.create')).toHaveLength(0);
  });

  it('lets only admins and supervisors plan and steer; auditors read everything', async () => {
    const body = { name: 'X', warehouse_id: f.wh1, mode: 'standard' };
    for (const user of [f.users.staff, f.users.auditor]) {
      const response = await f.call('POST', '/api/count-sessions', user.token, body);
      expect(response.statusCode).toBe(403);
    }
    const byAdmin = await f.createSession({}, f.users.admin.token);
    for (const user of [f.users.staff, f.users.auditor]) {
      expect(
        (await f.call('PATCH', `/api/count-sessions/${byAdmin.id}`, user.token, { name: 'Y' })).statusCode,
      ).toBe(403);
      expect((await f.step(byAdmin.id, 'start', {}, user.token)).statusCode).toBe(403);
      expect(
        (await f.call('POST', `/api/count-sessions/${byAdmin.id}/cancel`, user.token, { reason: 'x' }))
          .statusCode,
      ).toBe(403);
    }
    const list = await f.call('GET', '/api/count-sessions', f.users.auditor.token);
    expect(list.json().items.map((s: { id: string }) => s.id)).toEqual([byAdmin.id]);
    expect((await f.step(byAdmin.id, 'start', {}, f.users.admin.token)).statusCode).toBe(200);
  });

  it('edits a draft only, replacing scope and tolerance, guarded by version', async () => {
    const session = await f.createSession({ scope: { categories: ['tools'] }, tolerance: { qty_abs: 1 } });
    const patched = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      name: 'Renamed',
      mode: 'strict',
      scope: { location_ids: [f.locations.z2] },
      tolerance: { value_pct: 5 },
      notes: null,
      version: 1,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      name: 'Renamed',
      mode: 'strict',
      scope: { location_ids: [f.locations.z2], categories: [], item_ids: [] },
      tolerance: { value_pct: 5, auto_approve: true, by_abc: {}, by_item_location: [] },
      version: 2,
    });
    expect(patched.json().tolerance.qty_abs).toBeUndefined();

    const empty = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      version: 2,
    });
    expect(empty.statusCode).toBe(400);

    const stale = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      name: 'Stale',
      version: 1,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('VERSION_CONFLICT');

    const [entry] = await app.auditEntries('count_session.update');
    expect(entry!.details).toMatchObject({
      changes: { name: { old: 'Cycle count', new: 'Renamed' }, mode: { old: 'standard', new: 'strict' } },
    });

    // Moving the session to another warehouse re-checks the scope.
    const moved = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      warehouse_id: f.wh2,
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error.details[0].field).toBe('scope.location_ids.0');

    await f.drive(session.id, 'start');
    const late = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      name: 'Z',
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toMatchObject({ code: 'SESSION_NOT_EDITABLE' });
    expect(late.json().error.message).toContain('counting');
  });

  it('refuses a narrower scope while assignments lie outside it', async () => {
    const session = await f.createSession();
    await f.assign(session.id, f.locations.b4, [f.users.staff.id]);
    const narrowed = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      scope: { location_ids: [f.locations.z1] },
    });
    expect(narrowed.statusCode).toBe(409);
    expect(narrowed.json().error.code).toBe('ASSIGNMENTS_OUT_OF_SCOPE');
    const fine = await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.supervisor.token, {
      scope: { location_ids: [f.locations.z2] },
    });
    expect(fine.statusCode).toBe(200);
  });

  it('follows the state machine: every legal step succeeds, every other one is a 409 naming the status', async () => {
    // How to reach each status (a scope with no stock: no lines, so approve is not held up).
    const paths: Record<SessionStatus, LifecycleAction[]> = {
      draft: [],
      counting: ['start'],
      review: ['start', 'submit'],
      approved: ['start', 'submit', 'approve'],
      posted: ['start', 'submit', 'approve', 'post'],
      cancelled: ['cancel'],
    };
    const outcomes: string[] = [];
    for (const [status, path] of Object.entries(paths) as [SessionStatus, LifecycleAction[]][]) {
      for (const action of LIFECYCLE_ACTIONS) {
        const session = await f.createSession({ scope: { categories: ['nothing'] } });
        await f.drive(session.id, ...path);
        const response = await f.step(
          session.id,
          action,
          action === 'cancel' ? { reason: 'Wrong plan' } : {},
        );
        const legal = (TRANSITIONS[action].from as readonly SessionStatus[]).includes(status);
        if (legal) {
          expect(response.statusCode, `${action} from ${status}: ${response.body}`).toBe(200);
          expect(response.json().status).toBe(TRANSITIONS[action].to);
        } else {
          expect(response.statusCode, `${action} from ${status}`).toBe(409);
          expect(response.json().error.code).toBe('ILLEGAL_TRANSITION');
          expect(response.json().error.message).toContain(`is ${status}`);
        }
        outcomes.push(`${status} ${action} ${response.statusCode}`);
      }
    }
    expect(outcomes.filter((outcome) => outcome.endsWith('200'))).toEqual([
      'draft start 200',
      'draft cancel 200',
      'counting submit 200',
      'counting cancel 200',
      'review approve 200',
      'review cancel 200',
      'approved post 200',
      'approved cancel 200',
    ]);
  });

  it('stamps each step and records it in the audit trail', async () => {
    const session = await f.createSession({ scope: { categories: ['nothing'] } });
    await f.drive(session.id, 'start', 'submit', 'approve');
    const posted = await f.step(session.id, 'post', { version: 4 });
    expect(posted.statusCode, posted.body).toBe(200);
    const body = posted.json();
    expect(body).toMatchObject({ status: 'posted', approved_by: f.users.supervisor.id, version: 5 });
    for (const stamp of ['started_at', 'submitted_at', 'approved_at', 'posted_at'])
      expect(body[stamp], stamp).toEqual(expect.any(String));
    for (const action of ['start', 'submit', 'approve', 'post']) {
      const entries = await app.auditEntries(`count_session.${action}`);
      expect(entries, action).toHaveLength(1);
      expect(entries[0]!.resource_id).toBe(session.id);
    }
    const [submitted] = await app.auditEntries('count_session.submit');
    expect(submitted!.details).toMatchObject({ from: 'counting', to: 'review' });
  });

  it('approves only when no line is pending, and a posted session never changes again', async () => {
    const session = await f.createSession({ scope: { location_ids: [f.locations.a01] } });
    await f.drive(session.id, 'start', 'submit');
    const held = await f.step(session.id, 'approve');
    expect(held.statusCode).toBe(409);
    expect(held.json().error).toMatchObject({ code: 'LINES_PENDING' });
    expect(held.json().error.message).toMatch(/^4 lines are still pending/);
    // The refused approval changed nothing.
    const still = await f.call('GET', `/api/count-sessions/${session.id}`, f.users.supervisor.token);
    expect(still.json()).toMatchObject({ status: 'review', approved_at: null });

    // The review work (later) decides lines; here straight in the table.
    await app.database.db
      .updateTable('count_lines')
      .set({ status: 'approved' })
      .where('session_id', '=', session.id)
      .execute();
    await f.drive(session.id, 'approve', 'post');

    const attempts = [
      await f.call('PATCH', `/api/count-sessions/${session.id}`, f.users.admin.token, { name: 'Z' }),
      await f.call('POST', `/api/count-sessions/${session.id}/cancel`, f.users.admin.token, {
        reason: 'oops',
      }),
      await f.step(session.id, 'post'),
      await f.call('POST', `/api/count-sessions/${session.id}/assignments`, f.users.admin.token, {
        assignments: [{ location_id: f.locations.b1, user_ids: [f.users.staff.id] }],
      }),
      await f.call('POST', `/api/locations/${f.locations.b1}/claim`, f.users.admin.token, {
        session_id: session.id,
      }),
    ];
    for (const response of attempts) expect(response.statusCode, response.body).toBe(409);
  });

  it('cancels with a reason from any state before posted', async () => {
    const session = await f.createSession();
    await f.drive(session.id, 'start');
    const noReason = await f.step(session.id, 'cancel', {});
    expect(noReason.statusCode).toBe(400);
    const cancelled = await f.step(session.id, 'cancel', { reason: ' Stock moved ' });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancel_reason: 'Stock moved' });
    const [entry] = await app.auditEntries('count_session.cancel');
    expect(entry!.details).toMatchObject({ from: 'counting', to: 'cancelled', reason: 'Stock moved' });
  });

  it('lets exactly one of two racing steps win', async () => {
    const session = await f.createSession();
    const [a, b] = await Promise.all([f.step(session.id, 'start'), f.step(session.id, 'start')]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const loser = a.statusCode === 409 ? a : b;
    expect(loser.json().error.code).toBe('ILLEGAL_TRANSITION');
    const snapshot = await app.database.db
      .selectFrom('count_snapshot')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('session_id', '=', session.id)
      .executeTakeFirstOrThrow();
    expect(Number(snapshot.n)).toBe(7);
    expect(await app.auditEntries('count_session.start')).toHaveLength(1);

    // Post and cancel from the same state: one wins, the other finds the new status.
    const empty = await f.createSession({ scope: { categories: ['nothing'] } });
    await f.drive(empty.id, 'start', 'submit', 'approve');
    const [post, cancel] = await Promise.all([
      f.step(empty.id, 'post'),
      f.step(empty.id, 'cancel', { reason: 'race' }),
    ]);
    expect([post.statusCode, cancel.statusCode].sort()).toEqual([200, 409]);
    expect((post.statusCode === 409 ? post : cancel).json().error.code).toBe('ILLEGAL_TRANSITION');
    const after = await f.call('GET', `/api/count-sessions/${empty.id}`, f.users.supervisor.token);
    expect(after.json().status).toBe(post.statusCode === 200 ? 'posted' : 'cancelled');
    expect(after.json().version).toBe(5);

    // Two edits of one version: one wins, the other is told the version moved.
    const draft = await f.createSession();
    const edits = await Promise.all(
      ['One', 'Two'].map((name) =>
        f.call('PATCH', `/api/count-sessions/${draft.id}`, f.users.supervisor.token, { name, version: 1 }),
      ),
    );
    expect(edits.map((response) => response.statusCode).sort()).toEqual([200, 409]);
    expect(edits.find((response) => response.statusCode === 409)!.json().error.code).toBe('VERSION_CONFLICT');
  });

  it('refuses a step on a stale version', async () => {
    const session = await f.createSession();
    const stale = await f.step(session.id, 'start', { version: 7 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('VERSION_CONFLICT');
    expect((await f.step(session.id, 'start', { version: 1 })).statusCode).toBe(200);
    // No body at all is fine too.
    const bare = await app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${session.id}/submit`,
      headers: { authorization: `Bearer ${f.users.supervisor.token}` },
    });
    expect(bare.statusCode, bare.body).toBe(200);
  });

  it('lists newest first with filters and pages; staff see only their sessions', async () => {
    const first = await f.createSession({ name: 'First' });
    app.clock.advance(1000);
    const second = await f.createSession({ name: 'Second' });
    app.clock.advance(1000);
    const third = await f.createSession({ name: 'Third', warehouse_id: f.wh2 });
    await f.drive(second.id, 'start');

    const names = async (query: string, token = f.users.supervisor.token) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await f.call(
          'GET',
          `/api/count-sessions?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`,
          token,
        );
        expect(response.statusCode, response.body).toBe(200);
        out.push(...response.json().items.map((s: { name: string }) => s.name));
        cursor = response.json().next_cursor;
      } while (cursor);
      return out;
    };
    expect(await names('')).toEqual(['Third', 'Second', 'First']);
    expect(await names('&status=counting')).toEqual(['Second']);
    expect(await names(`&warehouse_id=${f.wh1}`)).toEqual(['Second', 'First']);
    expect(await names('&status=draft', f.users.staff.token)).toEqual([]);

    await f.assign(first.id, f.locations.b1, [f.users.staff.id]);
    expect(await names('', f.users.staff.token)).toEqual(['First']);
    expect((await f.call('GET', `/api/count-sessions/${first.id}`, f.users.staff.token)).statusCode).toBe(
      200,
    );
    expect((await f.call('GET', `/api/count-sessions/${third.id}`, f.users.staff.token)).statusCode).toBe(
      404,
    );
    expect((await f.call('GET', `/api/count-sessions/${UNKNOWN}`, f.users.admin.token)).statusCode).toBe(404);
    const badCursor = await f.call('GET', '/api/count-sessions?cursor=nonsense', f.users.admin.token);
    expect(badCursor.statusCode).toBe(400);
  });

  it('shows progress, and never a book figure to staff in a blind session', async () => {
    const blind = await f.createSession({ mode: 'blind', tolerance: { value_abs: 50 } });
    const standard = await f.createSession({ mode: 'standard', tolerance: { value_abs: 50 } });
    for (const session of [blind, standard]) {
      await f.assign(session.id, f.locations.a01, [f.users.staff.id, f.users.staff2.id]);
      await f.drive(session.id, 'start');
    }
    const asSupervisor = (
      await f.call('GET', `/api/count-sessions/${blind.id}`, f.users.supervisor.token)
    ).json();
    expect(asSupervisor.tolerance).toMatchObject({ value_abs: 50 });
    expect(asSupervisor.progress).toEqual({
      snapshot_size: 7,
      lines_total: 7,
      lines_counted: 0,
      lines_by_status: { open: 7, counted: 0, auto_approved: 0, recount: 0, review: 0, approved: 0 },
      assignments: 2,
      assigned_locations: 1,
      counters: 2,
      by_location: expect.any(Array),
      by_location_truncated: false,
      variance: {
        lines_with_variance: 0,
        quantity_positive: '0',
        quantity_negative: '0',
        quantity_net: '0',
        value_positive: '0',
        value_negative: '0',
        value_net: '0',
      },
    });

    const asCounter = await f.call('GET', `/api/count-sessions/${blind.id}`, f.users.staff.token);
    expect(asCounter.statusCode).toBe(200);
    const body = asCounter.json();
    expect(body.tolerance).toBeUndefined();
    expect(body.progress.lines_by_status).toBeUndefined();
    expect(body.progress.variance).toBeUndefined();
    expect(body.progress).toMatchObject({ lines_total: 7, lines_counted: 0 });
    const text = asCounter.body;
    for (const word of ['book', 'qty', 'value', 'variance', 'cost']) expect(text).not.toContain(word);
    const listed = await f.call('GET', '/api/count-sessions', f.users.staff.token);
    const blindListed = listed.json().items.find((s: { id: string }) => s.id === blind.id);
    expect(blindListed.tolerance).toBeUndefined();

    const standardAsCounter = (
      await f.call('GET', `/api/count-sessions/${standard.id}`, f.users.staff.token)
    ).json();
    expect(standardAsCounter.tolerance).toMatchObject({ value_abs: 50 });
    expect(standardAsCounter.progress.lines_by_status).toMatchObject({ open: 7 });
  });
});
