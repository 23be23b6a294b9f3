import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import { countingFixture } from '../../counting/sessions/sessions-test-support.ts';
import { type ErpPeer, mariaDbPeer, postgresPeer, STOCK } from '../connectors/erp-peers.test-support.ts';
import { barcodeCandidates, breakerName } from './sync.service.ts';

/**
 * A REST ERP the test steers: stock levels (page-numbered), items with a barcode filter, and
 * switches to make it fail (500), hang (longer than the page timeout) or vanish (socket closed).
 * It records every request with its tracing headers.
 */
function steerableErp() {
  let levels: { sku: string; wh: string; bin: string; qty: string }[] = [];
  let items: { sku: string; title: string; uom: string; codes: string[] }[] = [];
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  const requests: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://erp');
    requests.push({ path: url.pathname + url.search, headers: request.headers });
    if (mode === 'fail') return void response.writeHead(503).end('down for maintenance');
    if (mode === 'hang') return; // never answers: the caller's timeout must cut it
    const size = Number(url.searchParams.get('page_size') ?? 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const json = (body: unknown) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/stock') return json({ rows: levels.slice((page - 1) * size, page * size) });
    if (url.pathname === '/items') {
      const code = url.searchParams.get('barcode');
      const rows = code === null ? items : items.filter((item) => item.codes.includes(code));
      return json({ rows: rows.slice((page - 1) * size, page * size) });
    }
    response.writeHead(404).end();
  });
  return {
    requests,
    setLevels: (rows: typeof levels) => {
      levels = rows;
    },
    setItems: (rows: typeof items) => {
      items = rows;
    },
    setMode: (next: typeof mode) => {
      mode = next;
    },
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function httpSettings(base: string, extra: Record<string, unknown> = {}) {
  return {
    base_url: base,
    page_size: 2,
    warehouse_code: 'WH1',
    items: {
      path: '/items',
      rows_field: 'rows',
      lookup_param: 'barcode',
      fields: { item_code: 'sku', name: 'title', base_uom: 'uom', barcodes: 'codes' },
    },
    stock_levels: {
      path: '/stock',
      rows_field: 'rows',
      fields: { item_code: 'sku', warehouse_code: 'wh', location_code: 'bin', quantity: 'qty' },
    },
    ...extra,
  };
}

const controller = () => new AbortController();

describe.each(dialects())('ERP sync on %s', (dialect) => {
  describe.each(['mariadb', 'postgres'] as const)('from a %s ERP database', (erpKind) => {
    let app: TestApp;
    let admin: string;
    let peer: ErpPeer;
    let connectorId: string;

    beforeAll(async () => {
      app = await createTestApp({ dialect });
      admin = (await app.userWithToken('admin', 'root')).token;
      peer = erpKind === 'mariadb' ? await mariaDbPeer() : await postgresPeer();
      const call = (url: string, payload: object) =>
        app.server.inject({ method: 'POST', url, headers: bearer(admin), payload });
      const warehouse = (await call('/api/warehouses', { code: 'MAIN', name: 'Main' })).json().id;
      for (const code of ['A1', 'A2', 'B1'])
        expect(
          (await call('/api/locations', { warehouse_id: warehouse, code, kind: 'bin' })).statusCode,
        ).toBe(201);
      const created = await call('/api/integrations/connectors', {
        name: `ERP ${erpKind}`,
        kind: 'sql',
        secret: peer.secret ?? undefined,
        settings: {
          ...peer.connection,
          items: {
            table: peer.tables.items,
            columns: { item_code: 'code', name: 'name', base_uom: 'uom', unit_cost: 'cost' },
          },
          barcodes: {
            table: peer.tables.barcodes,
            columns: { item_code: 'item', barcode: 'ean', pack_qty: 'pack' },
          },
          stock_levels: {
            table: peer.tables.stock,
            columns: {
              item_code: 'item',
              warehouse_code: 'wh',
              location_code: 'loc',
              lot: 'lot',
              quantity: 'qty',
            },
          },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      connectorId = created.json().id;
    });
    afterAll(async () => {
      await app.close();
      await peer.drop();
    });

    const levels = async () =>
      (
        await app.database.db
          .selectFrom('stock_levels as s')
          .innerJoin('items as i', 'i.id', 's.item_id')
          .innerJoin('locations as l', 'l.id', 's.location_id')
          .select(['i.item_code', 'l.code', 's.lot', 's.quantity_e3', 's.source', 's.updated_at'])
          .orderBy('i.item_code')
          .orderBy('l.code')
          .orderBy('s.lot')
          .execute()
      ).map((row) => ({ ...row, quantity_e3: Number(row.quantity_e3) }));

    it('brings items, barcodes and stock levels in, then writes only the figures that moved', async () => {
      const full = await app.erpSync.pass(connectorId, 'items', 'full', {
        signal: controller().signal,
        fencingToken: 1,
      });
      expect(full).toMatchObject({ read: 7, inserted: 7, rejected: 0 });
      const bolt = await app.server.inject({
        method: 'GET',
        url: '/api/items/lookup?barcode=BOX-A100',
        headers: bearer(admin),
      });
      expect(bolt.json()).toMatchObject({
        item: { item_code: 'A-100', name: 'Bolt M8' },
        barcode: { pack_qty: 12 },
      });

      const first = await app.erpSync.pass(connectorId, 'stock_levels', 'changes', {
        signal: controller().signal,
        fencingToken: 1,
      });
      expect(first).toEqual({
        read: STOCK.length,
        inserted: STOCK.length,
        updated: 0,
        unchanged: 0,
        rejected: 0,
      });
      const before = await levels();
      expect(before.map((row) => [row.item_code, row.code, row.lot, row.quantity_e3, row.source])).toEqual([
        ['A-100', 'A1', '', 10_000, 'erp'],
        ['A-100', 'A2', 'L1', 2_500, 'erp'],
        ['A-200', 'A1', '', 100_000, 'erp'],
        ['B-100', 'B1', '', 0, 'erp'],
        ['B-200', 'B1', 'L7', 3_000, 'erp'],
      ]);

      // Nothing moved in the ERP: nothing is written.
      app.clock.advance(60_000);
      const quiet = await app.erpSync.pass(connectorId, 'stock_levels', 'changes', {
        signal: controller().signal,
        fencingToken: 1,
      });
      expect(quiet).toMatchObject({ read: 5, inserted: 0, updated: 0, unchanged: 5 });
      expect(await levels()).toEqual(before);

      // One sale in the ERP: that one row is written, the others keep their updated_at.
      await peer.admin(`UPDATE ${peer.tables.stock} SET qty = 7.250 WHERE item = 'A-200'`);
      app.clock.advance(60_000);
      const moved = await app.erpSync.pass(connectorId, 'stock_levels', 'changes', {
        signal: controller().signal,
        fencingToken: 1,
      });
      expect(moved).toMatchObject({ read: 5, updated: 1, unchanged: 4 });
      const after = await levels();
      const changed = after.filter((row, i) => row.updated_at !== before[i]!.updated_at);
      expect(changed.map((row) => [row.item_code, row.quantity_e3])).toEqual([['A-200', 7_250]]);

      const status = (await app.erpSync.status()).find((each) => each.connector_id === connectorId)!;
      expect(status.entities.find((each) => each.mode === 'changes')).toMatchObject({
        entity: 'stock_levels',
        in_progress: false,
        last_counts: { read: 5, updated: 1, unchanged: 4 },
        last_error: null,
      });
    });

    it('resumes an interrupted pass after its last written page, reading no row twice', async () => {
      // Four more stock rows, one for an item we do not know (rejected with its reason).
      await peer.admin(
        `INSERT INTO ${peer.tables.stock} VALUES ('C-100','MAIN','A1','','1.000'), ('C-200','MAIN','A1','','2.000'), ('D-100','MAIN','B1','','3.000'), ('Z-999','MAIN','B1','','4.000')`,
      );
      await app.database.db.deleteFrom('stock_levels').execute();
      const { erpSync } = app;
      // Pages of 2 rows; the "crash" comes after the second page is written.
      const small = (await import('./sync.service.ts')).createErpSync(
        {
          db: app.database.db,
          clock: app.clock,
          ids: systemIds,
          logger: { info: () => undefined, warn: () => undefined },
          connectors: app.connectors,
          breakers: app.circuitBreakers,
        },
        { pageSize: 2 },
      );
      const stop = controller();
      let pages = 0;
      await expect(
        small.pass(connectorId, 'stock_levels', 'full', {
          signal: stop.signal,
          fencingToken: 5,
          progress: () => {
            pages += 1;
            if (pages === 2) stop.abort(new Error('shutdown'));
          },
        }),
      ).rejects.toThrow();
      expect((await levels()).length).toBe(4);
      const halfway = (await erpSync.status())
        .find((each) => each.connector_id === connectorId)!
        .entities.find((each) => each.mode === 'full' && each.entity === 'stock_levels')!;
      expect(halfway).toMatchObject({ in_progress: true, pass_counts: { read: 4, inserted: 4 } });

      // A holder with an older lease token cannot move the pass on.
      await expect(
        small.pass(connectorId, 'stock_levels', 'full', { signal: controller().signal, fencingToken: 4 }),
      ).rejects.toThrow(/another holder/);

      const rest = await small.pass(connectorId, 'stock_levels', 'full', {
        signal: controller().signal,
        fencingToken: 6,
      });
      // The whole pass: 9 rows read once each, 8 written, the unknown item rejected.
      expect(rest).toEqual({ read: 9, inserted: 8, updated: 0, unchanged: 0, rejected: 1 });
      expect((await levels()).length).toBe(8);
      const done = (await erpSync.status())
        .find((each) => each.connector_id === connectorId)!
        .entities.find((each) => each.mode === 'full' && each.entity === 'stock_levels')!;
      expect(done).toMatchObject({ in_progress: false, last_counts: rest });
      expect(done.rejects).toEqual([{ at: 'item Z-999 at MAIN/B1', reason: 'unknown item Z-999' }]);
    });

    it('adds an unknown scanned barcode live from the ERP', async () => {
      await peer.admin(`INSERT INTO ${peer.tables.items} VALUES ('E-100', 'Tape', 'EA', '1.2000')`);
      await peer.admin(`INSERT INTO ${peer.tables.barcodes} VALUES ('E-100', '0012345678905', '1')`);
      // Scanned as a UPC-A (12 digits); the ERP keeps the EAN-13 form.
      const found = await app.server.inject({
        method: 'GET',
        url: '/api/items/lookup?barcode=012345678905',
        headers: bearer(admin),
      });
      expect(found.statusCode, found.body).toBe(200);
      expect(found.json()).toMatchObject({ item: { item_code: 'E-100', name: 'Tape' } });
      const unknown = await app.server.inject({
        method: 'GET',
        url: '/api/items/lookup?barcode=NOT-IN-ERP',
        headers: bearer(admin),
      });
      expect(unknown.statusCode).toBe(404);
    });
  });

  describe('from a REST ERP', () => {
    let app: TestApp;
    let admin: string;
    const erp = steerableErp();
    let base: string;

    beforeAll(async () => {
      base = await erp.listen();
      app = await createTestApp({
        dialect,
        env: { ERP_SYNC_PAGE_TIMEOUT_MS: '300', ERP_LOOKUP_TIMEOUT_MS: '300' },
      });
      admin = (await app.userWithToken('admin', 'root')).token;
    });
    afterAll(async () => {
      await app.close();
      await erp.close();
    });
    afterEach(() => erp.setMode('ok'));

    const call = (method: 'GET' | 'POST', url: string, token = admin, payload?: object) =>
      app.server.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

    async function connector(name: string, extra: Record<string, unknown> = {}) {
      const created = await call('POST', '/api/integrations/connectors', admin, {
        name,
        kind: 'http',
        settings: httpSettings(base, extra),
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json() as { id: string; name: string };
    }

    it('feeds a running count: a sale synced during the count is flagged at submit', async () => {
      const f = await countingFixture(app);
      const erpConnector = await connector('Shop ERP');
      const session = await f.createSession({
        scope: { location_ids: [f.locations.a01] },
        tolerance: { qty_abs: 100, auto_approve: true },
      });
      await f.assign(session.id, f.locations.a01, [f.users.staff.id]);
      await f.drive(session.id, 'start');
      // The ERP books a sale of 2 hammers at B1 while the count runs; the 5-minute job picks it up.
      erp.setLevels([
        { sku: 'HAMMER', wh: 'WH1', bin: 'B1', qty: '8' },
        { sku: 'HAMMER', wh: 'WH1', bin: 'B2', qty: '5' },
      ]);
      const run = await call('POST', '/api/integrations/jobs/erp.stock-levels/run');
      expect(run.statusCode, run.body).toBeLessThan(300);
      await app.jobs.idle();
      const runs = await call('GET', '/api/integrations/jobs/erp.stock-levels/runs');
      expect(runs.json().items[0]).toMatchObject({ status: 'succeeded', rows_processed: 1, error: null });

      // Outgoing calls carried the run's ids and a W3C traceparent.
      const sent = erp.requests.filter((request) => request.path.startsWith('/stock'));
      expect(sent.length).toBeGreaterThan(0);
      const runId = runs.json().items[0].id as string;
      expect(sent[0]!.headers).toMatchObject({ 'x-request-id': runId, 'x-correlation-id': runId });
      expect(sent[0]!.headers.traceparent).toMatch(
        new RegExp(`^00-${sent[0]!.headers['x-trace-id']}-[0-9a-f]{16}-01$`),
      );

      for (const [locationId, quantity] of [
        [f.locations.b1, 10],
        [f.locations.b2, 5],
      ] as const) {
        const entry = await f.call('POST', `/api/count-sessions/${session.id}/entries`, f.users.staff.token, {
          client_id: systemIds.uuid(),
          location_id: locationId,
          item_id: f.items.hammer,
          quantity,
        });
        expect(entry.statusCode, entry.body).toBe(201);
      }
      await f.call('POST', `/api/count-sessions/${session.id}/entries`, f.users.staff.token, {
        client_id: systemIds.uuid(),
        location_id: f.locations.b1,
        item_id: f.items.rice,
        lot: 'L1',
        quantity: 3,
      });
      await f.call('POST', `/api/count-sessions/${session.id}/entries`, f.users.staff.token, {
        client_id: systemIds.uuid(),
        location_id: f.locations.b1,
        item_id: f.items.rice,
        lot: 'L2',
        quantity: 4,
      });
      await f.drive(session.id, 'submit');
      const line = await app.database.db
        .selectFrom('count_lines')
        .select(['status', 'flags', 'current_book_qty_e3'])
        .where('session_id', '=', session.id)
        .where('item_id', '=', f.items.hammer)
        .where('location_id', '=', f.locations.b1)
        .executeTakeFirstOrThrow();
      expect(line.status).toBe('review');
      expect(JSON.parse(line.flags)).toContain('book_changed');
      expect(Number(line.current_book_qty_e3)).toBe(8_000);

      // Disabled again so the next tests' jobs do not read this ERP.
      await app.server.inject({
        method: 'PATCH',
        url: `/api/integrations/connectors/${erpConnector.id}`,
        headers: bearer(admin),
        payload: { enabled: false },
      });
    });

    it('opens the breaker after the threshold, fails fast while open, then half-opens and closes', async () => {
      const erpConnector = await connector('Flaky ERP', { stock_levels: undefined });
      erp.setItems([{ sku: 'FLAKY-1', title: 'Flaky', uom: 'EA', codes: [] }]);
      const name = breakerName(erpConnector);
      erp.setMode('fail');
      const attempt = () =>
        app.erpSync.pass(erpConnector.id, 'items', 'new_items', {
          signal: controller().signal,
          fencingToken: 1,
        });
      for (let i = 0; i < 5; i += 1) await expect(attempt()).rejects.toThrow(/503/);
      const opened = app.circuitBreakers.snapshot().find((breaker) => breaker.name === name)!;
      expect(opened).toMatchObject({ state: 'open', failure_count: 5 });
      expect(opened.last_failure?.message).toMatch(/503/);

      // While open no call reaches the ERP, even once it is back.
      erp.setMode('ok');
      const before = erp.requests.length;
      await expect(attempt()).rejects.toThrow(/open/i);
      expect(erp.requests.length).toBe(before);
      const status = (await call('GET', '/api/enterprise/circuit-breakers')).json();
      expect(
        status.circuit_breakers.find((breaker: { name: string }) => breaker.name === name),
      ).toMatchObject({
        state: 'open',
      });
      // Recorded for alerting: an audit entry of the system category.
      await expect
        .poll(async () =>
          (await app.auditEntries('circuit_breaker.open')).some((entry) => entry.resource_id === name),
        )
        .toBe(true);

      // After the recovery timeout a trial call goes through; enough successes close it.
      app.clock.advance(opened.options.recovery_timeout_ms + 1);
      for (let i = 0; i < opened.options.success_threshold; i += 1) await attempt();
      expect(app.circuitBreakers.snapshot().find((breaker) => breaker.name === name)!.state).toBe('closed');
      expect(
        await app.database.db
          .selectFrom('items')
          .select('item_code')
          .where('item_code', '=', 'FLAKY-1')
          .execute(),
      ).toHaveLength(1);
    });

    it('cuts a hanging ERP at the page timeout and keeps the pass resumable', async () => {
      const erpConnector = await connector('Slow ERP', { items: undefined });
      erp.setLevels([{ sku: 'NOPE', wh: 'WH1', bin: 'B1', qty: '1' }]);
      erp.setMode('hang');
      const started = Date.now();
      await expect(
        app.erpSync.pass(erpConnector.id, 'stock_levels', 'changes', {
          signal: controller().signal,
          fencingToken: 1,
        }),
      ).rejects.toThrow(/timed out|timeout/i);
      expect(Date.now() - started).toBeLessThan(5_000);
      const state = (await call('GET', '/api/integrations/sync'))
        .json()
        .items.find((each: { connector_id: string }) => each.connector_id === erpConnector.id);
      expect(state.entities[0]).toMatchObject({ entity: 'stock_levels', mode: 'changes' });
      expect(state.entities[0].last_error).toMatch(/timed out|timeout/i);
    });

    it('answers a scan miss quickly when the ERP is down, without a 5xx', async () => {
      await connector('Lookup ERP', { stock_levels: undefined });
      erp.setMode('hang');
      const response = await call('GET', '/api/items/lookup?barcode=4006381333931');
      expect(response.statusCode).toBe(404);
      // Asked again at once: the miss is remembered and the ERP is not asked a second time.
      const before = erp.requests.length;
      expect((await call('GET', '/api/items/lookup?barcode=4006381333931')).statusCode).toBe(404);
      expect(erp.requests.length).toBe(before);
    });

    it('shows the sync state to admins and auditors only', async () => {
      const auditor = (await app.userWithToken('auditor', 'aud2')).token;
      const staff = (await app.userWithToken('staff', 'kim2')).token;
      expect((await call('GET', '/api/integrations/sync', auditor)).statusCode).toBe(200);
      expect((await call('GET', '/api/integrations/sync', staff)).statusCode).toBe(403);
      const jobs = (await call('GET', '/api/integrations/jobs'))
        .json()
        .items.map((job: { name: string }) => job.name);
      expect(jobs).toEqual(expect.arrayContaining(['erp.stock-levels', 'erp.items', 'erp.full-sync']));
    });
  });
});

describe('barcode candidates', () => {
  it('tries a GTIN in every length an ERP may keep it', () => {
    expect(barcodeCandidates('012345678905')).toEqual(
      expect.arrayContaining(['00012345678905', '0012345678905', '012345678905']),
    );
    expect(barcodeCandidates('BOX-A100')).toEqual(['BOX-A100']);
    expect(barcodeCandidates('')).toEqual([]);
  });
});
