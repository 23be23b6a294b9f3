import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, STRONG_PASSWORD } from '../../server/test/helpers/test-app.ts';
import { setBookQuantities } from './book-quantities.ts';
import {
  browserSkipReason,
  type Harness,
  openSection,
  RESULTS_DIR,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * One whole count through the screens (issue 6, point 15): a supervisor plans a standard session
 * with a quantity tolerance, assigns two counters and starts it; counter A counts bin A-01 online
 * with a keyboard-wedge scanner, counter B counts bin A-02 and loses the network part-way, keeps
 * scanning, syncs when it is back; the supervisor watches the counts arrive and submits; the line
 * outside tolerance is recounted by the other counter, the recounts are closed, the review queue
 * is worked (bulk, then line by line with reason codes), the session approved and posted; the
 * variance and adjustments CSVs are downloaded from the report and checked against what was
 * counted, and the server's lines at the end. The steps run in order on one server.
 *
 * The recount goes through the counter's screen too: counter A, who counted the line, is told a
 * recount is someone else's; counter B recounts it blind (no book on the screen nor in what the
 * screen reads).
 */

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 780 };
const SUPERVISOR = { username: 'sam', display_name: 'Test sam', password: STRONG_PASSWORD };
const COUNTER_A = { username: 'kim', display_name: 'Test kim', password: STRONG_PASSWORD };
const COUNTER_B = { username: 'lee', display_name: 'Test lee', password: STRONG_PASSWORD };
const SESSION_NAME = 'Week 48 full count';

/** The widget: a single unit and a case of 12, both valid EAN-13. */
const EAN_SINGLE = '4006381333931';
const EAN_CASE = '5901234123457';

/**
 * The book (stock levels at the start). The widget's book in A-01 is odd enough that finding it
 * on a counter's screen can only be a leak.
 */
const BOOK = {
  widgetA01: 137,
  gadgetA01: 8,
  boltA01: 50,
  widgetA02: 36,
  nutA02: 40,
  lampA02: 3,
};

/**
 * What the counters find, and what the session's tolerance (±2 units, auto-approve) makes of it:
 *   A-01 WID-1  10 cases + 9 = 129  −8  outside → recount; B recounts 129 → confirmed → review
 *   A-01 GAD-1  8                    0  auto-approved
 *   A-01 BOLT   49                  −1  auto-approved
 *   A-02 WID-1  3 cases = 36         0  three scans in one visit (not a double count) → auto-approved
 *   A-02 NUT    41                  +1  auto-approved
 *   A-02 LAMP   1                   −2  within ±2 but 67 % of the book (large_variance) → review
 */
const COUNTED = {
  widgetA01: 129,
  gadgetA01: 8,
  boltA01: 49,
  widgetA02: 36,
  nutA02: 41,
  lampA02: 1,
};

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: a whole count through the screens'), () => {
  let h: Harness;
  let supervisorToken = '';
  let supervisor: Page;
  let counterA: Page;
  let counterB: Page;
  let sessionId = '';
  const ids = { binA01: '', binA02: '', widget: '' };

  async function call(method: 'GET' | 'POST', url: string, token: string, payload?: Record<string, unknown>) {
    const response = await h.app.server.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.body ? response.json() : undefined;
  }

  beforeAll(async () => {
    h = await startHarness();
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    supervisorToken = (await h.app.userWithToken('supervisor', SUPERVISOR.username)).token;
    await h.app.userWithToken('staff', COUNTER_A.username);
    await h.app.userWithToken('staff', COUNTER_B.username);

    // Master data through the API, book quantities through the stock levels service (the ERP's feed).
    const post = async (url: string, payload: Record<string, unknown>) =>
      (await call('POST', url, supervisorToken, payload)).id as string;
    const warehouse = await post('/api/warehouses', { code: 'WH1', name: 'Main' });
    const zone = await post('/api/locations', { warehouse_id: warehouse, code: 'Z1', kind: 'zone' });
    const bin = (code: string) =>
      post('/api/locations', {
        warehouse_id: warehouse,
        parent_id: zone,
        code,
        kind: 'bin',
        name: `Bin ${code}`,
        barcode: `LOC-${code.replace('-', '')}`,
      });
    ids.binA01 = await bin('A-01');
    ids.binA02 = await bin('A-02');
    const item = (fields: Record<string, unknown>) => post('/api/items', { base_uom: 'EA', ...fields });
    ids.widget = await item({
      item_code: 'WID-1',
      name: 'Widget',
      unit_cost: '2.5',
      barcodes: [{ barcode: EAN_SINGLE }, { barcode: EAN_CASE, pack_qty: 12 }],
    });
    const gadget = await item({
      item_code: 'GAD-1',
      name: 'Gadget',
      unit_cost: '10',
      barcodes: [{ barcode: 'GAD-1' }],
    });
    const bolt = await item({
      item_code: 'BOLT',
      name: 'Bolt',
      unit_cost: '0.1',
      barcodes: [{ barcode: 'BOLT-1' }],
    });
    const nut = await item({
      item_code: 'NUT',
      name: 'Nut',
      unit_cost: '0.05',
      barcodes: [{ barcode: 'NUT-1' }],
    });
    const lamp = await item({
      item_code: 'LAMP',
      name: 'Lamp',
      unit_cost: '40',
      barcodes: [{ barcode: 'LAMP-1' }],
    });

    await setBookQuantities(h.app, [
      [ids.widget, ids.binA01, BOOK.widgetA01],
      [gadget, ids.binA01, BOOK.gadgetA01],
      [bolt, ids.binA01, BOOK.boltA01],
      [ids.widget, ids.binA02, BOOK.widgetA02],
      [nut, ids.binA02, BOOK.nutA02],
      [lamp, ids.binA02, BOOK.lampA02],
    ]);
  });

  // The server's clock is a manual one: keep it at the browser's time, which stamps the entries.
  beforeEach(() => {
    h.app.clock.set(new Date());
  });

  afterAll(async () => {
    await h?.close();
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(RESULTS_DIR, `whole-count-${name}.png`), fullPage: true });
  const statusBadge = (page: Page) => page.locator('.session-sub .badge').first();
  const openTab = (page: Page, label: string) =>
    page
      .getByRole('navigation', { name: 'Session views' })
      .getByRole('link', { name: label, exact: true })
      .click();
  const progressRegion = (page: Page) => page.getByRole('region', { name: 'Progress', exact: true });

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

  /** The quantity the next scan counts; Enter sends the focus back to the scan field. */
  async function perScan(page: Page, quantity: number) {
    const field = page.getByLabel('Quantity per scan', { exact: true });
    await field.fill(String(quantity));
    await field.press('Enter');
  }

  /** Signs a counter in on a phone and opens a location by scanning its label. */
  async function openLocation(page: Page, label: string, code: string) {
    await openSection(page, 'Count');
    await page.getByRole('region', { name: `Count ${SESSION_NAME}` }).waitFor();
    await page.getByLabel('Location label', { exact: true }).fill(label);
    await page.getByLabel('Location label', { exact: true }).press('Enter');
    await page.getByTestId('location-code').filter({ hasText: code }).waitFor();
    await page.getByText('Count everything you find here.').waitFor();
    await page.getByLabel('Item barcode', { exact: true }).waitFor();
  }

  async function finishLocation(page: Page, code: string) {
    await page.getByRole('button', { name: 'Finish location' }).click();
    await page.getByRole('button', { name: 'Yes, finish' }).click();
    await page.getByText(`Location ${code} finished.`).waitFor();
  }

  async function expectNoBookFigures(scope: Locator) {
    const text = await shownText(scope);
    expect(text).not.toContain(String(BOOK.widgetA01));
    expect(text).not.toMatch(/\bbook\b|variance|expected qty/i);
  }

  /** The session's lines, as [location, item, counted, status], sorted. */
  async function lines() {
    const page = await call('GET', `/api/count-sessions/${sessionId}/lines?limit=100`, supervisorToken);
    return (
      page.items as { location_code: string; item_code: string; counted_qty: number | null; status: string }[]
    )
      .map((line) => [line.location_code, line.item_code, line.counted_qty, line.status])
      .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
  }

  /** A CSV file (RFC 4180, as the server writes it) as objects keyed by the header. */
  function parseCsv(text: string): Record<string, string>[] {
    const records: string[][] = [];
    let record: string[] = [];
    let cell = '';
    let quoted = false;
    for (let index = 0; index < text.length; index += 1) {
      const char = text[index] as string;
      if (quoted) {
        if (char === '"' && text[index + 1] === '"') {
          cell += '"';
          index += 1;
        } else if (char === '"') quoted = false;
        else cell += char;
      } else if (char === '"') quoted = true;
      else if (char === ',') {
        record.push(cell);
        cell = '';
      } else if (char === '\n') {
        record.push(cell.replace(/\r$/, ''));
        records.push(record);
        record = [];
        cell = '';
      } else cell += char;
    }
    if (cell !== '' || record.length > 0) records.push([...record, cell]);
    const [header = [], ...rows] = records;
    return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
  }

  async function download(page: Page, linkName: string) {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: linkName, exact: true }).click(),
    ]);
    const saved = path.join(RESULTS_DIR, `whole-count-${file.suggestedFilename()}`);
    await file.saveAs(saved);
    return { name: file.suggestedFilename(), rows: parseCsv(fs.readFileSync(saved, 'utf8')) };
  }

  it('the supervisor plans a standard session with a ±2 tolerance, assigns two counters, starts it', async () => {
    supervisor = await h.newPage(DESKTOP);
    await signIn(supervisor, SUPERVISOR);
    await openSection(supervisor, 'Counting');
    await supervisor.getByRole('link', { name: 'Plan a session' }).click();
    await supervisor.getByRole('heading', { name: 'Plan a session', level: 1 }).waitFor();
    await supervisor.getByLabel('Name', { exact: true }).fill(SESSION_NAME);
    await supervisor.getByLabel('Warehouse', { exact: true }).selectOption({ label: 'WH1 · Main' });
    expect(await supervisor.getByLabel('Mode', { exact: true }).inputValue()).toBe('standard');
    // The whole warehouse; a variance of more than 2 units goes to a recount first.
    await supervisor.getByLabel('Quantity (units)').fill('2');
    expect(await supervisor.getByLabel('Auto-approve lines within tolerance').isChecked()).toBe(true);
    await supervisor.getByRole('button', { name: 'Create draft' }).click();
    await supervisor.getByRole('heading', { name: SESSION_NAME, level: 1 }).waitFor();
    sessionId = new URL(supervisor.url()).pathname.split('/')[2] ?? '';
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await shownText(statusBadge(supervisor))).toBe('Draft');

    // A counts A-01, B counts A-02; B is assigned to A-01 too, so that B can recount A's lines there.
    const assignments = supervisor.getByRole('region', { name: 'Counters and locations' });
    const table = assignments.getByRole('table', { name: 'Assignments' });
    const assign = async (
      code: string,
      counter: { username: string; display_name: string },
      rows: number,
    ) => {
      await assignments.getByLabel('Location', { exact: true }).fill(code);
      await assignments
        .getByRole('list', { name: 'Matching location' })
        .getByRole('button', { name: new RegExp(code) })
        .click();
      await assignments
        .getByLabel('Counter', { exact: true })
        .selectOption({ label: `${counter.display_name} (${counter.username})` });
      await assignments.getByRole('button', { name: 'Assign', exact: true }).click();
      await assignments.getByText('Counter assigned.').waitFor();
      await expect.poll(() => table.getByRole('row').count()).toBe(rows + 1);
    };
    await assign('A-01', COUNTER_A, 1);
    await assign('A-02', COUNTER_B, 2);
    await assign('A-01', COUNTER_B, 3);
    const assigned = (await table.getByRole('row').allInnerTexts())
      .slice(1)
      .map((row) => row.replace(/\s+/g, ' '));
    expect(assigned.sort()).toEqual([
      expect.stringMatching(/A-01 Bin A-01 Test kim \(kim\)/),
      expect.stringMatching(/A-01 Bin A-01 Test lee \(lee\)/),
      expect.stringMatching(/A-02 Bin A-02 Test lee \(lee\)/),
    ]);

    await supervisor.getByRole('button', { name: 'Start counting' }).click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('Counting');
    await supervisor
      .getByRole('region', { name: 'Plan' })
      .getByText(/quantity 2 \/ none/)
      .waitFor();

    await openTab(supervisor, 'Progress');
    await progressRegion(supervisor).getByText('0 of 6 lines counted').waitFor();
    await shot(supervisor, '1-started');
  });

  it('counter A counts A-01 online with the keyboard-wedge scanner and finishes it', async () => {
    counterA = await h.newPage(PHONE);
    await signIn(counterA, COUNTER_A);
    await openLocation(counterA, 'LOC-A01', 'A-01');

    await perScan(counterA, 10);
    await wedgeScan(counterA, EAN_CASE);
    await entry(counterA, '10 × case of 12 = 120 EA').waitFor();
    await perScan(counterA, 9);
    await wedgeScan(counterA, EAN_SINGLE);
    await entry(counterA, 'Widget')
      .filter({ has: counterA.getByText('9 EA', { exact: true }) })
      .waitFor();
    await perScan(counterA, COUNTED.gadgetA01);
    await wedgeScan(counterA, 'GAD-1');
    await entry(counterA, 'Gadget').waitFor();
    await perScan(counterA, COUNTED.boltA01);
    await wedgeScan(counterA, 'BOLT-1');
    await entry(counterA, 'Bolt').waitFor();
    await syncBar(counterA).getByText('All synced').waitFor();
    await expect.poll(() => entry(counterA, 'Synced').count()).toBe(4);
    expect(await entries(counterA).getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringMatching(/^Bolt · BOLT\s+49 EA\s+Synced/),
      expect.stringMatching(/^Gadget · GAD-1\s+8 EA\s+Synced/),
      expect.stringMatching(/^Widget · WID-1\s+9 EA\s+Synced/),
      expect.stringMatching(/^Widget · WID-1\s+10 × case of 12 = 120 EA\s+Synced/),
    ]);
    await shot(counterA, '2-counter-a');

    await finishLocation(counterA, 'A-01');

    // The supervisor's progress view picks the counts up (it reads again every 5 seconds).
    await progressRegion(supervisor).getByText('3 of 6 lines counted').waitFor({ timeout: 15_000 });
    const byLocation = supervisor.getByRole('table', { name: 'Progress by location' });
    await expect.poll(() => shownText(byLocation), { timeout: 15_000 }).toMatch(/A-01\s+3\s+3\s+−20\.10/);
    expect(h.pageProblems).toEqual([]);
  });

  it('counter B counts A-02, goes offline part-way, keeps scanning, syncs when back online, finishes', async () => {
    counterB = await h.newPage(PHONE);
    await signIn(counterB, COUNTER_B);
    await openLocation(counterB, 'LOC-A02', 'A-02');

    // Online: each scan reaches the server at once.
    await wedgeScan(counterB, 'LAMP-1');
    await entry(counterB, 'Lamp').filter({ hasText: 'Synced' }).waitFor();
    await perScan(counterB, COUNTED.nutA02);
    await wedgeScan(counterB, 'NUT-1');
    await entry(counterB, 'Nut').filter({ hasText: '41 EA' }).filter({ hasText: 'Synced' }).waitFor();
    await wedgeScan(counterB, EAN_CASE);
    await entry(counterB, '1 × case of 12 = 12 EA').filter({ hasText: 'Synced' }).waitFor();
    await syncBar(counterB).getByText('All synced').waitFor();

    // The network goes between racks: the scans still count, and wait on the device.
    await counterB.context().setOffline(true);
    await wedgeScan(counterB, EAN_CASE);
    await syncBar(counterB).getByText('1 waiting to sync').waitFor();
    await wedgeScan(counterB, EAN_CASE);
    await syncBar(counterB).getByText('2 waiting to sync').waitFor();
    await syncBar(counterB)
      .getByText(/^Offline/)
      .waitFor();
    await expect.poll(() => entry(counterB, 'Waiting to sync').count()).toBe(2);
    await shot(counterB, '3-counter-b-offline');
    // Nothing of it has reached the server yet.
    const widgetA02 = (await lines()).find(([location, item]) => location === 'A-02' && item === 'WID-1');
    expect(widgetA02?.[2]).toBe(12);

    // Back online: the outbox empties by itself.
    await counterB.context().setOffline(false);
    await syncBar(counterB).getByText('All synced').waitFor({ timeout: 25_000 });
    await expect.poll(() => entry(counterB, 'Synced').count()).toBe(5);
    await shot(counterB, '4-counter-b-synced');

    await finishLocation(counterB, 'A-02');
    expect(h.pageProblems).toEqual([]);
  });

  it('the supervisor sees every count on the progress view, then submits', async () => {
    const progress = progressRegion(supervisor);
    await progress.getByText('6 of 6 lines counted').waitFor({ timeout: 15_000 });
    const byLocation = supervisor.getByRole('table', { name: 'Progress by location' });
    // −8 × 2.50 − 1 × 0.10; A-02: +1 × 0.05 − 2 × 40.
    await expect
      .poll(() => shownText(byLocation), { timeout: 15_000 })
      .toMatch(/A-01\s+3\s+3\s+−20\.10\s+A-02\s+3\s+3\s+−79\.95/);
    await supervisor.getByText('No location is claimed now.').waitFor({ timeout: 15_000 });
    await shot(supervisor, '5-progress');

    await supervisor.getByRole('button', { name: 'Submit for review' }).click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('In review');
    expect(await lines()).toEqual([
      ['A-01', 'BOLT', COUNTED.boltA01, 'auto_approved'],
      ['A-01', 'GAD-1', COUNTED.gadgetA01, 'auto_approved'],
      // Sent to a recount: the first round's count is put aside for the second.
      ['A-01', 'WID-1', null, 'recount'],
      ['A-02', 'LAMP', COUNTED.lampA02, 'review'],
      ['A-02', 'NUT', COUNTED.nutA02, 'auto_approved'],
      ['A-02', 'WID-1', COUNTED.widgetA02, 'auto_approved'],
    ]);
  });

  it('counter A cannot recount a line A counted: the screen says a recount is someone else’s', async () => {
    // A is assigned to A-01, where A's widget line waits for a recount: /count offers it as one.
    await counterA.goto('/count');
    const session = counterA.getByRole('region', { name: `Count ${SESSION_NAME}` });
    const a01 = session.getByRole('link', { name: /^A-01/ });
    await a01.getByText('Recount: 1 item').waitFor();
    await a01.click();
    await counterA.getByTestId('location-code').filter({ hasText: 'A-01' }).waitFor();
    await counterA.getByRole('list', { name: 'Items to recount' }).getByText('WID-1').waitFor();
    await wedgeScan(counterA, EAN_SINGLE);
    const refused = entry(counterA, 'Widget').filter({ hasText: 'Not accepted' });
    await refused.getByText('You counted this line before: a recount must be done by someone else').waitFor();
    await refused.getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => entry(counterA, 'Not accepted').count()).toBe(0);
    await counterA.getByRole('link', { name: '← My assignments' }).click();
    await counterA.getByRole('region', { name: `Count ${SESSION_NAME}` }).waitFor();
    // Leaving releases A's claim, so that B can take the location.
    await expect
      .poll(async () => {
        const claims = await call('GET', `/api/count-sessions/${sessionId}/claims`, supervisorToken);
        return (claims.items as { expired: boolean }[]).filter((claim) => !claim.expired).length;
      })
      .toBe(0);
    expect(h.pageProblems).toEqual([]);
  });

  it('counter B recounts WID-1 in A-01 through the counter screen, blind, and is done', async () => {
    await counterB.goto('/count');
    const session = counterB.getByRole('region', { name: `Count ${SESSION_NAME}` });
    // Only A-01 waits for a recount; A-02's lines are in review, nothing to count there.
    const a01 = session.getByRole('link', { name: /^A-01/ });
    await a01.getByText('Recount: 1 item').waitFor();
    expect(await session.getByRole('link').count()).toBe(1);
    await shot(counterB, '6-recount-assignments');

    // What the screen reads of the lines to recount carries no book, variance or earlier round.
    const [recountLines] = await Promise.all([
      counterB.waitForResponse(
        (response) => /\/lines\?/.test(response.url()) && response.url().includes('status=recount'),
      ),
      a01.click(),
    ]);
    const read = (await recountLines.json()) as { items: Record<string, unknown>[] };
    expect(read.items.map((line) => [line.location_code, line.item_code])).toEqual([['A-01', 'WID-1']]);
    for (const field of ['book_qty', 'variance_qty', 'variance_value', 'rounds', 'current_book_qty']) {
      expect(read.items[0], field).not.toHaveProperty(field);
    }

    await counterB.getByTestId('location-code').filter({ hasText: 'A-01' }).waitFor();
    const toRecount = counterB.getByRole('list', { name: 'Items to recount' });
    expect((await shownText(toRecount)).replace(/\s+/g, ' ')).toBe('WID-1 Widget Not recounted yet');
    await expect.poll(() => counterB.getByRole('button', { name: 'Finish location' }).count()).toBe(0);

    // Each scan is on the list before the next quantity is set (a scan resets the quantity to 1).
    await perScan(counterB, 10);
    await wedgeScan(counterB, EAN_CASE);
    await entry(counterB, '10 × case of 12 = 120 EA').waitFor();
    await perScan(counterB, 9);
    await wedgeScan(counterB, EAN_SINGLE);
    await entry(counterB, 'Widget')
      .filter({ has: counterB.getByText('9 EA', { exact: true }) })
      .waitFor();
    await syncBar(counterB).getByText('All synced').waitFor();
    await expect.poll(() => entry(counterB, 'Synced').count()).toBe(2);
    await toRecount.getByText('Recount received').waitFor();

    // An item not ordered for a recount is still sent, and the server's answer shows on it.
    await wedgeScan(counterB, 'GAD-1');
    const refused = entry(counterB, 'Gadget').filter({ hasText: 'Not accepted' });
    await refused.getByText(/Not on the recount list/).waitFor();
    await refused.getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => entry(counterB, 'Not accepted').count()).toBe(0);

    await shot(counterB, '6-recount-blind');
    await expectNoBookFigures(counterB.locator('body'));

    await counterB.getByRole('button', { name: 'Done', exact: true }).click();
    await counterB.getByText('Recount at A-01 sent.').waitFor();
    const widget = (await lines()).find(([location, item]) => location === 'A-01' && item === 'WID-1');
    expect(widget).toEqual(['A-01', 'WID-1', COUNTED.widgetA01, 'recount']);
    expect(h.pageProblems).toEqual([]);
  });

  it('the supervisor closes the recounts, works the review queue with reason codes, approves and posts', async () => {
    await openTab(supervisor, 'Review');
    const recounts = supervisor.getByRole('region', { name: 'Recounts' });
    await recounts.getByRole('button', { name: 'Close recounts' }).click();
    await recounts.getByText('1 confirmed, 0 to review, 0 not recounted yet.').waitFor();

    const queue = supervisor.getByRole('table', { name: 'Count lines' });
    const row = (item: string, location: string) =>
      queue.getByRole('row').filter({ hasText: item }).filter({ hasText: location });
    // The confirmed recount is still outside tolerance: in review, both rounds shown.
    await row('WID-1', 'A-01').waitFor();
    expect(await queue.locator('tbody tr').count()).toBe(2);
    expect(await shownText(row('WID-1', 'A-01'))).toMatch(/R1\s+129\s+R2\s+129[\s\S]*−8/);
    expect(await shownText(row('LAMP', 'A-02'))).toMatch(/Large variance[\s\S]*3\s+1\s+−2/);
    // Every flag in words, none as its code.
    expect(await shownText(row('WID-1', 'A-01'))).toContain('Recount confirmed');
    expect(await shownText(queue)).not.toMatch(/\b[a-z]+_[a-z_]+\b/);
    // At 1280 px the decision column stays inside the table's card, and the card inside the page.
    const box = async (locator: Locator) => {
      const found = await locator.boundingBox();
      if (!found) throw new Error('not laid out');
      return { left: found.x, right: found.x + found.width };
    };
    const column = await box(supervisor.getByRole('main'));
    const card = await box(queue);
    expect(card.right).toBeLessThanOrEqual(column.right + 0.5);
    for (const cell of await queue.locator('td.line-actions').all()) {
      expect((await box(cell)).right).toBeLessThanOrEqual(card.right + 0.5);
    }
    const approveSession = supervisor.getByRole('button', { name: 'Approve session' });
    expect(await approveSession.isDisabled()).toBe(true);
    // While lines are pending the step says what is left, not that every line is decided.
    const steps = supervisor.getByRole('region', { name: 'Next step' });
    await steps.getByText(/2 lines are still pending/).waitFor();
    expect(await shownText(steps)).not.toContain('Every line is decided');
    await shot(supervisor, '7-review-queue');

    // Bulk approval is a bulk operation, for admins only by default: a supervisor is not offered it.
    expect(await supervisor.getByRole('form', { name: 'Approve in bulk' }).count()).toBe(0);

    // One by one, each with its reason code.
    const approve = async (item: string, location: string, reason: string) => {
      const name = `${item} at ${location}`;
      const button = supervisor.getByRole('button', { name: `Approve ${name}` });
      expect(await button.isDisabled()).toBe(true);
      await supervisor.getByLabel(`Reason for ${name}`).selectOption({ label: reason });
      await button.click();
      await expect.poll(() => row(item, location).count()).toBe(0);
    };
    await approve('WID-1', 'A-01', 'Theft or loss');
    await approve('LAMP', 'A-02', 'Damaged');
    await supervisor.getByText('No lines match these filters.').waitFor();

    await expect.poll(() => approveSession.isDisabled()).toBe(false);
    await steps
      .getByText('Every line is decided: approve the session so its adjustments can be posted.')
      .waitFor();
    await approveSession.click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('Approved');

    await supervisor.getByRole('button', { name: 'Post adjustments' }).click();
    const dialog = supervisor.getByRole('dialog', { name: 'Post the adjustments?' });
    await dialog.waitFor();
    await shot(supervisor, '8-post-confirm');
    await dialog.getByRole('button', { name: 'Post adjustments' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('Posted');
    expect(h.pageProblems).toEqual([]);
  });

  it('downloads the variance and adjustments CSVs from the report, and they hold what was counted', async () => {
    await openTab(supervisor, 'Report');
    const adjustments = supervisor.getByRole('table', { name: 'Adjustments' });
    await adjustments.waitFor();
    expect(await adjustments.locator('tbody tr').count()).toBe(4);
    await shot(supervisor, '9-report');

    const variance = await download(supervisor, 'Variance report (CSV)');
    expect(variance.name).toBe('Week-48-full-count-variance.csv');
    expect(
      variance.rows
        .map((r) => [
          r.location_code,
          r.item_code,
          r.book_qty,
          r.counted_qty,
          r.variance_qty,
          r.status,
          r.reason_code,
        ])
        .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
    ).toEqual([
      ['A-01', 'BOLT', '50', '49', '-1', 'auto_approved', ''],
      ['A-01', 'GAD-1', '8', '8', '0', 'auto_approved', ''],
      ['A-01', 'WID-1', '137', '129', '-8', 'approved', 'theft'],
      ['A-02', 'LAMP', '3', '1', '-2', 'approved', 'damaged'],
      ['A-02', 'NUT', '40', '41', '1', 'auto_approved', ''],
      ['A-02', 'WID-1', '36', '36', '0', 'auto_approved', ''],
    ]);
    expect(variance.rows.find((r) => r.location_code === 'A-01' && r.item_code === 'WID-1')).toMatchObject({
      round: '2',
      variance_value: '-20',
    });

    // One adjustment per approved line with a variance: four, none for the exact counts.
    const posted = await download(supervisor, 'Adjustments (CSV)');
    expect(posted.name).toBe('Week-48-full-count-adjustments.csv');
    expect(posted.rows).toHaveLength(4);
    expect(
      posted.rows
        .map((r) => [r.location_code, r.item_code, r.quantity, r.value, r.reason_code])
        .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
    ).toEqual([
      ['A-01', 'BOLT', '-1', '-0.1', ''],
      ['A-01', 'WID-1', '-8', '-20', 'theft'],
      ['A-02', 'LAMP', '-2', '-80', 'damaged'],
      ['A-02', 'NUT', '1', '0.05', ''],
    ]);
  });

  it('the server holds the counted quantities, and the session is posted', async () => {
    expect(await lines()).toEqual([
      ['A-01', 'BOLT', COUNTED.boltA01, 'auto_approved'],
      ['A-01', 'GAD-1', COUNTED.gadgetA01, 'auto_approved'],
      ['A-01', 'WID-1', COUNTED.widgetA01, 'approved'],
      ['A-02', 'LAMP', COUNTED.lampA02, 'approved'],
      ['A-02', 'NUT', COUNTED.nutA02, 'auto_approved'],
      ['A-02', 'WID-1', COUNTED.widgetA02, 'auto_approved'],
    ]);
    const session = await call('GET', `/api/count-sessions/${sessionId}`, supervisorToken);
    expect(session).toMatchObject({ name: SESSION_NAME, mode: 'standard', status: 'posted' });
    expect(h.pageProblems).toEqual([]);
  });
});
