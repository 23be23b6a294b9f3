import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Page as PageOf } from '../../platform/http/pagination.ts';
import type { Location } from './locations.service.ts';

type Page = PageOf<Location>;

const UNKNOWN = '0190f0e4-0000-7000-8000-0000000000ff';

describe.each(dialects())('locations on %s', (dialect) => {
  let app: TestApp;
  let editor: string;
  let staff: string;
  let warehouseId: string;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    editor = (await app.userWithToken('supervisor')).token;
    staff = (await app.userWithToken('staff')).token;
    warehouseId = await createWarehouse('WH1');
  });
  afterEach(async () => {
    await app.close();
  });

  const request = (method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: unknown) =>
    app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  async function createWarehouse(code: string): Promise<string> {
    const response = await request('POST', '/api/warehouses', editor, { code, name: code });
    expect(response.statusCode).toBe(201);
    return response.json().id;
  }

  async function create(payload: Record<string, unknown>): Promise<Location> {
    const response = await request('POST', '/api/locations', editor, {
      warehouse_id: warehouseId,
      ...payload,
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function list(query: string, token = staff): Promise<Page> {
    const response = await request('GET', `/api/locations?${query}`, token);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  async function all(query: string): Promise<Location[]> {
    const out: Location[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  /** zone Z1 → aisles A01, A02 → racks → bins. */
  async function sampleTree() {
    const z1 = await create({ code: 'Z1', kind: 'zone', name: 'Zone 1' });
    const a01 = await create({ code: 'A01', kind: 'aisle', parent_id: z1.id });
    const a02 = await create({ code: 'A02', kind: 'aisle', parent_id: z1.id });
    const r1 = await create({ code: 'A01-R1', kind: 'rack', parent_id: a01.id });
    const b1 = await create({ code: 'A01-R1-B1', kind: 'bin', parent_id: r1.id, barcode: 'LOC-0001' });
    const b2 = await create({ code: 'A01-R1-B2', kind: 'bin', parent_id: r1.id });
    const z2 = await create({ code: 'Z2', kind: 'zone' });
    return { z1, a01, a02, r1, b1, b2, z2 };
  }

  it('builds a tree with depth and path codes', async () => {
    const { z1, r1, b1 } = await sampleTree();
    expect(z1).toMatchObject({ parent_id: null, depth: 0, path_codes: ['Z1'], name: 'Zone 1', kind: 'zone' });
    expect(b1).toMatchObject({
      warehouse_id: warehouseId,
      parent_id: r1.id,
      code: 'A01-R1-B1',
      name: '',
      kind: 'bin',
      barcode: 'LOC-0001',
      depth: 3,
      path_codes: ['Z1', 'A01', 'A01-R1', 'A01-R1-B1'],
      active: true,
    });
    expect(Object.keys(b1).sort()).toEqual(
      [
        'active',
        'barcode',
        'code',
        'created_at',
        'depth',
        'id',
        'kind',
        'name',
        'parent_id',
        'path_codes',
        'updated_at',
        'warehouse_id',
      ].sort(),
    );
    const read = await request('GET', `/api/locations/${b1.id}`, staff);
    expect(read.json()).toEqual(b1);
  });

  it('lists a warehouse in tree order, children of a parent, a subtree and by depth', async () => {
    const { z1, a01, r1 } = await sampleTree();
    const other = await createWarehouse('WH2');
    await request('POST', '/api/locations', editor, { warehouse_id: other, code: 'Z1', kind: 'zone' });

    const tree = await all(`warehouse_id=${warehouseId}`);
    expect(tree.map((l) => l.code)).toEqual(['Z1', 'A01', 'A01-R1', 'A01-R1-B1', 'A01-R1-B2', 'A02', 'Z2']);

    const children = await all(`parent_id=${z1.id}`);
    expect(children.map((l) => l.code)).toEqual(['A01', 'A02']);

    const subtree = await all(`under=${a01.id}`);
    expect(subtree.map((l) => l.code)).toEqual(['A01', 'A01-R1', 'A01-R1-B1', 'A01-R1-B2']);
    expect(subtree.map((l) => l.path_codes.join('/'))).toContain('Z1/A01/A01-R1/A01-R1-B2');

    const bins = await all(`under=${r1.id}&depth=3`);
    expect(bins.map((l) => l.code)).toEqual(['A01-R1-B1', 'A01-R1-B2']);
    const roots = await all(`warehouse_id=${warehouseId}&depth=0`);
    expect(roots.map((l) => l.code)).toEqual(['Z1', 'Z2']);

    const unknown = await request('GET', `/api/locations?under=${UNKNOWN}`, staff);
    expect(unknown.statusCode).toBe(404);
  });

  it('sorts by code on request and finds codes by prefix, wildcards literal', async () => {
    await sampleTree();
    await create({ code: 'A0_X', kind: 'aisle' });
    const byCode = await all(`warehouse_id=${warehouseId}&sort=code`);
    expect(byCode.map((l) => l.code)).toEqual([
      'A01',
      'A01-R1',
      'A01-R1-B1',
      'A01-R1-B2',
      'A02',
      'A0_X',
      'Z1',
      'Z2',
    ]);
    expect((await all('q=a01-r1')).map((l) => l.code)).toEqual(['A01-R1', 'A01-R1-B1', 'A01-R1-B2']);
    expect((await all('q=A0_&sort=code')).map((l) => l.code)).toEqual(['A0_X']);

    // A cursor of one sort order is refused by the other.
    const page = await list(`warehouse_id=${warehouseId}&sort=code&limit=2`);
    const mixed = await request('GET', `/api/locations?cursor=${page.next_cursor}`, staff);
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error.details[0].field).toBe('cursor');
  });

  it('filters on the active flag', async () => {
    const { a02 } = await sampleTree();
    const patched = await request('PATCH', `/api/locations/${a02.id}`, editor, { active: false });
    expect(patched.json().active).toBe(false);
    expect((await all('active=false')).map((l) => l.code)).toEqual(['A02']);
    expect((await all('active=true')).map((l) => l.code)).not.toContain('A02');
  });

  it('keeps codes unique within a warehouse, not across warehouses', async () => {
    const { z1 } = await sampleTree();
    const again = await request('POST', '/api/locations', editor, {
      warehouse_id: warehouseId,
      parent_id: z1.id,
      code: 'Z2',
      kind: 'aisle',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('LOCATION_CODE_TAKEN');
    const other = await createWarehouse('WH2');
    const elsewhere = await request('POST', '/api/locations', editor, {
      warehouse_id: other,
      code: 'Z2',
      kind: 'zone',
    });
    expect(elsewhere.statusCode).toBe(201);
  });

  it('checks the parent and the warehouse', async () => {
    const { z1 } = await sampleTree();
    const other = await createWarehouse('WH2');
    const crossed = await request('POST', '/api/locations', editor, {
      warehouse_id: other,
      parent_id: z1.id,
      code: 'X',
      kind: 'aisle',
    });
    expect(crossed.statusCode).toBe(400);
    expect(crossed.json().error.details[0].field).toBe('parent_id');

    const orphan = await request('POST', '/api/locations', editor, {
      warehouse_id: warehouseId,
      parent_id: UNKNOWN,
      code: 'X',
      kind: 'aisle',
    });
    expect(orphan.statusCode).toBe(404);
    const homeless = await request('POST', '/api/locations', editor, {
      warehouse_id: UNKNOWN,
      code: 'X',
      kind: 'zone',
    });
    expect(homeless.statusCode).toBe(404);
    expect((await all('q=X')).length).toBe(0);
  });

  it.each([
    [{ code: 'a b', kind: 'zone' }, 'code'],
    [{ code: 'Z9' }, 'kind'],
    [{ code: 'Z9', kind: '  ' }, 'kind'],
    [{ code: 'Z9', kind: 'zone', barcode: '4006381333932' }, 'barcode'],
    [{ code: 'Z9', kind: 'zone', depth: 3 }, 'depth'],
    [{ code: 'Z9', kind: 'zone', parent_id: 'nope' }, 'parent_id'],
  ])('answers bad input %o with 400 naming the field, writing nothing', async (payload, field) => {
    const response = await request('POST', '/api/locations', editor, {
      warehouse_id: warehouseId,
      ...payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details[0].field).toBe(field);
    expect((await list(`warehouse_id=${warehouseId}`)).items).toEqual([]);
  });

  it('resolves a scanned label; barcodes are unique, normalised and removable', async () => {
    const { b1, b2 } = await sampleTree();
    const found = await request('GET', '/api/locations/lookup?barcode=%20LOC-0001%20', staff);
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual(b1);

    const taken = await request('PATCH', `/api/locations/${b2.id}`, editor, { barcode: 'LOC-0001' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('LOCATION_BARCODE_TAKEN');
    const takenOnCreate = await request('POST', '/api/locations', editor, {
      warehouse_id: warehouseId,
      code: 'Z3',
      kind: 'zone',
      barcode: 'LOC-0001',
    });
    expect(takenOnCreate.statusCode).toBe(409);
    expect(takenOnCreate.json().error.code).toBe('LOCATION_BARCODE_TAKEN');

    // A GTIN label is stored as 14 digits and found from any of its forms.
    const gtin = await request('PATCH', `/api/locations/${b2.id}`, editor, { barcode: '4006381333931' });
    expect(gtin.json().barcode).toBe('04006381333931');
    const scanned = await request('GET', '/api/locations/lookup?barcode=04006381333931', staff);
    expect(scanned.json().id).toBe(b2.id);

    const removed = await request('PATCH', `/api/locations/${b1.id}`, editor, { barcode: null });
    expect(removed.json().barcode).toBeNull();
    const gone = await request('GET', '/api/locations/lookup?barcode=LOC-0001', staff);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('NOT_FOUND');

    const bad = await request('GET', '/api/locations/lookup?barcode=4006381333932', staff);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_BARCODE');
    expect(bad.json().error.details).toEqual([{ field: 'barcode', message: 'has a wrong GTIN check digit' }]);
  });

  it('moves a subtree, keeping paths, depths and path codes right', async () => {
    const { z2, a01, r1, b1 } = await sampleTree();
    const moved = await request('PATCH', `/api/locations/${a01.id}`, editor, {
      parent_id: z2.id,
      name: 'Aisle 1',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({
      parent_id: z2.id,
      depth: 1,
      path_codes: ['Z2', 'A01'],
      name: 'Aisle 1',
    });

    const bin = (await request('GET', `/api/locations/${b1.id}`, staff)).json();
    expect(bin).toMatchObject({
      depth: 3,
      path_codes: ['Z2', 'A01', 'A01-R1', 'A01-R1-B1'],
      parent_id: r1.id,
    });
    expect((await all(`under=${z2.id}`)).map((l) => l.code)).toEqual([
      'Z2',
      'A01',
      'A01-R1',
      'A01-R1-B1',
      'A01-R1-B2',
    ]);
    expect((await all(`warehouse_id=${warehouseId}&depth=0`)).map((l) => l.code)).toEqual(['Z1', 'Z2']);

    // To the root, and back under a rack: depths shift by the difference, up and down.
    const root = await request('PATCH', `/api/locations/${r1.id}`, editor, { parent_id: null });
    expect(root.json()).toMatchObject({ parent_id: null, depth: 0, path_codes: ['A01-R1'] });
    expect((await request('GET', `/api/locations/${b1.id}`, staff)).json()).toMatchObject({
      depth: 1,
      path_codes: ['A01-R1', 'A01-R1-B1'],
    });
    expect((await all(`under=${z2.id}`)).map((l) => l.code)).toEqual(['Z2', 'A01']);
  });

  it('refuses a move under itself, below itself or into another warehouse', async () => {
    const { z1, a01, b1 } = await sampleTree();
    for (const parent of [a01.id, b1.id]) {
      const response = await request('PATCH', `/api/locations/${a01.id}`, editor, { parent_id: parent });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details[0].field).toBe('parent_id');
    }
    const other = await createWarehouse('WH2');
    const foreign = (
      await request('POST', '/api/locations', editor, { warehouse_id: other, code: 'F1', kind: 'zone' })
    ).json();
    const crossed = await request('PATCH', `/api/locations/${a01.id}`, editor, { parent_id: foreign.id });
    expect(crossed.statusCode).toBe(400);
    const missing = await request('PATCH', `/api/locations/${a01.id}`, editor, { parent_id: UNKNOWN });
    expect(missing.statusCode).toBe(404);
    // Nothing moved.
    expect((await request('GET', `/api/locations/${b1.id}`, staff)).json().path_codes).toEqual([
      'Z1',
      'A01',
      'A01-R1',
      'A01-R1-B1',
    ]);
    expect((await all(`parent_id=${z1.id}`)).map((l) => l.code)).toEqual(['A01', 'A02']);
  });

  it('never lets two concurrent moves make a cycle', async () => {
    const { a01, a02 } = await sampleTree();
    const [one, two] = await Promise.all([
      request('PATCH', `/api/locations/${a01.id}`, editor, { parent_id: a02.id }),
      request('PATCH', `/api/locations/${a02.id}`, editor, { parent_id: a01.id }),
    ]);
    expect([one.statusCode, two.statusCode].sort()).toEqual([200, 400]);
    const [x, y] = await Promise.all([
      request('GET', `/api/locations/${a01.id}`, staff),
      request('GET', `/api/locations/${a02.id}`, staff),
    ]);
    const below = one.statusCode === 200 ? x.json() : y.json();
    expect(below.path_codes).toHaveLength(3);
    expect(below.path_codes[0]).toBe('Z1');
  });

  it('handles a 50-level tree: subtree queries and a move deep inside it', async () => {
    const chain: Location[] = [];
    for (let level = 0; level < 50; level += 1) {
      chain.push(await create({ code: `L${level}`, kind: 'level', parent_id: chain[level - 1]?.id ?? null }));
    }
    const deepest = chain[49]!;
    expect(deepest.depth).toBe(49);
    expect(deepest.path_codes).toEqual(Array.from({ length: 50 }, (_, i) => `L${i}`));

    const under = await all(`under=${chain[10]!.id}`);
    expect(under.map((l) => l.code)).toEqual(Array.from({ length: 40 }, (_, i) => `L${i + 10}`));

    const side = await create({ code: 'SIDE', kind: 'zone' });
    const moved = await request('PATCH', `/api/locations/${chain[10]!.id}`, editor, { parent_id: side.id });
    expect(moved.statusCode).toBe(200);
    const after = (await request('GET', `/api/locations/${deepest.id}`, staff)).json();
    expect(after.depth).toBe(40);
    expect(after.path_codes).toEqual(['SIDE', ...Array.from({ length: 40 }, (_, i) => `L${i + 10}`)]);
    expect((await all(`under=${chain[0]!.id}`)).length).toBe(10);
    expect((await all(`under=${side.id}`)).length).toBe(41);
  });

  it('lets every signed-in user read and scan, and only admins and supervisors change', async () => {
    const { b1 } = await sampleTree();
    const auditor = (await app.userWithToken('auditor')).token;
    for (const token of [staff, auditor]) {
      expect((await request('GET', `/api/locations/${b1.id}`, token)).statusCode).toBe(200);
      expect((await request('GET', '/api/locations/lookup?barcode=LOC-0001', token)).statusCode).toBe(200);
      const created = await request('POST', '/api/locations', token, {
        warehouse_id: warehouseId,
        code: 'Q',
        kind: 'zone',
      });
      expect(created.statusCode).toBe(403);
      expect((await request('PATCH', `/api/locations/${b1.id}`, token, { name: 'x' })).statusCode).toBe(403);
    }
    const admin = (await app.userWithToken('admin')).token;
    expect((await request('PATCH', `/api/locations/${b1.id}`, admin, { kind: 'shelf' })).json().kind).toBe(
      'shelf',
    );
  });

  it('does not take lookup for a location id', async () => {
    const response = await request('GET', '/api/locations/lookup', staff);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details[0].field).toBe('barcode');
  });

  it('records each create, change and move in the audit trail, with the actor and codes', async () => {
    const actor = await app.userWithToken('supervisor', 'loc-auditor');
    const post = async (payload: Record<string, unknown>): Promise<Location> => {
      const response = await request('POST', '/api/locations', actor.token, {
        warehouse_id: warehouseId,
        ...payload,
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json();
    };
    const z1 = await post({ code: 'Z1', kind: 'zone', name: 'Zone 1' });
    const z2 = await post({ code: 'Z2', kind: 'zone' });
    const a01 = await post({ code: 'A01', kind: 'aisle', parent_id: z1.id, barcode: ' LOC-9 ' });
    await post({ code: 'A01-B1', kind: 'bin', parent_id: a01.id });

    const creates = await app.auditEntries('location.create');
    expect(creates.map((entry) => entry.resource_id)).toHaveLength(4);
    expect(creates[2]).toMatchObject({
      category: 'data_access',
      event_type: 'DATA_CREATE',
      outcome: 'success',
      resource_type: 'location',
      resource_id: a01.id,
      actor_user_id: actor.id,
      actor_role: 'supervisor',
      details: {
        warehouse_id: warehouseId,
        warehouse_code: 'WH1',
        code: 'A01',
        name: '',
        kind: 'aisle',
        barcode: 'LOC-9',
        parent_id: z1.id,
        parent_code: 'Z1',
      },
    });

    // One request, one entry: a move with a rename and a deactivation.
    const moved = await request('PATCH', `/api/locations/${a01.id}`, actor.token, {
      parent_id: z2.id,
      name: 'Aisle 1',
      kind: 'aisle',
      active: false,
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const [update, ...more] = await app.auditEntries('location.update');
    expect(more).toEqual([]);
    expect(update).toMatchObject({
      event_type: 'DATA_UPDATE',
      resource_type: 'location',
      resource_id: a01.id,
      actor_user_id: actor.id,
      details: {
        warehouse_id: warehouseId,
        warehouse_code: 'WH1',
        code: 'A01',
        changes: {
          parent_id: { old: z1.id, new: z2.id },
          parent_code: { old: 'Z1', new: 'Z2' },
          name: { old: '', new: 'Aisle 1' },
          active: { old: true, new: false },
        },
        locations_moved: 2,
      },
    });
    // kind was sent unchanged: not listed.
    expect(Object.keys(update!.details.changes as object).sort()).toEqual([
      'active',
      'name',
      'parent_code',
      'parent_id',
    ]);

    const cleared = await request('PATCH', `/api/locations/${a01.id}`, actor.token, { barcode: null });
    expect(cleared.statusCode).toBe(200);
    expect((await app.auditEntries('location.update'))[1]!.details).toEqual({
      warehouse_id: warehouseId,
      warehouse_code: 'WH1',
      code: 'A01',
      changes: { barcode: { old: 'LOC-9', new: null } },
    });
    expect(JSON.stringify((await app.auditEntries('location.update')).map((e) => e.details))).not.toContain(
      'loc-auditor',
    );
  });

  it('records nothing for a change that fails', async () => {
    const z1 = await create({ code: 'Z1', kind: 'zone', barcode: 'LOC-1' });
    const z2 = await create({ code: 'Z2', kind: 'zone' });
    expect(await app.auditEntries('location.create')).toHaveLength(2);

    const duplicate = await request('POST', '/api/locations', editor, {
      warehouse_id: warehouseId,
      code: 'Z1',
      kind: 'zone',
    });
    expect(duplicate.statusCode).toBe(409);
    const noWarehouse = await request('POST', '/api/locations', editor, {
      warehouse_id: UNKNOWN,
      code: 'Z9',
      kind: 'zone',
    });
    expect(noWarehouse.statusCode).toBe(404);
    expect(await app.auditEntries('location.create')).toHaveLength(2);

    const taken = await request('PATCH', `/api/locations/${z2.id}`, editor, { barcode: 'LOC-1' });
    expect(taken.statusCode).toBe(409);
    const underItself = await request('PATCH', `/api/locations/${z1.id}`, editor, { parent_id: z1.id });
    expect(underItself.statusCode).toBe(400);
    expect(await app.auditEntries('location.update')).toEqual([]);
  });
});
