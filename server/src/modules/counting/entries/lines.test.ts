import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  EAN_HALF,
  EAN_SINGLE,
  lineState,
  type MasterData,
  setSessionStatus,
} from './test-fixtures.ts';

interface Line {
  location_id: string;
  location_code: string;
  item_id: string;
  item_code: string;
  lot: string | null;
  expected: boolean;
  counted_qty: number | null;
  entry_count: number;
  status: string;
  flags: string[];
  book_qty?: number;
  unit_cost?: number;
  variance_qty?: number | null;
  variance_value?: number | null;
  rounds?: { round: number; counted_qty: number; entry_count: number }[];
}

describe.each(dialects())('count lines on %s', (dialect) => {
  let app: TestApp;
  let data: MasterData;
  let supervisor: { id: string; token: string };
  let staff: { id: string; token: string };
  let session: string;

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    data = await createMasterData(app);
    supervisor = await app.userWithToken('supervisor');
    staff = await app.userWithToken('staff');
    session = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      snapshot: [
        { location_id: data.binA, item_id: data.widget, book_qty_e3: 10_000, unit_cost_e4: 25_000 },
        { location_id: data.binA, item_id: data.flour, book_qty_e3: 2_500, unit_cost_e4: 33_333 },
        { location_id: data.binA, item_id: data.paint, lot: 'L1', book_qty_e3: 3_000, unit_cost_e4: 100_000 },
        { location_id: data.binB, item_id: data.widget, book_qty_e3: 4_000, unit_cost_e4: 25_000 },
        { location_id: data.binB, item_id: data.flour, book_qty_e3: 1_000, unit_cost_e4: 33_333 },
      ],
      assignments: [{ location_id: data.binA, user_id: staff.id }],
    });
  });
  afterEach(async () => {
    await app.close();
  });

  async function submit(token: string, payload: Record<string, unknown>, sessionId = session) {
    const response = await app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${sessionId}/entries`,
      headers: bearer(token),
      payload: { client_id: clientId(), location_id: data.binA, ...payload },
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json().entry as { id: string };
  }

  async function lines(token: string, query = '', sessionId = session) {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/count-sessions/${sessionId}/lines${query}`,
      headers: bearer(token),
    });
    return response;
  }

  async function linesOk(token: string, query = '', sessionId = session): Promise<Line[]> {
    const response = await lines(token, query, sessionId);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items;
  }

  const complete = (token: string, location: string, sessionId = session) =>
    app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${sessionId}/locations/${location}/complete`,
      headers: bearer(token),
    });

  it('computes variance in quantity and value, exactly', async () => {
    // Flour: 0.1 kg ten times and 0.2 kg once: 1.2 kg counted, book 2.5 kg, at 3.3333 a kg.
    for (let i = 0; i < 10; i += 1) await submit(staff.token, { item_id: data.flour, quantity: 0.1 });
    await submit(staff.token, { item_id: data.flour, quantity: 0.2 });
    await submit(staff.token, { barcode: EAN_SINGLE, quantity: 12 });
    const all = await linesOk(supervisor.token, `?location_id=${data.binA}`);
    const flour = all.find((line) => line.item_code === 'FLOUR')!;
    expect(flour).toMatchObject({
      expected: true,
      counted_qty: 1.2,
      book_qty: 2.5,
      unit_cost: 3.3333,
      variance_qty: -1.3,
      // -1.3 × 3.3333 = -4.33329 → -4.3333 (one rounding, half away from zero)
      variance_value: -4.3333,
      entry_count: 11,
      status: 'counted',
      rounds: [{ round: 1, counted_qty: 1.2, entry_count: 11 }],
    });
    expect(all.find((line) => line.item_code === 'WID-1')).toMatchObject({
      counted_qty: 12,
      book_qty: 10,
      variance_qty: 2,
      variance_value: 5,
      location_code: 'A-01',
    });
    expect(all.find((line) => line.item_code === 'PAINT')).toMatchObject({
      lot: 'L1',
      counted_qty: null,
      variance_qty: null,
      variance_value: null,
      status: 'open',
      rounds: [],
    });
  });

  it('filters by location, status and variance, and pages', async () => {
    await submit(staff.token, { barcode: EAN_SINGLE, quantity: 10 });
    await submit(staff.token, { barcode: EAN_HALF, quantity: 1 });
    await submit(supervisor.token, { barcode: 'EXTRA-1', quantity: 2, location_id: data.binB });
    expect(await linesOk(supervisor.token, '?has_variance=true')).toHaveLength(2);
    expect(
      (await linesOk(supervisor.token, '?has_variance=false')).map((line) => line.item_code).sort(),
    ).toEqual(['FLOUR', 'PAINT', 'WID-1', 'WID-1']);
    expect(await linesOk(supervisor.token, '?status=open')).toHaveLength(3);
    expect(await linesOk(supervisor.token, `?status=counted&location_id=${data.binB}`)).toEqual([
      expect.objectContaining({
        item_code: 'STRAY',
        expected: false,
        book_qty: 0,
        variance_qty: 2,
        variance_value: 2.5,
      }),
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await lines(supervisor.token, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const page = response.json() as { items: Line[]; next_cursor: string | null };
      seen.push(...page.items.map((line) => `${line.location_code}/${line.item_code}`));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect((await lines(supervisor.token, '?status=nope')).statusCode).toBe(400);
    expect((await lines(supervisor.token, '?cursor=xyz')).statusCode).toBe(400);
    expect((await lines(supervisor.token, '', clientId())).statusCode).toBe(404);
  });

  it('shows staff the lines of their own locations only, with the book in a standard session', async () => {
    const mine = await linesOk(staff.token);
    expect(new Set(mine.map((line) => line.location_id))).toEqual(new Set([data.binA]));
    expect(mine[0]!.book_qty).toBeDefined();
    expect((await lines(staff.token, `?location_id=${data.binB}`)).json().error.code).toBe('NOT_ASSIGNED');
    const stranger = await app.userWithToken('staff');
    expect((await lines(stranger.token)).json().error.code).toBe('NOT_ASSIGNED');
    const auditor = await app.userWithToken('auditor');
    expect(await linesOk(auditor.token)).toHaveLength(5);
  });

  it('hides book, variance, rounds and review states from staff in a blind session', async () => {
    const blind = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      mode: 'blind',
      snapshot: [
        { location_id: data.binA, item_id: data.widget, book_qty_e3: 4_242_125, unit_cost_e4: 25_000 },
      ],
      assignments: [{ location_id: data.binA, user_id: staff.id }],
    });
    await submit(staff.token, { barcode: EAN_SINGLE, quantity: 3 }, blind);
    await app.database.db
      .updateTable('count_lines')
      .set({ status: 'review', flags: JSON.stringify(['large_variance', 'duplicate_serial']) })
      .where('session_id', '=', blind)
      .execute();
    const [line] = await linesOk(staff.token, '', blind);
    expect(line).toMatchObject({ counted_qty: 3, status: 'counted', flags: ['duplicate_serial'] });
    for (const field of ['book_qty', 'unit_cost', 'variance_qty', 'variance_value', 'rounds']) {
      expect(line).not.toHaveProperty(field);
    }
    expect((await lines(staff.token, '?has_variance=true', blind)).json().error.code).toBe('BLIND_MODE');
    expect((await lines(staff.token, '?status=review', blind)).statusCode).toBe(400);
    expect(await linesOk(staff.token, '?status=counted', blind)).toHaveLength(1);
    // What a recount asks to be counted again is the counter's list: listed, still blind.
    expect(await linesOk(staff.token, '?status=recount', blind)).toEqual([]);
    await app.database.db
      .updateTable('count_lines')
      .set({ status: 'recount' })
      .where('session_id', '=', blind)
      .execute();
    const [again] = await linesOk(staff.token, '?status=recount', blind);
    expect(again).toMatchObject({ item_id: line!.item_id, status: 'counted', flags: ['duplicate_serial'] });
    expect(again).not.toHaveProperty('book_qty');
    // Supervisors see everything.
    const [full] = await linesOk(supervisor.token, '', blind);
    expect(full).toMatchObject({ book_qty: 4242.125, variance_qty: -4239.125, status: 'recount' });
  });

  it('counts an entire location: uncounted expected lines become zero counts', async () => {
    await submit(staff.token, { barcode: EAN_SINGLE, quantity: 9 });
    await submit(staff.token, { barcode: 'EXTRA-1', quantity: 1 });
    const response = await complete(staff.token, data.binA);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ session_id: session, location_id: data.binA, zeroed_lines: 2 });
    const state = await lineState(app, session);
    const at = (item: string, location = data.binA) =>
      state.find((line) => line.item_id === item && line.location_id === location);
    expect(at(data.flour)).toMatchObject({
      counted_qty_e3: 0,
      status: 'counted',
      entry_count: 0,
      rounds: [{ round: 1, counted_qty_e3: 0, entry_count: 0 }],
    });
    expect(at(data.paint)).toMatchObject({ counted_qty_e3: 0, status: 'counted' });
    expect(at(data.widget)).toMatchObject({ counted_qty_e3: 9000 });
    expect(at(data.stray)).toMatchObject({ expected: 0, counted_qty_e3: 1000 });
    // Other locations are untouched.
    expect(at(data.flour, data.binB)).toMatchObject({ counted_qty_e3: null, status: 'open' });
    const flour = (await linesOk(supervisor.token, `?location_id=${data.binA}`)).find(
      (line) => line.item_code === 'FLOUR',
    );
    expect(flour).toMatchObject({ counted_qty: 0, variance_qty: -2.5, variance_value: -8.3333 });

    // A late entry after completion adds up; voiding it falls back to the confirmed zero.
    const late = await submit(staff.token, { item_id: data.flour, quantity: 1 });
    expect(
      (await lineState(app, session)).find(
        (line) => line.item_id === data.flour && line.location_id === data.binA,
      ),
    ).toMatchObject({ counted_qty_e3: 1000 });
    await app.server.inject({
      method: 'POST',
      url: `/api/count-entries/${late.id}/void`,
      headers: bearer(staff.token),
      payload: { reason: 'wrong bin' },
    });
    expect(
      (await lineState(app, session)).find(
        (line) => line.item_id === data.flour && line.location_id === data.binA,
      ),
    ).toMatchObject({
      counted_qty_e3: 0,
      status: 'counted',
      rounds: [{ round: 1, counted_qty_e3: 0, entry_count: 0 }],
    });

    // Again: nothing left to zero.
    expect((await complete(staff.token, data.binA)).json().zeroed_lines).toBe(0);
    const audits = await app.auditEntries('count_location.complete');
    expect(audits).toHaveLength(2);
    expect(audits[0]!.details).toMatchObject({ location_id: data.binA, zeroed_lines: 2 });
  });

  it('lets only assigned staff (or supervisors) complete a location in scope, while counting', async () => {
    expect((await complete(staff.token, data.binB)).json().error.code).toBe('NOT_ASSIGNED');
    expect((await complete(supervisor.token, data.binB)).statusCode).toBe(200);
    expect((await complete(supervisor.token, data.foreignBin)).json().error.code).toBe(
      'LOCATION_NOT_IN_SCOPE',
    );
    const auditor = await app.userWithToken('auditor');
    expect((await complete(auditor.token, data.binA)).statusCode).toBe(403);
    expect((await complete(supervisor.token, data.binA, clientId())).statusCode).toBe(404);
    await setSessionStatus(app, session, 'review');
    expect((await complete(supervisor.token, data.binA)).json().error.code).toBe('SESSION_NOT_COUNTING');
  });
});
