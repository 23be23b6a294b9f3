import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { assignedPaths, isAssigned } from './session-access.ts';
import { type CountingFixture, countingFixture } from './sessions-test-support.ts';

const UNKNOWN = '0190f0e4-0000-7000-8000-0000000000ff';

describe.each(dialects())('count assignments on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
  });
  afterEach(async () => {
    await app.close();
  });

  const assignBody = (location_id: string, user_ids: string[]) => ({
    assignments: [{ location_id, user_ids }],
  });

  it('assigns counters to locations, idempotently, and records it', async () => {
    const session = await f.createSession();
    const first = await f.assign(session.id, f.locations.a01, [f.users.staff.id, f.users.supervisor.id]);
    expect(first).toMatchObject({ added: 2, unchanged: 0 });
    expect(first.items).toHaveLength(2);
    expect(first.items[0]).toEqual({
      session_id: session.id,
      location_id: f.locations.a01,
      location_code: 'A01',
      location_name: '',
      location_kind: 'bin',
      path_codes: ['Z1', 'A01'],
      user_id: expect.any(String),
      username: expect.any(String),
      display_name: expect.any(String),
      role: expect.any(String),
      assigned_by: f.users.supervisor.id,
      assigned_at: expect.any(String),
    });
    const again = await f.call('POST', `/api/count-sessions/${session.id}/assignments`, f.users.admin.token, {
      assignments: [
        { location_id: f.locations.a01, user_ids: [f.users.staff.id, f.users.staff.id] },
        { location_id: f.locations.b4, user_ids: [f.users.staff2.id] },
      ],
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ added: 1, unchanged: 1 });
    expect(
      again
        .json()
        .items.map((a: { location_code: string }) => a.location_code)
        .sort(),
    ).toEqual(['A01', 'B4']);

    const entries = await app.auditEntries('count_assignment.add');
    expect(entries).toHaveLength(2);
    expect(entries[1]!.details).toMatchObject({ added: 1, unchanged: 1 });
    expect(entries[1]!.resource_id).toBe(session.id);
    // The session's version moves with its assignments.
    const read = await f.call('GET', `/api/count-sessions/${session.id}`, f.users.supervisor.token);
    expect(read.json()).toMatchObject({
      version: 3,
      progress: { assignments: 3, assigned_locations: 2, counters: 3 },
    });
  });

  it('checks locations against the scope and users for being active counters', async () => {
    const session = await f.createSession({ scope: { location_ids: [f.locations.z1] } });
    const inactive = await f.userWithToken('staff', 'gone');
    expect((await app.users.update(inactive.id, { active: false }, SYSTEM_CONTEXT)).active).toBe(false);
    const cases: [unknown, string][] = [
      [assignBody(f.locations.b4, [f.users.staff.id]), 'assignments.0.location_id'],
      [assignBody(f.locations.x1, [f.users.staff.id]), 'assignments.0.location_id'],
      [assignBody(UNKNOWN, [f.users.staff.id]), 'assignments.0.location_id'],
      [assignBody(f.locations.b1, [f.users.staff.id, UNKNOWN]), 'assignments.0.user_ids.1'],
      [assignBody(f.locations.b1, [inactive.id]), 'assignments.0.user_ids.0'],
      [assignBody(f.locations.b1, [f.users.auditor.id]), 'assignments.0.user_ids.0'],
      [assignBody(f.locations.b1, [f.users.admin.id]), 'assignments.0.user_ids.0'],
      [{ assignments: [] }, 'assignments'],
      [assignBody(f.locations.b1, []), 'assignments.0.user_ids'],
    ];
    for (const [payload, field] of cases) {
      const response = await f.call(
        'POST',
        `/api/count-sessions/${session.id}/assignments`,
        f.users.supervisor.token,
        payload,
      );
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.details[0].field, JSON.stringify(payload)).toBe(field);
    }
    for (const user of [f.users.staff, f.users.auditor]) {
      const response = await f.call(
        'POST',
        `/api/count-sessions/${session.id}/assignments`,
        user.token,
        assignBody(f.locations.b1, [f.users.staff.id]),
      );
      expect(response.statusCode).toBe(403);
    }
    const unknown = await f.call(
      'POST',
      `/api/count-sessions/${UNKNOWN}/assignments`,
      f.users.supervisor.token,
      assignBody(f.locations.b1, [f.users.staff.id]),
    );
    expect(unknown.statusCode).toBe(404);
    expect(await app.auditEntries('count_assignment.add')).toHaveLength(0);
  });

  it('changes assignments while draft or counting only', async () => {
    const session = await f.createSession();
    await f.assign(session.id, f.locations.b1, [f.users.staff.id]);
    await f.drive(session.id, 'start');
    await f.assign(session.id, f.locations.b2, [f.users.staff.id]);
    await f.drive(session.id, 'submit');
    const late = await f.call(
      'POST',
      `/api/count-sessions/${session.id}/assignments`,
      f.users.supervisor.token,
      assignBody(f.locations.b3, [f.users.staff.id]),
    );
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toMatchObject({ code: 'SESSION_NOT_EDITABLE' });
    expect(late.json().error.message).toContain('review');
    const unassign = await f.call(
      'DELETE',
      `/api/count-sessions/${session.id}/assignments/${f.locations.b1}/${f.users.staff.id}`,
      f.users.supervisor.token,
    );
    expect(unassign.statusCode).toBe(409);
  });

  it('unassigns a pair, releasing the claims it alone covered', async () => {
    const session = await f.createSession();
    await f.assign(session.id, f.locations.a01, [f.users.staff.id]);
    await f.assign(session.id, f.locations.b2, [f.users.staff.id]);
    await f.drive(session.id, 'start');
    for (const bin of [f.locations.b1, f.locations.b2]) {
      const claim = await f.call('POST', `/api/locations/${bin}/claim`, f.users.staff.token, {
        session_id: session.id,
      });
      expect(claim.statusCode, claim.body).toBe(200);
    }
    const url = `/api/count-sessions/${session.id}/assignments/${f.locations.a01}/${f.users.staff.id}`;
    const removed = await f.call('DELETE', url, f.users.supervisor.token);
    expect(removed.statusCode, removed.body).toBe(204);
    expect((await f.call('DELETE', url, f.users.supervisor.token)).statusCode).toBe(404);
    expect((await f.call('DELETE', url, f.users.staff.token)).statusCode).toBe(403);

    // B1 was covered only by A01: its claim went; B2 is still assigned on its own.
    const claims = await f.call('GET', `/api/count-sessions/${session.id}/claims`, f.users.supervisor.token);
    expect(claims.json().items.map((c: { location_code: string }) => c.location_code)).toEqual(['B2']);
    const [entry] = await app.auditEntries('count_assignment.remove');
    expect(entry!.details).toMatchObject({
      location_id: f.locations.a01,
      user_id: f.users.staff.id,
      claims_released: 1,
    });
    expect(entry!.event_type).toBe('DATA_DELETE');
  });

  it('covers the assigned location and its whole subtree', async () => {
    const session = await f.createSession();
    await f.assign(session.id, f.locations.a01, [f.users.staff.id]);
    const db = app.database.db;
    const covered = async (locationId: string) => isAssigned(db, session.id, locationId, f.users.staff.id);
    expect(await covered(f.locations.a01)).toBe(true);
    expect(await covered(f.locations.b1)).toBe(true);
    expect(await covered(f.locations.b2)).toBe(true);
    expect(await covered(f.locations.z1)).toBe(false);
    expect(await covered(f.locations.b3)).toBe(false);
    expect(await isAssigned(db, session.id, f.locations.b1, f.users.staff2.id)).toBe(false);
    const paths = await assignedPaths(db, session.id, f.users.staff.id);
    expect(paths).toEqual([`/${f.locations.z1}/${f.locations.a01}/`]);
  });

  it('shows staff only their own assignments and sessions', async () => {
    const session = await f.createSession();
    await f.assign(session.id, f.locations.a01, [f.users.staff.id]);
    await f.assign(session.id, f.locations.b4, [f.users.staff2.id, f.users.staff.id]);
    const list = async (token: string, query = '') => {
      const response = await f.call('GET', `/api/count-sessions/${session.id}/assignments${query}`, token);
      expect(response.statusCode, response.body).toBe(200);
      return response
        .json()
        .items.map((a: { location_code: string; username: string }) => `${a.location_code}:${a.username}`);
    };
    // By location code, then user (ids are time-ordered: kim was created first).
    expect(await list(f.users.supervisor.token)).toEqual(['A01:kim', 'B4:kim', 'B4:lee']);
    expect(await list(f.users.auditor.token)).toHaveLength(3);
    expect(await list(f.users.staff2.token)).toEqual(['B4:lee']);
    expect(await list(f.users.staff.token)).toEqual(['A01:kim', 'B4:kim']);
    expect(await list(f.users.staff.token, `?user_id=${f.users.staff2.id}`)).toEqual([]);
    expect(await list(f.users.supervisor.token, `?location_id=${f.locations.b4}`)).toHaveLength(2);

    // Paging by location code.
    const page1 = (
      await f.call('GET', `/api/count-sessions/${session.id}/assignments?limit=2`, f.users.supervisor.token)
    ).json();
    expect(page1.items).toHaveLength(2);
    const page2 = (
      await f.call(
        'GET',
        `/api/count-sessions/${session.id}/assignments?limit=2&cursor=${page1.next_cursor}`,
        f.users.supervisor.token,
      )
    ).json();
    expect(page2.items).toHaveLength(1);
    expect(page2.next_cursor).toBeNull();

    const outsider = await f.userWithToken('staff', 'max');
    expect(
      (await f.call('GET', `/api/count-sessions/${session.id}/assignments`, outsider.token)).statusCode,
    ).toBe(404);
    expect((await f.call('GET', `/api/count-sessions/${session.id}`, outsider.token)).statusCode).toBe(404);
    expect((await f.call('GET', '/api/count-sessions', outsider.token)).json().items).toEqual([]);
  });

  it("lists the caller's locations in counting sessions, with each claim", async () => {
    const counting = await f.createSession({ name: 'Now' });
    const draft = await f.createSession({ name: 'Later' });
    await f.assign(counting.id, f.locations.a01, [f.users.staff.id, f.users.staff2.id]);
    await f.assign(counting.id, f.locations.b4, [f.users.staff.id]);
    await f.assign(draft.id, f.locations.b3, [f.users.staff.id]);
    await f.drive(counting.id, 'start');
    const claim = await f.call('POST', `/api/locations/${f.locations.a01}/claim`, f.users.staff2.token, {
      session_id: counting.id,
    });
    expect(claim.statusCode).toBe(200);

    const mine = await f.call('GET', '/api/my/assignments', f.users.staff.token);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items).toEqual([
      {
        session_id: counting.id,
        session_name: 'Now',
        session_mode: 'standard',
        session_status: 'counting',
        warehouse_id: f.wh1,
        location_id: f.locations.a01,
        location_code: 'A01',
        location_name: '',
        location_kind: 'bin',
        path_codes: ['Z1', 'A01'],
        assigned_at: expect.any(String),
        recount_lines: 0,
        claim: {
          user_id: f.users.staff2.id,
          display_name: 'Test lee',
          claimed_at: expect.any(String),
          heartbeat_at: expect.any(String),
          expires_at: expect.any(String),
          mine: false,
        },
      },
      expect.objectContaining({ location_code: 'B4', path_codes: ['Z2', 'B4'], claim: null }),
    ]);
    const theirs = (await f.call('GET', '/api/my/assignments', f.users.staff2.token)).json().items;
    expect(theirs).toHaveLength(1);
    expect(theirs[0].claim.mine).toBe(true);
    // An expired claim is no claim.
    app.clock.advance(301_000);
    const later = (await f.call('GET', '/api/my/assignments', f.users.staff2.token)).json().items;
    expect(later[0].claim).toBeNull();
    // The admin has no assignments.
    expect((await f.call('GET', '/api/my/assignments', f.users.admin.token)).json().items).toEqual([]);
    const filtered = await f.call('GET', `/api/my/assignments?session_id=${draft.id}`, f.users.staff.token);
    expect(filtered.json().items).toEqual([]);
  });
});
