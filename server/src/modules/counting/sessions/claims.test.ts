import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { type CountingFixture, countingFixture } from './sessions-test-support.ts';

const UNKNOWN = '0190f0e4-0000-7000-8000-0000000000ff';

describe.each(dialects())('location claims on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  let sessionId: string;

  async function setUp(env?: Record<string, string>) {
    app = await createTestApp({ dialect, ...(env ? { env } : {}) });
    f = await countingFixture(app);
    const session = await f.createSession();
    sessionId = session.id;
    await f.assign(sessionId, f.locations.a01, [f.users.staff.id, f.users.staff2.id]);
    await f.drive(sessionId, 'start');
  }
  afterEach(async () => {
    await app.close();
  });

  const claim = (locationId: string, token: string, session = sessionId) =>
    f.call('POST', `/api/locations/${locationId}/claim`, token, { session_id: session });
  const release = (locationId: string, token: string, session = sessionId) =>
    f.call('POST', `/api/locations/${locationId}/release`, token, { session_id: session });
  const at = (offsetMs: number) => new Date(app.clock.now().getTime() + offsetMs).toISOString();

  it('claims a location for five minutes; someone else gets a 409 naming the holder', async () => {
    await setUp();
    const start = app.clock.now().toISOString();
    const mine = await claim(f.locations.b1, f.users.staff.token);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json()).toEqual({
      session_id: sessionId,
      location_id: f.locations.b1,
      user_id: f.users.staff.id,
      display_name: 'Test kim',
      claimed_at: start,
      heartbeat_at: start,
      expires_at: at(300_000),
      ttl_seconds: 300,
    });
    const theirs = await claim(f.locations.b1, f.users.staff2.token);
    expect(theirs.statusCode).toBe(409);
    const error = theirs.json().error;
    expect(error.code).toBe('LOCATION_CLAIMED');
    expect(error.message).toBe(`Location B1 is claimed by Test kim until ${at(300_000)}`);
    expect(error.details).toEqual([
      { field: 'holder', message: 'Test kim' },
      { field: 'holder_user_id', message: f.users.staff.id },
      { field: 'expires_at', message: at(300_000) },
    ]);
    // A supervisor is refused the same way (claims are per person, not per role).
    expect((await claim(f.locations.b1, f.users.supervisor.token)).statusCode).toBe(409);
    const [entry] = await app.auditEntries('count_claim.claim');
    expect(entry).toMatchObject({
      resource_type: 'location',
      resource_id: f.locations.b1,
      event_type: 'DATA_CREATE',
    });
    expect(entry!.details).toMatchObject({ session_id: sessionId, location_code: 'B1' });
  });

  it('renews a claim on heartbeat and lets an abandoned one expire and be taken over', async () => {
    await setUp();
    const first = (await claim(f.locations.b1, f.users.staff.token)).json();
    app.clock.advance(200_000);
    const renewed = await claim(f.locations.b1, f.users.staff.token);
    expect(renewed.statusCode).toBe(200);
    expect(renewed.json()).toMatchObject({
      claimed_at: first.claimed_at,
      heartbeat_at: app.clock.now().toISOString(),
      expires_at: at(300_000),
    });
    // A heartbeat is not an audit event (taking the claim was).
    expect(await app.auditEntries('count_claim.claim')).toHaveLength(1);
    expect(await app.auditEntries('count_claim.renew')).toHaveLength(0);

    // Still held 299 s after the heartbeat...
    app.clock.advance(299_000);
    expect((await claim(f.locations.b1, f.users.staff2.token)).statusCode).toBe(409);
    // ...and free at 300 s.
    app.clock.advance(1_000);
    const taken = await claim(f.locations.b1, f.users.staff2.token);
    expect(taken.statusCode, taken.body).toBe(200);
    expect(taken.json()).toMatchObject({
      user_id: f.users.staff2.id,
      claimed_at: app.clock.now().toISOString(),
    });
    const [takeOver] = await app.auditEntries('count_claim.take_over');
    expect(takeOver!.details).toMatchObject({ previous_user_id: f.users.staff.id });
    // The first holder now gets the 409.
    const back = await claim(f.locations.b1, f.users.staff.token);
    expect(back.statusCode).toBe(409);
    expect(back.json().error.message).toContain('Test lee');
  });

  it('reads the time-to-live from COUNT_CLAIM_TTL_SECONDS', async () => {
    await setUp({ COUNT_CLAIM_TTL_SECONDS: '60' });
    const response = await claim(f.locations.b2, f.users.staff.token);
    expect(response.json()).toMatchObject({ ttl_seconds: 60, expires_at: at(60_000) });
  });

  it('lets exactly one of many parallel claims win', async () => {
    await setUp();
    const more = await Promise.all([1, 2, 3].map((n) => f.userWithToken('staff', `extra${n}`)));
    await f.assign(
      sessionId,
      f.locations.b2,
      more.map((user) => user.id),
    );
    const tokens = [f.users.staff.token, f.users.staff2.token, ...more.map((user) => user.token)];
    const responses = await Promise.all(tokens.map((token) => claim(f.locations.b2, token)));
    const codes = responses.map((response) => response.statusCode).sort();
    expect(codes).toEqual([200, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.statusCode === 200)!.json();
    for (const loser of responses.filter((response) => response.statusCode === 409)) {
      expect(loser.json().error.details[1]).toEqual({ field: 'holder_user_id', message: winner.user_id });
    }
    expect(await app.auditEntries('count_claim.claim')).toHaveLength(1);
  });

  it('takes claims only from assigned counters, in scope, while counting', async () => {
    await setUp();
    // Assigned to A01: its bins are covered; A02's are not.
    expect((await claim(f.locations.b2, f.users.staff.token)).statusCode).toBe(200);
    const notMine = await claim(f.locations.b3, f.users.staff.token);
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().error.code).toBe('NOT_ASSIGNED');
    // A supervisor needs no assignment; an auditor may not claim at all.
    expect((await claim(f.locations.b3, f.users.supervisor.token)).statusCode).toBe(200);
    expect((await claim(f.locations.b4, f.users.auditor.token)).statusCode).toBe(403);
    const outside = await claim(f.locations.x1, f.users.supervisor.token);
    expect(outside.statusCode).toBe(409);
    expect(outside.json().error.code).toBe('LOCATION_NOT_IN_SCOPE');
    expect((await claim(UNKNOWN, f.users.supervisor.token)).statusCode).toBe(404);
    expect((await claim(f.locations.b1, f.users.supervisor.token, UNKNOWN)).statusCode).toBe(404);
    const bad = await f.call('POST', `/api/locations/${f.locations.b1}/claim`, f.users.staff.token, {});
    expect(bad.statusCode).toBe(400);

    const draft = await f.createSession();
    const early = await claim(f.locations.b1, f.users.supervisor.token, draft.id);
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toMatchObject({ code: 'SESSION_NOT_COUNTING' });
    expect(early.json().error.message).toContain('draft');
  });

  it('is released by its holder or a supervisor, never by another counter', async () => {
    await setUp();
    await claim(f.locations.b1, f.users.staff.token);
    const byOther = await release(f.locations.b1, f.users.staff2.token);
    expect(byOther.statusCode).toBe(409);
    expect(byOther.json().error.code).toBe('LOCATION_CLAIMED');
    expect((await release(f.locations.b1, f.users.staff.token)).statusCode).toBe(204);
    expect((await claim(f.locations.b1, f.users.staff2.token)).statusCode).toBe(200);
    expect((await release(f.locations.b1, f.users.supervisor.token)).statusCode).toBe(204);
    // Nothing left to release: fine, and nothing recorded.
    expect((await release(f.locations.b1, f.users.staff.token)).statusCode).toBe(204);
    const entries = await app.auditEntries('count_claim.release');
    expect(entries.map((entry) => entry.details.by_holder)).toEqual([true, false]);
    expect((await release(f.locations.b1, f.users.auditor.token)).statusCode).toBe(403);
  });

  it('shows supervisors who holds what, and drops every claim when counting ends', async () => {
    await setUp();
    await claim(f.locations.b2, f.users.staff2.token);
    await claim(f.locations.b1, f.users.staff.token);
    app.clock.advance(301_000);
    await claim(f.locations.a01, f.users.staff.token);
    const live = await f.call('GET', `/api/count-sessions/${sessionId}/claims`, f.users.supervisor.token);
    expect(live.statusCode).toBe(200);
    expect(live.json().items).toEqual([
      {
        session_id: sessionId,
        location_id: f.locations.a01,
        location_code: 'A01',
        location_name: '',
        location_kind: 'bin',
        path_codes: ['Z1', 'A01'],
        user_id: f.users.staff.id,
        username: 'kim',
        display_name: 'Test kim',
        claimed_at: expect.any(String),
        heartbeat_at: expect.any(String),
        expires_at: expect.any(String),
        expired: false,
      },
    ]);
    const all = await f.call(
      'GET',
      `/api/count-sessions/${sessionId}/claims?include_expired=true&limit=2`,
      f.users.auditor.token,
    );
    expect(
      all
        .json()
        .items.map((c: { location_code: string; expired: boolean }) => `${c.location_code}:${c.expired}`),
    ).toEqual(['A01:false', 'B1:true']);
    expect(all.json().next_cursor).not.toBeNull();
    expect(
      (await f.call('GET', `/api/count-sessions/${sessionId}/claims`, f.users.staff.token)).statusCode,
    ).toBe(403);

    await f.drive(sessionId, 'submit');
    const after = await f.call(
      'GET',
      `/api/count-sessions/${sessionId}/claims?include_expired=true`,
      f.users.supervisor.token,
    );
    expect(after.json().items).toEqual([]);
    const [submitted] = await app.auditEntries('count_session.submit');
    expect(submitted!.details).toMatchObject({ claims_released: 3 });
  });
});
