import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { systemIds } from '../../server/src/platform/ids.ts';
import {
  ADMIN,
  browserSkipReason,
  type Harness,
  openSection,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
  type TestUser,
} from './harness.ts';

/**
 * The retention screen (a tab of Governance) in the browser: an admin edits a table's policy,
 * applies retention now and watches the run finish with its figures, then puts the table back on
 * the default; an auditor sees the same screen without the controls. The tests run in order on
 * one server.
 */

const AUDITOR: TestUser = {
  username: 'ada',
  display_name: 'Ada Auditor',
  password: 'Ledger-lines-balance-9',
};
const DESKTOP = { width: 1280, height: 900 };
const DAY = 86_400_000;

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: retention policies in the browser'), () => {
  let h: Harness;
  let admin: Page;
  const expired: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...AUDITOR, role: 'auditor' }, SYSTEM_CONTEXT);
    const now = h.app.clock.now().getTime();
    for (let i = 0; i < 3; i += 1) expired.push(systemIds.uuid());
    await h.app.database.db
      .insertInto('security_events')
      .values(
        expired.map((id, i) => ({
          id,
          timestamp: new Date(now - (40 + i) * DAY).toISOString(),
          event_type: 'LOGIN_FAILED' as never,
          severity: 'medium' as const,
          user_id: null,
          ip_address: '10.9.8.7',
          details: '{}',
          request_id: null,
        })),
      )
      .execute();
  });
  afterAll(async () => {
    await h?.close();
  });

  const row = (page: Page, table: string) =>
    page.getByRole('table', { name: 'Retention per table' }).getByRole('row').filter({ hasText: table });

  async function openRetention(page: Page): Promise<void> {
    await openSection(page, 'Governance');
    await page.getByRole('link', { name: 'Retention', exact: true }).click();
    await page.getByRole('heading', { name: 'Retention policies', level: 2 }).waitFor();
  }

  it('shows every retainable table with the retention that applies to it', async () => {
    admin = await h.newPage(DESKTOP);
    await signIn(admin, ADMIN);
    await openRetention(admin);
    const events = row(admin, 'security_events');
    await events.waitFor();
    expect(await shownText(events)).toContain('365 days');
    expect(await shownText(events)).toContain('Default');
    expect(await shownText(row(admin, 'count_sessions'))).toContain('legal hold');
    // The audit trail has a retention of its own: it is not offered here.
    expect(await row(admin, 'enterprise_audit_logs').count()).toBe(0);
  });

  it('edits a policy', async () => {
    await admin.getByRole('button', { name: 'Edit the retention of security_events' }).click();
    const form = admin.getByRole('region', { name: 'Set a retention policy' });
    expect(await form.getByLabel('Table').inputValue()).toBe('security_events');
    await form.getByLabel('Retention (days)').fill('30');
    await form.getByLabel('Description').fill('A month of security events');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await admin.getByText('Saved: security_events keeps rows 30 days.').waitFor();
    await row(admin, 'security_events').filter({ hasText: '30 days' }).waitFor();
    expect(await shownText(row(admin, 'security_events'))).toContain('Policy');
  });

  it('applies retention now, with the run and its figures shown', async () => {
    await admin.getByRole('button', { name: 'Apply now' }).click();
    await admin.getByText('Run succeeded.').waitFor();
    const runs = admin.getByRole('table', { name: 'Last retention runs' });
    await runs.getByText('security_events: 3 deleted, 3 archived').waitFor();
    expect(await shownText(runs.getByRole('row').nth(1))).toContain('Succeeded');
    const left = await h.app.database.db
      .selectFrom('security_events')
      .select('id')
      .where('id', 'in', expired)
      .execute();
    expect(left).toEqual([]);
    const archived = await h.app.database.db
      .selectFrom('data_archive')
      .select('record_id')
      .where('source', '=', 'security_events')
      .execute();
    expect(archived.map((r) => r.record_id).sort()).toEqual([...expired].sort());
  });

  it('puts a table back on the default retention', async () => {
    await admin.getByRole('button', { name: 'Remove the policy of security_events' }).click();
    await row(admin, 'security_events').filter({ hasText: 'Default' }).waitFor();
    expect(await shownText(row(admin, 'security_events'))).toContain('365 days');
  });

  it('shows an auditor the policies and runs without the controls', async () => {
    const auditor = await h.newPage(DESKTOP);
    await signIn(auditor, AUDITOR);
    await openRetention(auditor);
    await row(auditor, 'security_events').waitFor();
    await auditor.getByRole('table', { name: 'Last retention runs' }).waitFor();
    expect(await auditor.getByRole('button', { name: 'Apply now' }).count()).toBe(0);
    expect(await auditor.getByRole('button', { name: /^Edit the retention/ }).count()).toBe(0);
    expect(await auditor.getByRole('region', { name: 'Set a retention policy' }).count()).toBe(0);
    expect(h.pageProblems).toEqual([]);
  });
});
