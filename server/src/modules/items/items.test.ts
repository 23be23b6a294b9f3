import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Page as PageOf } from '../../platform/http/pagination.ts';
import type { Item } from './items.service.ts';

type Page = PageOf<Item>;

const UNKNOWN = '0190f0e4-0000-7000-8000-0000000000ff';
const EAN13 = '4006381333931';
const UPC_A = '036000291452';
const EAN8 = '96385074';

describe.each(dialects())('items on %s', (dialect) => {
  let app: TestApp;
  let editor: string;
  let staff: string;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    editor = (await app.userWithToken('supervisor')).token;
    staff = (await app.userWithToken('staff')).token;
  });
  afterEach(async () => {
    await app.close();
  });

  const request = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    token: string,
    payload?: unknown,
  ) =>
    app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  const minimal = (item_code: string, extra: Record<string, unknown> = {}) => ({
    item_code,
    name: `Item ${item_code}`,
    base_uom: 'EA',
    unit_cost: 1,
    ...extra,
  });

  async function create(payload: Record<string, unknown>): Promise<Item> {
    const response = await request('POST', '/api/items', editor, payload);
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function codes(query: string): Promise<string[]> {
    const response = await request('GET', `/api/items?${query}`, staff);
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as Page).items.map((item) => item.item_code);
  }

  async function count(): Promise<number> {
    return ((await request('GET', '/api/items?limit=200', staff)).json() as Page).items.length;
  }

  it('creates an item with its barcodes, exact decimals and defaults', async () => {
    const item = await create({
      item_code: 'SKU-001/A',
      name: '  Widget, Large ',
      category: 'Hardware',
      sub_category: 'Fasteners',
      base_uom: 'EA',
      unit_cost: '12.50',
      mrp: 19.9999,
      abc_class: 'A',
      tracking: 'lot',
      barcodes: [
        { barcode: EAN13 },
        { barcode: ` ${UPC_A} `, pack_qty: 12, kind: 'gtin' },
        { barcode: 'INT-77', pack_qty: '0.5' },
      ],
    });
    expect(item).toMatchObject({
      item_code: 'SKU-001/A',
      name: 'Widget, Large',
      category: 'Hardware',
      sub_category: 'Fasteners',
      base_uom: 'EA',
      unit_cost: 12.5,
      mrp: 19.9999,
      abc_class: 'A',
      tracking: 'lot',
      active: true,
    });
    expect(item.barcodes).toEqual([
      { barcode: '00036000291452', pack_qty: 12, kind: 'gtin' },
      { barcode: '04006381333931', pack_qty: 1, kind: 'gtin' },
      { barcode: 'INT-77', pack_qty: 0.5, kind: 'internal' },
    ]);
    expect(Object.keys(item).sort()).toEqual(
      [
        'abc_class',
        'active',
        'barcodes',
        'base_uom',
        'category',
        'created_at',
        'id',
        'item_code',
        'mrp',
        'name',
        'sub_category',
        'tracking',
        'unit_cost',
        'updated_at',
      ].sort(),
    );
    const read = await request('GET', `/api/items/${item.id}`, staff);
    expect(read.json()).toEqual(item);

    const plain = await create(minimal('SKU-002'));
    expect(plain).toMatchObject({
      category: null,
      sub_category: null,
      mrp: null,
      abc_class: null,
      tracking: 'none',
      unit_cost: 1,
      barcodes: [],
    });
  });

  it.each([
    [{ unit_cost: 1.23456 }, 'unit_cost', 'must be a decimal number with at most 4 decimal places'],
    [{ unit_cost: '1.23456' }, 'unit_cost', 'must be a decimal number with at most 4 decimal places'],
    [{ unit_cost: -1 }, 'unit_cost', 'must not be negative'],
    [{ unit_cost: 'NaN' }, 'unit_cost', 'must be a decimal number with at most 4 decimal places'],
    [{ unit_cost: '1e3' }, 'unit_cost', 'must be a decimal number with at most 4 decimal places'],
    [{ unit_cost: true }, 'unit_cost', undefined],
    [{ unit_cost: undefined }, 'unit_cost', 'is required'],
    [{ mrp: '0.00001' }, 'mrp', 'must be a decimal number with at most 4 decimal places'],
    [{ item_code: 'has space' }, 'item_code', 'is not valid: 1 to 64 letters, digits or . _ / -'],
    [{ item_code: 'x'.repeat(65) }, 'item_code', undefined],
    [{ name: '   ' }, 'name', 'is not valid: 1 to 200 characters, not blank'],
    [{ base_uom: '' }, 'base_uom', undefined],
    [{ abc_class: 'D' }, 'abc_class', undefined],
    [{ tracking: 'batch' }, 'tracking', undefined],
    [{ colour: 'red' }, 'colour', 'is not an allowed field'],
    [{ barcodes: [{ barcode: '4006381333932' }] }, 'barcodes.0.barcode', 'has a wrong GTIN check digit'],
    [{ barcodes: [{ barcode: 'x y=' }] }, 'barcodes.0.barcode', undefined],
    [{ barcodes: [{ barcode: 'A1', pack_qty: 0 }] }, 'barcodes.0.pack_qty', 'must be more than 0'],
    [{ barcodes: [{ barcode: 'A1', pack_qty: -2 }] }, 'barcodes.0.pack_qty', 'must be more than 0'],
    [
      { barcodes: [{ barcode: 'A1', pack_qty: 0.0001 }] },
      'barcodes.0.pack_qty',
      'must be a decimal number with at most 3 decimal places',
    ],
    [
      { barcodes: [{ barcode: UPC_A }, { barcode: `0${UPC_A}` }] },
      'barcodes.1.barcode',
      'is the same barcode as barcodes.0.barcode',
    ],
    [
      { barcodes: [{ barcode: 'A1', kind: 'gtin' }] },
      'barcodes.0.kind',
      'is gtin, but the barcode is not a GTIN',
    ],
  ])('answers bad input %o with 400 naming the field, writing nothing', async (override, field, message) => {
    const response = await request('POST', '/api/items', editor, minimal('BAD-1', override));
    expect(response.statusCode).toBe(400);
    const detail = response.json().error.details[0];
    expect(detail.field).toBe(field);
    if (message) expect(detail.message).toBe(message);
    expect(await count()).toBe(0);
  });

  it('refuses a taken item code and a taken barcode, atomically', async () => {
    const first = await create(minimal('SKU-1', { barcodes: [{ barcode: EAN13 }] }));
    const sameCode = await request('POST', '/api/items', editor, minimal('SKU-1'));
    expect(sameCode.statusCode).toBe(409);
    expect(sameCode.json().error.code).toBe('ITEM_CODE_TAKEN');

    // The same EAN-13, scanned as its GTIN-14 form, on a new item: nothing of the item is kept.
    const sameBarcode = await request(
      'POST',
      '/api/items',
      editor,
      minimal('SKU-2', { barcodes: [{ barcode: 'FRESH-1' }, { barcode: `0${EAN13}` }] }),
    );
    expect(sameBarcode.statusCode).toBe(409);
    const error = sameBarcode.json().error;
    expect(error.code).toBe('BARCODE_TAKEN');
    expect(error.message).toContain('04006381333931');
    expect(error.message).toContain('SKU-1');
    expect(error.details[0].field).toBe('barcodes.1.barcode');
    expect(await codes('')).toEqual(['SKU-1']);
    expect((await request('GET', '/api/items/lookup?barcode=FRESH-1', staff)).statusCode).toBe(404);
    expect((await request('GET', `/api/items/${first.id}`, staff)).json().barcodes).toHaveLength(1);
  });

  it('gives a barcode to one of two items created at the same time', async () => {
    const responses = await Promise.all(
      ['SKU-A', 'SKU-B', 'SKU-C'].map((code) =>
        request('POST', '/api/items', editor, minimal(code, { barcodes: [{ barcode: EAN13 }] })),
      ),
    );
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409, 409]);
    for (const response of responses.filter((r) => r.statusCode === 409))
      expect(response.json().error.code).toBe('BARCODE_TAKEN');
    expect(await count()).toBe(1);
  });

  it('updates any field but the item code; null clears the optional ones', async () => {
    const item = await create(
      minimal('SKU-1', { category: 'Food', sub_category: 'Dairy', mrp: 3, abc_class: 'B', name: 'Milk' }),
    );
    app.clock.advance(1000);
    const patched = await request('PATCH', `/api/items/${item.id}`, editor, {
      name: 'Oat drink',
      category: null,
      sub_category: null,
      mrp: null,
      abc_class: null,
      unit_cost: '0.1234',
      base_uom: 'L',
      tracking: 'serial',
      active: false,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      item_code: 'SKU-1',
      name: 'Oat drink',
      category: null,
      sub_category: null,
      mrp: null,
      abc_class: null,
      unit_cost: 0.1234,
      base_uom: 'L',
      tracking: 'serial',
      active: false,
    });
    expect(patched.json().updated_at > item.updated_at).toBe(true);
    // The search key follows the name.
    expect(await codes('q=OAT')).toEqual(['SKU-1']);
    expect(await codes('q=milk')).toEqual([]);

    const code = await request('PATCH', `/api/items/${item.id}`, editor, { item_code: 'SKU-9' });
    expect(code.statusCode).toBe(400);
    expect(code.json().error.details[0].field).toBe('item_code');
    const cost = await request('PATCH', `/api/items/${item.id}`, editor, { unit_cost: -0.5 });
    expect(cost.statusCode).toBe(400);
    expect(cost.json().error.details[0].field).toBe('unit_cost');
    expect((await request('GET', `/api/items/${item.id}`, staff)).json().unit_cost).toBe(0.1234);
    expect((await request('PATCH', `/api/items/${item.id}`, editor, {})).statusCode).toBe(400);
    expect((await request('PATCH', `/api/items/${UNKNOWN}`, editor, { name: 'x' })).statusCode).toBe(404);
    expect((await request('GET', `/api/items/${UNKNOWN}`, staff)).statusCode).toBe(404);
  });

  it('adds and removes barcodes', async () => {
    const item = await create(minimal('SKU-1'));
    const other = await create(minimal('SKU-2', { barcodes: [{ barcode: EAN8 }] }));

    const added = await request('POST', `/api/items/${item.id}/barcodes`, editor, {
      barcode: UPC_A,
      pack_qty: 6,
    });
    expect(added.statusCode).toBe(201);
    expect(added.json().barcodes).toEqual([{ barcode: '00036000291452', pack_qty: 6, kind: 'gtin' }]);
    const slash = await request('POST', `/api/items/${item.id}/barcodes`, editor, { barcode: 'BOX/12' });
    expect(slash.statusCode).toBe(201);

    const taken = await request('POST', `/api/items/${item.id}/barcodes`, editor, { barcode: EAN8 });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('BARCODE_TAKEN');
    expect(taken.json().error.message).toContain('SKU-2');
    const twice = await request('POST', `/api/items/${item.id}/barcodes`, editor, { barcode: `0${UPC_A}` });
    expect(twice.statusCode).toBe(409);
    const bad = await request('POST', `/api/items/${item.id}/barcodes`, editor, { barcode: '036000291453' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('barcode');
    const missing = await request('POST', `/api/items/${UNKNOWN}/barcodes`, editor, { barcode: 'NEW-1' });
    expect(missing.statusCode).toBe(404);

    // Removed by any form of the code; only from the item that has it.
    const notHers = await request('DELETE', `/api/items/${item.id}/barcodes/${EAN8}`, editor);
    expect(notHers.statusCode).toBe(404);
    const removed = await request('DELETE', `/api/items/${item.id}/barcodes/${UPC_A}`, editor);
    expect(removed.statusCode).toBe(204);
    const removedSlash = await request(
      'DELETE',
      `/api/items/${item.id}/barcodes/${encodeURIComponent('BOX/12')}`,
      editor,
    );
    expect(removedSlash.statusCode).toBe(204);
    expect((await request('GET', `/api/items/${item.id}`, staff)).json().barcodes).toEqual([]);
    expect((await request('DELETE', `/api/items/${item.id}/barcodes/${UPC_A}`, editor)).statusCode).toBe(404);
    expect((await request('GET', `/api/items/${other.id}`, staff)).json().barcodes).toHaveLength(1);
  });

  it('searches by code prefix, name and exact barcode, with category and active filters', async () => {
    await create(
      minimal('ABC-1', { name: 'Blue Paint 5L', category: 'Paint', barcodes: [{ barcode: EAN13 }] }),
    );
    await create(minimal('ABC-2', { name: 'Red paint 1L', category: 'Paint', active: false }));
    await create(
      minimal('XYZ-1', { name: 'Brush (abc) 100%', category: 'Tools', barcodes: [{ barcode: UPC_A }] }),
    );
    await create(minimal('XYZ-2', { name: 'Roller', category: 'Tools' }));

    expect(await codes('q=abc')).toEqual(['ABC-1', 'ABC-2', 'XYZ-1']);
    expect(await codes('q=PAINT')).toEqual(['ABC-1', 'ABC-2']);
    expect(await codes('q=paint&active=true')).toEqual(['ABC-1']);
    expect(await codes('q=paint&active=false')).toEqual(['ABC-2']);
    expect(await codes('category=Tools')).toEqual(['XYZ-1', 'XYZ-2']);
    expect(await codes('category=Tools&q=roll')).toEqual(['XYZ-2']);
    // A barcode in any of its forms: the UPC-A finds its 14-digit form.
    expect(await codes(`q=${UPC_A}`)).toEqual(['XYZ-1']);
    expect(await codes(`q=0${EAN13}`)).toEqual(['ABC-1']);
    // LIKE wildcards are taken literally.
    expect(await codes(`q=${encodeURIComponent('100%')}`)).toEqual(['XYZ-1']);
    expect(await codes(`q=${encodeURIComponent('%')}`)).toEqual(['XYZ-1']);
    expect(await codes('q=_')).toEqual([]);
    expect(await codes('q=nothing-like-this')).toEqual([]);
  });

  it('pages through items by item code with a cursor', async () => {
    const all = ['A-1', 'A-10', 'A-2', 'B-1', 'B-2', 'C-1', 'C-2'];
    for (const code of [...all].reverse()) await create(minimal(code));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/items?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await request('GET', url, staff)).json() as Page;
      seen.push(...page.items.map((item) => item.item_code));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...all].sort());
    const forged = await request('GET', '/api/items?cursor=%21%21', staff);
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.details[0].field).toBe('cursor');
  });

  it('resolves a scan to the item and its pack size, inactive items included', async () => {
    const item = await create(
      minimal('SKU-1', {
        unit_cost: 2.5,
        barcodes: [{ barcode: EAN13 }, { barcode: UPC_A, pack_qty: 24 }],
      }),
    );
    const single = await request('GET', `/api/items/lookup?barcode=${EAN13}`, staff);
    expect(single.statusCode).toBe(200);
    const { barcodes: _barcodes, ...summary } = item;
    expect(single.json()).toEqual({
      item: summary,
      barcode: { barcode: '04006381333931', pack_qty: 1, kind: 'gtin' },
    });
    const caseScan = await request('GET', `/api/items/lookup?barcode=0${UPC_A}`, staff);
    expect(caseScan.json().barcode).toEqual({ barcode: '00036000291452', pack_qty: 24, kind: 'gtin' });

    await request('PATCH', `/api/items/${item.id}`, editor, { active: false });
    const inactive = await request('GET', `/api/items/lookup?barcode=${EAN13}`, staff);
    expect(inactive.statusCode).toBe(200);
    expect(inactive.json().item.active).toBe(false);

    const unknown = await request('GET', `/api/items/lookup?barcode=${EAN8}`, staff);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');

    const wrong = await request('GET', '/api/items/lookup?barcode=4006381333932', staff);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('INVALID_BARCODE');
    expect(wrong.json().error.message).toBe('barcode has a wrong GTIN check digit');
    expect(wrong.json().error.details).toEqual([
      { field: 'barcode', message: 'has a wrong GTIN check digit' },
    ]);
  });

  it('never takes lookup for an item id', async () => {
    const noBarcode = await request('GET', '/api/items/lookup', staff);
    expect(noBarcode.statusCode).toBe(400);
    expect(noBarcode.json().error.details[0].field).toBe('barcode');
    expect(app.server.hasRoute({ method: 'GET', url: '/api/items/lookup' })).toBe(true);
    expect((await request('GET', '/api/items/not-a-uuid', staff)).statusCode).toBe(400);
  });

  it('lets every signed-in user read and scan, and only admins and supervisors change', async () => {
    const item = await create(minimal('SKU-1', { barcodes: [{ barcode: 'S-1' }] }));
    const auditor = (await app.userWithToken('auditor')).token;
    for (const token of [staff, auditor]) {
      expect((await request('GET', '/api/items', token)).statusCode).toBe(200);
      expect((await request('GET', `/api/items/${item.id}`, token)).statusCode).toBe(200);
      expect((await request('GET', '/api/items/lookup?barcode=S-1', token)).statusCode).toBe(200);
      expect((await request('POST', '/api/items', token, minimal('SKU-X'))).statusCode).toBe(403);
      expect((await request('PATCH', `/api/items/${item.id}`, token, { name: 'x' })).statusCode).toBe(403);
      expect(
        (await request('POST', `/api/items/${item.id}/barcodes`, token, { barcode: 'S-2' })).statusCode,
      ).toBe(403);
      expect((await request('DELETE', `/api/items/${item.id}/barcodes/S-1`, token)).statusCode).toBe(403);
    }
    const admin = (await app.userWithToken('admin')).token;
    expect((await request('POST', '/api/items', admin, minimal('SKU-X'))).statusCode).toBe(201);
    expect(
      (await app.server.inject({ method: 'GET', url: '/api/items/lookup?barcode=S-1' })).statusCode,
    ).toBe(401);
  });

  it('records each change in the audit trail: one entry, the actor, the item code and what changed', async () => {
    const actor = await app.userWithToken('supervisor', 'item-auditor');
    const post = (url: string, payload: unknown) => request('POST', url, actor.token, payload);
    const created = await post(
      '/api/items',
      minimal('SKU-7', { name: ' Widget ', unit_cost: '12.50', mrp: '19.9', barcodes: [{ barcode: EAN13 }] }),
    );
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    const [create, ...moreCreates] = await app.auditEntries('item.create');
    expect(moreCreates).toEqual([]);
    expect(create).toMatchObject({
      category: 'data_access',
      event_type: 'DATA_CREATE',
      outcome: 'success',
      resource_type: 'item',
      resource_id: id,
      actor_user_id: actor.id,
      actor_role: 'supervisor',
    });
    expect(create!.details).toEqual({
      item_code: 'SKU-7',
      name: 'Widget',
      category: null,
      sub_category: null,
      base_uom: 'EA',
      unit_cost: 12.5,
      mrp: 19.9,
      abc_class: null,
      tracking: 'none',
      active: true,
      barcodes: [{ barcode: '04006381333931', pack_qty: 1, kind: 'gtin' }],
    });

    const patched = await request('PATCH', `/api/items/${id}`, actor.token, {
      name: 'Widget',
      unit_cost: '13.2500',
      mrp: null,
      active: false,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const [update, ...moreUpdates] = await app.auditEntries('item.update');
    expect(moreUpdates).toEqual([]);
    expect(update).toMatchObject({ event_type: 'DATA_UPDATE', resource_type: 'item', resource_id: id });
    // The name was sent unchanged: not listed. Decimals as the API shows them.
    expect(update!.details).toEqual({
      item_code: 'SKU-7',
      changes: {
        unit_cost: { old: 12.5, new: 13.25 },
        mrp: { old: 19.9, new: null },
        active: { old: true, new: false },
      },
    });

    expect(
      (await post(`/api/items/${id}/barcodes`, { barcode: 'CASE-7', pack_qty: '12.5' })).statusCode,
    ).toBe(201);
    const [add, ...moreAdds] = await app.auditEntries('item.barcode_add');
    expect(moreAdds).toEqual([]);
    expect(add).toMatchObject({
      event_type: 'DATA_UPDATE',
      resource_type: 'item',
      resource_id: id,
      actor_user_id: actor.id,
      details: { item_code: 'SKU-7', barcode: 'CASE-7', pack_qty: 12.5, kind: 'internal' },
    });

    // Removed by another form of the GTIN: the entry names the code as stored.
    const removed = await request('DELETE', `/api/items/${id}/barcodes/0${EAN13}`, actor.token);
    expect(removed.statusCode).toBe(204);
    const [remove, ...moreRemoves] = await app.auditEntries('item.barcode_remove');
    expect(moreRemoves).toEqual([]);
    expect(remove).toMatchObject({
      event_type: 'DATA_DELETE',
      severity: 'low',
      resource_type: 'item',
      resource_id: id,
      actor_user_id: actor.id,
      details: { item_code: 'SKU-7', barcode: '04006381333931', pack_qty: 1, kind: 'gtin' },
    });
    const all = await app.database.db
      .selectFrom('enterprise_audit_logs')
      .select('details')
      .where('resource_type', '=', 'item')
      .execute();
    expect(all).toHaveLength(4);
    expect(JSON.stringify(all)).not.toContain('item-auditor');
  });

  it('records nothing for a change that fails', async () => {
    const item = await create(minimal('SKU-1', { barcodes: [{ barcode: EAN8 }] }));
    const other = await create(minimal('SKU-2'));
    const before = await app.auditEntries('item.create');
    expect(before).toHaveLength(2);

    expect((await request('POST', '/api/items', editor, minimal('SKU-1'))).statusCode).toBe(409);
    const barcodeTaken = await request(
      'POST',
      '/api/items',
      editor,
      minimal('SKU-3', { barcodes: [{ barcode: EAN8 }] }),
    );
    expect(barcodeTaken.statusCode).toBe(409);
    expect(await app.auditEntries('item.create')).toHaveLength(2);

    expect((await request('PATCH', `/api/items/${UNKNOWN}`, editor, { name: 'x' })).statusCode).toBe(404);
    expect((await request('PATCH', `/api/items/${item.id}`, editor, { unit_cost: -1 })).statusCode).toBe(400);
    expect(await app.auditEntries('item.update')).toEqual([]);

    const taken = await request('POST', `/api/items/${other.id}/barcodes`, editor, { barcode: EAN8 });
    expect(taken.statusCode).toBe(409);
    expect(await app.auditEntries('item.barcode_add')).toEqual([]);

    expect((await request('DELETE', `/api/items/${other.id}/barcodes/${EAN8}`, editor)).statusCode).toBe(404);
    expect((await request('DELETE', `/api/items/${UNKNOWN}/barcodes/${EAN8}`, editor)).statusCode).toBe(404);
    expect(await app.auditEntries('item.barcode_remove')).toEqual([]);
  });
});
