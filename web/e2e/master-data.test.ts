import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import {
  ADMIN,
  ADMIN_NAV,
  browserSkipReason,
  type Harness,
  navLabels,
  openSection,
  RESULTS_DIR,
  STAFF_NAV,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * Master data in the browser: warehouses and the location tree, items and barcodes, CSV imports
 * and the stock levels they load. The tests run in order on one server and build on each other.
 */

const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const DESKTOP = { width: 1280, height: 900 };

/** A valid EAN-13, stored by the server as 14 digits. */
const EAN = '4006381333931';

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: master data in the browser'), () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  const panel = (page: Page) => page.locator('.split-panel');
  const tree = (page: Page) => page.getByRole('list', { name: /^Locations in / });
  const treeRow = (page: Page, code: string) =>
    tree(page)
      .locator('.tree-row')
      .filter({ has: page.getByRole('link', { name: new RegExp(`^${code}\\b`) }) });
  const tableRow = (table: Locator, text: string) => table.getByRole('row').filter({ hasText: text });

  /** The imports screen: upload a CSV, then read the job view. */
  const importScreen = (page: Page) => {
    const job = page.locator('.job');
    return {
      job,
      async upload(kind: 'Items' | 'Stock levels', name: string, csv: string, options = { dryRun: false }) {
        await page.getByRole('heading', { name: 'Upload a file' }).waitFor();
        await page.getByLabel('What to import', { exact: true }).selectOption({ label: kind });
        await page.getByLabel('File', { exact: true }).setInputFiles({
          name,
          mimeType: 'text/csv',
          buffer: Buffer.from(csv, 'utf8'),
        });
        await page
          .getByLabel('Dry run: check the file, save nothing', { exact: true })
          .setChecked(options.dryRun);
        await page
          .getByRole('button', { name: options.dryRun ? 'Upload and check' : 'Upload and import' })
          .click();
        await page.getByRole('heading', { name, level: 2 }).waitFor();
      },
      count: (label: string) =>
        job
          .locator('.count')
          .filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
          .locator('dd'),
      waitForStatus: (status: string) =>
        job.getByRole('status').filter({ hasText: status }).waitFor({ timeout: 20_000 }),
    };
  };

  it('admin creates a warehouse and a zone → aisle → bin tree, edits and deactivates locations', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    expect(await navLabels(page)).toEqual(ADMIN_NAV);

    await openSection(page, 'Locations');
    await page.getByText('No warehouses yet.').waitFor();
    await page.getByRole('button', { name: 'New warehouse' }).click();
    const warehouseForm = page.getByRole('form', { name: 'New warehouse' });
    await warehouseForm.getByLabel('Warehouse code', { exact: true }).fill('MAIN');
    await warehouseForm.getByLabel('Warehouse name', { exact: true }).fill('Main warehouse');
    await warehouseForm.getByRole('button', { name: 'Create warehouse' }).click();
    await page.getByRole('heading', { name: 'Locations in MAIN' }).waitFor();
    expect(await page.getByLabel('Warehouse', { exact: true }).locator('option:checked').textContent()).toBe(
      'MAIN — Main warehouse',
    );
    await page.getByText('No locations yet.').waitFor();

    // A zone at the top; the kind is suggested from the level.
    await page.getByRole('link', { name: 'Add top-level location' }).click();
    await panel(page).getByRole('heading', { name: 'New location' }).waitFor();
    expect(await panel(page).getByLabel('Kind', { exact: true }).inputValue()).toBe('zone');
    await panel(page).getByLabel('Code', { exact: true }).fill('Z1');
    await panel(page).getByLabel('Name (optional)', { exact: true }).fill('Zone one');
    await panel(page).getByRole('button', { name: 'Create location' }).click();
    await panel(page).getByRole('heading', { name: 'Zone one' }).waitFor();
    await panel(page).getByText('Location Z1 created.').waitFor();
    await treeRow(page, 'Z1').waitFor();

    // An aisle inside the zone, then a bin inside the aisle.
    await panel(page).getByRole('link', { name: 'Add location inside' }).click();
    await panel(page).getByText('Inside Z1').waitFor();
    expect(await panel(page).getByLabel('Kind', { exact: true }).inputValue()).toBe('aisle');
    await panel(page).getByLabel('Code', { exact: true }).fill('A1');
    await panel(page).getByLabel('Name (optional)', { exact: true }).fill('Aisle one');
    await panel(page).getByRole('button', { name: 'Create location' }).click();
    await panel(page).getByRole('heading', { name: 'Aisle one' }).waitFor();

    await panel(page).getByRole('link', { name: 'Add location inside' }).click();
    await panel(page).getByText('Inside Z1 › A1').waitFor();
    await panel(page).getByLabel('Code', { exact: true }).fill('B1-01');
    await panel(page).getByLabel('Kind', { exact: true }).fill('bin');
    await panel(page).getByLabel('Barcode (optional)', { exact: true }).fill('LOC-B1-01');
    await panel(page).getByRole('button', { name: 'Create location' }).click();
    await panel(page).getByText('Location B1-01 created.').waitFor();
    const breadcrumb = panel(page).getByRole('navigation', { name: 'Breadcrumb' });
    expect(
      (await breadcrumb.getByRole('listitem').allInnerTexts()).map((text) => text.replace('›', '').trim()),
    ).toEqual(['MAIN', 'Z1', 'A1', 'B1-01']);

    // A second bin, which is then deactivated.
    await page.getByRole('button', { name: 'Locations in A1' }).waitFor();
    await treeRow(page, 'A1').getByRole('link').click();
    await panel(page).getByRole('heading', { name: 'Aisle one' }).waitFor();
    await panel(page).getByRole('link', { name: 'Add location inside' }).click();
    await panel(page).getByLabel('Code', { exact: true }).fill('B1-02');
    await panel(page).getByLabel('Kind', { exact: true }).fill('bin');
    await panel(page).getByRole('button', { name: 'Create location' }).click();
    await panel(page).getByText('Location B1-02 created.').waitFor();
    await panel(page).getByRole('button', { name: 'Deactivate location' }).click();
    await panel(page).getByRole('button', { name: 'Reactivate location' }).waitFor();
    await expect.poll(() => shownText(treeRow(page, 'B1-02'))).toMatch(/bin\s+Inactive/);

    // Rename the first bin from its panel.
    await treeRow(page, 'B1-01').getByRole('link').click();
    await panel(page).getByLabel('Name', { exact: true }).fill('Bin one');
    await panel(page).getByRole('button', { name: 'Save changes' }).click();
    await panel(page).getByText('Changes saved.').waitFor();
    await expect.poll(() => shownText(treeRow(page, 'B1-01'))).toMatch(/B1-01\s+Bin one\s+bin\s+LOC-B1-01/);
    expect(await page.getByRole('button', { name: 'Locations in Z1' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'locations-tree.png'), fullPage: true });

    // After a reload the tree is loaded level by level from the server: closed, then opened.
    await page.reload();
    await page.getByRole('heading', { name: 'Locations in MAIN' }).waitFor();
    await treeRow(page, 'Z1').waitFor();
    expect(await tree(page).locator('.tree-row').count()).toBe(1);
    await page.getByRole('button', { name: 'Locations in Z1' }).click();
    await page.getByRole('button', { name: 'Locations in A1' }).click();
    await expect
      .poll(() => tree(page).locator('.tree-code').allInnerTexts())
      .toEqual(['Z1', 'A1', 'B1-01', 'B1-02']);
    expect(h.pageProblems).toEqual([]);
  });

  it('admin creates an item with a barcode, finds it by barcode and by name, and edits its cost', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await openSection(page, 'Items');
    await page.getByText('No items match these filters.').waitFor();

    await page.getByRole('link', { name: 'New item' }).click();
    const form = panel(page);
    await form.getByRole('heading', { name: 'New item' }).waitFor();
    await form.getByLabel('Item code', { exact: true }).fill('SKU-1001');
    await form.getByLabel('Name', { exact: true }).fill('Blue Widget');
    await form.getByLabel('Category', { exact: true }).fill('Hardware');
    await form.getByLabel('Unit cost', { exact: true }).fill('12,50');
    await form.getByLabel('Barcode', { exact: true }).fill(EAN);
    await form.getByRole('button', { name: 'Create item' }).click();
    // A decimal comma is caught before anything is sent.
    await form.getByText('Unit cost must be a number like 12.50').waitFor();
    await form.getByLabel('Unit cost', { exact: true }).fill('12.50');
    await form.getByRole('button', { name: 'Create item' }).click();

    await panel(page).getByRole('heading', { name: 'Blue Widget' }).waitFor();
    await panel(page).getByText('Item SKU-1001 created.').waitFor();
    const barcodes = panel(page).getByRole('list', { name: 'Barcodes' });
    await expect.poll(() => shownText(barcodes)).toContain(`0${EAN}`);

    // A case barcode with a pack size; a wrong check digit is refused with the server's reason.
    await panel(page).getByLabel('New barcode', { exact: true }).fill('4006381333932');
    await panel(page).getByRole('button', { name: 'Add barcode' }).click();
    await panel(page)
      .getByText(/check digit/)
      .first()
      .waitFor();
    await panel(page).getByLabel('New barcode', { exact: true }).fill('CASE-1001');
    await panel(page).getByLabel('Pack size', { exact: true }).fill('12');
    await panel(page).getByRole('button', { name: 'Add barcode' }).click();
    await panel(page).getByText('Barcode CASE-1001 added.').waitFor();
    await expect.poll(() => shownText(barcodes)).toMatch(/CASE-1001\s+Pack of 12 EA/);
    await panel(page).getByRole('button', { name: 'Remove barcode CASE-1001' }).click();
    await panel(page).getByText('Barcode CASE-1001 removed.').waitFor();
    await expect.poll(() => shownText(barcodes)).not.toContain('CASE-1001');

    // Another item, straight through the API, so that searching has something to leave out.
    const token = await h.app.login(ADMIN.username, ADMIN.password);
    const created = await h.app.server.inject({
      method: 'POST',
      url: '/api/items',
      headers: { authorization: `Bearer ${token}` },
      payload: { item_code: 'SKU-2002', name: 'Red Gadget', base_uom: 'EA', unit_cost: 3 },
    });
    expect(created.statusCode).toBe(201);
    await page.reload();
    await panel(page).getByRole('heading', { name: 'Blue Widget' }).waitFor();

    const items = page.getByRole('table', { name: 'Items' });
    const codes = items.locator('tbody th');
    await expect.poll(() => codes.allInnerTexts()).toEqual(['SKU-1001', 'SKU-2002']);
    await page.getByLabel('Search items', { exact: true }).fill(EAN);
    await expect.poll(() => codes.allInnerTexts()).toEqual(['SKU-1001']);
    await page.getByLabel('Search items', { exact: true }).fill('gadget');
    await expect.poll(() => codes.allInnerTexts()).toEqual(['SKU-2002']);
    await page.getByLabel('Search items', { exact: true }).fill('widget');
    await expect.poll(() => codes.allInnerTexts()).toEqual(['SKU-1001']);

    await panel(page).getByLabel('Unit cost', { exact: true }).fill('13.75');
    await panel(page).getByRole('button', { name: 'Save changes' }).click();
    await panel(page).getByText('Changes saved.').waitFor();
    await expect.poll(() => shownText(tableRow(items, 'SKU-1001'))).toContain('13.75');
    const stored = await h.app.server.inject({
      method: 'GET',
      url: '/api/items?q=SKU-1001',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stored.json().items[0]).toMatchObject({ unit_cost: 13.75, category: 'Hardware' });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'items-desktop.png'), fullPage: true });
    expect(h.pageProblems).toEqual([]);
  });

  it('admin imports items (a bad row fails the job, the fixed file succeeds) and stock levels', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await openSection(page, 'Imports');
    await page.getByText('No imports yet.').waitFor();

    const { upload, job, count, waitForStatus } = importScreen(page);

    const header = 'item_code,name,category,base_uom,unit_cost,barcode\n';
    const good = 'SKU-3001,Green Bolt,Hardware,EA,0.25,5012345678900\n';
    const last = 'SKU-3003,Copper Pipe,Plumbing,M,4.5,CP-3003*12\n';
    await upload(
      'Items',
      'items-bad.csv',
      `${header}${good}SKU-3002,Steel Nut,Hardware,EA,0.10,5012345678901\n${last}`,
    );
    await waitForStatus('Failed');
    expect(await shownText(count('Rejected'))).toBe('1');
    const rejected = page.getByRole('table', { name: 'Rejected rows' });
    await expect.poll(() => rejected.locator('tbody tr').count()).toBe(1);
    const [row, column, reason] = await rejected
      .locator('tbody tr')
      .first()
      .locator('th, td')
      .allInnerTexts();
    expect(row).toBe('3');
    expect(column).toBe('barcode');
    expect(reason).toMatch(/check digit/);
    expect(await job.getByRole('progressbar', { name: 'Import progress' }).count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'import-job-failed.png'), fullPage: true });

    // Nothing from the failed file was saved.
    const token = await h.app.login(ADMIN.username, ADMIN.password);
    const auth = { authorization: `Bearer ${token}` };
    const items = await h.app.server.inject({ method: 'GET', url: '/api/items?q=SKU-3', headers: auth });
    expect(items.json().items).toEqual([]);

    await page.getByRole('link', { name: 'New upload' }).click();
    await upload(
      'Items',
      'items-fixed.csv',
      `${header}${good}SKU-3002,Steel Nut,Hardware,EA,0.10,8712345678906\n${last}`,
    );
    await waitForStatus('Succeeded');
    expect(await shownText(count('Rows'))).toBe('3');
    expect(await shownText(count('Inserted'))).toBe('3');
    expect(await shownText(count('Rejected'))).toBe('0');
    await job.getByText('3 of 3 rows processed').waitFor();
    expect(await page.getByRole('table', { name: 'Rejected rows' }).count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'import-job.png'), fullPage: true });

    // Both jobs are listed, newest first.
    const recent = page.getByRole('table', { name: 'Recent imports' });
    await expect
      .poll(async () =>
        (await recent.locator('tbody tr').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ')),
      )
      .toEqual([
        expect.stringMatching(/^items-fixed\.csv Items Succeeded 3 0/),
        expect.stringMatching(/^items-bad\.csv Items Failed 3 1/),
      ]);

    // Stock levels: a dry run first, which saves nothing, then the real import.
    const stockCsv =
      'item_code,warehouse_code,location_code,lot,quantity,as_of\n' +
      'SKU-3001,MAIN,B1-01,,120,2024-06-30T18:00:00Z\n' +
      'SKU-3003,MAIN,B1-01,,7.5,2024-06-30T18:00:00Z\n' +
      'SKU-1001,MAIN,A1,,3,2024-06-30T18:00:00Z\n';
    await page.getByRole('link', { name: 'New upload' }).click();
    await upload('Stock levels', 'stock-check.csv', stockCsv, { dryRun: true });
    await waitForStatus('Succeeded');
    expect(await shownText(count('Inserted'))).toBe('3');
    await job.getByText('Dry run passed: nothing was saved.').waitFor();
    const none = await h.app.server.inject({ method: 'GET', url: '/api/stock-levels', headers: auth });
    expect(none.json().items).toEqual([]);

    await page.getByRole('link', { name: 'New upload' }).click();
    await upload('Stock levels', 'stock.csv', stockCsv);
    await waitForStatus('Succeeded');
    expect(await shownText(count('Inserted'))).toBe('3');
    await job.getByText('Import finished: the data is saved.').waitFor();

    await openSection(page, 'Stock levels');
    const levels = page.getByRole('table', { name: 'Stock levels' });
    const levelRows = async () =>
      (await levels.locator('tbody tr').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
    await expect.poll(async () => (await levelRows()).length).toBe(3);
    expect((await levelRows()).sort()).toEqual([
      expect.stringMatching(/^SKU-1001 Blue Widget MAIN A1 — 3 /),
      expect.stringMatching(/^SKU-3001 Green Bolt MAIN B1-01 — 120 /),
      expect.stringMatching(/^SKU-3003 Copper Pipe MAIN B1-01 — 7\.5 /),
    ]);

    // Narrow by item, then by location instead.
    await page.getByLabel('Item', { exact: true }).fill('copper');
    await page
      .getByRole('list', { name: 'Matching item' })
      .getByRole('button', { name: /SKU-3003/ })
      .click();
    await expect.poll(levelRows).toEqual([expect.stringMatching(/^SKU-3003 Copper Pipe MAIN B1-01 — 7\.5 /)]);
    await page.getByRole('button', { name: 'Clear item' }).click();
    await page.getByLabel('Warehouse', { exact: true }).selectOption({ label: 'MAIN — Main warehouse' });
    await page.getByLabel('Location', { exact: true }).fill('A1');
    await page.getByRole('list', { name: 'Matching location' }).getByRole('button', { name: /A1/ }).click();
    await expect.poll(levelRows).toEqual([expect.stringMatching(/^SKU-1001 Blue Widget MAIN A1 — 3 /)]);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'stock-levels.png'), fullPage: true });
    expect(h.pageProblems).toEqual([]);
  });

  it('a file with many bad rows lists every rejected row, a hundred at a time', async () => {
    const page = await h.newPage();
    await signIn(page, ADMIN);
    await page.goto('/imports');
    const { upload, count, waitForStatus, job } = importScreen(page);
    let csv = 'item_code,name,base_uom,unit_cost\n';
    for (let i = 1; i <= 120; i += 1) csv += `BAD-${i},Bad ${i},EA,twelve\n`;
    await upload('Items', 'many-bad.csv', csv, { dryRun: true });
    await waitForStatus('Failed');
    expect(await shownText(count('Rejected'))).toBe('120');
    await job.getByRole('alert').filter({ hasText: '120 rows rejected' }).waitFor();
    expect(await job.getByText('Dry run passed').count()).toBe(0);

    const rows = page.getByRole('table', { name: 'Rejected rows' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(100);
    expect(await rows.first().locator('th, td').allInnerTexts()).toEqual([
      '2',
      'unit_cost',
      expect.stringMatching(/is not a number/),
    ]);
    await page.getByRole('button', { name: 'Load more' }).click();
    await job.getByText('Showing 120 rejected rows (all)').waitFor();
    expect(await rows.last().locator('th').textContent()).toBe('121');
    await page.getByRole('heading', { name: 'many-bad.csv' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'import-job-phone.png') });
    expect(h.pageProblems).toEqual([]);
  });

  it('staff see items and locations read-only, and have no stock levels or imports', async () => {
    const page = await h.newPage();
    await signIn(page, STAFF);
    expect(await navLabels(page)).toEqual(STAFF_NAV);

    await openSection(page, 'Items');
    expect(await page.getByRole('link', { name: 'New item' }).count()).toBe(0);
    await page.getByRole('link', { name: 'SKU-1001', exact: true }).click();
    const detail = panel(page);
    await detail.getByRole('heading', { name: 'Blue Widget' }).waitFor();
    expect(await shownText(detail.locator('.details'))).toMatch(/Unit cost\s+13\.75/);
    await expect.poll(() => shownText(detail.getByRole('list', { name: 'Barcodes' }))).toContain(`0${EAN}`);
    expect(await detail.getByRole('textbox').count()).toBe(0);
    expect(await detail.getByRole('button').count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'items-staff-phone.png'), fullPage: true });

    await detail.getByRole('link', { name: 'Back to items' }).click();
    await openSection(page, 'Locations');
    await page.getByRole('heading', { name: 'Locations in MAIN' }).waitFor();
    expect(await page.getByRole('button', { name: 'New warehouse' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Add top-level location' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Locations in Z1' }).click();
    await page.getByRole('button', { name: 'Locations in A1' }).click();
    await treeRow(page, 'B1-02').waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'locations-staff-phone.png'), fullPage: true });
    await treeRow(page, 'Z1').getByRole('link').click();
    await panel(page).getByRole('heading', { name: 'Zone one' }).waitFor();
    expect(await panel(page).getByRole('button').count()).toBe(0);
    expect(await panel(page).getByRole('link', { name: 'Add location inside' }).count()).toBe(0);

    for (const address of ['/imports', '/stock-levels']) {
      await page.goto(address);
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    }
    expect(h.pageProblems).toEqual([]);
  });
});
