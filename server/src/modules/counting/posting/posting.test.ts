import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { type CountingFixture, countingFixture } from '../sessions/sessions-test-support.ts';
import { refuseMovedBook } from './posting.service.ts';

/**
 * Book changes during the count (flag, resolve, re-check at approve) and posting (adjustments and
 * ERP outbox, exactly once; a posted session immutable), through the HTTP API on both dialects.
 * The ERP's movements arrive as stock level changes, as an ERP sync writes them.
 */
describe.each(dialects())('book changes and posting on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
  });
  afterEach(async () => {
    await app.close();
  });

  const sup = () => f.users.supervisor.token;

  /** The ERP moved the book: a new stock level for the item-location-lot. */
  async function moveBook(itemId: string, locationId: string, quantityE3: number, lot: string | null = null) {
    app.clock.advance(1_000);
    await f.stockLevels.upsert(
      [{ ...f.level(itemId, locationId, quantityE3, lot), as_of: app.clock.now().toISOString() }],
      SYSTEM_CONTEXT,
    );
  }

  async function enter(
    token: string,
    sessionId: string,
    entry: { location_id: string; item_id: string; quantity: number | string; lot?: string },
  ) {
    const response = await f.call('POST', `/api/count-sessions/${sessionId}/entries`, token, {
      client_id: systemIds.uuid(),
      ...entry,
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().entry as { id: string };
  }

  /** A started session over aisle A01 (HAMMER@B1 10, HAMMER@B2 5, RICE@B1 L1 3 and L2 4), kim assigned. */
  async function startedAisle(fields: Record<string, unknown> = {}) {
    const session = await f.createSession({ scope: { location_ids: [f.locations.a01] }, ...fields });
    await f.assign(session.id, f.locations.a01, [f.users.staff.id]);
    await f.drive(session.id, 'start');
    return session.id;
  }

  /** Counts the aisle: the quantities given, the book for the rest. */
  async function countAisle(
    sessionId: string,
    counts: { hammerB1?: number; hammerB2?: number; riceL1?: number; riceL2?: number } = {},
    token = f.users.staff.token,
  ) {
    const { b1, b2 } = f.locations;
    const { hammer, rice } = f.items;
    await enter(token, sessionId, { location_id: b1, item_id: hammer, quantity: counts.hammerB1 ?? 10 });
    await enter(token, sessionId, { location_id: b2, item_id: hammer, quantity: counts.hammerB2 ?? 5 });
    await enter(token, sessionId, {
      location_id: b1,
      item_id: rice,
      lot: 'L1',
      quantity: counts.riceL1 ?? 3,
    });
    await enter(token, sessionId, {
      location_id: b1,
      item_id: rice,
      lot: 'L2',
      quantity: counts.riceL2 ?? 4,
    });
  }

  async function lineRow(sessionId: string, itemId: string, locationId: string, lot = '') {
    const row = await app.database.db
      .selectFrom('count_lines')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('item_id', '=', itemId)
      .where('location_id', '=', locationId)
      .where('lot', '=', lot)
      .executeTakeFirstOrThrow();
    return {
      ...row,
      flags: JSON.parse(row.flags) as string[],
      book_qty_e3: Number(row.book_qty_e3),
      current_book_qty_e3: row.current_book_qty_e3 === null ? null : Number(row.current_book_qty_e3),
      adjustment_qty_e3: row.adjustment_qty_e3 === null ? null : Number(row.adjustment_qty_e3),
    };
  }

  async function linesApi(sessionId: string, token = sup()) {
    const response = await f.call('GET', `/api/count-sessions/${sessionId}/lines?limit=200`, token);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items as Record<string, unknown>[];
  }

  const resolve = (lineId: string, body: Record<string, unknown>, token = sup()) =>
    f.call('POST', `/api/count-lines/${lineId}/resolve`, token, body);

  async function adjustmentsOf(sessionId: string) {
    const rows = await app.database.db
      .selectFrom('count_adjustments')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('line_id')
      .execute();
    return rows.map((row) => ({ ...row, qty_e3: Number(row.qty_e3), value_e4: Number(row.value_e4) }));
  }

  async function outboxOf(lineIds: string[]) {
    if (lineIds.length === 0) return [];
    return app.database.db
      .selectFrom('erp_outbox')
      .selectAll()
      .where(
        'idempotency_key',
        'in',
        lineIds.map((id) => `count-adjustment:${id}`),
      )
      .execute();
  }

  it('flags a line whose book moved during the count, with both quantities, and sends it to review', async () => {
    // A tolerance of 100 units: without the book change every line here would be auto-approved.
    const id = await startedAisle({ tolerance: { qty_abs: 100, auto_approve: true } });
    await countAisle(id);
    // During the count the ERP books a sale of 2 at B1, and drops the B2 row (book 0).
    await moveBook(f.items.hammer, f.locations.b1, 8_000);
    await app.database.db
      .deleteFrom('stock_levels')
      .where('item_id', '=', f.items.hammer)
      .where('location_id', '=', f.locations.b2)
      .execute();
    await f.drive(id, 'submit');

    const moved = await lineRow(id, f.items.hammer, f.locations.b1);
    expect(moved).toMatchObject({ status: 'review', book_qty_e3: 10_000, current_book_qty_e3: 8_000 });
    expect(moved.flags).toContain('book_changed');
    const gone = await lineRow(id, f.items.hammer, f.locations.b2);
    expect(gone).toMatchObject({ status: 'review', book_qty_e3: 5_000, current_book_qty_e3: 0 });
    expect(gone.flags).toContain('book_changed');
    const still = await lineRow(id, f.items.rice, f.locations.b1, 'L1');
    expect(still).toMatchObject({ status: 'auto_approved', current_book_qty_e3: null });
    expect(still.flags).not.toContain('book_changed');
    const [submitted] = await app.auditEntries('count_session.submit');
    expect(submitted!.details).toMatchObject({ book_changed: 2 });

    // The lines list shows both books to the supervisor.
    const listed = (await linesApi(id, f.users.supervisor.token)).find((line) => line.id === moved.id);
    expect(listed).toMatchObject({ book_qty: 10, current_book_qty: 8, counted_qty: 10, resolution: null });

    // The review line shows both books (snapshot and now), with what was counted.
    const answer = await resolve(moved.id, { keep: 'difference' });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({
      book_qty: 10,
      current_book_qty: 8,
      counted_qty: 10,
      resolution: 'difference',
      adjustment_qty: 0,
      status: 'approved',
    });
  });

  it('never shows a book change to a counter in a blind session', async () => {
    const id = await startedAisle({ mode: 'blind' });
    await countAisle(id);
    await moveBook(f.items.hammer, f.locations.b1, 8_000);
    await f.drive(id, 'submit');
    expect((await lineRow(id, f.items.hammer, f.locations.b1)).flags).toContain('book_changed');
    for (const line of await linesApi(id, f.users.staff.token)) {
      expect(line.flags).toEqual([]);
      for (const field of ['book_qty', 'current_book_qty', 'variance_qty', 'rounds'])
        expect(line[field], field).toBeUndefined();
    }
    const line = await lineRow(id, f.items.hammer, f.locations.b1);
    expect((await resolve(line.id, { keep: 'counted' }, f.users.staff.token)).statusCode).toBe(403);
  });

  it('resolves: keep counted adjusts to the count, keep difference keeps the variance; same rules as approve', async () => {
    const id = await startedAisle({ tolerance: { qty_abs: 100 } });
    // Kim counts three lines; the supervisor counts HAMMER@B2 herself (3 of a book of 5).
    const { b1, b2 } = f.locations;
    await enter(f.users.staff.token, id, { location_id: b1, item_id: f.items.hammer, quantity: 10 });
    await enter(sup(), id, { location_id: b2, item_id: f.items.hammer, quantity: 3 });
    await enter(f.users.staff.token, id, { location_id: b1, item_id: f.items.rice, lot: 'L1', quantity: 3 });
    await enter(f.users.staff.token, id, { location_id: b1, item_id: f.items.rice, lot: 'L2', quantity: 4 });
    await moveBook(f.items.hammer, b1, 8_000);
    await moveBook(f.items.hammer, b2, 4_000);
    await f.drive(id, 'submit');
    const atB1 = await lineRow(id, f.items.hammer, b1);
    const atB2 = await lineRow(id, f.items.hammer, b2);
    const rice = await lineRow(id, f.items.rice, b1, 'L1');

    // Only a book-changed line in review is resolved; such a line is not approved plainly.
    const plain = await resolve(rice.id, { keep: 'counted' });
    expect(plain.statusCode).toBe(409);
    expect(plain.json().error.code).toBe('LINE_NOT_BOOK_CHANGED');
    const approve = await f.call('POST', `/api/count-lines/${atB1.id}/approve`, sup(), {
      reason_code: 'theft',
    });
    expect(approve.statusCode).toBe(409);
    expect(approve.json().error.code).toBe('LINE_BOOK_CHANGED');
    const bulk = await f.call('POST', `/api/count-sessions/${id}/lines/approve`, f.users.admin.token, {
      reason_code: 'other',
    });
    expect(bulk.json()).toMatchObject({ approved: 0, skipped_book_changed: 2, skipped_own_count: 0 });
    // Nobody resolves their own count.
    const own = await resolve(atB2.id, { keep: 'difference', reason_code: 'damaged' });
    expect(own.statusCode).toBe(403);
    expect(own.json().error.code).toBe('OWN_COUNT');
    // A non-zero adjustment needs a reason: counted 10 − current book 8 = +2.
    const bare = await resolve(atB1.id, { keep: 'counted' });
    expect(bare.statusCode).toBe(400);
    expect(bare.json().error.code).toBe('REASON_REQUIRED');
    const badKeep = await resolve(atB1.id, { keep: 'book' });
    expect(badKeep.statusCode).toBe(400);
    // Nothing changed by the refusals.
    expect(await lineRow(id, f.items.hammer, b1)).toMatchObject({ status: 'review', resolution: null });

    const counted = await resolve(atB1.id, { keep: 'counted', reason_code: 'unrecorded_movement' });
    expect(counted.statusCode, counted.body).toBe(200);
    expect(counted.json()).toMatchObject({
      status: 'approved',
      resolution: 'counted',
      adjustment_qty: 2,
      reason_code: 'unrecorded_movement',
      decided_by: f.users.supervisor.id,
    });
    // Keep difference: counted 3 − snapshot 5 = −2, whatever the book is now (4).
    const difference = await resolve(
      atB2.id,
      { keep: 'difference', reason_code: 'damaged' },
      f.users.admin.token,
    );
    expect(difference.statusCode, difference.body).toBe(200);
    expect(difference.json()).toMatchObject({
      book_qty: 5,
      current_book_qty: 4,
      counted_qty: 3,
      resolution: 'difference',
      adjustment_qty: -2,
    });
    const again = await resolve(atB1.id, { keep: 'difference' });
    expect(again.json().error.code).toBe('LINE_NOT_BOOK_CHANGED');
    expect((await app.auditEntries('count_line.resolve')).map((row) => row.details)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          keep: 'counted',
          book_qty_e3: 10_000,
          current_book_qty_e3: 8_000,
          counted_qty_e3: 10_000,
          adjustment_qty_e3: 2_000,
        }),
      ]),
    );

    await f.drive(id, 'approve', 'post');
    const adjustments = await adjustmentsOf(id);
    expect(
      adjustments.map(({ line_id, qty_e3, value_e4, resolution, reason_code }) => ({
        line_id,
        qty_e3,
        value_e4,
        resolution,
        reason_code,
      })),
    ).toEqual(
      [
        {
          line_id: atB1.id,
          qty_e3: 2_000,
          value_e4: 50_000,
          resolution: 'counted',
          reason_code: 'unrecorded_movement',
        },
        {
          line_id: atB2.id,
          qty_e3: -2_000,
          value_e4: -50_000,
          resolution: 'difference',
          reason_code: 'damaged',
        },
      ].sort((a, b) => a.line_id.localeCompare(b.line_id)),
    );
    // The ERP is the book: posting leaves stock_levels as they are.
    const book = await app.database.db
      .selectFrom('stock_levels')
      .select('quantity_e3')
      .where('item_id', '=', f.items.hammer)
      .where('location_id', 'in', [b1, b2])
      .orderBy('quantity_e3')
      .execute();
    expect(book.map((row) => Number(row.quantity_e3))).toEqual([4_000, 8_000]);
  });

  it('looks at the book again on approve: a movement during review sends its line back, and approve refuses', async () => {
    const id = await startedAisle();
    await countAisle(id);
    await f.drive(id, 'submit');
    const line = await lineRow(id, f.items.hammer, f.locations.b1);
    expect(line.status).toBe('auto_approved');

    // The sale arrives while the supervisor reviews.
    await moveBook(f.items.hammer, f.locations.b1, 12_000);
    const refused = await f.step(id, 'approve');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'BOOK_CHANGED' });
    expect(refused.json().error.message).toContain('for 1 line');
    expect((await f.call('GET', `/api/count-sessions/${id}`, sup())).json().status).toBe('review');
    const back = await lineRow(id, f.items.hammer, f.locations.b1);
    expect(back).toMatchObject({ status: 'review', current_book_qty_e3: 12_000 });
    expect(back.flags).toContain('book_changed');
    expect(await app.auditEntries('count_lines.book_changed')).toHaveLength(1);
    expect((await f.step(id, 'approve')).json().error.code).toBe('LINES_PENDING');

    const first = await resolve(line.id, { keep: 'counted', reason_code: 'unrecorded_movement' });
    expect(first.json()).toMatchObject({ adjustment_qty: -2, resolution: 'counted' });
    // It moves again after the resolution: the line is reopened, its resolution undone.
    await moveBook(f.items.hammer, f.locations.b1, 11_000);
    expect((await f.step(id, 'approve')).json().error.code).toBe('BOOK_CHANGED');
    expect(await lineRow(id, f.items.hammer, f.locations.b1)).toMatchObject({
      status: 'review',
      resolution: null,
      adjustment_qty_e3: null,
      reason_code: null,
      current_book_qty_e3: 11_000,
    });
    const second = await resolve(line.id, { keep: 'counted', reason_code: 'unrecorded_movement' });
    expect(second.json()).toMatchObject({ adjustment_qty: -1 });

    // A movement that slips in between that check and the approval's transaction is refused there.
    await moveBook(f.items.hammer, f.locations.b2, 6_000);
    await expect(
      app.database.db.transaction().execute((trx) => refuseMovedBook(trx, id)),
    ).rejects.toMatchObject({ code: 'BOOK_CHANGED' });
    await moveBook(f.items.hammer, f.locations.b2, 5_000);

    const approved = await f.step(id, 'approve');
    expect(approved.statusCode, approved.body).toBe(200);
    await f.drive(id, 'post');
    expect((await adjustmentsOf(id)).map((row) => [row.line_id, row.qty_e3])).toEqual([[line.id, -1_000]]);
  });

  /**
   * Ten lines with a variance (strict: all to review, approved in bulk with a reason) and one
   * without, over the whole of WH1.
   */
  async function approvedTenVariances() {
    const { b1, b2, b3, b4 } = f.locations;
    const { hammer, rice, saw, nail } = f.items;
    await f.stockLevels.upsert(
      [
        f.level(hammer, b3, 1_000),
        f.level(hammer, b4, 1_000),
        f.level(nail, b1, 1_000),
        f.level(nail, b2, 2_000),
      ],
      SYSTEM_CONTEXT,
    );
    const session = await f.createSession({ mode: 'strict' });
    await f.assign(session.id, f.locations.z1, [f.users.staff.id]);
    await f.assign(session.id, f.locations.z2, [f.users.staff.id]);
    await f.drive(session.id, 'start');
    const counts: [string, string, number | string, string?][] = [
      [b1, hammer, 9],
      [b2, hammer, 6],
      [b1, rice, '2.5', 'L1'],
      [b1, rice, 5, 'L2'],
      [b3, saw, 1],
      [b4, nail, 1],
      [b4, saw, 8],
      [b3, hammer, 0],
      [b4, hammer, 3],
      [b1, nail, 4],
      [b2, nail, 2],
    ];
    for (const [location, item, quantity, lot] of counts) {
      await enter(f.users.staff.token, session.id, {
        location_id: location,
        item_id: item,
        quantity,
        ...(lot ? { lot } : {}),
      });
    }
    await f.drive(session.id, 'submit');
    const bulk = await f.call(
      'POST',
      `/api/count-sessions/${session.id}/lines/approve`,
      f.users.admin.token,
      {
        reason_code: 'counting_error',
      },
    );
    expect(bulk.json()).toMatchObject({ approved: 10 });
    await f.drive(session.id, 'approve');
    return session.id;
  }

  it('posts exactly once however often post is raced: one adjustment and one ERP message per variance', async () => {
    const id = await approvedTenVariances();
    const answers = await Promise.all(Array.from({ length: 10 }, () => f.step(id, 'post')));
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(409)]);
    for (const answer of answers.filter((one) => one.statusCode === 409))
      expect(['ILLEGAL_TRANSITION', 'VERSION_CONFLICT']).toContain(answer.json().error.code);
    expect((await f.step(id, 'post')).statusCode).toBe(409);

    const adjustments = await adjustmentsOf(id);
    expect(adjustments).toHaveLength(10);
    expect(new Set(adjustments.map((row) => row.line_id)).size).toBe(10);
    const exact = await lineRow(id, f.items.nail, f.locations.b2);
    expect(adjustments.map((row) => row.line_id)).not.toContain(exact.id);
    const riceL1 = await lineRow(id, f.items.rice, f.locations.b1, 'L1');
    const rice = adjustments.find((row) => row.line_id === riceL1.id)!;
    // −0.5 × 1.25 = −0.625
    expect(rice).toMatchObject({ qty_e3: -500, value_e4: -6_250, lot: 'L1', reason_code: 'counting_error' });

    const outbox = await outboxOf(adjustments.map((row) => row.line_id));
    expect(outbox).toHaveLength(10);
    const message = outbox.find((row) => row.idempotency_key === `count-adjustment:${riceL1.id}`)!;
    expect(message).toMatchObject({
      topic: 'stock_adjustment',
      status: 'pending',
      attempts: 0,
      delivered_at: null,
      last_error: null,
    });
    expect(JSON.parse(message.payload)).toMatchObject({
      adjustment_id: rice.id,
      session_id: id,
      session_name: 'Cycle count',
      warehouse_code: 'WH1',
      item_code: 'RICE',
      location_code: 'B1',
      lot: 'L1',
      quantity: '-0.5',
      uom: 'EA',
      unit_cost: '1.25',
      value: '-0.625',
      reason_code: 'counting_error',
    });

    // Variances: hammer −1 +1 +2 −1 (2.5), rice −0.5 +1 (1.25), saw −1 +1 (10), nail +1 +3 (0.01).
    const total = adjustments.reduce((sum, row) => sum + row.value_e4, 0);
    const posts = await app.auditEntries('count_session.post');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.details).toMatchObject({
      adjustments: 10,
      outbox_messages: 10,
      total_value: String(total / 10_000),
    });
    expect(total).toBe(2.5 * 10_000 + 0.625 * 10_000 + 0.04 * 10_000);
  });

  it('lists a session’s adjustments to supervisors and auditors, page by page', async () => {
    const id = await approvedTenVariances();
    const early = await f.call('GET', `/api/count-sessions/${id}/adjustments`, sup());
    expect(early.json()).toEqual({ items: [], next_cursor: null });
    await f.drive(id, 'post');

    const seen: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=4&cursor=${cursor}` : '?limit=4';
      const page = await f.call(
        'GET',
        `/api/count-sessions/${id}/adjustments${query}`,
        f.users.auditor.token,
      );
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().items);
      cursor = page.json().next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen.map((row) => row.id)).size).toBe(10);
    const riceL1 = await lineRow(id, f.items.rice, f.locations.b1, 'L1');
    expect(seen.find((row) => row.line_id === riceL1.id)).toMatchObject({
      item_code: 'RICE',
      location_code: 'B1',
      lot: 'L1',
      quantity: -0.5,
      unit_cost: 1.25,
      value: -0.625,
      reason_code: 'counting_error',
      resolution: null,
      erp_status: 'pending',
    });
    expect(
      (await f.call('GET', `/api/count-sessions/${id}/adjustments`, f.users.staff.token)).statusCode,
    ).toBe(403);
    const missing = await f.call('GET', `/api/count-sessions/${systemIds.uuid()}/adjustments`, sup());
    expect(missing.statusCode).toBe(404);
    const forged = await f.call('GET', `/api/count-sessions/${id}/adjustments?cursor=bm9wZQ`, sup());
    expect(forged.statusCode).toBe(400);
  });

  it('exports the posted adjustments as CSV and XLSX, only once the session is posted', async () => {
    const id = await approvedTenVariances();
    const exportUrl = (format: string) =>
      `/api/count-sessions/${id}/export?kind=adjustments&format=${format}`;
    const early = await f.call('GET', exportUrl('csv'), sup());
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('SESSION_NOT_POSTED');
    await f.drive(id, 'post');

    const csv = await f.call('GET', exportUrl('csv'), f.users.auditor.token);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('Cycle-count-adjustments.csv');
    const [header, ...rows] = csv.body.trim().split(/\r?\n/);
    expect(header!.split(',').slice(0, 8)).toEqual([
      'location_code',
      'item_code',
      'item_name',
      'lot',
      'unit',
      'quantity',
      'unit_cost',
      'value',
    ]);
    expect(rows).toHaveLength(10);
    expect(rows.find((row) => row.startsWith('B1,RICE,'))).toMatch(
      /^B1,RICE,[^,]*,L1,EA,-0\.5,1\.25,-0\.625,counting_error,/,
    );

    const xlsx = await f.call('GET', exportUrl('xlsx'), sup());
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
    expect((await f.call('GET', exportUrl('pdf'), sup())).statusCode).toBe(400);
    expect((await f.call('GET', exportUrl('csv'), f.users.staff.token)).statusCode).toBe(403);
  });

  it('keeps a posted session immutable: every write route answers 409 and changes nothing', async () => {
    const id = await startedAisle({ tolerance: { qty_abs: 100 } });
    const { b1, b2 } = f.locations;
    const db = app.database.db;
    await countAisle(id, { hammerB1: 9 });
    const entry = await db
      .selectFrom('count_entries')
      .select('id')
      .where('session_id', '=', id)
      .where('location_id', '=', b1)
      .where('item_id', '=', f.items.hammer)
      .executeTakeFirstOrThrow();
    await moveBook(f.items.hammer, b2, 4_000);
    await f.drive(id, 'submit');
    const hammerB1 = await lineRow(id, f.items.hammer, b1);
    const hammerB2 = await lineRow(id, f.items.hammer, b2);
    expect([hammerB1.status, hammerB2.status]).toEqual(['auto_approved', 'review']);
    const settled = await resolve(hammerB2.id, { keep: 'counted', reason_code: 'unrecorded_movement' });
    expect(settled.statusCode, settled.body).toBe(200);
    await f.drive(id, 'approve', 'post');

    async function state() {
      const lines = await db
        .selectFrom('count_lines')
        .selectAll()
        .where('session_id', '=', id)
        .orderBy('id')
        .execute();
      const lineIds = lines.map((line) => line.id);
      return {
        session: await db.selectFrom('count_sessions').selectAll().where('id', '=', id).execute(),
        lines,
        rounds: await db
          .selectFrom('count_line_rounds')
          .selectAll()
          .where('line_id', 'in', lineIds)
          .orderBy('line_id')
          .orderBy('round')
          .execute(),
        entries: await db
          .selectFrom('count_entries')
          .selectAll()
          .where('session_id', '=', id)
          .orderBy('id')
          .execute(),
        assignments: await db
          .selectFrom('count_assignments')
          .selectAll()
          .where('session_id', '=', id)
          .orderBy('location_id')
          .orderBy('user_id')
          .execute(),
        claims: await db.selectFrom('count_claims').selectAll().where('session_id', '=', id).execute(),
        completions: await db
          .selectFrom('count_location_completions')
          .selectAll()
          .where('session_id', '=', id)
          .execute(),
        adjustments: await db
          .selectFrom('count_adjustments')
          .selectAll()
          .where('session_id', '=', id)
          .execute(),
        outbox: await db.selectFrom('erp_outbox').selectAll().orderBy('id').execute(),
      };
    }
    const before = await state();
    expect(before.adjustments.length).toBeGreaterThan(0);
    const version = Number(before.session[0]!.version);

    const admin = f.users.admin.token;
    const staff = f.users.staff.token;
    const attempts: [string, Promise<{ statusCode: number; body: string }>][] = [
      ['edit', f.call('PATCH', `/api/count-sessions/${id}`, admin, { name: 'Renamed' })],
      ...(['start', 'submit', 'approve', 'post'] as const).map(
        (action) => [action, f.step(id, action, { version })] as [string, ReturnType<typeof f.step>],
      ),
      ['cancel', f.step(id, 'cancel', { reason: 'too late' })],
      [
        'assign',
        f.call('POST', `/api/count-sessions/${id}/assignments`, admin, {
          assignments: [{ location_id: b2, user_ids: [f.users.staff2.id] }],
        }),
      ],
      [
        'unassign',
        f.call(
          'DELETE',
          `/api/count-sessions/${id}/assignments/${f.locations.a01}/${f.users.staff.id}`,
          admin,
        ),
      ],
      ['claim', f.call('POST', `/api/locations/${b1}/claim`, staff, { session_id: id })],
      ['release', f.call('POST', `/api/locations/${b1}/release`, staff, { session_id: id })],
      [
        'entry',
        f.call('POST', `/api/count-sessions/${id}/entries`, staff, {
          client_id: systemIds.uuid(),
          location_id: b1,
          item_id: f.items.hammer,
          quantity: 1,
        }),
      ],
      ['void', f.call('POST', `/api/count-entries/${entry.id}/void`, staff, { reason: 'wrong shelf' })],
      ['complete', f.call('POST', `/api/count-sessions/${id}/locations/${b1}/complete`, staff)],
      [
        'approve line',
        f.call('POST', `/api/count-lines/${hammerB2.id}/approve`, admin, { reason_code: 'other' }),
      ],
      ['reject line', f.call('POST', `/api/count-lines/${hammerB1.id}/reject`, admin, {})],
      ['resolve line', resolve(hammerB2.id, { keep: 'difference', reason_code: 'other' }, admin)],
      [
        'bulk approve',
        f.call('POST', `/api/count-sessions/${id}/lines/approve`, admin, { reason_code: 'other' }),
      ],
      ['close recounts', f.call('POST', `/api/count-sessions/${id}/recounts/close`, admin)],
    ];
    for (const [name, pending] of attempts) {
      const response = await pending;
      expect(response.statusCode, `${name}: ${response.body}`).toBe(409);
    }
    // Offline sync answers per entry: the entry is refused as a conflict, never stored.
    const sync = await f.call('POST', '/api/sync/batch', staff, {
      entries: [
        {
          session_id: id,
          client_id: systemIds.uuid(),
          location_id: b1,
          item_id: f.items.hammer,
          quantity: 1,
        },
      ],
    });
    expect(sync.statusCode, sync.body).toBe(200);
    expect(sync.json().results[0]).toMatchObject({ result: 'conflict', reason: 'session_not_counting' });

    expect(await state()).toEqual(before);
  });
});
