import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';

interface Job {
  id: string;
  status: string;
  total: number | null;
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  ignored_columns: string[];
  errors: { row: number; column: string | null; reason: string }[];
  errors_total: number;
  [key: string]: unknown;
}

interface Upload {
  kind?: string;
  file?: Buffer | string;
  filename?: string;
  dry_run?: string;
  delimiter?: string;
}

/** A multipart body as a browser's FormData sends it (fields first, the file last). */
async function multipart(upload: Upload): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  if (upload.kind !== undefined) form.append('kind', upload.kind);
  if (upload.dry_run !== undefined) form.append('dry_run', upload.dry_run);
  if (upload.delimiter !== undefined) form.append('delimiter', upload.delimiter);
  if (upload.file !== undefined) {
    const bytes = typeof upload.file === 'string' ? Buffer.from(upload.file, 'utf8') : upload.file;
    form.append('file', new Blob([new Uint8Array(bytes)]), upload.filename ?? 'upload.csv');
  }
  const response = new Response(form);
  return {
    body: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type') ?? '',
  };
}

async function xlsx(rows: unknown[][], edit?: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Data');
  for (const row of rows) sheet.addRow(row);
  edit?.(sheet);
  workbook.addWorksheet('Second').addRow(['ignored']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const ITEMS_HEADER = 'item_code,name,category,base_uom,unit_cost,mrp,abc_class,tracking,active,barcode';

describe.each(dialects())('imports on %s', (dialect) => {
  let app: TestApp;
  let dataDir: string;
  let admin: { id: string; token: string };

  const upload = async (payload: Upload, token = admin.token) => {
    const { body, contentType } = await multipart(payload);
    return app.server.inject({
      method: 'POST',
      url: '/api/imports',
      headers: { ...bearer(token), 'content-type': contentType },
      payload: body,
    });
  };

  const getJob = async (id: string): Promise<Job> => {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/imports/${id}`,
      headers: bearer(admin.token),
    });
    expect(response.statusCode).toBe(200);
    return response.json() as Job;
  };

  /** Polls until the job has ended (no timing is asserted). */
  const finished = async (id: string): Promise<Job> => {
    for (let attempt = 0; attempt < 3000; attempt += 1) {
      const job = await getJob(id);
      if (job.status === 'succeeded' || job.status === 'failed') return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`import ${id} did not finish`);
  };

  const run = async (payload: Upload): Promise<Job> => {
    const response = await upload(payload);
    expect(response.statusCode, response.body).toBe(202);
    return finished(response.json().id);
  };

  const db = () => app.database.db;
  const count = async (table: 'items' | 'item_barcodes' | 'stock_levels' | 'import_jobs') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const uploadsLeft = () => {
    const dir = path.join(dataDir, 'imports');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };

  async function addLocation(warehouseCode: string, locationCode: string): Promise<void> {
    const now = new Date().toISOString();
    let warehouse = await db()
      .selectFrom('warehouses')
      .select('id')
      .where('code', '=', warehouseCode)
      .executeTakeFirst();
    if (!warehouse) {
      warehouse = { id: crypto.randomUUID() };
      await db()
        .insertInto('warehouses')
        .values({
          id: warehouse.id,
          code: warehouseCode,
          name: warehouseCode,
          active: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    const id = crypto.randomUUID();
    await db()
      .insertInto('locations')
      .values({
        id,
        warehouse_id: warehouse.id,
        parent_id: null,
        code: locationCode,
        name: locationCode,
        kind: 'bin',
        barcode: null,
        path: `/${id}/`,
        depth: 0,
        active: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-imports-'));
    app = await createTestApp({ dialect, env: { DATA_DIR: dataDir } });
    admin = await app.userWithToken('admin');
  });
  afterEach(async () => {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports items, then stock levels; a second import updates and reports what did not change', async () => {
    const first = [
      `${ITEMS_HEADER},Notes`,
      'A-100,Hammer,Tools,EA,12.5,19.99,A,none,true,4006381333931|HAM-CASE*12,first',
      'A-200,Screws 4mm,Fasteners,BOX,0.3333,,C,lot,yes,,',
      'A-300,Glue,,EA,2,,,,0,,',
    ].join('\n');
    const accepted = await upload({ kind: 'items', file: first, filename: '../../etc/items export.csv' });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const queued = accepted.json() as Job;
    expect(queued).toMatchObject({
      kind: 'items',
      format: 'csv',
      filename: 'items export.csv',
      size_bytes: Buffer.byteLength(first),
      dry_run: false,
      created_by: admin.id,
      ignored_columns: ['Notes'],
      total: null,
      processed: 0,
    });
    expect(['queued', 'running', 'succeeded']).toContain(queued.status);

    const done = await finished(queued.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      total: 3,
      processed: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      error: null,
      errors: [],
      errors_total: 0,
    });
    expect(done.started_at).toEqual(expect.any(String));
    expect(done.finished_at).toEqual(expect.any(String));
    expect(uploadsLeft()).toEqual([]);

    const hammer = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', 'A-100')
      .executeTakeFirstOrThrow();
    expect(hammer).toMatchObject({
      name: 'Hammer',
      name_key: 'hammer',
      category: 'Tools',
      base_uom: 'EA',
      abc_class: 'A',
      tracking: 'none',
      active: 1,
    });
    expect(Number(hammer.unit_cost_e4)).toBe(125000);
    expect(Number(hammer.mrp_e4)).toBe(199900);
    const barcodes = await db()
      .selectFrom('item_barcodes')
      .select(['barcode', 'kind', 'pack_qty_e3'])
      .where('item_id', '=', hammer.id)
      .orderBy('barcode')
      .execute();
    expect(barcodes.map((row) => [row.barcode, row.kind, Number(row.pack_qty_e3)])).toEqual([
      ['04006381333931', 'gtin', 1000],
      ['HAM-CASE', 'internal', 12000],
    ]);
    const screws = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', 'A-200')
      .executeTakeFirstOrThrow();
    expect([Number(screws.unit_cost_e4), screws.tracking, screws.active]).toEqual([3333, 'lot', 1]);
    const glue = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', 'A-300')
      .executeTakeFirstOrThrow();
    expect([glue.category, glue.mrp_e4, glue.abc_class, glue.active]).toEqual([null, null, null, 0]);

    // No category column this time: categories stay. A-100 as before; A-200 renamed; A-400 new.
    const second = [
      'item_code,name,base_uom,unit_cost,mrp,abc_class,tracking,active',
      'A-100,Hammer,EA,12.50,19.99,A,none,true',
      'A-200,Screws 4 mm,BOX,0.3333,,C,lot,yes',
      'A-400,Tape,ROLL,3,,,,',
    ].join('\r\n');
    const again = await run({ kind: 'items', file: second });
    expect(again).toMatchObject({ status: 'succeeded', total: 3, inserted: 1, updated: 1, unchanged: 1 });
    const renamed = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', 'A-200')
      .executeTakeFirstOrThrow();
    expect([renamed.name, renamed.category]).toEqual(['Screws 4 mm', 'Fasteners']);
    expect(
      (await db().selectFrom('items').selectAll().where('item_code', '=', 'A-100').executeTakeFirstOrThrow())
        .updated_at,
    ).toBe(hammer.updated_at);
    expect(await count('items')).toBe(4);
    expect(await count('item_barcodes')).toBe(2);

    await addLocation('WH1', 'A-01-01');
    await addLocation('WH1', 'A-01-02');
    const stock = [
      'Item Code;Warehouse Code;Location-Code;Lot;Quantity;As Of',
      'A-100;WH1;A-01-01;;10;2026-03-31',
      'A-200;WH1;A-01-02;L-7;2,5;2026-03-31T18:00:00Z',
    ].join('\n');
    const levels = await run({ kind: 'stock_levels', file: stock });
    expect(levels).toMatchObject({ status: 'succeeded', total: 2, inserted: 2, updated: 0, unchanged: 0 });
    const stored = await db()
      .selectFrom('stock_levels as s')
      .innerJoin('items as i', 'i.id', 's.item_id')
      .select(['i.item_code', 's.lot', 's.quantity_e3', 's.as_of', 's.source'])
      .orderBy('i.item_code')
      .execute();
    expect(
      stored.map((row) => [row.item_code, row.lot, Number(row.quantity_e3), row.as_of, row.source]),
    ).toEqual([
      ['A-100', '', 10000, '2026-03-31T00:00:00.000Z', 'import'],
      ['A-200', 'L-7', 2500, '2026-03-31T18:00:00.000Z', 'import'],
    ]);

    const stockAgain = [
      'item_code,warehouse_code,location_code,lot,quantity',
      'A-100,WH1,A-01-01,,10',
      'A-200,WH1,A-01-02,L-7,3',
      'A-200,WH1,A-01-02,L-8,1',
    ].join('\n');
    expect(await run({ kind: 'stock_levels', file: stockAgain })).toMatchObject({
      status: 'succeeded',
      inserted: 1,
      updated: 1,
      unchanged: 1,
    });
    expect(await count('stock_levels')).toBe(3);
    expect(uploadsLeft()).toEqual([]);
  });

  it('reads a BOM, semicolons, quoted fields with delimiters, line breaks and quotes', async () => {
    const text =
      '\uFEFFItem Code;Name;Base_UOM;Unit Cost;barcode\r\n' +
      '"B-1";"Cable; 3 m, ""heavy""\r\nduty";EA;"1,25";\r\n' +
      '\r\n' +
      'B-2;Plain;EA;2;\r\n';
    const job = await run({ kind: 'items', file: text });
    expect(job).toMatchObject({ status: 'succeeded', total: 2, inserted: 2 });
    const item = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', 'B-1')
      .executeTakeFirstOrThrow();
    expect(item.name).toBe('Cable; 3 m, "heavy"\r\nduty');
    expect(Number(item.unit_cost_e4)).toBe(12500);

    // Rows are numbered as a spreadsheet shows them: the quoted line break stays in row 2, the
    // blank line is row 3, so the bad row is row 4.
    const bad = 'item_code;name;base_uom;unit_cost\n"C-1";"two\nlines";EA;1\n\nC-2;Bad;EA;x\n';
    const failed = await run({ kind: 'items', file: bad, delimiter: ';' });
    expect(failed.errors).toEqual([
      { row: 4, column: 'unit_cost', reason: expect.stringContaining('is not a number') },
    ]);
  });

  it('imports XLSX workbooks (the first worksheet)', async () => {
    const items = await xlsx(
      [
        ['Item Code', 'Name', 'Base UOM', 'Unit Cost', 'MRP', 'Active', 'Barcode'],
        [10001, 'placeholder', 'EA', 12.5, 20, true, 4006381333931],
        ['X-2', 'Second', 'KG', 0.125, null, false, 'X2-INNER*6'],
      ],
      (sheet) => {
        sheet.getCell('B2').value = { richText: [{ text: 'Rich ' }, { text: 'text', font: { bold: true } }] };
      },
    );
    const job = await run({ kind: 'items', file: items, filename: 'items.xlsx' });
    expect(job).toMatchObject({ status: 'succeeded', format: 'xlsx', total: 2, inserted: 2 });
    const first = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', '10001')
      .executeTakeFirstOrThrow();
    expect([first.name, Number(first.unit_cost_e4), Number(first.mrp_e4), first.active]).toEqual([
      'Rich text',
      125000,
      200000,
      1,
    ]);
    const second = await db()
      .selectFrom('items')
      .selectAll()
      .where('item_code', '=', 'X-2')
      .executeTakeFirstOrThrow();
    expect([Number(second.unit_cost_e4), second.active]).toEqual([1250, 0]);
    const pack = await db()
      .selectFrom('item_barcodes')
      .selectAll()
      .where('barcode', '=', 'X2-INNER')
      .executeTakeFirstOrThrow();
    expect(Number(pack.pack_qty_e3)).toBe(6000);

    await addLocation('WH1', 'B-1');
    const stock = await xlsx([
      ['item_code', 'warehouse_code', 'location_code', 'quantity', 'as_of'],
      ['X-2', 'WH1', 'B-1', 1.5, new Date(Date.UTC(2026, 2, 31))],
    ]);
    const stockJob = await run({ kind: 'stock_levels', file: stock, filename: 'stock.xlsx' });
    expect(stockJob).toMatchObject({
      status: 'succeeded',
      inserted: 1,
    });
    const level = await db().selectFrom('stock_levels').selectAll().executeTakeFirstOrThrow();
    expect([Number(level.quantity_e3), level.as_of]).toEqual([1500, '2026-03-31T00:00:00.000Z']);

    // Error cells are rejected with their row.
    const broken = await xlsx([
      ['item_code', 'name', 'base_uom', 'unit_cost'],
      ['X-3', { error: '#N/A' }, 'EA', 1],
    ]);
    const failed = await run({ kind: 'items', file: broken, filename: 'broken.xlsx' });
    expect(failed.errors).toEqual([{ row: 2, column: 'name', reason: 'holds the spreadsheet error #N/A' }]);
  });

  it('a dry run checks and counts, and writes nothing', async () => {
    await run({ kind: 'items', file: `${ITEMS_HEADER}\nD-1,One,,EA,1,,,,,` });
    const job = await run({
      kind: 'items',
      dry_run: 'true',
      file: `${ITEMS_HEADER}\nD-1,One,,EA,1,,,,,\nD-2,Two,,EA,2,,,,,4006381333931`,
    });
    expect(job).toMatchObject({
      status: 'succeeded',
      dry_run: true,
      total: 2,
      inserted: 1,
      unchanged: 1,
      updated: 0,
    });
    expect(await count('items')).toBe(1);
    expect(await count('item_barcodes')).toBe(0);
  });

  it('is all or nothing: one bad row and nothing is written, the row listed', async () => {
    const file = [
      ITEMS_HEADER,
      'E-1,One,,EA,1,,,,,',
      'E-2,Two,,EA,2,,,,,',
      'E-3,Three,,EA,-3,,,,,',
      'E-4,Four,,EA,4,,,,,',
    ].join('\n');
    const job = await run({ kind: 'items', file });
    expect(job).toMatchObject({
      status: 'failed',
      rejected: 1,
      total: 4,
      processed: 4,
      inserted: 0,
      error: '1 row rejected; nothing was imported',
      errors: [{ row: 4, column: 'unit_cost', reason: 'must not be negative' }],
      errors_total: 1,
    });
    expect(await count('items')).toBe(0);
    expect(uploadsLeft()).toEqual([]);
  });

  it('rejects each bad item row with its row, column and reason', async () => {
    await run({ kind: 'items', file: 'item_code,name,base_uom,unit_cost,barcode\nOWNER,Owner,EA,1,OWNED-1' });
    const rows = [
      'item_code,name,base_uom,unit_cost,abc_class,tracking,active,barcode,category', // 1
      'OK-1,Good,EA,1.5,A,none,true,4006381333931,Tools', // 2
      ',Missing code,EA,1,,,,,', // 3
      'COST-1,Text cost,EA,abc,,,,,', // 4
      'COST-2,Negative cost,EA,-1,,,,,', // 5
      'COST-3,Too precise,EA,1.23456,,,,,', // 6
      'GTIN-1,Wrong check digit,EA,1,,,,4006381333932,', // 7
      'BC-1,Barcode twice in file,EA,1,,,,4006381333931,', // 8
      'BC-2,Barcode of another item,EA,1,,,,OWNED-1,', // 9
      'OK-1,Code twice in file,EA,1,,,,,', // 10
      `LONG-1,${'x'.repeat(10_000)},EA,1,,,,,`, // 11
      `FORM-1,"=cmd|' /C calc'!A0",EA,1,,,,,`, // 12
      'FORM-2,Plus,EA,1,,,,,+SUM(A1)', // 13
      'UTF-1,\u0000,EA,1,,,,,', // 14: the NUL is replaced by invalid UTF-8 below
      'ABC-1,Class,EA,1,D,,,,', // 15
      'TRK-1,Tracking,EA,1,,batch,,,', // 16
      'ACT-1,Active,EA,1,,,maybe,,', // 17
      'UOM-1,No unit,,1,,,,,', // 18
      'PACK-1,Bad pack,EA,1,,,,INNER*0,', // 19
      'BAD CODE,Space in the code,EA,1,,,,,', // 20
    ];
    const bytes = Buffer.from(`${rows.join('\n')}\n`, 'utf8');
    bytes[bytes.indexOf(0)] = 0xc3; // a lone lead byte: not UTF-8 (and no NUL left in the file)
    const job = await run({ kind: 'items', file: bytes });
    expect(job.status).toBe('failed');
    expect(job.rejected).toBe(18);
    expect(job.error).toBe('18 rows rejected; nothing was imported');
    expect(await count('items')).toBe(1);
    const errors = (
      await app.server.inject({
        method: 'GET',
        url: `/api/imports/${job.id}/errors`,
        headers: bearer(admin.token),
      })
    ).json().items as { row: number; column: string | null; reason: string }[];
    const at = (row: number) => errors.filter((error) => error.row === row);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual([{ row: 3, column: 'item_code', reason: 'is required' }]);
    expect(at(4)).toEqual([
      { row: 4, column: 'unit_cost', reason: expect.stringMatching(/^is not a number/) },
    ]);
    expect(at(5)).toEqual([{ row: 5, column: 'unit_cost', reason: 'must not be negative' }]);
    expect(at(6)).toEqual([{ row: 6, column: 'unit_cost', reason: 'has more than 4 decimal places' }]);
    expect(at(7)).toEqual([
      { row: 7, column: 'barcode', reason: 'barcode "4006381333932" has a wrong GTIN check digit' },
    ]);
    expect(at(8)).toEqual([{ row: 8, column: 'barcode', reason: 'barcode 04006381333931 is also on row 2' }]);
    expect(at(9)).toEqual([
      { row: 9, column: 'barcode', reason: 'barcode OWNED-1 already belongs to item OWNER' },
    ]);
    expect(at(10)).toEqual([{ row: 10, column: 'item_code', reason: 'item_code OK-1 is also on row 2' }]);
    expect(at(11)).toEqual([{ row: 11, column: 'name', reason: 'is longer than 200 characters (10000)' }]);
    expect(at(12)).toEqual([
      { row: 12, column: 'name', reason: expect.stringMatching(/^looks like a spreadsheet formula/) },
    ]);
    expect(at(13)).toEqual([
      { row: 13, column: 'category', reason: expect.stringMatching(/^looks like a spreadsheet formula/) },
    ]);
    expect(at(14)).toEqual([
      { row: 14, column: 'name', reason: expect.stringMatching(/^is not valid UTF-8/) },
    ]);
    expect(at(15)).toEqual([{ row: 15, column: 'abc_class', reason: 'must be A, B or C (or empty)' }]);
    expect(at(16)).toEqual([
      { row: 16, column: 'tracking', reason: expect.stringMatching(/^must be none, lot or serial/) },
    ]);
    expect(at(17)).toEqual([
      { row: 17, column: 'active', reason: expect.stringMatching(/^must be true or false/) },
    ]);
    expect(at(18)).toEqual([{ row: 18, column: 'base_uom', reason: 'is required' }]);
    expect(at(19)).toEqual([{ row: 19, column: 'barcode', reason: expect.stringContaining('pack size') }]);
    expect(at(20)).toEqual([
      { row: 20, column: 'item_code', reason: 'must be letters, digits or . _ / - only' },
    ]);
  });

  it('rejects each bad stock level row with its row, column and reason', async () => {
    await run({ kind: 'items', file: 'item_code,name,base_uom,unit_cost\nITEM-1,One,EA,1' });
    await addLocation('WH1', 'A-01');
    const rows = [
      'item_code,warehouse_code,location_code,lot,quantity,as_of', // 1
      'ITEM-1,WH1,A-01,,5,', // 2
      'NOPE,WH1,A-01,,1,', // 3
      'ITEM-1,WH1,Z-99,,1,', // 4
      'ITEM-1,WH1,A-01,L1,-2,', // 5
      'ITEM-1,WH1,A-01,L2,1.2345,', // 6
      'ITEM-1,WH1,A-01,,7,', // 7
      'ITEM-1,WH1,A-01,L3,many,', // 8
      'ITEM-1,WH1,A-01,L4,1,yesterday', // 9
      'ITEM-1,,A-01,L5,1,', // 10
      'ITEM-1,WH1,A-01,@L6,1,', // 11
    ];
    const job = await run({ kind: 'stock_levels', file: rows.join('\n') });
    expect(job).toMatchObject({
      status: 'failed',
      rejected: 9,
      error: '9 rows rejected; nothing was imported',
    });
    const at = (row: number) => job.errors.filter((error) => error.row === row);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual([{ row: 3, column: 'item_code', reason: 'unknown item NOPE' }]);
    expect(at(4)).toEqual([{ row: 4, column: 'location_code', reason: 'unknown location WH1/Z-99' }]);
    expect(at(5)).toEqual([{ row: 5, column: 'quantity', reason: 'must not be negative' }]);
    expect(at(6)).toEqual([{ row: 6, column: 'quantity', reason: 'has more than 3 decimal places' }]);
    expect(at(7)).toEqual([{ row: 7, column: 'item_code', reason: 'ITEM-1 at WH1/A-01 is also on row 2' }]);
    expect(at(8)).toEqual([
      { row: 8, column: 'quantity', reason: expect.stringMatching(/^is not a number/) },
    ]);
    expect(at(9)).toEqual([{ row: 9, column: 'as_of', reason: expect.stringMatching(/^is not a date/) }]);
    expect(at(10)).toEqual([{ row: 10, column: 'warehouse_code', reason: 'is required' }]);
    expect(at(11)).toEqual([
      { row: 11, column: 'lot', reason: expect.stringMatching(/^looks like a spreadsheet formula/) },
    ]);
    expect(await count('stock_levels')).toBe(0);
  });

  it('stores the reasons of 10,000 rejected rows and counts them all', async () => {
    const lines = [ITEMS_HEADER];
    for (let i = 0; i < 10_050; i += 1) lines.push(`R-${i},Row,,EA,-1,,,,,`);
    const job = await run({ kind: 'items', file: lines.join('\n') });
    expect(job).toMatchObject({ status: 'failed', rejected: 10_050, errors_total: 10_000 });
    expect(job.errors).toHaveLength(100);
    expect(job.errors[0]).toEqual({ row: 2, column: 'unit_cost', reason: 'must not be negative' });

    // Every stored row, page by page, in row order.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/imports/${job.id}/errors?limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await app.server.inject({ method: 'GET', url, headers: bearer(admin.token) })).json() as {
        items: { row: number }[];
        next_cursor: string | null;
      };
      seen.push(...page.items.map((item) => item.row));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(10_000);
    expect(seen[0]).toBe(2);
    expect(seen[9_999]).toBe(10_001);
    expect(seen.every((row, i) => i === 0 || row > seen[i - 1]!)).toBe(true);
  });

  it('refuses files that cannot be imported, and keeps nothing', async () => {
    const refused = async (payload: Upload, status: number, code: string, message?: RegExp) => {
      const response = await upload(payload);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().error.code).toBe(code);
      if (message) expect(response.json().error.message).toMatch(message);
      return response.json();
    };
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]);
    await refused(
      { kind: 'items', file: png, filename: 'photo.csv' },
      415,
      'UNSUPPORTED_FILE_TYPE',
      /binary/,
    );
    await refused(
      {
        kind: 'items',
        file: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]),
        filename: 'old.xls',
      },
      415,
      'UNSUPPORTED_FILE_TYPE',
      /\.xls/,
    );
    await refused(
      {
        kind: 'items',
        file: Buffer.from('PK\u0003\u0004 not really a zip at all', 'latin1'),
        filename: 'fake.xlsx',
      },
      415,
      'UNSUPPORTED_FILE_TYPE',
    );
    await refused({ kind: 'items', file: '' }, 422, 'EMPTY_FILE');
    await refused({ kind: 'items', file: '\uFEFF\r\n\r\n' }, 422, 'EMPTY_FILE');
    await refused(
      { kind: 'items', file: 'foo,bar\n1,2\n' },
      422,
      'INVALID_HEADER',
      /none of the items columns/,
    );
    const missing = await refused({ kind: 'items', file: 'item_code,name\nA,B\n' }, 422, 'INVALID_HEADER');
    expect(missing.error.message).toContain('base_uom, unit_cost');
    await refused(
      { kind: 'stock_levels', file: 'item_code,quantity\nA,1\n' },
      422,
      'INVALID_HEADER',
      /warehouse_code, location_code/,
    );
    const kind = await refused({ kind: 'everything', file: 'item_code\n' }, 400, 'VALIDATION_ERROR');
    expect(kind.error.details).toEqual([
      { field: 'kind', message: expect.stringContaining('items or stock_levels') },
    ]);
    await refused({ file: 'item_code\n' }, 400, 'VALIDATION_ERROR', /kind/);
    await refused({ kind: 'items' }, 400, 'VALIDATION_ERROR', /file/);
    await refused(
      { kind: 'items', dry_run: 'perhaps', file: `${ITEMS_HEADER}\n` },
      400,
      'VALIDATION_ERROR',
      /dry_run/,
    );
    await refused(
      { kind: 'items', delimiter: '|', file: `${ITEMS_HEADER}\n` },
      400,
      'VALIDATION_ERROR',
      /delimiter/,
    );
    const json = await app.server.inject({
      method: 'POST',
      url: '/api/imports',
      headers: bearer(admin.token),
      payload: { kind: 'items' },
    });
    expect(json.statusCode).toBe(415);

    expect(await count('import_jobs')).toBe(0);
    expect(uploadsLeft()).toEqual([]);
  });

  it('refuses a file over IMPORT_MAX_BYTES with 413, keeping nothing', async () => {
    const small = await createTestApp({ dialect, env: { DATA_DIR: dataDir, IMPORT_MAX_BYTES: '2048' } });
    try {
      const token = (await small.userWithToken('admin')).token;
      const send = async (size: number) => {
        const file = `${ITEMS_HEADER}\n${'Z-1,Name,,EA,1,,,,,\n'.repeat(Math.ceil(size / 20))}`.slice(
          0,
          size,
        );
        const { body, contentType } = await multipart({ kind: 'items', file });
        return small.server.inject({
          method: 'POST',
          url: '/api/imports',
          headers: { ...bearer(token), 'content-type': contentType },
          payload: body,
        });
      };
      const over = await send(5000);
      expect(over.statusCode).toBe(413);
      expect(over.json().error).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.stringContaining('2 KiB'),
      });
      // Just over the limit: the declared length is within the allowance, the stream is cut.
      const justOver = await send(2049);
      expect(justOver.statusCode).toBe(413);
      expect((await send(2000)).statusCode).toBe(202);
      await small.server.inject({ method: 'GET', url: '/api/imports', headers: bearer(token) });
    } finally {
      await small.close();
    }
    expect(uploadsLeft()).toEqual([]);
  });

  it('treats a file over 1 MiB as a bulk operation: admins only, unless bulk_operations says otherwise', async () => {
    const supervisor = await app.userWithToken('supervisor');
    const lines = [ITEMS_HEADER];
    // Counted as it grows: joining the whole file at every line was quadratic (~30,000 lines).
    for (let i = 0, size = ITEMS_HEADER.length; size <= 1024 * 1024; i += 1) {
      const line = `BULK-${i},Bulk item ${i},,EA,1,,,,,`;
      lines.push(line);
      size += line.length + 1;
    }
    const big = { kind: 'items' as const, file: lines.join('\n') };
    const refused = await upload(big, supervisor.token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FEATURE_DISABLED');
    expect(uploadsLeft()).toEqual([]);
    // Small files stay open to supervisors.
    expect(
      (await upload({ kind: 'items', file: `${ITEMS_HEADER}\nS-1,One,,EA,1,,,,,` }, supervisor.token))
        .statusCode,
    ).toBe(202);
    const byAdmin = await upload(big);
    expect(byAdmin.statusCode, byAdmin.body).toBe(202);
    await finished(byAdmin.json().id);

    const extended = await app.server.inject({
      method: 'PATCH',
      url: '/api/enterprise/features/bulk_operations',
      headers: bearer(admin.token),
      payload: { allowed_roles: ['admin', 'supervisor'] },
    });
    expect(extended.statusCode, extended.body).toBe(200);
    const bySupervisor = await upload(big, supervisor.token);
    expect(bySupervisor.statusCode).toBe(202);
    await finished(bySupervisor.json().id);
  });

  it('lets admins and supervisors import; staff and auditors get 403', async () => {
    const supervisor = await app.userWithToken('supervisor');
    const job = await upload(
      { kind: 'items', file: `${ITEMS_HEADER}\nS-1,One,,EA,1,,,,,` },
      supervisor.token,
    );
    expect(job.statusCode).toBe(202);
    await finished(job.json().id);
    for (const role of ['staff', 'auditor'] as const) {
      const { token } = await app.userWithToken(role);
      expect((await upload({ kind: 'items', file: `${ITEMS_HEADER}\n` }, token)).statusCode).toBe(403);
      for (const url of [
        '/api/imports',
        `/api/imports/${job.json().id}`,
        `/api/imports/${job.json().id}/errors`,
      ]) {
        const response = await app.server.inject({ method: 'GET', url, headers: bearer(token) });
        expect(response.statusCode, `${role} ${url}`).toBe(403);
      }
    }
  });

  it('lists jobs newest first, page by page, and reports progress fields', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const job = await run({
        kind: 'items',
        file: `${ITEMS_HEADER}\nL-${i},Item ${i},,EA,1,,,,,\nM-${i},Other,,EA,2,,,,,`,
      });
      ids.push(job.id);
      app.clock.advance(1000);
      expect(job).toMatchObject({ total: 2, processed: 2, inserted: 2 });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/imports?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await app.server.inject({ method: 'GET', url, headers: bearer(admin.token) })).json() as {
        items: { id: string; status: string }[];
        next_cursor: string | null;
      };
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const filtered = await app.server.inject({
      method: 'GET',
      url: '/api/imports?status=failed',
      headers: bearer(admin.token),
    });
    expect(filtered.json().items).toEqual([]);
    const bad = await app.server.inject({
      method: 'GET',
      url: '/api/imports?cursor=nonsense',
      headers: bearer(admin.token),
    });
    expect(bad.statusCode).toBe(400);
    const missing = await app.server.inject({
      method: 'GET',
      url: `/api/imports/${crypto.randomUUID()}`,
      headers: bearer(admin.token),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('records the upload, and the data write with its counts under the uploader, in the audit trail', async () => {
    const file = `${ITEMS_HEADER}\nAU-1,One,,EA,1,,,,,\nAU-2,Two,,EA,2,,,,,`;
    const first = await run({ kind: 'items', file });
    expect(first.status).toBe('succeeded');
    const [create, ...moreCreates] = await app.auditEntries('import.create');
    expect(moreCreates).toEqual([]);
    expect(create).toMatchObject({
      category: 'data_access',
      event_type: 'DATA_CREATE',
      outcome: 'success',
      resource_type: 'import_job',
      resource_id: first.id,
      actor_user_id: admin.id,
      actor_role: 'admin',
      details: { kind: 'items', format: 'csv', size_bytes: Buffer.byteLength(file), dry_run: false },
    });
    const [apply, ...moreApplies] = await app.auditEntries('import.apply');
    expect(moreApplies).toEqual([]);
    expect(apply).toMatchObject({
      event_type: 'DATA_BULK_OPERATION',
      outcome: 'success',
      resource_type: 'import_job',
      resource_id: first.id,
      // The job ran after the request ended: the uploader's context was kept with it.
      actor_user_id: admin.id,
      actor_role: 'admin',
      request_id: create!.request_id,
    });
    expect(apply!.details).toEqual({ kind: 'items', inserted: 2, updated: 0, unchanged: 0, rejected: 0 });
    // The data and the entry commit together: the entry follows the job's own rows.
    expect(apply!.seq).toBeGreaterThan(create!.seq);

    const supervisor = await app.userWithToken('supervisor');
    const second = await upload(
      { kind: 'items', file: `${ITEMS_HEADER}\nAU-1,One,,EA,1,,,,,\nAU-2,Two,,EA,3,,,,,` },
      supervisor.token,
    );
    expect(second.statusCode).toBe(202);
    await finished(second.json().id);
    const applies = await app.auditEntries('import.apply');
    expect(applies).toHaveLength(2);
    expect(applies[1]).toMatchObject({
      actor_user_id: supervisor.id,
      actor_role: 'supervisor',
      details: { kind: 'items', inserted: 0, updated: 1, unchanged: 1, rejected: 0 },
    });
  });

  it('a dry run, a failed import and a refused upload record no data write', async () => {
    const dry = await run({ kind: 'items', dry_run: 'true', file: `${ITEMS_HEADER}\nDR-1,One,,EA,1,,,,,` });
    expect(dry.status).toBe('succeeded');
    expect(await app.auditEntries('import.create')).toMatchObject([
      { resource_id: dry.id, details: { kind: 'items', dry_run: true } },
    ]);
    expect(await app.auditEntries('import.apply')).toEqual([]);

    const failed = await run({
      kind: 'items',
      file: `${ITEMS_HEADER}\nF-1,One,,EA,1,,,,,\nF-2,Two,,EA,-2,,,,,`,
    });
    expect(failed.status).toBe('failed');
    expect(await count('items')).toBe(0);
    // Nothing was written, so no successful entry: only the failed attempt, recorded after the rollback.
    const applies = await app.auditEntries('import.apply');
    expect(applies).toHaveLength(1);
    expect(applies[0]).toMatchObject({
      event_type: 'DATA_BULK_OPERATION',
      outcome: 'failure',
      resource_id: failed.id,
      actor_user_id: admin.id,
      details: { kind: 'items', total: 2, rejected: 1, reason: '1 row rejected; nothing was imported' },
    });

    const refused = await upload({ kind: 'items', file: Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1]) });
    expect(refused.statusCode).toBe(415);
    expect((await app.auditEntries('import.create')).map((entry) => entry.resource_id)).toEqual([
      dry.id,
      failed.id,
    ]);
  });
});

describe('imports at scale on sqlite', () => {
  it('imports 50,000 items from one CSV', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-imports-'));
    const app = await createTestApp({ dialect: 'sqlite', env: { DATA_DIR: dataDir } });
    try {
      const { token } = await app.userWithToken('admin');
      const lines = [ITEMS_HEADER];
      for (let i = 0; i < 50_000; i += 1) {
        lines.push(
          `SKU-${String(i).padStart(6, '0')},Item number ${i},Cat ${i % 50},EA,${(i % 997) + 0.25},,B,none,true,INT-${i}`,
        );
      }
      const { body, contentType } = await multipart({ kind: 'items', file: lines.join('\n') });
      const accepted = await app.server.inject({
        method: 'POST',
        url: '/api/imports',
        headers: { ...bearer(token), 'content-type': contentType },
        payload: body,
      });
      expect(accepted.statusCode).toBe(202);
      let job: Job | undefined;
      for (let attempt = 0; attempt < 12_000; attempt += 1) {
        job = (
          await app.server.inject({
            method: 'GET',
            url: `/api/imports/${accepted.json().id}`,
            headers: bearer(token),
          })
        ).json() as Job;
        if (job.status === 'succeeded' || job.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(job).toMatchObject({
        status: 'succeeded',
        total: 50_000,
        processed: 50_000,
        inserted: 50_000,
        rejected: 0,
      });
      const counted = await app.database.db
        .selectFrom('item_barcodes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(counted.n)).toBe(50_000);
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
