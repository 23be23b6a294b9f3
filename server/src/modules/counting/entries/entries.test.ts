import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  EAN_CASE,
  EAN_HALF,
  EAN_SINGLE,
  EAN_UNKNOWN,
  lineState,
  type MasterData,
  setSessionStatus,
} from './test-fixtures.ts';

describe.each(dialects())('count entries on %s', (dialect) => {
  let app: TestApp;
  let data: MasterData;
  let supervisor: { id: string; token: string };
  let staff: { id: string; token: string };
  let other: { id: string; token: string };
  let session: string;

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    data = await createMasterData(app);
    supervisor = await app.userWithToken('supervisor');
    staff = await app.userWithToken('staff');
    other = await app.userWithToken('staff');
    session = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      snapshot: [
        { location_id: data.binA, item_id: data.widget, book_qty_e3: 10_000, unit_cost_e4: 25_000 },
        { location_id: data.binA, item_id: data.flour, book_qty_e3: 2_500, unit_cost_e4: 33_333 },
        { location_id: data.binB, item_id: data.widget, book_qty_e3: 4_000, unit_cost_e4: 25_000 },
        { location_id: data.binA, item_id: data.paint, lot: 'L1', book_qty_e3: 3_000, unit_cost_e4: 100_000 },
      ],
      assignments: [
        { location_id: data.binA, user_id: staff.id },
        { location_id: data.binB, user_id: other.id },
      ],
    });
  });
  afterEach(async () => {
    await app.close();
  });

  async function submit(token: string, payload: Record<string, unknown>, sessionId = session) {
    return app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${sessionId}/entries`,
      headers: bearer(token),
      payload,
    });
  }

  const entry = (overrides: Record<string, unknown> = {}) => ({
    client_id: clientId(),
    location_id: data.binA,
    barcode: EAN_SINGLE,
    quantity: 1,
    ...overrides,
  });

  async function line(location: string, item: string, lot = '') {
    return (await lineState(app, session)).find(
      (row) => row.location_id === location && row.item_id === item && row.lot === lot,
    );
  }

  it('accepts an entry, adds it to its line and records it in the audit trail', async () => {
    const response = await submit(staff.token, entry({ quantity: '3.5', device_id: 'HH-7', uom: 'EA' }));
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.result).toBe('accepted');
    expect(body.warnings).toBeUndefined();
    expect(body.entry).toMatchObject({
      session_id: session,
      location_id: data.binA,
      item_id: data.widget,
      item_code: 'WID-1',
      item_name: 'Widget',
      barcode: EAN_SINGLE.padStart(14, '0'),
      quantity: 3.5,
      entered_quantity: 3.5,
      pack_qty: 1,
      uom: 'EA',
      round: 1,
      counted_by: staff.id,
      device_id: 'HH-7',
      counted_at: app.clock.now().toISOString(),
      voided: false,
      lot: null,
      serial: null,
    });
    expect(await line(data.binA, data.widget)).toMatchObject({
      counted_qty_e3: 3500,
      entry_count: 1,
      status: 'counted',
      rounds: [{ round: 1, counted_qty_e3: 3500, entry_count: 1 }],
    });
    const [audit] = await app.auditEntries('count_entry.create');
    expect(audit).toMatchObject({ event_type: 'DATA_CREATE', resource_id: body.entry.id });
    expect(audit!.details).toMatchObject({ session_id: session, quantity: '3.5', unknown_item: false });
  });

  it('is idempotent on client_id: same content is a duplicate, other content a 409', async () => {
    const payload = entry({ quantity: 2 });
    const first = await submit(staff.token, payload);
    expect(first.statusCode).toBe(201);
    // 2 and "2.000" are the same quantity; a UPC-A scan is the same code as its EAN-13.
    const again = await submit(staff.token, { ...payload, quantity: '2.000' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ result: 'duplicate', entry: { id: first.json().entry.id } });
    const changed = await submit(staff.token, { ...payload, quantity: 3 });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error.code).toBe('CLIENT_ID_CONFLICT');
    // Somebody else replaying my client_id does not get my entry.
    const stranger = await submit(supervisor.token, payload);
    expect(stranger.statusCode).toBe(409);
    expect(stranger.json().error.code).toBe('CLIENT_ID_CONFLICT');
    expect(await line(data.binA, data.widget)).toMatchObject({ counted_qty_e3: 2000, entry_count: 1 });
    expect(await app.auditEntries('count_entry.create')).toHaveLength(1);
  });

  it('stays exact under concurrent retries and concurrent counters', async () => {
    const payload = entry({ quantity: 2 });
    const retries = await Promise.all(Array.from({ length: 6 }, () => submit(staff.token, payload)));
    expect(retries.map((response) => response.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(retries.map((response) => response.json().entry.id)).size).toBe(1);
    const counters = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        submit(i % 2 === 0 ? staff.token : supervisor.token, entry({ quantity: '0.1' })),
      ),
    );
    expect(counters.every((response) => response.statusCode === 201)).toBe(true);
    expect(await line(data.binA, data.widget)).toMatchObject({ counted_qty_e3: 3000, entry_count: 11 });
    // The same client_id racing into two sessions: one wins, the other is told it is taken.
    const second = await createCountingSession(app, { warehouse: data.warehouse, createdBy: supervisor.id });
    const shared = entry();
    const raced = await Promise.all([
      submit(supervisor.token, shared),
      submit(supervisor.token, shared, second),
    ]);
    expect(raced.map((response) => response.statusCode).sort()).toEqual([201, 409]);
  });

  it('answers duplicate for a replay after the session left counting', async () => {
    const payload = entry();
    expect((await submit(staff.token, payload)).statusCode).toBe(201);
    await setSessionStatus(app, session, 'review');
    const replay = await submit(staff.token, payload);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().result).toBe('duplicate');
    const fresh = await submit(staff.token, entry());
    expect(fresh.statusCode).toBe(409);
    expect(fresh.json().error.code).toBe('SESSION_NOT_COUNTING');
  });

  it('converts pack barcodes to base units exactly', async () => {
    const cases = await submit(staff.token, entry({ barcode: EAN_CASE, quantity: 2 }));
    expect(cases.json().entry).toMatchObject({ quantity: 24, entered_quantity: 2, pack_qty: 12 });
    // 0.005 bags of 0.5 kg: 0.0025 kg is not a whole number of grams — refused, not rounded.
    const bags = await submit(staff.token, entry({ barcode: EAN_HALF, quantity: '0.005' }));
    expect(bags.statusCode).toBe(400);
    expect(bags.json().error.code).toBe('INVALID_QUANTITY');
    // 3.333 bags would be 1.6665 kg: a fourth decimal, refused as well.
    const odd = await submit(staff.token, entry({ barcode: EAN_HALF, quantity: '3.333' }));
    expect(odd.json().error.code).toBe('INVALID_QUANTITY');
    const exact = await submit(staff.token, entry({ barcode: EAN_HALF, quantity: '3.334' }));
    expect(exact.json().entry).toMatchObject({ quantity: 1.667, entered_quantity: 3.334, pack_qty: 0.5 });
    // 0.1 + 0.2 style drift cannot happen: ten entries of 0.1 kg add up to exactly 1.
    for (let i = 0; i < 10; i += 1)
      await submit(staff.token, entry({ barcode: undefined, item_id: data.flour, quantity: 0.1 }));
    expect(await line(data.binA, data.flour)).toMatchObject({ counted_qty_e3: 2667, entry_count: 11 });
    expect(await line(data.binA, data.widget)).toMatchObject({ counted_qty_e3: 24_000 });
  });

  it('refuses bad quantities with INVALID_QUANTITY', async () => {
    for (const quantity of [-1, '1.0005', 'abc', '1e3', 2_000_000_000]) {
      const response = await submit(staff.token, entry({ quantity }));
      expect(response.statusCode, String(quantity)).toBe(400);
      expect(response.json().error.code, String(quantity)).toBe('INVALID_QUANTITY');
    }
    const zero = await submit(staff.token, entry({ quantity: 0 }));
    expect(zero.statusCode).toBe(201);
    expect(await line(data.binA, data.widget)).toMatchObject({ counted_qty_e3: 0, status: 'counted' });
  });

  it('validates the shape: exactly one of barcode and item_id, a uuid client_id, no future counted_at', async () => {
    const both = await submit(staff.token, entry({ item_id: data.widget }));
    expect(both.statusCode).toBe(400);
    const neither = await submit(staff.token, { client_id: clientId(), location_id: data.binA, quantity: 1 });
    expect(neither.statusCode).toBe(400);
    const badId = await submit(staff.token, entry({ client_id: 'not-a-uuid' }));
    expect(badId.statusCode).toBe(400);
    const future = await submit(
      staff.token,
      entry({ counted_at: new Date(app.clock.now().getTime() + 3_600_000).toISOString() }),
    );
    expect(future.statusCode).toBe(400);
    expect(future.json().error.message).toMatch(/future/);
    const earlier = new Date(app.clock.now().getTime() - 3_600_000).toISOString();
    const offline = await submit(staff.token, entry({ counted_at: earlier }));
    expect(offline.json().entry.counted_at).toBe(earlier);
    const byId = await submit(
      staff.token,
      entry({ barcode: undefined, item_id: data.flour, quantity: '1.25' }),
    );
    expect(byId.statusCode).toBe(201);
    expect(byId.json().entry).toMatchObject({
      item_id: data.flour,
      barcode: null,
      pack_qty: 1,
      quantity: 1.25,
    });
    const missing = await submit(staff.token, entry({ barcode: undefined, item_id: clientId() }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('ITEM_NOT_FOUND');
  });

  it('requires lots and serials for tracked items', async () => {
    const noLot = await submit(staff.token, entry({ barcode: 'LOT-1' }));
    expect(noLot.statusCode).toBe(400);
    expect(noLot.json().error.code).toBe('LOT_REQUIRED');
    const lot = await submit(staff.token, entry({ barcode: 'LOT-1', lot: 'L1', quantity: 2 }));
    expect(lot.json().entry.lot).toBe('L1');
    expect(await line(data.binA, data.paint, 'L1')).toMatchObject({ expected: 1, counted_qty_e3: 2000 });
    const newLot = await submit(staff.token, entry({ barcode: 'LOT-1', lot: 'L2', quantity: 1 }));
    expect(newLot.statusCode).toBe(201);
    expect(await line(data.binA, data.paint, 'L2')).toMatchObject({ expected: 0, book_qty_e3: 0 });

    const noSerial = await submit(staff.token, entry({ barcode: 'SER-1' }));
    expect(noSerial.statusCode).toBe(400);
    expect(noSerial.json().error.code).toBe('SERIAL_REQUIRED');
    const two = await submit(staff.token, entry({ barcode: 'SER-1', serial: 'SN-1', quantity: 2 }));
    expect(two.statusCode).toBe(400);
    expect(two.json().error.code).toBe('INVALID_QUANTITY');
    // A lot on an item without lot tracking does not split its line.
    const plain = await submit(staff.token, entry({ lot: 'IGNORED' }));
    expect(plain.json().entry.lot).toBeNull();
  });

  it('accepts a serial counted twice but flags both lines', async () => {
    const first = await submit(staff.token, entry({ barcode: 'SER-1', serial: 'SN-1' }));
    expect(first.json()).toMatchObject({ result: 'accepted' });
    expect(first.json().warnings).toBeUndefined();
    const second = await submit(
      other.token,
      entry({ barcode: 'SER-1', serial: 'SN-1', location_id: data.binB }),
    );
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ result: 'accepted', warnings: ['duplicate_serial'] });
    expect((await line(data.binA, data.laptop))?.flags).toEqual(['duplicate_serial']);
    expect((await line(data.binB, data.laptop))?.flags).toEqual(['duplicate_serial']);
    const third = await submit(staff.token, entry({ barcode: 'SER-1', serial: 'SN-2' }));
    expect(third.json().warnings).toBeUndefined();

    // Voiding the second count clears the flag on both lines.
    const voided = await app.server.inject({
      method: 'POST',
      url: `/api/count-entries/${second.json().entry.id}/void`,
      headers: bearer(other.token),
      payload: { reason: 'scanned the wrong rack' },
    });
    expect(voided.statusCode, voided.body).toBe(200);
    expect((await line(data.binA, data.laptop))?.flags).toEqual([]);
    expect((await line(data.binB, data.laptop))?.flags).toEqual([]);
  });

  it('captures an unknown barcode and lists it for supervisors', async () => {
    const response = await submit(staff.token, entry({ barcode: EAN_UNKNOWN, quantity: 4 }));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      result: 'unknown_item',
      captured: true,
      entry: { item_id: null, item_code: null, barcode: EAN_UNKNOWN.padStart(14, '0'), quantity: 4 },
    });
    // A misread code (wrong check digit) is kept too, as scanned.
    const misread = await submit(staff.token, entry({ barcode: '4006381333932', quantity: 1 }));
    expect(misread.json()).toMatchObject({ result: 'unknown_item', entry: { barcode: '4006381333932' } });
    await submit(staff.token, entry({ barcode: EAN_UNKNOWN, quantity: 1 }));
    const list = await app.server.inject({
      method: 'GET',
      url: `/api/count-sessions/${session}/unknown-items`,
      headers: bearer(supervisor.token),
    });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().items).toEqual([
      expect.objectContaining({
        barcode: EAN_UNKNOWN.padStart(14, '0'),
        location_id: data.binA,
        entry_count: 2,
        quantity: 5,
        counters: 1,
      }),
      expect.objectContaining({
        barcode: '4006381333932',
        location_code: 'A-01',
        entry_count: 1,
        quantity: 1,
      }),
    ]);
    const forStaff = await app.server.inject({
      method: 'GET',
      url: `/api/count-sessions/${session}/unknown-items`,
      headers: bearer(staff.token),
    });
    expect(forStaff.statusCode).toBe(403);
    // No line is made for an unknown code.
    expect((await lineState(app, session)).every((row) => row.item_id !== null)).toBe(true);
  });

  it('restricts staff to their assignments; supervisors count anywhere in scope', async () => {
    const notMine = await submit(staff.token, entry({ location_id: data.binB }));
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().error.code).toBe('NOT_ASSIGNED');
    const supervised = await submit(supervisor.token, entry({ location_id: data.binB }));
    expect(supervised.statusCode).toBe(201);
    const foreign = await submit(supervisor.token, entry({ location_id: data.foreignBin }));
    expect(foreign.statusCode).toBe(409);
    expect(foreign.json().error.code).toBe('LOCATION_NOT_IN_SCOPE');
    const auditor = await app.userWithToken('auditor');
    expect((await submit(auditor.token, entry())).statusCode).toBe(403);
    const unknownSession = await submit(supervisor.token, entry(), clientId());
    expect(unknownSession.statusCode).toBe(404);
  });

  it('honours a scoped session: locations outside the scope subtree are refused', async () => {
    const scoped = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      locationIds: [data.binA],
    });
    expect((await submit(supervisor.token, entry(), scoped)).statusCode).toBe(201);
    const outside = await submit(supervisor.token, entry({ location_id: data.binC }), scoped);
    expect(outside.json().error.code).toBe('LOCATION_NOT_IN_SCOPE');
  });

  it('adds up several counters on one line and creates unexpected lines at the item cost', async () => {
    await submit(supervisor.token, entry({ location_id: data.binB, quantity: 1 }));
    await submit(other.token, entry({ location_id: data.binB, barcode: EAN_CASE, quantity: 1 }));
    expect(await line(data.binB, data.widget)).toMatchObject({ counted_qty_e3: 13_000, entry_count: 2 });
    await submit(staff.token, entry({ barcode: 'EXTRA-1', quantity: 5 }));
    expect(await line(data.binA, data.stray)).toMatchObject({
      expected: 0,
      book_qty_e3: 0,
      unit_cost_e4: 12_500,
      counted_qty_e3: 5000,
      status: 'counted',
      round: 1,
    });
  });

  it('voids entries: the counter or a supervisor, once, while counting; lines follow', async () => {
    const a = (await submit(staff.token, entry({ quantity: 2 }))).json().entry;
    const b = (await submit(staff.token, entry({ quantity: 3 }))).json().entry;
    const voidIt = (id: string, token: string, reason = 'miscount') =>
      app.server.inject({
        method: 'POST',
        url: `/api/count-entries/${id}/void`,
        headers: bearer(token),
        payload: { reason },
      });
    expect((await voidIt(a.id, other.token)).json().error.code).toBe('NOT_ENTRY_OWNER');
    expect((await voidIt(a.id, staff.token, '   ')).statusCode).toBe(400);
    const voided = await voidIt(a.id, staff.token);
    expect(voided.statusCode).toBe(200);
    expect(voided.json()).toMatchObject({
      id: a.id,
      voided: true,
      voided_by: staff.id,
      void_reason: 'miscount',
    });
    expect((await voidIt(a.id, supervisor.token)).json().error.code).toBe('ENTRY_ALREADY_VOIDED');
    expect(await line(data.binA, data.widget)).toMatchObject({
      counted_qty_e3: 3000,
      entry_count: 1,
      rounds: [{ round: 1, counted_qty_e3: 3000, entry_count: 1 }],
    });
    // The last live entry voided: the line is not counted any more.
    expect((await voidIt(b.id, supervisor.token)).statusCode).toBe(200);
    expect(await line(data.binA, data.widget)).toMatchObject({
      counted_qty_e3: null,
      entry_count: 0,
      status: 'open',
      rounds: [],
    });
    const [audit] = await app.auditEntries('count_entry.void');
    expect(audit).toMatchObject({ event_type: 'DATA_UPDATE', resource_id: a.id });
    expect(JSON.stringify(audit!.details)).not.toContain('miscount');

    const c = (await submit(staff.token, entry())).json().entry;
    await setSessionStatus(app, session, 'review');
    expect((await voidIt(c.id, supervisor.token)).json().error.code).toBe('SESSION_NOT_COUNTING');
    expect((await voidIt(clientId(), supervisor.token)).statusCode).toBe(404);
  });

  it('lists entries newest first; staff see only their own', async () => {
    for (let i = 1; i <= 5; i += 1) {
      await submit(staff.token, entry({ quantity: i }));
      app.clock.advance(1000);
    }
    await submit(supervisor.token, entry({ location_id: data.binB, quantity: 9 }));
    const get = (token: string, query = '') =>
      app.server.inject({
        method: 'GET',
        url: `/api/count-sessions/${session}/entries${query}`,
        headers: bearer(token),
      });
    const mine = (await get(staff.token)).json();
    expect(mine.items.map((row: { quantity: number }) => row.quantity)).toEqual([5, 4, 3, 2, 1]);
    const all = (await get(supervisor.token, '?limit=4')).json();
    expect(all.items.map((row: { quantity: number }) => row.quantity)).toEqual([9, 5, 4, 3]);
    const next = (await get(supervisor.token, `?limit=4&cursor=${all.next_cursor}`)).json();
    expect(next.items.map((row: { quantity: number }) => row.quantity)).toEqual([2, 1]);
    expect(next.next_cursor).toBeNull();
    const own = (await get(supervisor.token, '?mine=true')).json();
    expect(own.items).toHaveLength(1);
    const atB = (await get(supervisor.token, `?location_id=${data.binB}`)).json();
    expect(atB.items).toHaveLength(1);
    expect((await get(supervisor.token, '?cursor=garbage')).statusCode).toBe(400);
  });
  it('judges and audits entries that arrive together (one shared commit) exactly as if they came alone', async () => {
    const repeated = entry();
    const requests = [
      ...Array.from({ length: 30 }, () => ({ token: staff.token, payload: entry() })),
      // A retried send: the same client_id and content, several times at once.
      ...Array.from({ length: 4 }, () => ({ token: staff.token, payload: repeated })),
      // The same client_id with other content.
      { token: staff.token, payload: { ...repeated, quantity: 7 } },
      ...Array.from({ length: 20 }, () => ({
        token: other.token,
        payload: entry({ location_id: data.binB }),
      })),
      // Not assigned there: refused, and it must not take the others down with it.
      ...Array.from({ length: 5 }, () => ({ token: other.token, payload: entry() })),
    ];
    const answers = await Promise.all(requests.map(({ token, payload }) => submit(token, payload)));
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(51);
    expect(statuses.filter((status) => status === 200 || status === 201)).toHaveLength(54);
    expect(answers.filter((answer) => answer.json().result === 'duplicate')).toHaveLength(3);
    expect(statuses.filter((status) => status === 409)).toHaveLength(1);
    expect(statuses.filter((status) => status === 403)).toHaveLength(5);

    expect((await line(data.binA, data.widget))?.counted_qty_e3).toBe(31_000);
    expect((await line(data.binB, data.widget))?.counted_qty_e3).toBe(20_000);

    // One audit entry per stored entry, each under the request (and counter) that sent it.
    const created = await app.auditEntries('count_entry.create');
    expect(created).toHaveLength(51);
    const stored = new Map(
      answers
        .filter((answer) => answer.statusCode === 201)
        .map((answer) => [answer.json().entry.id as string, answer] as const),
    );
    for (const audited of created) {
      const answer = stored.get(audited.resource_id!);
      expect(answer, audited.resource_id!).toBeDefined();
      expect(audited.actor_user_id).toBe(answer!.json().entry.counted_by);
      expect(audited.request_id).toBe(answer!.headers['x-request-id']);
    }
    const verify = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/audit/verify-integrity',
      headers: bearer((await app.userWithToken('auditor')).token),
    });
    expect(verify.json().valid, verify.body).toBe(true);
  });
});
