import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { bearer, type TestApp } from '../../../../test/helpers/test-app.ts';
import type { Role } from '../../../platform/http/access.ts';
import { systemIds } from '../../../platform/ids.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { createStockLevelsService, type StockLevelInput } from '../../stock-levels/stock-levels.service.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/**
 * A small warehouse for the counting tests, built through the API (and the stock levels service
 * for book quantities):
 *
 *   WH1: Z1 ─ A01 ─ B1, B2          WH2: X1
 *           └ A02 ─ B3
 *        Z2 ─ B4
 *
 *   items: HAMMER (tools, A, 2.5), RICE (food, lot, 1.25), SAW (tools, C, 10), NAIL (tools, none)
 *   book:  HAMMER@B1 10, HAMMER@B2 5, RICE@B1 lot L1 3 and lot L2 4, SAW@B3 2, NAIL@B4 0, SAW@B4 7,
 *          HAMMER@X1 99 (the other warehouse)
 */
export async function countingFixture(app: TestApp) {
  const users = {
    admin: await app.userWithToken('admin', 'ada'),
    supervisor: await app.userWithToken('supervisor', 'sam'),
    auditor: await app.userWithToken('auditor', 'aud'),
    staff: await app.userWithToken('staff', 'kim'),
    staff2: await app.userWithToken('staff', 'lee'),
  };

  async function call(
    method: Method,
    url: string,
    token: string,
    payload?: unknown,
  ): Promise<LightMyRequestResponse> {
    return app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function created(url: string, payload: Record<string, unknown>): Promise<{ id: string }> {
    const response = await call('POST', url, users.supervisor.token, payload);
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  const wh1 = (await created('/api/warehouses', { code: 'WH1', name: 'One' })).id;
  const wh2 = (await created('/api/warehouses', { code: 'WH2', name: 'Two' })).id;
  const location = async (warehouse: string, code: string, parent?: string) =>
    (
      await created('/api/locations', {
        warehouse_id: warehouse,
        code,
        kind: parent ? 'bin' : 'zone',
        ...(parent ? { parent_id: parent } : {}),
      })
    ).id;
  const z1 = await location(wh1, 'Z1');
  const a01 = await location(wh1, 'A01', z1);
  const a02 = await location(wh1, 'A02', z1);
  const b1 = await location(wh1, 'B1', a01);
  const b2 = await location(wh1, 'B2', a01);
  const b3 = await location(wh1, 'B3', a02);
  const z2 = await location(wh1, 'Z2');
  const b4 = await location(wh1, 'B4', z2);
  const x1 = await location(wh2, 'X1');
  const locations = { z1, a01, a02, b1, b2, b3, z2, b4, x1 };

  const item = async (fields: Record<string, unknown>) =>
    (await created('/api/items', { base_uom: 'EA', ...fields })).id;
  const items = {
    hammer: await item({
      item_code: 'HAMMER',
      name: 'Hammer',
      category: 'tools',
      abc_class: 'A',
      unit_cost: 2.5,
    }),
    rice: await item({
      item_code: 'RICE',
      name: 'Rice',
      category: 'food',
      unit_cost: '1.25',
      tracking: 'lot',
    }),
    saw: await item({ item_code: 'SAW', name: 'Saw', category: 'tools', abc_class: 'C', unit_cost: 10 }),
    nail: await item({ item_code: 'NAIL', name: 'Nail', category: 'tools', unit_cost: 0.01 }),
  };

  const stockLevels = createStockLevelsService({
    db: app.database.db,
    clock: app.clock,
    ids: systemIds,
    audit: app.audit.trail,
  });
  const asOf = app.clock.now().toISOString();
  const level = (
    item_id: string,
    location_id: string,
    quantity_e3: number,
    lot: string | null = null,
  ): StockLevelInput => ({
    item_id,
    location_id,
    lot,
    quantity_e3,
    source: 'erp',
    as_of: asOf,
  });
  await stockLevels.upsert(
    [
      level(items.hammer, b1, 10_000),
      level(items.hammer, b2, 5_000),
      level(items.rice, b1, 3_000, 'L1'),
      level(items.rice, b1, 4_000, 'L2'),
      level(items.saw, b3, 2_000),
      level(items.nail, b4, 0),
      level(items.saw, b4, 7_000),
      level(items.hammer, x1, 99_000),
    ],
    SYSTEM_CONTEXT,
  );

  /** Creates a session; answers its body. */
  async function createSession(fields: Record<string, unknown> = {}, token = users.supervisor.token) {
    const response = await call('POST', '/api/count-sessions', token, {
      name: 'Cycle count',
      warehouse_id: wh1,
      mode: 'standard',
      ...fields,
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; version: number; status: string } & Record<string, unknown>;
  }

  async function step(id: string, action: string, payload: unknown = {}, token = users.supervisor.token) {
    return call('POST', `/api/count-sessions/${id}/${action}`, token, payload);
  }

  /** Takes a session through the steps; each must succeed. */
  async function drive(id: string, ...actions: string[]) {
    for (const action of actions) {
      const response = await step(id, action, action === 'cancel' ? { reason: 'test' } : {});
      expect(response.statusCode, `${action}: ${response.body}`).toBe(200);
    }
  }

  async function assign(id: string, locationId: string, userIds: string[]) {
    const response = await call('POST', `/api/count-sessions/${id}/assignments`, users.supervisor.token, {
      assignments: [{ location_id: locationId, user_ids: userIds }],
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  async function userWithToken(role: Role, name: string) {
    return app.userWithToken(role, name);
  }

  return {
    users,
    wh1,
    wh2,
    locations,
    items,
    stockLevels,
    level,
    call,
    createSession,
    step,
    drive,
    assign,
    userWithToken,
  };
}

export type CountingFixture = Awaited<ReturnType<typeof countingFixture>>;
