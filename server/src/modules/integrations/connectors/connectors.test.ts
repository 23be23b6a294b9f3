import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { loadOrCreateConnectorKey } from './connector-key.ts';
import { type ErpPeer, mariaDbPeer, startErpServer } from './erp-peers.test-support.ts';

const URL_BASE = '/api/integrations/connectors';

describe.each(dialects())('ERP connectors on %s', (dialect) => {
  let app: TestApp;
  let admin: string;
  let auditor: string;
  let staff: string;
  let peer: ErpPeer;
  let drop: string;
  const erp = startErpServer();
  let erpBase: string;

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    admin = (await app.userWithToken('admin', 'root')).token;
    auditor = (await app.userWithToken('auditor', 'reader')).token;
    staff = (await app.userWithToken('staff', 'counter')).token;
    peer = await mariaDbPeer();
    drop = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-drop-'));
    fs.writeFileSync(path.join(drop, 'items.csv'), 'item_code,name,base_uom,unit_cost\nA-1,Bolt,EA,0.25\n');
    erpBase = await erp.listen();
  });
  afterAll(async () => {
    await app.close();
    await peer.drop();
    await erp.close();
    fs.rmSync(drop, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token = admin) =>
    app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  function sqlSettings() {
    return {
      ...peer.connection,
      items: {
        query: `SELECT code, name, uom, cost FROM ${peer.tables.items}`,
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
    };
  }

  it('creates a MariaDB source with a sealed secret, tests it, and never shows the secret', async () => {
    const created = await call('POST', URL_BASE, {
      name: 'ERP database',
      kind: 'sql',
      settings: sqlSettings(),
      secret: peer.secret,
    });
    expect(created.statusCode, created.body).toBe(201);
    const connector = created.json();
    expect(connector).toMatchObject({
      name: 'ERP database',
      kind: 'sql',
      role: 'source',
      enabled: true,
      has_secret: true,
      last_test: null,
    });
    expect(connector).not.toHaveProperty('secret');

    const tested = await call('POST', `${URL_BASE}/${connector.id}/test`);
    expect(tested.statusCode, tested.body).toBe(200);
    const report = tested.json();
    expect(report.status, report.message).toBe('ok');
    expect(report.checks).toEqual([
      expect.objectContaining({
        entity: 'items',
        status: 'ok',
        rows: 1,
        sample: expect.objectContaining({ item_code: 'A-100', unit_cost: '0.25' }),
      }),
      expect.objectContaining({
        entity: 'stock_levels',
        status: 'ok',
        rows: 1,
        sample: expect.objectContaining({ quantity: '10' }),
      }),
    ]);
    const read = (await call('GET', `${URL_BASE}/${connector.id}`, undefined, auditor)).json();
    expect(read.last_test).toMatchObject({ status: 'ok', message: expect.stringMatching(/^Connected/) });

    // A wrong password: failed, with a message that names the user but not the password.
    const wrong = 'Wrong-Password-93f1';
    expect((await call('PATCH', `${URL_BASE}/${connector.id}`, { secret: wrong })).statusCode).toBe(200);
    const failed = (await call('POST', `${URL_BASE}/${connector.id}/test`)).json();
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/Authentication failed for user/);
    expect(JSON.stringify(failed)).not.toContain(wrong);

    // Nowhere: not in answers, the list, logs, audit entries; sealed in the table.
    const list = await call('GET', URL_BASE, undefined, auditor);
    expect(list.statusCode).toBe(200);
    const everything = [
      created.body,
      tested.body,
      list.body,
      JSON.stringify(read),
      JSON.stringify(failed),
      app.rawLogs(),
    ];
    const audit = await app.database.db.selectFrom('enterprise_audit_logs').selectAll().execute();
    everything.push(JSON.stringify(audit));
    for (const secret of [peer.secret!, wrong])
      for (const text of everything) expect(text).not.toContain(secret);
    const row = await app.database.db
      .selectFrom('erp_connectors')
      .selectAll()
      .where('id', '=', connector.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.settings).not.toContain(wrong);
    const key = loadOrCreateConnectorKey({ keyFile: null, dataDir: app.config.dataDir }).key;
    expect(key.open(connector.id, row.secret_sealed!)).toBe(wrong);
    // Bound to its connector: the same sealed text does not open for another id.
    expect(() => key.open('another-connector', row.secret_sealed!)).toThrow();

    const actions = await app.auditEntries('integration_connector.test');
    expect(actions.map((entry) => entry.details.result)).toEqual(['ok', 'failed']);
    expect((await app.auditEntries('integration_connector.create'))[0]?.details).toMatchObject({
      name: 'ERP database',
      kind: 'sql',
      stored: ['settings', 'secret'],
    });
  });

  it('refuses a mapping query that is not a single SELECT', async () => {
    for (const query of [
      `DELETE FROM ${peer.tables.items}`,
      `SELECT code, name FROM ${peer.tables.items}; DROP TABLE ${peer.tables.items}`,
      `WITH x AS (UPDATE ${peer.tables.items} SET name = 'x' RETURNING *) SELECT * FROM x`,
    ]) {
      const settings = sqlSettings();
      settings.items.query = query;
      const response = await call('POST', URL_BASE, { name: `bad ${query.length}`, kind: 'sql', settings });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.details).toEqual([
        { field: 'settings.items.query', message: expect.any(String) },
      ]);
    }
    // The table is still there.
    expect(await peer.admin(`SELECT COUNT(*) AS n FROM ${peer.tables.items}`)).toEqual([{ n: 7 }]);
  });

  it('validates each kind with field errors', async () => {
    const cases: [unknown, string][] = [
      [
        {
          name: 'h',
          kind: 'http',
          settings: {
            base_url: 'ftp://erp.example/api',
            items: { path: '/i', fields: { item_code: 'a', name: 'b' } },
          },
        },
        'settings.base_url',
      ],
      [
        {
          name: 'h',
          kind: 'http',
          settings: {
            base_url: 'https://u:p@erp.example/api',
            items: { path: '/i', fields: { item_code: 'a', name: 'b' } },
          },
        },
        'settings.base_url',
      ],
      [
        { name: 'd', kind: 'file_drop', settings: { directory: path.join(drop, 'missing'), kind: 'items' } },
        'settings.directory',
      ],
      [{ name: 'd', kind: 'file_drop', settings: { directory: drop, kind: 'items' }, secret: 'x' }, 'secret'],
      [{ name: 's', kind: 'sql', settings: { ...peer.connection, port: 'x' } }, 'settings.port'],
      [{ name: 's', kind: 'sql', settings: { ...peer.connection } }, 'settings'],
      [{ name: 's', kind: 'sql', settings: { ...sqlSettings(), password: 'x' } }, 'settings.password'],
      [
        { name: 's', kind: 'sql', settings: { ...sqlSettings(), host: 'postgres://u:p@db' } },
        'settings.host',
      ],
      [{ name: 'x', kind: 'ftp', settings: {} }, 'kind'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', URL_BASE, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(
        response.json().error.details.map((detail: { field: string }) => detail.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(app.rawLogs()).not.toContain('u:p@');
  });

  it('manages file drop and HTTP sources: test, rename, disable, remove; auditors only read', async () => {
    const fileDrop = await call('POST', URL_BASE, {
      name: 'Drop',
      kind: 'file_drop',
      settings: { directory: drop, kind: 'items' },
    });
    expect(fileDrop.statusCode, fileDrop.body).toBe(201);
    const dropId = fileDrop.json().id;
    expect(fileDrop.json().has_secret).toBe(false);
    const dropTest = (await call('POST', `${URL_BASE}/${dropId}/test`)).json();
    expect(dropTest).toMatchObject({ status: 'ok', message: 'Directory readable; 1 file waiting' });
    expect(dropTest.checks[0].sample).toMatchObject({ item_code: 'A-1', unit_cost: '0.25' });

    const token = 'erp-bearer-token-7f3a';
    const httpSource = await call('POST', URL_BASE, {
      name: 'REST ERP',
      kind: 'http',
      settings: {
        base_url: `${erpBase}/api`,
        page_size: 50,
        items: { path: '/items', rows_field: 'data.items', fields: { item_code: 'sku', name: 'title' } },
      },
      secret: token,
    });
    expect(httpSource.statusCode, httpSource.body).toBe(201);
    const httpId = httpSource.json().id;
    const httpTest = (await call('POST', `${URL_BASE}/${httpId}/test`)).json();
    expect(httpTest.status, httpTest.message).toBe('ok');
    expect(erp.seen.at(-1)).toMatchObject({
      url: '/api/items?page_size=1&page=1',
      authorization: `Bearer ${token}`,
    });
    // Removing the token: the ERP refuses, and the test says so.
    const patched = await call('PATCH', `${URL_BASE}/${httpId}`, { secret: null, name: 'REST ERP (old)' });
    expect(patched.json()).toMatchObject({ has_secret: false, name: 'REST ERP (old)', last_test: null });
    expect((await call('POST', `${URL_BASE}/${httpId}/test`)).json()).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/HTTP 401/),
    });

    expect(
      (
        await call('POST', URL_BASE, {
          name: 'Drop',
          kind: 'file_drop',
          settings: { directory: drop, kind: 'items' },
        })
      ).statusCode,
    ).toBe(409);
    expect((await call('PATCH', `${URL_BASE}/${httpId}`, { name: 'Drop' })).statusCode).toBe(409);
    expect((await call('PATCH', `${URL_BASE}/${dropId}`, { enabled: false })).json().enabled).toBe(false);

    // Auditors read; only admins change; staff see nothing.
    expect((await call('GET', URL_BASE, undefined, auditor)).statusCode).toBe(200);
    expect((await call('POST', `${URL_BASE}/${dropId}/test`, undefined, auditor)).statusCode).toBe(403);
    expect((await call('PATCH', `${URL_BASE}/${dropId}`, { enabled: true }, auditor)).statusCode).toBe(403);
    expect((await call('GET', URL_BASE, undefined, staff)).statusCode).toBe(403);

    // Paged by name.
    const first = (await call('GET', `${URL_BASE}?limit=1`)).json();
    expect(first.items).toHaveLength(1);
    const second = (await call('GET', `${URL_BASE}?limit=1&cursor=${first.next_cursor}`)).json();
    expect(second.items[0].name > first.items[0].name).toBe(true);

    expect((await call('DELETE', `${URL_BASE}/${dropId}`)).statusCode).toBe(204);
    expect((await call('GET', `${URL_BASE}/${dropId}`)).statusCode).toBe(404);
    expect((await call('POST', `${URL_BASE}/${dropId}/test`)).statusCode).toBe(404);
    expect(await app.auditEntries('integration_connector.delete')).toHaveLength(1);
    expect(app.rawLogs()).not.toContain(token);
  });
});
