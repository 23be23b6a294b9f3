import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Page as PageOf } from '../../platform/http/pagination.ts';
import { systemIds } from '../../platform/ids.ts';
import { createAuditTrail } from '../audit/audit.service.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';
import {
  createStockLevelsService,
  type StockLevel,
  type StockLevelInput,
  type StockLevelsService,
} from './stock-levels.service.ts';

type Page = PageOf<StockLevel>;

const T1 = '2026-03-01T06:00:00.000Z';
const T2 = '2026-03-02T06:00:00.000Z';

describe.each(dialects())('stock levels on %s', (dialect) => {
  let app: TestApp;
  let editor: string;
  let service: StockLevelsService;
  let wh1: string;
  let wh2: string;
  let bin1: string;
  let bin2: string;
  let bin3: string;
  let widget: string;
  let bolt: string;

  beforeEach(async () => {
    app = await createTestApp({ dialect });
    editor = (await app.userWithToken('supervisor')).token;
    service = createStockLevelsService({
      db: app.database.db,
      clock: app.clock,
      ids: systemIds,
      audit: createAuditTrail({
        database: app.database,
        clock: app.clock,
        ids: systemIds,
        enabled: true,
        algorithm: app.config.auditHashAlgorithm,
      }),
    });
    wh1 = (await post('/api/warehouses', { code: 'WH1', name: 'One' })).id;
    wh2 = (await post('/api/warehouses', { code: 'WH2', name: 'Two' })).id;
    bin1 = (await post('/api/locations', { warehouse_id: wh1, code: 'B1', kind: 'bin' })).id;
    bin2 = (await post('/api/locations', { warehouse_id: wh1, code: 'B2', kind: 'bin' })).id;
    bin3 = (await post('/api/locations', { warehouse_id: wh2, code: 'B1', kind: 'bin' })).id;
    widget = (await post('/api/items', { item_code: 'W-1', name: 'Widget', base_uom: 'EA', unit_cost: 1 }))
      .id;
    bolt = (
      await post('/api/items', {
        item_code: 'BOLT',
        name: 'Bolt',
        base_uom: 'KG',
        unit_cost: 1,
        tracking: 'lot',
      })
    ).id;
  });
  afterEach(async () => {
    await app.close();
  });

  async function post(url: string, payload: Record<string, unknown>): Promise<{ id: string }> {
    const response = await app.server.inject({ method: 'POST', url, headers: bearer(editor), payload });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function list(query: string, token = editor): Promise<Page> {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/stock-levels?${query}`,
      headers: bearer(token),
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  const level = (overrides: Partial<StockLevelInput>): StockLevelInput => ({
    item_id: widget,
    location_id: bin1,
    lot: null,
    quantity_e3: 1000,
    source: 'erp',
    as_of: T1,
    ...overrides,
  });

  it('upserts book quantities and reports what it did', async () => {
    const first = await service.upsert(
      [
        level({ quantity_e3: 3250 }),
        level({ location_id: bin2, quantity_e3: 0 }),
        level({ item_id: bolt, lot: 'L-42', quantity_e3: 12_500 }),
        level({ item_id: bolt, lot: '', quantity_e3: -2000, source: 'import' }),
      ],
      SYSTEM_CONTEXT,
    );
    expect(first).toEqual({ inserted: 4, updated: 0, unchanged: 0, stale: 0 });

    const rows = (await list(`item_id=${widget}`)).items;
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.location_id === bin1)).toMatchObject({
      item_id: widget,
      item_code: 'W-1',
      item_name: 'Widget',
      location_code: 'B1',
      warehouse_id: wh1,
      lot: null,
      quantity: 3.25,
      source: 'erp',
      as_of: T1,
    });
    expect(Object.keys(rows[0]!).sort()).toEqual(
      [
        'as_of',
        'id',
        'item_code',
        'item_id',
        'item_name',
        'location_code',
        'location_id',
        'lot',
        'quantity',
        'source',
        'updated_at',
        'warehouse_id',
      ].sort(),
    );
    const lots = (await list(`item_id=${bolt}`)).items.map((row) => [row.lot, row.quantity, row.source]);
    expect(lots).toHaveLength(2);
    expect(lots).toEqual(
      expect.arrayContaining([
        ['L-42', 12.5, 'erp'],
        [null, -2, 'import'],
      ]),
    );

    app.clock.advance(60_000);
    const second = await service.upsert(
      [
        level({ quantity_e3: 3250, as_of: T2 }), // same figure
        level({ location_id: bin2, quantity_e3: 5000, as_of: T2 }), // moved
        level({ item_id: bolt, lot: 'L-42', quantity_e3: 1, as_of: '2026-02-28T00:00:00Z' }), // older: ignored
        level({ item_id: bolt, lot: '  ', quantity_e3: -2000, source: 'erp', as_of: T2 }), // new source
        level({ location_id: bin3, quantity_e3: 7 }), // new
      ],
      SYSTEM_CONTEXT,
    );
    expect(second).toEqual({ inserted: 1, updated: 2, unchanged: 1, stale: 1 });
    const bin2Row = (await list(`location_id=${bin2}`)).items[0]!;
    expect(bin2Row).toMatchObject({ quantity: 5, as_of: T2, updated_at: app.clock.now().toISOString() });
    expect((await list(`item_id=${bolt}`)).items.find((row) => row.lot === 'L-42')?.quantity).toBe(12.5);
    expect((await list(`location_id=${bin3}`)).items.map((row) => row.quantity)).toEqual([0.007]);
  });

  it('applies a batch all or nothing, naming the bad row', async () => {
    const cases: [StockLevelInput[], string][] = [
      [[level({}), level({ item_id: '0190f0e4-0000-7000-8000-0000000000ff' })], 'rows.1.item_id'],
      [[level({}), level({ location_id: widget })], 'rows.1.location_id'],
      [[level({}), level({ lot: null, quantity_e3: 5 })], 'rows.1.lot'],
      [[level({ quantity_e3: 1.5 })], 'rows.0.quantity_e3'],
      [[level({ as_of: 'yesterday' })], 'rows.0.as_of'],
      [[level({ source: 'guess' as 'erp' })], 'rows.0.source'],
    ];
    for (const [rows, field] of cases) {
      await expect(service.upsert(rows, SYSTEM_CONTEXT)).rejects.toMatchObject({
        statusCode: 400,
        details: [expect.objectContaining({ field })],
      });
    }
    expect((await list('')).items).toEqual([]);
    expect(await service.upsert([], SYSTEM_CONTEXT)).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 0,
      stale: 0,
    });
  });

  it('handles batches larger than one statement', async () => {
    const locations: string[] = [];
    for (let i = 0; i < 130; i += 1) {
      locations.push((await post('/api/locations', { warehouse_id: wh2, code: `X${i}`, kind: 'bin' })).id);
    }
    const batch = locations.flatMap((location_id, i) => [
      level({ location_id, quantity_e3: i }),
      level({ item_id: bolt, location_id, lot: 'A', quantity_e3: i }),
    ]);
    expect(await service.upsert(batch, SYSTEM_CONTEXT)).toEqual({
      inserted: 260,
      updated: 0,
      unchanged: 0,
      stale: 0,
    });
    const again = batch.map((row, i) => (i % 2 === 0 ? { ...row, quantity_e3: row.quantity_e3 + 1 } : row));
    expect(await service.upsert(again, SYSTEM_CONTEXT)).toEqual({
      inserted: 0,
      updated: 130,
      unchanged: 130,
      stale: 0,
    });
  });

  it('filters by item, location and warehouse, and pages by id', async () => {
    await service.upsert(
      [
        level({}),
        level({ location_id: bin2 }),
        level({ location_id: bin3 }),
        level({ item_id: bolt, lot: 'A' }),
        level({ item_id: bolt, lot: 'B' }),
      ],
      SYSTEM_CONTEXT,
    );
    expect((await list(`warehouse_id=${wh2}`)).items.map((row) => row.location_id)).toEqual([bin3]);
    expect((await list(`warehouse_id=${wh1}`)).items).toHaveLength(4);
    expect((await list(`location_id=${bin1}&item_id=${bolt}`)).items.map((row) => row.lot).sort()).toEqual([
      'A',
      'B',
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((row) => row.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(5);

    const bad = await app.server.inject({
      method: 'GET',
      url: '/api/stock-levels?item_id=W-1',
      headers: bearer(editor),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('item_id');
  });

  it('shows book quantities to admins, supervisors and auditors, never to staff', async () => {
    await service.upsert([level({})], SYSTEM_CONTEXT);
    for (const role of ['admin', 'auditor'] as const) {
      const token = (await app.userWithToken(role)).token;
      expect((await list('', token)).items).toHaveLength(1);
    }
    const staff = (await app.userWithToken('staff')).token;
    const denied = await app.server.inject({
      method: 'GET',
      url: '/api/stock-levels',
      headers: bearer(staff),
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('PERMISSION_DENIED');
    expect(denied.body).not.toContain('quantity');
    expect((await app.server.inject({ method: 'GET', url: '/api/stock-levels' })).statusCode).toBe(401);
  });

  it('records each applied batch in the audit trail, once, with the counts; a refused batch not at all', async () => {
    const actions = async () =>
      (
        await app.database.db
          .selectFrom('enterprise_audit_logs')
          .selectAll()
          .where('action', '=', 'stock_level.upsert')
          .orderBy('seq')
          .execute()
      ).map((entry) => ({ ...entry, details: JSON.parse(entry.details) as Record<string, unknown> }));
    const sync = await app.userWithToken('admin', 'erp-sync');
    const context = {
      actor: { user_id: sync.id, username: 'erp-sync', role: 'admin' as const, ip_address: null },
      request_id: 'req-stock-1',
      trace_id: null,
    };
    await service.upsert([level({}), level({ location_id: bin2 })], context);
    await service.upsert(
      [level({ quantity_e3: 2000, as_of: T2 }), level({ location_id: bin2 }), level({ location_id: bin3 })],
      context,
    );
    const entries = await actions();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      category: 'data_access',
      event_type: 'DATA_BULK_OPERATION',
      outcome: 'success',
      resource_type: 'stock_level',
      resource_id: null,
      actor_user_id: sync.id,
      actor_role: 'admin',
      request_id: 'req-stock-1',
      details: { rows: 2, inserted: 2, updated: 0, unchanged: 0, stale: 0 },
    });
    expect(entries[1]!.details).toEqual({ rows: 3, inserted: 1, updated: 1, unchanged: 1, stale: 0 });
    expect(JSON.stringify(entries.map((entry) => entry.details))).not.toContain('erp-sync');

    await expect(
      service.upsert([level({}), level({ item_id: '0190f0e4-0000-7000-8000-0000000000ff' })], context),
    ).rejects.toMatchObject({ statusCode: 400 });
    expect(await actions()).toHaveLength(2);
  });
});
