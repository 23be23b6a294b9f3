import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { bearer } from '../../server/test/helpers/test-app.ts';
import { setBookQuantities } from './book-quantities.ts';
import {
  ADMIN,
  browserSkipReason,
  type Harness,
  openSection,
  RESULTS_DIR,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
  WEB_ROOT,
} from './harness.ts';

/**
 * The counter's screens on a 360 px phone: a staff user counts their assigned locations of a blind
 * session with a keyboard-wedge scanner (typed code + Enter into the focused field), keeps counting
 * offline, syncs when the network is back, undoes an entry, survives a reload while the server
 * refuses the uploads, and finishes each location. The server's lines are checked at the end, and
 * the screen never shows a book quantity. The tests run in order on one server.
 */

const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const PHONE = { width: 360, height: 780 };

/** A valid EAN-13 (pack 1) and another for a case of 12 of the same item. */
const EAN_SINGLE = '4006381333931';
const EAN_CASE = '5901234123457';
/** Book quantities odd enough that finding them in the page's text can only mean a leak. */
const BOOK_WIDGET_A = 4321;
const BOOK_GADGET_A = 777;
const BOOK_WIDGET_B = 5555;

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: the counter’s screens in the browser'), () => {
  let h: Harness;
  let adminToken = '';
  let sessionId = '';
  const ids = { binA: '', binB: '', widget: '', gadget: '', paint: '' };

  async function call(method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) {
    const response = await h.app.server.inject({
      method,
      url,
      headers: bearer(adminToken),
      ...(payload ? { payload } : {}),
    });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.body ? response.json() : undefined;
  }

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    const staff = await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT);
    adminToken = await h.app.login(ADMIN.username, ADMIN.password);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });

    // Master data and a blind session, through the API as a supervisor would plan it.
    const warehouse = (await call('POST', '/api/warehouses', { code: 'WH1', name: 'Main' })).id;
    const zone = (await call('POST', '/api/locations', { warehouse_id: warehouse, code: 'Z1', kind: 'zone' }))
      .id;
    const bin = async (code: string, barcode: string) =>
      (
        await call('POST', '/api/locations', {
          warehouse_id: warehouse,
          parent_id: zone,
          code,
          kind: 'bin',
          name: `Bin ${code}`,
          barcode,
        })
      ).id as string;
    ids.binA = await bin('A-01', 'LOC-A01');
    ids.binB = await bin('A-02', 'LOC-A02');
    const item = async (fields: Record<string, unknown>) =>
      (await call('POST', '/api/items', { base_uom: 'EA', unit_cost: '2.5', ...fields })).id as string;
    ids.widget = await item({
      item_code: 'WID-1',
      name: 'Widget',
      barcodes: [{ barcode: EAN_SINGLE }, { barcode: EAN_CASE, pack_qty: 12 }],
    });
    ids.gadget = await item({ item_code: 'GAD-1', name: 'Gadget', barcodes: [{ barcode: 'GAD-1' }] });
    ids.paint = await item({
      item_code: 'PAINT',
      name: 'Paint',
      tracking: 'lot',
      barcodes: [{ barcode: 'PAINT-1' }],
    });

    await setBookQuantities(h.app, [
      [ids.widget, ids.binA, BOOK_WIDGET_A],
      [ids.gadget, ids.binA, BOOK_GADGET_A],
      [ids.widget, ids.binB, BOOK_WIDGET_B],
    ]);

    sessionId = (
      await call('POST', '/api/count-sessions', {
        name: 'Blind cycle count',
        warehouse_id: warehouse,
        mode: 'blind',
      })
    ).id;
    await call('POST', `/api/count-sessions/${sessionId}/assignments`, {
      assignments: [
        { location_id: ids.binA, user_ids: [staff.id] },
        { location_id: ids.binB, user_ids: [staff.id] },
      ],
    });
    await call('POST', `/api/count-sessions/${sessionId}/start`, {});
  });

  // The server's clock is a manual one: keep it at the browser's time, which stamps the entries.
  beforeEach(() => {
    h.app.clock.set(new Date());
  });

  afterAll(async () => {
    await h?.close();
  });

  const syncBar = (page: Page) => page.getByTestId('sync-bar');
  const entries = (page: Page) => page.getByRole('list', { name: 'Entries, newest first' });
  const entry = (page: Page, text: string | RegExp) =>
    entries(page).getByRole('listitem').filter({ hasText: text });

  /** A keyboard-wedge scanner: keystrokes into whatever has focus, then Enter. */
  async function wedgeScan(page: Page, code: string) {
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('item-code');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
  }

  async function lines(locationId: string) {
    const page = await call('GET', `/api/count-sessions/${sessionId}/lines?location_id=${locationId}`);
    return (
      page.items as { item_code: string; lot: string | null; counted_qty: number | null; expected: boolean }[]
    )
      .map((line) => [line.item_code, line.lot, line.counted_qty, line.expected])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  }

  async function expectNoBookFigures(scope: Locator) {
    const text = await shownText(scope);
    for (const figure of [BOOK_WIDGET_A, BOOK_GADGET_A, BOOK_WIDGET_B]) {
      expect(text).not.toContain(String(figure));
      expect(text).not.toContain(figure.toLocaleString('en-US'));
    }
    expect(text).not.toMatch(/\bbook\b|variance|expected qty/i);
  }

  it('counts a location with the scanner field, keeps counting offline, syncs, undoes, finishes', async () => {
    const page = await h.newPage(PHONE);
    await signIn(page, STAFF);
    await openSection(page, 'Count');
    expect(page.url()).toBe(`${h.baseUrl}/count`);
    const session = page.getByRole('region', { name: 'Count Blind cycle count' });
    await session.getByText('Blind count').waitFor();
    expect(await session.getByRole('link').allInnerTexts()).toEqual([
      expect.stringMatching(/^A-01\s+Bin A-01\s+Not started$/),
      expect.stringMatching(/^A-02\s+Bin A-02\s+Not started$/),
    ]);

    // A label that is not one of mine, then the right one, scanned like any other code.
    await page.getByLabel('Location label', { exact: true }).fill('NOPE-9');
    await page.getByLabel('Location label', { exact: true }).press('Enter');
    await page.getByRole('alert').filter({ hasText: 'NOPE-9 is not one of your locations.' }).waitFor();
    await page.getByLabel('Location label', { exact: true }).fill('LOC-A01');
    await page.getByLabel('Location label', { exact: true }).press('Enter');
    await page.getByTestId('location-code').filter({ hasText: 'A-01' }).waitFor();
    expect(page.url()).toBe(`${h.baseUrl}/count/${sessionId}/${ids.binA}`);
    await page.getByText('Blind count: count everything you find here.').waitFor();

    // Claimed: the supervisor's view of claims names the counter.
    await expect
      .poll(async () =>
        (await call('GET', `/api/count-sessions/${sessionId}/claims`)).items.map(
          (c: { location_code: string; username: string }) => `${c.location_code}:${c.username}`,
        ),
      )
      .toEqual(['A-01:pat']);

    await wedgeScan(page, EAN_SINGLE);
    await entry(page, 'Widget').filter({ hasText: '1 EA' }).waitFor();
    await wedgeScan(page, EAN_CASE);
    await entry(page, '1 × case of 12 = 12 EA').waitFor();
    // A lot-tracked item asks for its lot.
    await wedgeScan(page, 'PAINT-1');
    await page.getByText('Paint (PAINT) is lot-tracked.').waitFor();
    await page.getByLabel('Lot', { exact: true }).fill('L-77');
    await page.getByRole('form', { name: 'Lot or serial' }).getByRole('button', { name: 'Add' }).click();
    await entry(page, 'Lot L-77').waitFor();
    await syncBar(page).getByText('All synced').waitFor();
    await expect.poll(() => entry(page, 'Synced').count()).toBe(3);

    // The network goes: scans still count, and wait on the device.
    await page.context().setOffline(true);
    await page.getByRole('button', { name: 'One more' }).click();
    await page.getByRole('button', { name: 'One more' }).click();
    expect(await page.getByLabel('Quantity per scan', { exact: true }).inputValue()).toBe('3');
    await wedgeScan(page, EAN_SINGLE);
    await entry(page, 'Widget').filter({ hasText: '3 EA' }).filter({ hasText: 'Waiting to sync' }).waitFor();
    expect(await page.getByLabel('Quantity per scan', { exact: true }).inputValue()).toBe('1');
    // Never seen before and offline: recorded all the same.
    await wedgeScan(page, 'MYSTERY-1');
    await entry(page, 'Unknown barcode MYSTERY-1').filter({ hasText: 'Waiting to sync' }).waitFor();
    await syncBar(page).getByText('2 waiting to sync').waitFor();
    await syncBar(page)
      .getByText(/^Offline/)
      .waitFor();

    // Back online: the outbox empties by itself.
    await page.context().setOffline(false);
    await syncBar(page).getByText('All synced').waitFor({ timeout: 25_000 });
    await entry(page, 'Widget').filter({ hasText: '3 EA' }).filter({ hasText: 'Synced' }).waitFor();
    // The server captured the unknown barcode and says so; the note stays until dismissed.
    const mystery = entry(page, 'Unknown barcode MYSTERY-1');
    await mystery.getByText('Unknown barcode: recorded for the supervisor to look at').waitFor();
    await mystery.getByRole('button', { name: 'OK' }).click();
    await mystery.filter({ hasText: 'Synced' }).waitFor();

    // Undo of a synced entry voids it on the server.
    await wedgeScan(page, 'GAD-1');
    const gadget = entry(page, 'Gadget');
    await gadget.filter({ hasText: 'Synced' }).waitFor();
    await gadget.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => gadget.count()).toBe(0);

    expect(await entries(page).getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringMatching(/^Unknown barcode MYSTERY-1\s+1\s+Synced/),
      expect.stringMatching(/^Widget · WID-1\s+3 EA\s+Synced/),
      expect.stringMatching(/^Paint · PAINT\s+1 EA\s+Lot L-77\s+Synced/),
      expect.stringMatching(/^Widget · WID-1\s+1 × case of 12 = 12 EA\s+Synced/),
      expect.stringMatching(/^Widget · WID-1\s+1 EA\s+Synced/),
    ]);

    // The blind counter's screen: what was counted, never what the books say.
    await page.screenshot({ path: path.join(RESULTS_DIR, 'counter-blind.png'), fullPage: true });
    await expectNoBookFigures(page.locator('body'));

    await page.getByRole('button', { name: 'Finish location' }).click();
    await page.getByRole('button', { name: 'Yes, finish' }).click();
    await page.getByText('Location A-01 finished.').waitFor();
    expect(page.url()).toBe(`${h.baseUrl}/count?finished=A-01`);
    await page.getByRole('link', { name: /^A-01/ }).filter({ hasText: 'Finished on this device' }).waitFor();
    await expect
      .poll(async () => (await call('GET', `/api/count-sessions/${sessionId}/claims`)).items)
      .toEqual([]);

    // What the server holds: the widget's scans add up (1 + 12 + 3), the gadget was undone and is
    // a zero now the location is finished, the paint is an unexpected line with its lot.
    expect(await lines(ids.binA)).toEqual([
      ['GAD-1', null, 0, true],
      ['PAINT', 'L-77', 1, false],
      ['WID-1', null, 16, true],
    ]);
    const unknown = await call('GET', `/api/count-sessions/${sessionId}/unknown-items`);
    expect(
      unknown.items.map((row: { barcode: string; location_code: string; quantity: number }) => [
        row.barcode,
        row.location_code,
        row.quantity,
      ]),
    ).toEqual([['MYSTERY-1', 'A-01', 1]]);
    expect(h.pageProblems).toEqual([]);
  });

  it('keeps entries through a reload while uploads fail, then syncs them and finishes', async () => {
    // Someone else holds the location: the counter is told who, and may try again once it is free.
    await call('POST', `/api/locations/${ids.binB}/claim`, { session_id: sessionId });
    const page = await h.newPage(PHONE);
    await signIn(page, STAFF);
    await openSection(page, 'Count');
    await page
      .getByRole('link', { name: /^A-02/ })
      .filter({ hasText: 'Dana Admin is counting here' })
      .click();
    await page.getByTestId('location-code').filter({ hasText: 'A-02' }).waitFor();
    await page
      .getByRole('alert')
      .filter({ hasText: /^Dana Admin is counting this location/ })
      .waitFor();
    expect(await page.getByLabel('Item barcode', { exact: true }).count()).toBe(0);
    await call('POST', `/api/locations/${ids.binB}/release`, { session_id: sessionId });
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByLabel('Item barcode', { exact: true }).waitFor();

    let refused = 0;
    await page.route('**/api/sync/batch', async (route) => {
      refused += 1;
      await route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'The server is busy' } }),
      });
    });
    await wedgeScan(page, EAN_SINGLE);
    await wedgeScan(page, EAN_CASE);
    await syncBar(page).getByText('2 waiting to sync').waitFor();
    await syncBar(page).getByText('Not sent yet: The server is busy').waitFor();
    expect(refused).toBeGreaterThan(0);

    const refusedBeforeReload = refused;
    await page.reload();
    await page.getByTestId('location-code').filter({ hasText: 'A-02' }).waitFor();
    await syncBar(page).getByText('2 waiting to sync').waitFor();
    await expect.poll(() => entry(page, 'Waiting to sync').count()).toBe(2);
    await entry(page, '1 × case of 12 = 12 EA').waitFor();
    // Sending resumed on load, and was refused again.
    await expect.poll(() => refused).toBeGreaterThan(refusedBeforeReload);
    expect((await lines(ids.binB)).map(([, , counted]) => counted)).toEqual([null]);

    await page.unroute('**/api/sync/batch');
    await syncBar(page).getByRole('button', { name: 'Sync now' }).click();
    await syncBar(page).getByText('All synced').waitFor();
    await expect.poll(() => entry(page, 'Synced').count()).toBe(2);
    await expectNoBookFigures(page.locator('body'));

    await page.getByRole('button', { name: 'Finish location' }).click();
    await page.getByRole('button', { name: 'Yes, finish' }).click();
    await page.getByText('Location A-02 finished.').waitFor();
    expect(await lines(ids.binB)).toEqual([['WID-1', null, 13, true]]);
    expect(h.pageProblems).toEqual([]);
  });

  it('serves the barcode reader’s WebAssembly from our own origin, and the policy lets it compile', async () => {
    const wasm = fs.readdirSync(path.join(WEB_ROOT, 'assets')).find((name) => name.endsWith('.wasm'));
    expect(wasm).toBeDefined();
    const page = await h.newPage(PHONE);
    await page.goto('/');
    const result = await page.evaluate(async (url) => {
      const response = await fetch(url);
      const module = await WebAssembly.compile(await response.arrayBuffer());
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        exports: WebAssembly.Module.exports(module).length,
      };
    }, `/assets/${wasm}`);
    expect(result.status).toBe(200);
    expect(result.type).toContain('application/wasm');
    expect(result.exports).toBeGreaterThan(0);
    expect(h.pageProblems).toEqual([]);
  });
});
