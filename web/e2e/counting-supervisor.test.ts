import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CountingFixture,
  countingFixture,
} from '../../server/src/modules/counting/sessions/sessions-test-support.ts';
import { STRONG_PASSWORD } from '../../server/test/helpers/test-app.ts';
import {
  browserSkipReason,
  type Harness,
  navLabels,
  openSection,
  RESULTS_DIR,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * The supervisor's counting screens in the browser: plan a session, assign a counter, start it,
 * watch the count arrive, submit, work the review queue, approve, post, export; an auditor reads
 * the same session without a single button that changes it; staff cannot open the section.
 * The tests run in order on one server and build on each other.
 */

const DESKTOP = { width: 1280, height: 900 };
/** The fixture's people (sessions-test-support.ts), who sign in with the test password. */
const SUPERVISOR = { username: 'sam', display_name: 'Test sam', password: STRONG_PASSWORD };
const AUDITOR = { username: 'aud', display_name: 'Test aud', password: STRONG_PASSWORD };
const STAFF = { username: 'kim', display_name: 'Test kim', password: STRONG_PASSWORD };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: the supervisor counts in the browser'), () => {
  let h: Harness;
  let f: CountingFixture;
  let supervisor: Page;
  let sessionId = '';

  beforeAll(async () => {
    h = await startHarness();
    f = await countingFixture(h.app);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  const openTab = (page: Page, label: string) =>
    page
      .getByRole('navigation', { name: 'Session views' })
      .getByRole('link', { name: label, exact: true })
      .click();
  const statusBadge = (page: Page) => page.locator('.session-sub .badge').first();

  it('a supervisor plans a session: warehouse, a location subtree, a category, strict mode', async () => {
    supervisor = await h.newPage(DESKTOP);
    await signIn(supervisor, SUPERVISOR);
    expect(await navLabels(supervisor)).toContain('Counting');
    await openSection(supervisor, 'Counting');
    await supervisor.getByRole('link', { name: 'Plan a session' }).click();
    await supervisor.getByRole('heading', { name: 'Plan a session', level: 1 }).waitFor();
    await supervisor.getByLabel('Name', { exact: true }).fill('Aisle A tools');
    await supervisor.getByLabel('Warehouse', { exact: true }).selectOption({ label: 'WH1 · One' });
    await supervisor.getByLabel('Mode', { exact: true }).selectOption('strict');
    await supervisor.getByLabel('Add a location (with everything under it)').fill('A01');
    await supervisor
      .getByRole('list', { name: 'Matching add a location (with everything under it)' })
      .getByRole('button', { name: /A01/ })
      .click();
    await supervisor.getByRole('list', { name: 'Locations in scope' }).getByText('Z1 › A01').waitFor();
    await supervisor.getByLabel('Add a category').fill('tools');
    await supervisor.getByRole('button', { name: 'Add category' }).click();
    await supervisor.getByLabel('Quantity (units)').fill('abc');
    await supervisor.getByRole('button', { name: 'Create draft' }).click();
    // Checked before sending: nothing is created with a malformed tolerance.
    await supervisor.getByText('Quantity (units) must be a number like 12.50').waitFor();
    await supervisor.getByLabel('Quantity (units)').fill('');
    await supervisor.getByRole('button', { name: 'Create draft' }).click();

    await supervisor.getByRole('heading', { name: 'Aisle A tools', level: 1 }).waitFor();
    sessionId = new URL(supervisor.url()).pathname.split('/')[2] ?? '';
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await shownText(statusBadge(supervisor))).toBe('Draft');

    const saved = await f.call('GET', `/api/count-sessions/${sessionId}`, f.users.admin.token);
    expect(saved.json()).toMatchObject({
      name: 'Aisle A tools',
      warehouse_id: f.wh1,
      mode: 'strict',
      status: 'draft',
      scope: { location_ids: [f.locations.a01], categories: ['tools'], item_ids: [] },
    });
  });

  it('assigns a counter to the subtree and starts the count', async () => {
    const assignments = supervisor.getByRole('region', { name: 'Counters and locations' });
    await assignments.getByLabel('Location', { exact: true }).fill('A01');
    await assignments
      .getByRole('list', { name: 'Matching location' })
      .getByRole('button', { name: /A01/ })
      .click();
    await assignments.getByLabel('Counter', { exact: true }).selectOption({ label: 'Test kim (kim)' });
    await assignments.getByRole('button', { name: 'Assign', exact: true }).click();
    await assignments.getByText('Counter assigned.').waitFor();
    await assignments.getByRole('table', { name: 'Assignments' }).getByText('Test kim').waitFor();

    await supervisor.getByRole('button', { name: 'Start counting' }).click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('Counting');
    // No more planning once counting: the plan is shown, not edited.
    await supervisor.getByRole('region', { name: 'Plan' }).waitFor();
    expect(await supervisor.getByRole('button', { name: 'Save plan' }).count()).toBe(0);
  });

  it('sees the counter’s entries arrive on the progress view, then submits', async () => {
    await openTab(supervisor, 'Progress');
    const progress = supervisor.getByRole('region', { name: 'Progress', exact: true });
    await progress.getByText('0 of 2 lines counted').waitFor();

    // The counter counts through the API (the counter's own screens have their own tests).
    const enter = async (locationId: string, quantity: number) => {
      const response = await f.call('POST', `/api/count-sessions/${sessionId}/entries`, f.users.staff.token, {
        client_id: randomUUID(),
        location_id: locationId,
        item_id: f.items.hammer,
        quantity,
      });
      expect(response.statusCode, response.body).toBe(201);
    };
    await enter(f.locations.b1, 8);
    await enter(f.locations.b2, 5);

    // Polled every 5 seconds.
    await progress.getByText('2 of 2 lines counted').waitFor({ timeout: 15_000 });
    const byLocation = supervisor.getByRole('table', { name: 'Progress by location' });
    await expect.poll(() => shownText(byLocation), { timeout: 15_000 }).toMatch(/B1\s+1\s+1\s+−5\.00/);
    await supervisor.screenshot({ path: path.join(RESULTS_DIR, 'counting-progress.png'), fullPage: true });

    await supervisor.getByRole('button', { name: 'Submit for review' }).click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('In review');
  });

  it('works the review queue: approval waits for the pending line, which is approved with a reason', async () => {
    await openTab(supervisor, 'Review');
    const queue = supervisor.getByRole('table', { name: 'Count lines' });
    const row = queue.getByRole('row').filter({ hasText: 'HAMMER' });
    await row.first().waitFor();
    // Strict mode: the only variance is in review; the exact count was approved automatically.
    expect(await row.count()).toBe(1);
    expect(await shownText(row)).toMatch(/B1/);
    expect(await shownText(row)).toMatch(/−2/);

    const approveSession = supervisor.getByRole('button', { name: 'Approve session' });
    expect(await approveSession.isDisabled()).toBe(true);
    await supervisor.getByText('1 line is still pending').waitFor();

    // A non-zero variance needs a reason before it can be approved.
    const approveLine = supervisor.getByRole('button', { name: 'Approve HAMMER at B1' });
    expect(await approveLine.isDisabled()).toBe(true);
    await supervisor.getByLabel('Reason for HAMMER at B1').selectOption({ label: 'Damaged' });
    await approveLine.click();
    await supervisor.getByText('No lines match these filters.').waitFor();

    await expect.poll(() => approveSession.isDisabled()).toBe(false);
    await approveSession.click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('Approved');

    const lines = await f.call('GET', `/api/count-sessions/${sessionId}/lines`, f.users.admin.token);
    const decided = (lines.json() as { items: { location_code: string; status: string }[] }).items;
    expect(decided.map((line) => [line.location_code, line.status]).sort()).toEqual([
      ['B1', 'approved'],
      ['B2', 'auto_approved'],
    ]);
  });

  it('posts after confirming, then downloads the variance CSV', async () => {
    await supervisor.getByRole('button', { name: 'Post adjustments' }).click();
    const dialog = supervisor.getByRole('dialog', { name: 'Post the adjustments?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Go back' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await shownText(statusBadge(supervisor))).toBe('Approved');

    await supervisor.getByRole('button', { name: 'Post adjustments' }).click();
    await dialog.getByRole('button', { name: 'Post adjustments' }).click();
    await expect.poll(() => shownText(statusBadge(supervisor))).toBe('Posted');
    // Nothing left to do with a posted session.
    expect(await supervisor.getByRole('button', { name: 'Cancel session' }).count()).toBe(0);

    await openTab(supervisor, 'Report');
    // Charts are advanced analytics, off by default: the report says so, until an admin turns it on.
    await supervisor
      .getByText(/advanced analytics, which is off for you/)
      .first()
      .waitFor();
    expect(await supervisor.getByRole('img', { name: /Value variance by reason code/ }).count()).toBe(0);
    const enabled = await f.call(
      'POST',
      '/api/enterprise/features/advanced_analytics/enable',
      f.users.admin.token,
    );
    expect(enabled.statusCode, enabled.body).toBe(200);
    await supervisor.reload();
    const chart = supervisor.getByRole('img', { name: /Value variance by reason code/ });
    await chart.waitFor();
    // One loss, drawn left of the axis.
    expect(await chart.locator('rect.chart-bar-minus').count()).toBe(1);
    expect(await chart.locator('rect.chart-bar-plus').count()).toBe(0);
    expect(await shownText(supervisor.getByRole('table', { name: 'Variance by reason' }))).toMatch(
      /Damaged\s+1/,
    );
    const adjustments = supervisor.getByRole('table', { name: 'Adjustments' });
    await adjustments.waitFor();
    expect(await shownText(adjustments)).toMatch(/HAMMER\s+B1/);
    await supervisor.screenshot({ path: path.join(RESULTS_DIR, 'counting-report.png'), fullPage: true });

    const [download] = await Promise.all([
      supervisor.waitForEvent('download'),
      supervisor.getByRole('link', { name: 'Variance report (CSV)' }).click(),
    ]);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv).toMatch(/HAMMER/);
    expect(csv.split(/\r?\n/).filter((line) => line.includes('HAMMER'))).toHaveLength(2);
  });

  it('reads the period reports: accuracy with its chart by location, shrinkage, productivity', async () => {
    await supervisor.goto('/counting');
    await supervisor.getByRole('link', { name: 'Reports' }).click();
    await supervisor.getByRole('heading', { name: 'Counting reports', level: 1 }).waitFor();
    const accuracy = supervisor.getByRole('region', { name: 'Inventory record accuracy' });
    await accuracy.getByRole('img', { name: 'Hit rate within tolerance by location' }).waitFor();
    // B1 missed (−2 in strict mode), B2 was exact: one hit of two.
    expect(await shownText(accuracy)).toMatch(/Hit rate\s+50\.0 %/);
    const shrinkage = supervisor.getByRole('region', { name: 'Shrinkage' });
    await expect.poll(() => shownText(shrinkage)).toMatch(/Shrinkage value\s+5\.00/);
    const productivity = supervisor.getByRole('region', { name: 'Counter productivity' });
    await expect.poll(() => shownText(productivity)).toMatch(/kim/);
  });

  it('an auditor reads the session, its queue and its report, with nothing to press', async () => {
    const auditor = await h.newPage(DESKTOP);
    await signIn(auditor, AUDITOR);
    await openSection(auditor, 'Counting');
    await auditor
      .getByRole('table', { name: 'Count sessions' })
      .getByRole('link', { name: 'Aisle A tools' })
      .click();
    await auditor.getByRole('heading', { name: 'Aisle A tools', level: 1 }).waitFor();
    expect(await auditor.getByRole('link', { name: 'Plan a session' }).count()).toBe(0);
    await auditor.getByText('Read-only').waitFor();
    await auditor.getByRole('table', { name: 'Assignments' }).getByText('Test kim').waitFor();

    await openTab(auditor, 'Review');
    await auditor
      .getByRole('table', { name: 'Count lines' })
      .getByRole('row')
      .filter({ hasText: 'HAMMER' })
      .first()
      .waitFor();
    await openTab(auditor, 'Report');
    await auditor.getByRole('table', { name: 'Adjustments' }).waitFor();
    // Not one button that changes anything, on any of the session's views.
    for (const tab of ['Plan', 'Progress', 'Review', 'Report']) {
      await openTab(auditor, tab);
      await auditor.waitForLoadState('networkidle');
      const buttons = (await auditor.locator('main button').allInnerTexts()).map((text) => text.trim());
      expect(
        buttons.filter((text) => !['Load more', 'Clear'].includes(text)),
        tab,
      ).toEqual([]);
    }
  });

  it('staff cannot open Counting', async () => {
    const staff = await h.newPage();
    await signIn(staff, STAFF);
    expect(await navLabels(staff)).not.toContain('Counting');
    await staff.goto(`/counting/${sessionId}`);
    await staff.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    expect(h.pageProblems).toEqual([]);
  });
});
