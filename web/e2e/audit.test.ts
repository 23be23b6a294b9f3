import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import {
  ADMIN,
  ADMIN_NAV,
  AUDITOR_NAV,
  browserSkipReason,
  type Harness,
  navLabels,
  openSection,
  RESULTS_DIR,
  shownText,
  signIn,
  signInWithPassword,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * The audit trail in the browser: the log and its filters, one entry with its proof, the integrity
 * check, the compliance report, and who may see any of it. The tests run in order on one server.
 */

const AUDITOR = { username: 'quinn', display_name: 'Quinn Auditor', password: 'Ledger-lines-never-lie-9' };
const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const DESKTOP = { width: 1280, height: 900 };

/** Today (0), yesterday (-1)…, as a date input holds it: the local YYYY-MM-DD. */
function localDate(offsetDays: number): string {
  const date = new Date();
  date.setDate(date.getDate() + offsetDays);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: the audit trail in the browser'), () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...AUDITOR, role: 'auditor' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  const log = (page: Page) => page.getByRole('table', { name: 'Audit log' });
  const panel = (page: Page) => page.locator('.split-panel');
  /** The log's rows as the user reads them, one line each. */
  const logRows = async (page: Page) =>
    (await log(page).locator('tbody tr').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
  /** The log's event type column. */
  const eventTypes = (page: Page) => log(page).locator('td[data-label="Event type"]').allInnerTexts();
  const rowOf = (page: Page, eventType: string) =>
    log(page)
      .locator('tbody tr')
      .filter({
        has: page.locator('td[data-label="Event type"]', { hasText: new RegExp(`^${eventType}$`) }),
      });
  const count = (scope: Locator, label: string) =>
    scope
      .locator('.count')
      .filter({ has: scope.page().locator('dt', { hasText: new RegExp(`^${label}$`) }) })
      .locator('dd');
  const openTab = async (page: Page, label: string) => {
    await page.getByRole('navigation', { name: 'Audit views' }).getByRole('link', { name: label }).click();
  };

  it('admin finds their sign-in and a failed one in the log, filters it, and opens an entry', async () => {
    const page = await h.newPage(DESKTOP);
    // A wrong password first: it is in the trail too.
    await signInWithPassword(page, ADMIN.username, 'Not-the-password-at-all-1');
    await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();
    await signIn(page, ADMIN);
    expect(await navLabels(page)).toEqual(ADMIN_NAV);

    await openSection(page, 'Audit');
    expect(page.url()).toBe(`${h.baseUrl}/audit`);
    await expect.poll(() => eventTypes(page)).toEqual(expect.arrayContaining(['LOGIN', 'LOGIN_FAILED']));
    // Newest first: the sign-in came after the failure.
    const types = await eventTypes(page);
    expect(types.indexOf('LOGIN')).toBeLessThan(types.indexOf('LOGIN_FAILED'));
    expect((await shownText(rowOf(page, 'LOGIN').first())).replace(/\s+/g, ' ')).toMatch(
      /LOGIN Info Success boss/,
    );

    // Only failed sign-ins.
    await page.getByLabel('Event type', { exact: true }).selectOption('LOGIN_FAILED');
    await expect.poll(() => eventTypes(page)).toEqual(['LOGIN_FAILED']);
    expect((await logRows(page))[0]).toMatch(/LOGIN_FAILED Medium Failure boss/);
    await page.getByText('Showing 1 entry (all)').waitFor();

    // A username with no entries: the list says so.
    await page.getByLabel('Username', { exact: true }).fill('nobody.here');
    await page.getByText('No entries match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    expect(await page.getByLabel('Event type', { exact: true }).inputValue()).toBe('');
    await expect.poll(() => eventTypes(page)).toEqual(expect.arrayContaining(['LOGIN', 'LOGIN_FAILED']));

    // By day (the browser's local days): nothing before today, everything today.
    await page.getByLabel('To', { exact: true }).fill(localDate(-1));
    await page.getByText('No entries match these filters.').waitFor();
    await page.getByLabel('From', { exact: true }).fill(localDate(0));
    await page.getByText('To must be on or after the From date').waitFor();
    await page.getByLabel('To', { exact: true }).fill(localDate(0));
    await expect.poll(() => eventTypes(page)).toEqual(expect.arrayContaining(['LOGIN', 'LOGIN_FAILED']));
    await page.getByRole('button', { name: 'Clear filters' }).click();

    // By category: security and system events are not sign-ins.
    await page.getByLabel('Category', { exact: true }).selectOption('authentication');
    await expect
      .poll(async () => [...new Set(await eventTypes(page))].sort())
      .toEqual(['LOGIN', 'LOGIN_FAILED']);

    // The failed sign-in, in full.
    await rowOf(page, 'LOGIN_FAILED').getByRole('link').click();
    const entry = panel(page);
    await entry.getByRole('heading', { name: 'LOGIN_FAILED', level: 2 }).waitFor();
    expect(page.url()).toMatch(/\/audit\/entries\/[^/]+$/);
    const event = entry.getByRole('region', { name: 'Event', exact: true });
    expect(await shownText(event)).toMatch(/Category\s+Authentication/);
    expect(await shownText(event)).toMatch(/Event type\s+LOGIN_FAILED/);
    expect(await shownText(entry.getByRole('region', { name: 'Actor', exact: true }))).toMatch(
      /Username\s+boss/,
    );
    expect(await shownText(entry.getByRole('region', { name: 'Personal data', exact: true }))).toContain(
      '"username": "boss"',
    );
    const chain = await shownText(entry.getByRole('region', { name: 'Hash chain', exact: true }));
    expect(chain).toMatch(/Algorithm\s+sha256/);
    expect(chain).toMatch(/Previous hash\s+\S+/);
    await entry.getByText('Not yet covered by a signed checkpoint.').waitFor();
    // The list stays beside the entry, with the row marked.
    expect(await rowOf(page, 'LOGIN_FAILED').getAttribute('class')).toContain('is-selected');

    // Once a signed checkpoint covers the entry, the entry shows the proof that it is in it.
    const checkpoint = await h.app.audit.checkpointer.checkpointNow();
    expect(checkpoint).not.toBeNull();
    await page.reload();
    const proof = panel(page).getByRole('region', { name: 'Proof of inclusion', exact: true });
    await proof.getByText(`Included in signed checkpoint #${checkpoint?.tree_size} — verified`).waitFor();
    expect(await shownText(proof)).toMatch(new RegExp(`Entries covered\\s+${checkpoint?.tree_size}`));
    expect(await shownText(proof)).toMatch(/Key ID\s+[0-9a-f]{16}/);
    expect(
      await proof
        .getByRole('list', { name: /^Audit path/ })
        .getByRole('listitem')
        .count(),
    ).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'audit-entry.png'), fullPage: true });

    await entry.getByRole('link', { name: 'Back to audit log' }).click();
    expect(page.url()).toBe(`${h.baseUrl}/audit`);
    expect(await panel(page).count()).toBe(0);
    expect(h.pageProblems).toEqual([]);
  });

  it('admin verifies the integrity of the trail: valid, with what was checked', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await openSection(page, 'Audit');
    await openTab(page, 'Integrity');
    await page.getByRole('heading', { name: 'Verify integrity', level: 2 }).waitFor();
    expect(page.url()).toBe(`${h.baseUrl}/audit/integrity`);

    await page.getByRole('button', { name: 'Verify integrity' }).click();
    const result = page.locator('.integrity');
    await result.waitFor();
    expect(await shownText(result.locator('.integrity-verdict'))).toMatch(/^✓\s*Valid:/);
    expect(Number(await shownText(count(result, 'Entries checked')))).toBeGreaterThanOrEqual(5);
    expect(await shownText(count(result, 'First sequence'))).toBe('1');
    expect(await result.getByRole('alert').count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'audit-integrity.png'), fullPage: true });
    expect(h.pageProblems).toEqual([]);
  });

  it('admin reads the compliance report: failed sign-ins, integrity, the CSV and the signing key', async () => {
    // The test clock stands still, and a report covers [now - days, now): let a second pass.
    h.app.clock.advance(1000);
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await page.goto('/audit/report');
    const report = page.getByRole('region', { name: 'Compliance report' });
    await count(report, 'Failed sign-ins').waitFor();

    expect(Number(await shownText(count(report, 'Failed sign-ins')))).toBeGreaterThanOrEqual(1);
    expect(Number(await shownText(count(report, 'Entries')))).toBeGreaterThanOrEqual(5);
    const byCategory = report.getByRole('table', { name: 'By category' });
    expect(await shownText(byCategory)).toMatch(/Authentication\s+[1-9]/);
    const byType = report.getByRole('table', { name: 'By event type' });
    expect(await shownText(byType)).toMatch(/LOGIN_FAILED\s+1/);
    expect(await shownText(report.locator('.integrity-verdict'))).toContain('Valid');

    const csv = report.getByRole('link', { name: 'Download CSV' });
    expect(await csv.getAttribute('href')).toBe('/api/enterprise/audit/compliance-report?days=30&format=csv');
    await report.getByLabel('Period', { exact: true }).selectOption({ label: 'Last 7 days' });
    await expect
      .poll(() => csv.getAttribute('href'))
      .toBe('/api/enterprise/audit/compliance-report?days=7&format=csv');
    // The link works with the session cookie alone.
    const download = await page.request.get(`${h.baseUrl}${await csv.getAttribute('href')}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-type']).toMatch(/^text\/csv/);
    expect(download.headers()['content-disposition']).toMatch(/attachment/);

    const key = page.getByRole('region', { name: 'Checkpoint signing key' });
    expect(await shownText(key)).toMatch(/Algorithm\s+Ed25519/);
    expect(await shownText(key.locator('pre'))).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'audit-report.png'), fullPage: true });
    expect(h.pageProblems).toEqual([]);
  });

  it('an auditor has the Audit section; staff have neither the link nor the page', async () => {
    const auditor = await h.newPage();
    await signIn(auditor, AUDITOR);
    expect(await navLabels(auditor)).toEqual(AUDITOR_NAV);
    await openSection(auditor, 'Audit');
    await expect.poll(() => eventTypes(auditor)).toContain('LOGIN');
    await auditor.screenshot({ path: path.join(RESULTS_DIR, 'audit-log-phone.png'), fullPage: true });

    const staff = await h.newPage();
    await signIn(staff, STAFF);
    expect(await navLabels(staff)).not.toContain('Audit');
    for (const address of ['/audit', '/audit/report']) {
      await staff.goto(address);
      await staff.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    }
    expect(await staff.getByRole('table').count()).toBe(0);
    expect(h.pageProblems).toEqual([]);
  });
});
