import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { bearer } from '../../server/test/helpers/test-app.ts';
import {
  ADMIN,
  ADMIN_NAV,
  browserSkipReason,
  type Harness,
  navLabels,
  openSection,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * The feature flags screen in the browser: an admin creates a flag, edits its rollout and
 * targets, enables and disables it and deletes it; someone else cannot open the screen. The tests
 * run in order on one server.
 */

const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const DESKTOP = { width: 1280, height: 900 };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: feature flags in the browser'), () => {
  let h: Harness;
  let admin: Page;
  let apiToken = '';

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT);
    apiToken = await h.app.login(ADMIN.username, ADMIN.password);
  });
  afterAll(async () => {
    await h?.close();
  });

  const row = (page: Page, key: string) =>
    page.getByRole('table', { name: 'Feature flags' }).getByRole('row').filter({ hasText: key });
  /** The flag as the server has it, or null. */
  const stored = async (key: string) => {
    const response = await h.app.server.inject({
      method: 'GET',
      url: '/api/enterprise/features',
      headers: bearer(apiToken),
    });
    return (
      (
        response.json().items as {
          key: string;
          state: string;
          percentage: number | null;
          allowed_roles: string[];
        }[]
      ).find((flag) => flag.key === key) ?? null
    );
  };

  it('lists the default flags for an admin, with what is on for them', async () => {
    admin = await h.newPage(DESKTOP);
    await signIn(admin, ADMIN);
    expect(await navLabels(admin)).toEqual(ADMIN_NAV);
    await openSection(admin, 'Feature flags');
    for (const key of [
      'advanced_analytics',
      'bulk_operations',
      'data_governance',
      'enterprise_audit',
      'enterprise_security',
    ])
      await row(admin, key).waitFor();
    expect(await shownText(row(admin, 'bulk_operations'))).toContain('roles: admin');
    expect(await shownText(row(admin, 'advanced_analytics'))).toContain('Disabled');
    // Built-in flags can be switched off, never deleted.
    expect(
      await row(admin, 'bulk_operations').getByRole('button', { name: 'Delete bulk_operations' }).count(),
    ).toBe(0);
    // The user's enabled flags, as every screen's useFlag sees them.
    const mine = admin.getByTestId('flags-mine');
    await mine.getByText('bulk_operations').waitFor();
    expect(await shownText(mine)).not.toContain('advanced_analytics');
  });

  it('creates a flag and edits its percentage and targets', async () => {
    const form = admin.getByRole('region', { name: 'New flag' });
    await form.getByLabel('Key').fill('Bad Key');
    await form.getByRole('button', { name: 'Create flag' }).click();
    await form.getByText('must start with a lower-case letter').waitFor();

    await form.getByLabel('Key').fill('new_dashboard');
    await form.getByLabel('Name').fill('New dashboard');
    await form.getByLabel('Rollout percentage').fill('20');
    await form.getByRole('button', { name: 'Create flag' }).click();
    await form.getByRole('status').filter({ hasText: 'new_dashboard created.' }).waitFor();
    await row(admin, 'new_dashboard').getByText('20 % of users').waitFor();
    expect(await stored('new_dashboard')).toMatchObject({
      state: 'disabled',
      percentage: 20,
      allowed_roles: [],
    });

    await admin.getByRole('button', { name: 'Edit new_dashboard' }).click();
    const editor = admin.getByRole('region', { name: 'Edit new_dashboard' });
    await editor.getByLabel('Rollout percentage').fill('150');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByText('must be a whole number from 0 to 100').waitFor();
    await editor.getByLabel('Rollout percentage').fill('50');
    await editor.getByLabel('supervisor').check();
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await row(admin, 'new_dashboard').getByText('roles: supervisor · 50 % of users').waitFor();
    expect(await stored('new_dashboard')).toMatchObject({ percentage: 50, allowed_roles: ['supervisor'] });
    await editor.getByRole('button', { name: 'Close' }).click();
  });

  it('enables and disables a flag', async () => {
    await admin.getByRole('button', { name: 'Enable new_dashboard' }).click();
    await row(admin, 'new_dashboard').getByText('Enabled', { exact: true }).waitFor();
    expect((await stored('new_dashboard'))?.state).toBe('enabled');
    await admin.getByRole('button', { name: 'Disable new_dashboard' }).click();
    await row(admin, 'new_dashboard').getByText('Disabled', { exact: true }).waitFor();
    expect((await stored('new_dashboard'))?.state).toBe('disabled');
  });

  it('deletes a flag after a confirmation', async () => {
    await admin.getByRole('button', { name: 'Delete new_dashboard' }).click();
    await admin.getByRole('button', { name: 'Cancel' }).click();
    expect(await stored('new_dashboard')).not.toBeNull();
    await admin.getByRole('button', { name: 'Delete new_dashboard' }).click();
    await admin.getByRole('button', { name: 'Yes, delete new_dashboard' }).click();
    await admin.getByRole('status').filter({ hasText: 'new_dashboard deleted.' }).waitFor();
    expect(await row(admin, 'new_dashboard').count()).toBe(0);
    expect(await stored('new_dashboard')).toBeNull();
    expect(h.pageProblems).toEqual([]);
  });

  it('is not open to anyone but admins', async () => {
    const staff = await h.newPage();
    await signIn(staff, STAFF);
    expect(await navLabels(staff)).not.toContain('Feature flags');
    await staff.goto('/flags');
    await staff.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    expect(await staff.getByRole('table', { name: 'Feature flags' }).count()).toBe(0);
  });
});
