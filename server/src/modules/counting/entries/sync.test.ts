import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  EAN_CASE,
  EAN_SINGLE,
  EAN_UNKNOWN,
  lineState,
  type MasterData,
} from './test-fixtures.ts';

interface SyncResult {
  index: number;
  client_id: string | null;
  result: 'accepted' | 'duplicate' | 'conflict';
  reason?: string;
  message?: string;
  captured?: boolean;
  entry_id?: string;
}

describe.each(dialects())('offline sync on %s', (dialect) => {
  let app: TestApp;
  let data: MasterData;
  let supervisor: { id: string; token: string };
  let staff: { id: string; token: string };
  let session: string;
  let closed: string;

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
        { location_id: data.binB, item_id: data.widget, book_qty_e3: 4_000, unit_cost_e4: 25_000 },
      ],
      assignments: [
        { location_id: data.binA, user_id: staff.id },
        { location_id: data.binB, user_id: staff.id },
      ],
    });
    closed = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      status: 'review',
      assignments: [{ location_id: data.binA, user_id: staff.id }],
    });
  });
  afterEach(async () => {
    await app.close();
  });

  async function sync(entries: unknown[], token = staff.token) {
    const response = await app.server.inject({
      method: 'POST',
      url: '/api/sync/batch',
      headers: bearer(token),
      payload: { entries },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as {
      results: SyncResult[];
      accepted: number;
      duplicate: number;
      conflict: number;
    };
  }

  const entry = (overrides: Record<string, unknown> = {}) => ({
    session_id: session,
    client_id: clientId(),
    location_id: data.binA,
    barcode: EAN_SINGLE,
    quantity: 1,
    ...overrides,
  });

  it('answers every entry in order, with every reason', async () => {
    const used = entry({ quantity: 7 });
    await sync([used]);
    const firstSerial = entry({ barcode: 'SER-1', serial: 'SN-9' });
    const batch: unknown[] = [
      entry({ quantity: 2 }),
      entry({ barcode: EAN_CASE, quantity: 1, location_id: data.binB }),
      used,
      { ...used, quantity: 8 },
      entry({ session_id: clientId() }),
      entry({ session_id: closed }),
      entry({ location_id: data.foreignBin }),
      entry({ location_id: data.binC }),
      entry({ barcode: undefined, item_id: clientId() }),
      entry({ barcode: EAN_UNKNOWN }),
      entry({ quantity: '1.0001' }),
      entry({ barcode: 'LOT-1' }),
      entry({ barcode: 'SER-1' }),
      firstSerial,
      entry({ barcode: 'SER-1', serial: 'SN-9', location_id: data.binB }),
      entry({ client_id: 'nope' }),
      null,
      42,
      { session_id: session },
      entry({ colour: 'red' }),
    ];
    const answer = await sync(batch);
    const summary = answer.results.map((result) => [
      result.index,
      result.result,
      result.reason ?? null,
      result.captured ?? null,
    ]);
    expect(summary).toEqual([
      [0, 'accepted', null, null],
      [1, 'accepted', null, null],
      [2, 'duplicate', null, null],
      [3, 'conflict', 'client_id_conflict', false],
      [4, 'conflict', 'session_not_found', false],
      [5, 'conflict', 'session_not_counting', false],
      [6, 'conflict', 'location_not_in_scope', false],
      [7, 'conflict', 'not_assigned', false],
      [8, 'conflict', 'item_not_found', false],
      [9, 'conflict', 'unknown_item', true],
      [10, 'conflict', 'invalid_quantity', false],
      [11, 'conflict', 'lot_required', false],
      [12, 'conflict', 'serial_required', false],
      [13, 'accepted', null, null],
      [14, 'conflict', 'duplicate_serial', true],
      [15, 'conflict', 'invalid_entry', false],
      [16, 'conflict', 'invalid_entry', false],
      [17, 'conflict', 'invalid_entry', false],
      [18, 'conflict', 'invalid_entry', false],
      [19, 'conflict', 'invalid_entry', false],
    ]);
    expect(answer).toMatchObject({ accepted: 3, duplicate: 1, conflict: 16 });
    // The client_id of each answer names its entry (raw when it was no UUID, null when absent).
    expect(answer.results[0]!.client_id).toBe((batch[0] as { client_id: string }).client_id);
    expect(answer.results[15]!.client_id).toBe('nope');
    expect(answer.results[16]!.client_id).toBeNull();
    expect(answer.results[19]!.message).toMatch(/colour/);
    // Captured conflicts carry their entry id; refused ones do not.
    expect(answer.results[9]!.entry_id).toBeDefined();
    expect(answer.results[14]!.entry_id).toBeDefined();
    expect(answer.results[4]!.entry_id).toBeUndefined();

    const lines = await lineState(app, session);
    expect(
      lines.find((line) => line.location_id === data.binA && line.item_id === data.widget),
    ).toMatchObject({
      counted_qty_e3: 9000,
      entry_count: 2,
    });
    expect(
      lines.find((line) => line.location_id === data.binB && line.item_id === data.widget),
    ).toMatchObject({
      counted_qty_e3: 12_000,
    });
    for (const location of [data.binA, data.binB]) {
      expect(
        lines.find((line) => line.location_id === location && line.item_id === data.laptop)?.flags,
      ).toEqual(['duplicate_serial']);
    }

    const [audit] = (await app.auditEntries('count_entry.sync')).slice(-1);
    expect(audit).toMatchObject({ event_type: 'DATA_BULK_OPERATION', resource_id: session });
    expect(audit!.details).toMatchObject({
      entries: 20,
      accepted: 5,
      duplicate: 1,
      unknown_items: 1,
      duplicate_serials: 1,
    });
  });

  it('changes nothing when a batch is replayed, in any order', async () => {
    const batch = [
      entry({ quantity: 2 }),
      entry({ barcode: EAN_CASE, quantity: 3 }),
      entry({ barcode: 'EXTRA-1', quantity: 1, location_id: data.binB }),
      entry({ barcode: EAN_UNKNOWN }),
      entry({ barcode: 'SER-1', serial: 'X' }),
    ];
    const first = await sync(batch);
    const after = await lineState(app, session);
    const auditCount = (await app.auditEntries('count_entry.sync')).length;
    const entryCount = async () =>
      Number(
        (
          await app.database.db
            .selectFrom('count_entries')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const entries = await entryCount();

    const replay = await sync([...batch].reverse());
    expect(replay.results.map((result) => result.result)).toEqual(Array(batch.length).fill('duplicate'));
    expect(replay.results.map((result) => result.entry_id)).toEqual(
      [...first.results].reverse().map((result) => result.entry_id),
    );
    expect(await lineState(app, session)).toEqual(after);
    expect(await entryCount()).toBe(entries);
    expect(await app.auditEntries('count_entry.sync')).toHaveLength(auditCount);
  });

  it('treats a client_id repeated inside one batch like a replay', async () => {
    const one = entry({ quantity: 4 });
    const answer = await sync([one, one, { ...one, quantity: 5 }]);
    expect(answer.results.map((result) => [result.result, result.reason ?? null])).toEqual([
      ['accepted', null],
      ['duplicate', null],
      ['conflict', 'client_id_conflict'],
    ]);
    expect(answer.results[1]!.entry_id).toBe(answer.results[0]!.entry_id);
  });

  it('validates the envelope only', async () => {
    const post = (payload: unknown) =>
      app.server.inject({
        method: 'POST',
        url: '/api/sync/batch',
        headers: bearer(staff.token),
        payload: payload as object,
      });
    expect((await post({ entries: [] })).statusCode).toBe(400);
    expect((await post({})).statusCode).toBe(400);
    expect((await post({ entries: 'x' })).statusCode).toBe(400);
    expect((await post({ entries: Array(1001).fill({}) })).statusCode).toBe(400);
    const auditor = await app.userWithToken('auditor');
    const denied = await app.server.inject({
      method: 'POST',
      url: '/api/sync/batch',
      headers: bearer(auditor.token),
      payload: { entries: [entry()] },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('takes a batch of 500 with a handful of queries per batch, not per entry', async () => {
    const batch = Array.from({ length: 500 }, (_, i) =>
      entry({
        quantity: (i % 7) + 1,
        location_id: i % 2 === 0 ? data.binA : data.binB,
        barcode: i % 3 === 0 ? EAN_CASE : EAN_SINGLE,
      }),
    );
    const queryCount = async () =>
      (await app.metrics!.databaseQueries.get()).values.reduce((sum, value) => sum + value.value, 0);
    const before = await queryCount();
    const started = performance.now();
    const answer = await sync(batch);
    const elapsed = performance.now() - started;
    const queries = (await queryCount()) - before;
    expect(answer.accepted).toBe(500);
    const lines = await lineState(app, session);
    const total = lines.reduce((sum, line) => sum + (line.counted_qty_e3 ?? 0), 0);
    const expected = batch.reduce(
      (sum, item) => sum + (item.quantity as number) * (item.barcode === EAN_CASE ? 12 : 1) * 1000,
      0,
    );
    expect(total).toBe(expected);
    expect(lines.reduce((sum, line) => sum + line.entry_count, 0)).toBe(500);
    // Generous: a per-entry round trip design takes several times this on PostgreSQL.
    expect(elapsed).toBeLessThan(5000);
    // Sign-in check, lookups, lock, one insert per 200 entries, one upsert per chunk of lines, audit.
    expect(queries).toBeLessThan(40);
  });
});
