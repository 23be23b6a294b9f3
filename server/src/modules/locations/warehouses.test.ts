import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';

describe.each(dialects())('warehouses on %s', (dialect) => {
  let app: TestApp;
  let supervisor: string;
  let staff: string;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    supervisor = (await app.userWithToken('supervisor')).token;
    staff = (await app.userWithToken('staff')).token;
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

  it('creates, reads, lists and updates a warehouse', async () => {
    const created = await request('POST', '/api/warehouses', supervisor, {
      code: 'WH-01',
      name: ' Main DC ',
    });
    expect(created.statusCode).toBe(201);
    const warehouse = created.json();
    expect(warehouse).toMatchObject({ code: 'WH-01', name: 'Main DC', active: true });
    expect(Object.keys(warehouse).sort()).toEqual([
      'active',
      'code',
      'created_at',
      'id',
      'name',
      'updated_at',
    ]);

    const read = await request('GET', `/api/warehouses/${warehouse.id}`, staff);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(warehouse);

    app.clock.advance(60_000);
    const patched = await request('PATCH', `/api/warehouses/${warehouse.id}`, supervisor, {
      name: 'Main distribution centre',
      active: false,
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Main distribution centre', active: false, code: 'WH-01' });
    expect(patched.json().updated_at > warehouse.updated_at).toBe(true);

    const inactive = await request('GET', '/api/warehouses?active=false', staff);
    expect(inactive.json().items.map((w: { code: string }) => w.code)).toEqual(['WH-01']);
    const active = await request('GET', '/api/warehouses?active=true', staff);
    expect(active.json()).toEqual({ items: [], next_cursor: null });
  });

  it('refuses a taken code with 409 WAREHOUSE_CODE_TAKEN', async () => {
    expect(
      (await request('POST', '/api/warehouses', supervisor, { code: 'WH1', name: 'A' })).statusCode,
    ).toBe(201);
    const again = await request('POST', '/api/warehouses', supervisor, { code: 'WH1', name: 'B' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('WAREHOUSE_CODE_TAKEN');
  });

  it.each([
    [{ code: 'has space', name: 'x' }, 'code'],
    [{ code: 'x'.repeat(33), name: 'x' }, 'code'],
    [{ code: '', name: 'x' }, 'code'],
    [{ code: 'W1' }, 'name'],
    [{ code: 'W1', name: '   ' }, 'name'],
    [{ code: 'W1', name: 'x', active: false }, 'active'],
  ])('answers bad input %o with 400 naming the field, writing nothing', async (payload, field) => {
    const response = await request('POST', '/api/warehouses', supervisor, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_ERROR');
    expect(response.json().error.details[0].field).toBe(field);
    expect((await request('GET', '/api/warehouses', staff)).json().items).toEqual([]);
  });

  it('describes a bad code in words', async () => {
    const response = await request('POST', '/api/warehouses', supervisor, { code: 'a b', name: 'x' });
    expect(response.json().error.details[0].message).toBe('is not valid: 1 to 32 letters, digits or . _ -');
  });

  it('lets only admins and supervisors change warehouses', async () => {
    const auditor = (await app.userWithToken('auditor')).token;
    const admin = (await app.userWithToken('admin')).token;
    for (const token of [staff, auditor]) {
      const response = await request('POST', '/api/warehouses', token, { code: 'W9', name: 'x' });
      expect(response.statusCode).toBe(403);
    }
    const created = await request('POST', '/api/warehouses', admin, { code: 'W9', name: 'x' });
    expect(created.statusCode).toBe(201);
    const patch = await request('PATCH', `/api/warehouses/${created.json().id}`, staff, { name: 'y' });
    expect(patch.statusCode).toBe(403);
    // Reads are for everyone signed in.
    expect((await request('GET', '/api/warehouses', staff)).statusCode).toBe(200);
    expect((await app.server.inject({ method: 'GET', url: '/api/warehouses' })).statusCode).toBe(401);
  });

  it('answers 404 for an unknown warehouse and 400 for an empty change', async () => {
    const unknown = '0190f0e4-0000-7000-8000-0000000000ff';
    expect((await request('GET', `/api/warehouses/${unknown}`, staff)).statusCode).toBe(404);
    expect((await request('PATCH', `/api/warehouses/${unknown}`, supervisor, { name: 'x' })).statusCode).toBe(
      404,
    );
    const created = await request('POST', '/api/warehouses', supervisor, { code: 'W1', name: 'x' });
    const empty = await request('PATCH', `/api/warehouses/${created.json().id}`, supervisor, {});
    expect(empty.statusCode).toBe(400);
    expect((await request('GET', '/api/warehouses/not-a-uuid', staff)).statusCode).toBe(400);
  });

  it('pages through warehouses by code with a cursor', async () => {
    for (const code of ['W5', 'W1', 'W4', 'W2', 'W3']) {
      await request('POST', '/api/warehouses', supervisor, { code, name: code });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/warehouses?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await request('GET', url, staff);
      expect(page.statusCode).toBe(200);
      const body = page.json() as { items: { code: string }[]; next_cursor: string | null };
      seen.push(...body.items.map((w) => w.code));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['W1', 'W2', 'W3', 'W4', 'W5']);

    const forged = await request('GET', '/api/warehouses?cursor=bm90LWpzb24', staff);
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.details[0].field).toBe('cursor');
    expect((await request('GET', '/api/warehouses?limit=0', staff)).statusCode).toBe(400);
    expect((await request('GET', '/api/warehouses?limit=201', staff)).statusCode).toBe(400);
  });

  it('records each create and update in the audit trail, with the actor and the changed fields', async () => {
    const editor = await app.userWithToken('admin', 'wh-auditor');
    const created = await request('POST', '/api/warehouses', editor.token, { code: 'WH-A', name: 'Alpha' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;

    const [create, ...moreCreates] = await app.auditEntries('warehouse.create');
    expect(moreCreates).toEqual([]);
    expect(create).toMatchObject({
      category: 'data_access',
      event_type: 'DATA_CREATE',
      outcome: 'success',
      resource_type: 'warehouse',
      resource_id: id,
      actor_user_id: editor.id,
      actor_role: 'admin',
      details: { code: 'WH-A', name: 'Alpha' },
    });
    expect(create!.request_id).toBeTruthy();

    const patched = await request('PATCH', `/api/warehouses/${id}`, editor.token, {
      name: 'Alpha',
      active: false,
    });
    expect(patched.statusCode).toBe(200);
    const [update, ...moreUpdates] = await app.auditEntries('warehouse.update');
    expect(moreUpdates).toEqual([]);
    expect(update).toMatchObject({
      event_type: 'DATA_UPDATE',
      resource_type: 'warehouse',
      resource_id: id,
      actor_user_id: editor.id,
      // The name was sent unchanged: only the flag is listed.
      details: { code: 'WH-A', changes: { active: { old: true, new: false } } },
    });
    // Personal data (the username) never sits in the plain details.
    expect(JSON.stringify([create, update].map((entry) => entry!.details))).not.toContain('wh-auditor');
  });

  it('records nothing for a change that fails', async () => {
    expect(
      (await request('POST', '/api/warehouses', supervisor, { code: 'WH-D', name: 'D' })).statusCode,
    ).toBe(201);
    const duplicate = await request('POST', '/api/warehouses', supervisor, { code: 'WH-D', name: 'Again' });
    expect(duplicate.statusCode).toBe(409);
    expect(await app.auditEntries('warehouse.create')).toHaveLength(1);

    const missing = await request(
      'PATCH',
      '/api/warehouses/0190f0e4-0000-7000-8000-0000000000ff',
      supervisor,
      {
        name: 'Nowhere',
      },
    );
    expect(missing.statusCode).toBe(404);
    expect(await app.auditEntries('warehouse.update')).toEqual([]);
  });
});
