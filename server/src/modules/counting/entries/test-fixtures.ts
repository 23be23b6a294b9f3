import { expect } from 'vitest';
import { bearer, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import type { CountMode, SessionStatus } from '../counting.tables.ts';

/**
 * Test set-up for the entries side of counting. Master data goes through the API; a session is
 * written straight into the tables as the sessions work leaves it at start: status counting, the
 * snapshot, one open line per snapshot row (expected, round 1, not counted) and the assignments.
 * Once the session endpoints exist these can call them instead.
 */

export const EAN_SINGLE = '4006381333931';
/** A case of 12 of the same item. */
export const EAN_CASE = '5901234123457';
/** Half a kilo bag of a weighed item (pack 0.5). */
export const EAN_HALF = '96385074';
export const EAN_UNKNOWN = '0012345678905';

export interface MasterData {
  admin: string;
  warehouse: string;
  otherWarehouse: string;
  /** Bins of the warehouse: A and B are counted, C is in the warehouse but outside a scoped session. */
  binA: string;
  binB: string;
  binC: string;
  /** A bin of the other warehouse. */
  foreignBin: string;
  /** Tracking none; EAN_SINGLE (pack 1) and EAN_CASE (pack 12); unit cost 2.5. */
  widget: string;
  /** Tracking none; weighed in KG; EAN_HALF (pack 0.5); unit cost 3.3333. */
  flour: string;
  /** Lot-tracked; barcode LOT-1; unit cost 10. */
  paint: string;
  /** Serial-tracked; barcode SER-1; unit cost 999.99. */
  laptop: string;
  /** Not in any snapshot; barcode EXTRA-1; unit cost 1.25. */
  stray: string;
}

async function post(app: TestApp, token: string, url: string, payload: unknown): Promise<{ id: string }> {
  const response = await app.server.inject({
    method: 'POST',
    url,
    headers: bearer(token),
    payload: payload as object,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

export async function createMasterData(app: TestApp): Promise<MasterData> {
  const admin = (await app.userWithToken('admin')).token;
  const warehouse = (await post(app, admin, '/api/warehouses', { code: 'WH1', name: 'Main' })).id;
  const otherWarehouse = (await post(app, admin, '/api/warehouses', { code: 'WH2', name: 'Other' })).id;
  const zone = (
    await post(app, admin, '/api/locations', { warehouse_id: warehouse, code: 'Z1', kind: 'zone' })
  ).id;
  const bin = (code: string, parent: string | null, warehouseId = warehouse) =>
    post(app, admin, '/api/locations', { warehouse_id: warehouseId, parent_id: parent, code, kind: 'bin' });
  const binA = (await bin('A-01', zone)).id;
  const binB = (await bin('B-01', zone)).id;
  const binC = (await bin('C-01', null)).id;
  const foreignBin = (await bin('F-01', null, otherWarehouse)).id;
  const item = (payload: Record<string, unknown>) => post(app, admin, '/api/items', payload);
  const widget = (
    await item({
      item_code: 'WID-1',
      name: 'Widget',
      base_uom: 'EA',
      unit_cost: '2.5',
      barcodes: [{ barcode: EAN_SINGLE }, { barcode: EAN_CASE, pack_qty: 12 }],
    })
  ).id;
  const flour = (
    await item({
      item_code: 'FLOUR',
      name: 'Flour',
      base_uom: 'KG',
      unit_cost: '3.3333',
      barcodes: [{ barcode: EAN_HALF, pack_qty: '0.5' }],
    })
  ).id;
  const paint = (
    await item({
      item_code: 'PAINT',
      name: 'Paint',
      base_uom: 'EA',
      unit_cost: 10,
      tracking: 'lot',
      barcodes: [{ barcode: 'LOT-1' }],
    })
  ).id;
  const laptop = (
    await item({
      item_code: 'LAPTOP',
      name: 'Laptop',
      base_uom: 'EA',
      unit_cost: '999.99',
      tracking: 'serial',
      barcodes: [{ barcode: 'SER-1' }],
    })
  ).id;
  const stray = (
    await item({
      item_code: 'STRAY',
      name: 'Stray',
      base_uom: 'EA',
      unit_cost: '1.25',
      barcodes: [{ barcode: 'EXTRA-1' }],
    })
  ).id;
  return {
    admin,
    warehouse,
    otherWarehouse,
    binA,
    binB,
    binC,
    foreignBin,
    widget,
    flour,
    paint,
    laptop,
    stray,
  };
}

export interface SnapshotRow {
  location_id: string;
  item_id: string;
  lot?: string;
  book_qty_e3: number;
  unit_cost_e4: number;
}

export interface SessionSpec {
  warehouse: string;
  createdBy: string;
  mode?: CountMode;
  status?: SessionStatus;
  /** Location subtrees; empty: the whole warehouse. */
  locationIds?: string[];
  snapshot?: SnapshotRow[];
  assignments?: { location_id: string; user_id: string }[];
}

/** A started session, as the sessions work leaves it; returns its id. */
export async function createCountingSession(app: TestApp, spec: SessionSpec): Promise<string> {
  const db = app.database.db;
  const id = systemIds.uuid();
  const now = app.clock.now().toISOString();
  await db
    .insertInto('count_sessions')
    .values({
      id,
      name: `Count ${id.slice(-6)}`,
      warehouse_id: spec.warehouse,
      mode: spec.mode ?? 'standard',
      status: spec.status ?? 'counting',
      scope: JSON.stringify({ location_ids: spec.locationIds ?? [], categories: [], item_ids: [] }),
      tolerance: '{}',
      notes: null,
      created_by: spec.createdBy,
      created_at: now,
      updated_at: now,
      started_at: now,
      submitted_at: null,
      approved_at: null,
      approved_by: null,
      posted_at: null,
      cancelled_at: null,
      cancel_reason: null,
      version: 1,
    })
    .execute();
  const snapshot = (spec.snapshot ?? []).map((row) => ({ session_id: id, lot: '', ...row }));
  if (snapshot.length > 0) {
    await db.insertInto('count_snapshot').values(snapshot).execute();
    await db
      .insertInto('count_lines')
      .values(
        snapshot.map((row) => ({
          id: systemIds.uuid(),
          session_id: id,
          location_id: row.location_id,
          item_id: row.item_id,
          lot: row.lot,
          expected: 1,
          book_qty_e3: row.book_qty_e3,
          unit_cost_e4: row.unit_cost_e4,
          round: 1,
          counted_qty_e3: null,
          entry_count: 0,
          status: 'open' as const,
          flags: '[]',
          reason_code: null,
          decided_by: null,
          decided_at: null,
          updated_at: now,
        })),
      )
      .execute();
  }
  for (const assignment of spec.assignments ?? []) {
    await db
      .insertInto('count_assignments')
      .values({ session_id: id, ...assignment, assigned_by: spec.createdBy, assigned_at: now })
      .execute();
  }
  return id;
}

export async function setSessionStatus(app: TestApp, id: string, status: SessionStatus): Promise<void> {
  await app.database.db.updateTable('count_sessions').set({ status }).where('id', '=', id).execute();
}

/** A fresh client_id, as a device makes one. */
export const clientId = () => systemIds.uuid();

/** The lines of a session as plain comparable values (no ids or timestamps), sorted by key. */
export async function lineState(app: TestApp, sessionId: string) {
  const db = app.database.db;
  const lines = await db
    .selectFrom('count_lines')
    .select([
      'id',
      'location_id',
      'item_id',
      'lot',
      'expected',
      'book_qty_e3',
      'unit_cost_e4',
      'round',
      'counted_qty_e3',
      'entry_count',
      'status',
      'flags',
    ])
    .where('session_id', '=', sessionId)
    .orderBy('location_id')
    .orderBy('item_id')
    .orderBy('lot')
    .execute();
  const rounds = lines.length
    ? await db
        .selectFrom('count_line_rounds')
        .selectAll()
        .where(
          'line_id',
          'in',
          lines.map((line) => line.id),
        )
        .execute()
    : [];
  return lines.map(({ id, ...line }) => ({
    ...line,
    expected: Number(line.expected),
    book_qty_e3: Number(line.book_qty_e3),
    unit_cost_e4: Number(line.unit_cost_e4),
    round: Number(line.round),
    counted_qty_e3: line.counted_qty_e3 === null ? null : Number(line.counted_qty_e3),
    entry_count: Number(line.entry_count),
    flags: (JSON.parse(line.flags) as string[]).sort(),
    rounds: rounds
      .filter((round) => round.line_id === id)
      .map((round) => ({
        round: Number(round.round),
        counted_qty_e3: Number(round.counted_qty_e3),
        entry_count: Number(round.entry_count),
      }))
      .sort((a, b) => a.round - b.round),
  }));
}
