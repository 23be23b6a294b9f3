import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import type { Access } from '../../../platform/http/access.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  EAN_SINGLE,
  EAN_UNKNOWN,
  type MasterData,
} from './test-fixtures.ts';

/**
 * Blind mode is the server's promise, not the UI's: a staff user counting a blind session never
 * receives a book quantity or a variance, from any endpoint open to staff — lines, entries,
 * lookups, sync results, errors. This walks every route the staff role may call (as the access
 * policy lists them, so a route added later is walked too) with real ids, and searches each
 * answer for the distinctive book figures and for any book or variance field.
 */

const SAMPLE_ID = '0190f0e4-0000-7000-8000-000000000001';
// Book 4242.125 widgets at 2.5 and 1717.375 kg of flour at 3.3333; the counter counts 3 widgets.
const BOOK_WIDGET_E3 = 4_242_125;
const BOOK_FLOUR_E3 = 1_717_375;
const FORBIDDEN_TEXT = [
  '4242.125',
  '4242125',
  '1717.375',
  '1717375',
  // Variances: 3 − 4242.125, 0 − 1717.375, and their values.
  '4239.125',
  '4239125',
  '10597.8125',
  '5724.5361', // 1717.375 × 3.3333 = 5724.5360875
  '5724.536',
];
const FORBIDDEN_FIELD = /"(book[a-z_]*|[a-z_]*variance[a-z_]*|expected_qty|difference[a-z_]*)"\s*:/i;

function staffMayCall(rule: Access): boolean {
  return rule.kind !== 'roles' || rule.roles.includes('staff');
}

describe.each(dialects())('blind mode on %s', (dialect) => {
  let app: TestApp;
  let data: MasterData;
  let staff: { id: string; token: string };
  let session: string;
  let entryId: string;
  const walked: string[] = [];

  beforeAll(async () => {
    app = await createTestApp({ dialect, env: { RATE_LIMIT_WRITES_PER_MINUTE: '0' } });
    data = await createMasterData(app);
    const supervisor = await app.userWithToken('supervisor');
    staff = await app.userWithToken('staff');
    session = await createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      mode: 'blind',
      snapshot: [
        { location_id: data.binA, item_id: data.widget, book_qty_e3: BOOK_WIDGET_E3, unit_cost_e4: 25_000 },
        { location_id: data.binA, item_id: data.flour, book_qty_e3: BOOK_FLOUR_E3, unit_cost_e4: 33_333 },
        { location_id: data.binB, item_id: data.widget, book_qty_e3: BOOK_WIDGET_E3, unit_cost_e4: 25_000 },
      ],
      assignments: [{ location_id: data.binA, user_id: staff.id }],
    });
    // The book is in the stock levels too (staff may not read those either).
    await app.database.db
      .insertInto('stock_levels')
      .values({
        id: clientId(),
        item_id: data.widget,
        location_id: data.binA,
        lot: '',
        quantity_e3: BOOK_WIDGET_E3,
        source: 'erp',
        as_of: app.clock.now().toISOString(),
        updated_at: app.clock.now().toISOString(),
      })
      .execute();
    const response = await app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${session}/entries`,
      headers: bearer(staff.token),
      payload: { client_id: clientId(), location_id: data.binA, barcode: EAN_SINGLE, quantity: 3 },
    });
    expect(response.statusCode, response.body).toBe(201);
    entryId = response.json().entry.id;
    // The flour is counted as zero by "count entire location": a variance exists for every line.
    const completed = await app.server.inject({
      method: 'POST',
      url: `/api/count-sessions/${session}/locations/${data.binA}/complete`,
      headers: bearer(staff.token),
    });
    expect(completed.statusCode, completed.body).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  function concrete(url: string): string {
    const byPrefix: [RegExp, string][] = [
      [/^\/api\/count-sessions\/:id/, session],
      [/^\/api\/count-entries\/:id/, entryId],
      [/^\/api\/items\/:id/, data.widget],
      [/^\/api\/locations\/:id/, data.binA],
      [/^\/api\/warehouses\/:id/, data.warehouse],
    ];
    let out = url;
    for (const [prefix, id] of byPrefix) if (prefix.test(out)) out = out.replace(':id', id);
    return out
      .replace(':location_id', data.binA)
      .replace(':item_id', data.widget)
      .replace(':user_id', staff.id)
      .replace(':session_id', session)
      .replace(':barcode', EAN_SINGLE)
      .replace(/:[A-Za-z_]+/g, SAMPLE_ID)
      .replace(/\*$/, 'x');
  }

  /** Queries worth trying per route (the lists with their filters, the lookups with a real code). */
  function queriesFor(url: string): string[] {
    if (url.endsWith('/lines'))
      return [
        '',
        '?has_variance=true',
        '?status=review',
        '?status=counted',
        '?status=recount',
        `?location_id=${data.binB}`,
      ];
    if (url.endsWith('/entries')) return ['', '?mine=true', `?location_id=${data.binA}`];
    if (url.endsWith('/lookup'))
      return [`?barcode=${EAN_SINGLE}`, `?barcode=${EAN_UNKNOWN}`, '?barcode=A-01'];
    if (url === '/api/stock-levels') return ['', `?item_id=${data.widget}`];
    return ['', `?session_id=${session}`];
  }

  /** Bodies worth trying per write route: the counting ones with real and failing content. */
  function bodiesFor(url: string): unknown[] {
    const entry = (overrides: Record<string, unknown> = {}) => ({
      client_id: clientId(),
      location_id: data.binA,
      barcode: EAN_SINGLE,
      quantity: 1,
      ...overrides,
    });
    if (url === '/api/count-sessions/:id/entries') {
      return [
        entry(),
        entry({ quantity: -1 }),
        entry({ location_id: data.binB }),
        entry({ barcode: EAN_UNKNOWN }),
        entry({ barcode: 'SER-1', serial: 'S-1' }),
      ];
    }
    if (url === '/api/sync/batch') {
      return [
        {
          entries: [
            { session_id: session, ...entry() },
            { session_id: session, ...entry({ location_id: data.binB }) },
            { session_id: session, ...entry({ barcode: EAN_UNKNOWN }) },
            { session_id: session, ...entry({ quantity: '0.0001' }) },
            { session_id: session, ...entry({ barcode: 'SER-1', serial: 'S-1' }) },
            null,
          ],
        },
      ];
    }
    if (url === '/api/count-entries/:id/void') return [{ reason: 'blind walk' }, { reason: 'again' }];
    // Other routes: an empty body (its validation error) and one naming the session (claims).
    return [{}, { session_id: session }];
  }

  it('never shows a staff user a book quantity or a variance of a blind session, on any route', async () => {
    for (const [route, rule] of app.server.routeAccess) {
      if (!staffMayCall(rule)) continue;
      const [method, template] = route.split(' ') as [string, string];
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      // Ending the walker's own session would turn every later answer into a 401.
      if (template === '/api/auth/logout') continue;
      const url = concrete(template);
      const requests =
        method === 'GET'
          ? queriesFor(template).map((query) => ({ url: `${url}${query}`, payload: undefined }))
          : bodiesFor(template).map((payload) => ({ url, payload }));
      for (const request of requests) {
        const response = await app.server.inject({
          method: method as 'GET',
          url: request.url,
          headers: bearer(staff.token),
          ...(request.payload !== undefined ? { payload: request.payload as object } : {}),
        });
        walked.push(`${method} ${template} → ${response.statusCode}`);
        const body = response.body;
        for (const text of FORBIDDEN_TEXT) {
          expect(body.includes(text), `${method} ${request.url} shows ${text}: ${body.slice(0, 300)}`).toBe(
            false,
          );
        }
        // The API's own documentation names the fields (for everyone); it holds no figures.
        const documentation = template === '/api/openapi.json' || template.startsWith('/docs');
        if (!documentation) {
          const field = FORBIDDEN_FIELD.exec(body)?.[0];
          expect(field, `${method} ${request.url} has ${field}: ${body.slice(0, 300)}`).toBeUndefined();
        }
        expect(response.statusCode, `${method} ${request.url}: ${body.slice(0, 300)}`).toBeLessThan(500);
      }
    }
    // The walk reached the counting routes with real answers, not only refusals.
    const reached = (prefix: string, status: number) =>
      walked.some((line) => line === `${prefix} → ${status}`);
    expect(reached('GET /api/count-sessions/:id/lines', 200)).toBe(true);
    expect(reached('GET /api/count-sessions/:id/entries', 200)).toBe(true);
    expect(reached('POST /api/count-sessions/:id/entries', 201)).toBe(true);
    expect(reached('POST /api/sync/batch', 200)).toBe(true);
    expect(reached('POST /api/count-entries/:id/void', 200)).toBe(true);
    expect(reached('POST /api/count-sessions/:id/locations/:location_id/complete', 200)).toBe(true);
    expect(reached('GET /api/items/lookup', 200)).toBe(true);
  });

  it('shows the same session to a supervisor with its book and variances (the walk would catch them)', async () => {
    const supervisor = await app.userWithToken('supervisor');
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/count-sessions/${session}/lines`,
      headers: bearer(supervisor.token),
    });
    expect(response.body).toContain('4242.125');
    expect(response.body).toMatch(FORBIDDEN_FIELD);
  });
});
