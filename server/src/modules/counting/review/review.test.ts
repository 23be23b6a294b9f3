import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { createStockLevelsService } from '../../stock-levels/stock-levels.service.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  type MasterData,
} from '../entries/test-fixtures.ts';

const stockLevels = (app: TestApp) =>
  createStockLevelsService({ db: app.database.db, clock: app.clock, ids: systemIds, audit: app.audit.trail });

describe.each(dialects())('submit decision, recount and review on %s', (dialect) => {
  let app: TestApp;
  let data: MasterData;
  let supervisor: { id: string; token: string };
  let staff: { id: string; token: string };
  let staff2: { id: string; token: string };
  let session: string;

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    data = await createMasterData(app);
    supervisor = await app.userWithToken('supervisor');
    staff = await app.userWithToken('staff');
    staff2 = await app.userWithToken('staff', 'second-counter');
    const snapshot = [
      { location_id: data.binA, item_id: data.widget, book_qty_e3: 10_000, unit_cost_e4: 25_000 },
      { location_id: data.binA, item_id: data.flour, book_qty_e3: 2_500, unit_cost_e4: 33_333 },
      { location_id: data.binB, item_id: data.widget, book_qty_e3: 4_000, unit_cost_e4: 25_000 },
    ];
    // The book the snapshot froze is still the book: submit finds no book change.
    await stockLevels(app).upsert(
      snapshot.map((row) => ({
        item_id: row.item_id,
        location_id: row.location_id,
        lot: null,
        quantity_e3: row.book_qty_e3,
        source: 'erp' as const,
        as_of: app.clock.now().toISOString(),
      })),
      SYSTEM_CONTEXT,
    );
    session = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      snapshot,
      assignments: [
        { location_id: data.binA, user_id: staff.id },
        { location_id: data.binA, user_id: staff2.id },
      ],
    });
  });
  afterEach(async () => {
    await app.close();
  });

  const post = (token: string, url: string, payload: object = {}) =>
    app.server.inject({ method: 'POST', url, headers: bearer(token), payload });
  const enter = (token: string, item: string, quantity: number) =>
    post(token, `/api/count-sessions/${session}/entries`, {
      client_id: clientId(),
      location_id: data.binA,
      item_id: item,
      quantity,
    });
  async function lines(token = supervisor.token) {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/count-sessions/${session}/lines`,
      headers: bearer(token),
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items as {
      id: string;
      item_id: string;
      location_id: string;
      status: string;
      flags: string[];
      round: number;
      book_qty?: number;
      rounds?: { round: number; counted_qty: number }[];
    }[];
  }
  const lineOf = async (item: string, location = data.binA, token = supervisor.token) =>
    (await lines(token)).find((line) => line.item_id === item && line.location_id === location)!;

  /** The bulk_operations flag is on for admins only by default; these reviewers are supervisors. */
  async function allowBulkForSupervisors() {
    const admin = await app.userWithToken('admin');
    const response = await app.server.inject({
      method: 'PATCH',
      url: '/api/enterprise/features/bulk_operations',
      headers: bearer(admin.token),
      payload: { allowed_roles: ['admin', 'supervisor'] },
    });
    expect(response.statusCode, response.body).toBe(200);
  }

  async function submitted() {
    expect((await enter(staff.token, data.widget, 10)).statusCode).toBe(201);
    expect((await enter(staff.token, data.flour, 3)).statusCode).toBe(201);
    const response = await post(supervisor.token, `/api/count-sessions/${session}/submit`);
    expect(response.statusCode, response.body).toBe(200);
  }

  it('decides every line at submit: match auto-approved, variance to recount, uncounted to review', async () => {
    await submitted();
    expect((await lineOf(data.widget)).status).toBe('auto_approved');
    expect((await lineOf(data.flour)).status).toBe('recount');
    const uncounted = await lineOf(data.widget, data.binB);
    expect(uncounted.status).toBe('review');
    expect(uncounted.flags).toContain('not_counted');
  });

  it('flags a counter who comes back to a line and counts it again, not one scanning a shelf unit by unit', async () => {
    const at = (location: string, item: string, quantity: number, token = supervisor.token) =>
      post(token, `/api/count-sessions/${session}/entries`, {
        client_id: clientId(),
        location_id: location,
        item_id: item,
        quantity,
      });
    // One visit to A: flour scanned one by one, widget among them.
    for (const [item, quantity] of [
      [data.flour, 1],
      [data.widget, 4],
      [data.flour, 1],
      [data.flour, 0.5],
    ] as const) {
      expect((await at(data.binA, item, quantity, staff.token)).statusCode).toBe(201);
      app.clock.advance(1_000);
    }
    // The supervisor counts the widget at A, goes to B, and comes back to A's widget.
    for (const [location, quantity] of [
      [data.binA, 3],
      [data.binB, 4],
      [data.binA, 3],
    ] as const) {
      expect((await at(location, data.widget, quantity)).statusCode).toBe(201);
      app.clock.advance(1_000);
    }
    await post(supervisor.token, `/api/count-sessions/${session}/submit`);
    const widget = await lineOf(data.widget);
    expect(widget.flags).toContain('duplicate_count');
    expect(widget.status).toBe('review');
    expect((await lineOf(data.flour)).flags).not.toContain('duplicate_count');
    expect((await lineOf(data.widget, data.binB)).flags).not.toContain('duplicate_count');
  });

  it('takes a recount only from a different counter, blind, and confirms an agreeing one', async () => {
    await submitted();
    const flour = await lineOf(data.flour);
    expect(flour.round).toBe(2);
    // Only recount lines take entries in review.
    const other = await enter(staff2.token, data.widget, 1);
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('SESSION_NOT_COUNTING');
    const same = await enter(staff.token, data.flour, 3);
    expect(same.statusCode).toBe(409);
    expect(same.json().error.code).toBe('SAME_COUNTER');
    // Blind for staff: no earlier round, book or variance on a recount line, even in standard mode.
    const seen = await lineOf(data.flour, data.binA, staff2.token);
    expect(seen.rounds).toBeUndefined();
    expect(seen.book_qty).toBeUndefined();
    expect((await enter(staff2.token, data.flour, 3)).statusCode).toBe(201);
    const closed = await post(supervisor.token, `/api/count-sessions/${session}/recounts/close`);
    expect(closed.json()).toEqual({ confirmed: 1, disagreed: 0, still_open: 0 });
    const after = await lineOf(data.flour);
    expect(after.status).toBe('review');
    expect(after.flags).toContain('recount_confirmed');
    expect(after.rounds?.map((round) => round.counted_qty)).toEqual([3, 3]);
  });

  it('lists a location waiting for a recount to its counters, who may claim it in review', async () => {
    const get = async (token: string) => {
      const response = await app.server.inject({
        method: 'GET',
        url: '/api/my/assignments',
        headers: bearer(token),
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().items as { session_id: string; location_id: string; recount_lines: number }[];
    };
    expect(await get(staff2.token)).toMatchObject([{ session_id: session, recount_lines: 0 }]);
    // An auto-approved session in review with nothing to recount is off the counters' lists.
    await submitted();
    expect(await get(staff2.token)).toEqual([
      expect.objectContaining({ session_id: session, location_id: data.binA, recount_lines: 1 }),
    ]);
    const claimed = await post(staff2.token, `/api/locations/${data.binA}/claim`, { session_id: session });
    expect(claimed.statusCode, claimed.body).toBe(200);
    expect(
      (await post(staff2.token, `/api/locations/${data.binA}/release`, { session_id: session })).statusCode,
    ).toBe(204);
    expect((await enter(staff2.token, data.flour, 3)).statusCode).toBe(201);
    await post(supervisor.token, `/api/count-sessions/${session}/recounts/close`);
    expect(await get(staff2.token)).toEqual([]);
    const late = await post(staff2.token, `/api/locations/${data.binA}/claim`, { session_id: session });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('NOTHING_TO_RECOUNT');
  });

  it('sends a disagreeing recount to review with both rounds', async () => {
    await submitted();
    await enter(staff2.token, data.flour, 2);
    await post(supervisor.token, `/api/count-sessions/${session}/recounts/close`);
    const line = await lineOf(data.flour);
    expect(line.status).toBe('review');
    expect(line.flags).toContain('recount_disagrees');
    expect(line.rounds?.map((round) => round.counted_qty)).toEqual([3, 2]);
  });

  it('approves with a reason code, never one’s own count, not by staff; then the session', async () => {
    await submitted();
    await enter(supervisor.token, data.flour, 2);
    await post(supervisor.token, `/api/count-sessions/${session}/recounts/close`);
    const flour = await lineOf(data.flour);
    const own = await post(supervisor.token, `/api/count-lines/${flour.id}/approve`, {
      reason_code: 'damaged',
    });
    expect(own.statusCode).toBe(403);
    expect(own.json().error.code).toBe('OWN_COUNT');
    const other = await app.userWithToken('supervisor', 'other-sup');
    const noReason = await post(other.token, `/api/count-lines/${flour.id}/approve`, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.code).toBe('REASON_REQUIRED');
    expect((await post(staff2.token, `/api/count-lines/${flour.id}/approve`, {})).statusCode).toBe(403);
    expect((await post(staff2.token, `/api/count-lines/${flour.id}/reject`, {})).statusCode).toBe(403);
    const ok = await post(other.token, `/api/count-lines/${flour.id}/approve`, { reason_code: 'damaged' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'approved', reason_code: 'damaged', decided_by: other.id });
    // The uncounted line is still pending: the session waits.
    const early = await post(other.token, `/api/count-sessions/${session}/approve`);
    expect(early.json().error.code).toBe('LINES_PENDING');
    const uncounted = await lineOf(data.widget, data.binB);
    expect((await post(other.token, `/api/count-lines/${uncounted.id}/approve`, {})).json().error.code).toBe(
      'LINE_NOT_COUNTED',
    );
    const rejected = await post(other.token, `/api/count-lines/${uncounted.id}/reject`, {});
    expect(rejected.json()).toMatchObject({ status: 'recount', round: 2 });
    await post(supervisor.token, `/api/count-sessions/${session}/entries`, {
      client_id: clientId(),
      location_id: data.binB,
      item_id: data.widget,
      quantity: 4,
    });
    await post(other.token, `/api/count-sessions/${session}/recounts/close`);
    await allowBulkForSupervisors();
    const bulk = await post(other.token, `/api/count-sessions/${session}/lines/approve`, {});
    expect(bulk.json()).toMatchObject({ approved: 1 });
    const done = await post(other.token, `/api/count-sessions/${session}/approve`);
    expect(done.statusCode, done.body).toBe(200);
  });

  it('bulk approves over a filter, skipping own counts and lines needing a reason', async () => {
    await enter(staff.token, data.widget, 9);
    await enter(supervisor.token, data.flour, 2);
    await post(supervisor.token, `/api/count-sessions/${session}/submit`);
    // Move both recount lines to review via a different counter's agreeing recount.
    await enter(staff2.token, data.widget, 9);
    await enter(staff2.token, data.flour, 2);
    await post(supervisor.token, `/api/count-sessions/${session}/recounts/close`);
    // Bulk approval is a bulk operation: admins only, until the flag says otherwise.
    const refused = await post(supervisor.token, `/api/count-sessions/${session}/lines/approve`, {});
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FEATURE_DISABLED');
    await allowBulkForSupervisors();
    const first = await post(supervisor.token, `/api/count-sessions/${session}/lines/approve`, {
      filter: { location_id: data.binA },
    });
    expect(first.json()).toEqual({
      approved: 0,
      skipped_own_count: 1,
      skipped_reason_required: 1,
      skipped_not_counted: 0,
      skipped_book_changed: 0,
    });
    const second = await post(supervisor.token, `/api/count-sessions/${session}/lines/approve`, {
      filter: { location_id: data.binA, max_abs_variance: 1 },
      reason_code: 'misplaced',
    });
    expect(second.json()).toMatchObject({ approved: 1, skipped_own_count: 1 });
    const reasons = await app.server.inject({
      method: 'GET',
      url: '/api/variance-reasons',
      headers: bearer(supervisor.token),
    });
    expect(reasons.json().items.map((reason: { code: string }) => reason.code)).toContain(
      'supplier_shortage',
    );
  });
});
