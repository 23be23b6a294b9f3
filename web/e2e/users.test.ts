import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
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
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

const DESKTOP = { width: 1280, height: 860 };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: user administration in the browser'), () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
  });

  afterAll(async () => {
    await h?.close();
  });

  const panel = (page: Page) =>
    page.getByRole('region', { name: /./ }).filter({ has: page.locator('.panel-head') });
  const usersTable = (page: Page) => page.getByRole('table', { name: 'Users' });
  const rowFor = (page: Page, username: string) =>
    usersTable(page)
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: username, exact: true }) });

  it('admin creates a staff user with a PIN, promotes them, deactivates them and signs out', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);

    // Signed in: the header says who and what role; the nav has the admin-only entry.
    const banner = page.getByRole('banner');
    expect(await shownText(banner)).toContain(ADMIN.display_name);
    expect(await shownText(banner)).toContain('Admin');
    expect(await navLabels(page)).toEqual(ADMIN_NAV);
    expect(await page.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('/docs');

    await openSection(page, 'Users');
    expect(page.url()).toBe(`${h.baseUrl}/users`);
    await rowFor(page, ADMIN.username).waitFor();

    // The server's password policy is shown next to the field.
    await page.getByRole('link', { name: 'New user' }).click();
    const form = panel(page);
    await form.getByRole('heading', { name: 'New user' }).waitFor();
    await form.getByLabel('Username', { exact: true }).fill('sam.picker');
    await form.getByLabel('Display name', { exact: true }).fill('Sam Picker');
    await form.getByLabel('Role', { exact: true }).selectOption('staff');
    await form.getByLabel('Password', { exact: true }).fill('short');
    await form.getByLabel('PIN (optional)', { exact: true }).fill('482913');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.getByText('Password must be at least 12 characters long', { exact: true }).waitFor();
    expect(await shownText(form.getByRole('alert'))).toContain(
      'password must be at least 12 characters long',
    );

    await form.getByLabel('Password', { exact: true }).fill('Pallet-jack-orange-77');
    await form.getByRole('button', { name: 'Create user' }).click();

    // The new user's panel opens, and the user is in the list with a PIN.
    const detail = panel(page);
    await detail.getByRole('heading', { name: 'Sam Picker' }).waitFor();
    await detail.getByRole('status').filter({ hasText: 'User sam.picker created.' }).waitFor();
    const row = rowFor(page, 'sam.picker');
    await row.waitFor();
    await expect.poll(() => shownText(row)).toMatch(/Sam Picker\s+Staff\s+Active\s+Yes/);

    // Promote to supervisor.
    await detail.getByLabel('Role', { exact: true }).selectOption('supervisor');
    await detail.getByRole('button', { name: 'Save changes' }).click();
    await detail.getByText('Changes saved.').waitFor();
    await expect.poll(() => shownText(row)).toMatch(/Sam Picker\s+Supervisor\s+Active/);

    // Deactivate, after confirming.
    await detail.getByRole('button', { name: 'Deactivate user' }).click();
    await detail.getByRole('button', { name: 'Yes, deactivate' }).click();
    await detail.getByText('User deactivated and signed out.').waitFor();
    await detail.getByRole('button', { name: 'Reactivate user' }).waitFor();
    await expect.poll(() => shownText(row)).toMatch(/Supervisor\s+Inactive/);

    // The server agrees with what the screen shows.
    const stored = (await h.app.users.list({ q: 'sam.picker', limit: 5 })).items[0];
    expect(stored).toMatchObject({
      role: 'supervisor',
      active: false,
      has_pin: true,
      display_name: 'Sam Picker',
    });

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'users-desktop.png'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // The session is really gone: going back to /users asks to sign in again.
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(h.pageProblems).toEqual([]);
  });

  it('admin searches, filters and pages through users, and manages PINs and passwords', async () => {
    for (let i = 1; i <= 30; i += 1) {
      const n = String(i).padStart(2, '0');
      await h.app.users.create(
        {
          username: `counter${n}`,
          display_name: `Counter ${n}`,
          role: i % 3 === 0 ? 'auditor' : 'staff',
          password: 'Shelf-label-printer-9',
        },
        SYSTEM_CONTEXT,
      );
    }
    const page = await h.newPage({ width: 390, height: 844 });
    await signIn(page, ADMIN);
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    // First page, then "Load more" until every user is listed.
    const links = usersTable(page).getByRole('link');
    await expect.poll(() => links.count()).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText(/Showing \d+ users \(all\)/).waitFor();
    const total = (await h.app.users.list({ limit: 200 })).items.length;
    expect(await links.count()).toBe(total);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    // Search is a username prefix; the role filter narrows further.
    await page.getByLabel('Search username').fill('counter1');
    await expect
      .poll(() => links.allInnerTexts())
      .toEqual([
        'counter10',
        'counter11',
        'counter12',
        'counter13',
        'counter14',
        'counter15',
        'counter16',
        'counter17',
        'counter18',
        'counter19',
      ]);
    await page.getByLabel('Role', { exact: true }).selectOption('auditor');
    await expect.poll(() => links.allInnerTexts()).toEqual(['counter12', 'counter15', 'counter18']);
    await page.getByLabel('Status').selectOption('false');
    await page.getByText('No users match these filters.').waitFor();
    await page.getByLabel('Status').selectOption('true');
    await expect.poll(() => links.count()).toBe(3);

    // On a phone the panel replaces the list; "Back to users" returns to it.
    await page.getByRole('link', { name: 'counter15', exact: true }).click();
    const detail = panel(page);
    await detail.getByRole('heading', { name: 'Counter 15' }).waitFor();
    await detail.getByText('No PIN is set').waitFor();
    await detail.getByLabel('New PIN').fill('111111');
    await detail.getByRole('button', { name: 'Set PIN' }).click();
    await detail.getByText('New PIN must not be one repeated digit').waitFor();
    await detail.getByLabel('New PIN').fill('730512');
    await detail.getByRole('button', { name: 'Set PIN' }).click();
    await detail.getByText('PIN set.').waitFor();
    await detail.getByText('A PIN is set.').waitFor();
    await detail.getByRole('button', { name: 'Remove PIN' }).click();
    await detail.getByText('PIN removed.').waitFor();

    await detail.getByLabel('New password').fill('counter15-is-my-name');
    await detail.getByRole('button', { name: 'Reset password' }).click();
    await detail.getByText('New password must not contain the username').waitFor();
    await detail.getByLabel('New password').fill('Forklift-battery-swap-3');
    await detail.getByRole('button', { name: 'Reset password' }).click();
    await detail.getByText('Password reset. The user was signed out everywhere.').waitFor();
    expect(await h.app.login('counter15', 'Forklift-battery-swap-3')).toBeTruthy();

    await page.screenshot({ path: path.join(RESULTS_DIR, 'users-phone-panel.png'), fullPage: true });
    await detail.getByRole('link', { name: 'Back to users' }).click();
    await usersTable(page).waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'users-phone.png'), fullPage: true });

    // An admin cannot lock themself out: the controls say so before the server has to.
    await page.getByLabel('Search username').fill('');
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByRole('link', { name: ADMIN.username, exact: true }).click();
    await panel(page).getByText('This is your own account.').waitFor();
    expect(await panel(page).getByRole('button', { name: 'Deactivate user' }).isDisabled()).toBe(true);
    expect(h.pageProblems).toEqual([]);
  });
});
