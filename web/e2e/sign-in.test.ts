import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import {
  browserSkipReason,
  type Harness,
  navLabels,
  STAFF_NAV,
  shownText,
  signIn,
  signInWithPassword,
  signInWithPin,
  startHarness,
  suiteTitle,
} from './harness.ts';

const ADMIN = { username: 'chief', display_name: 'Chief Admin', password: 'Loading-dock-sunrise-42' };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: signing in and out in the browser'), () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('a wrong password shows the error and stays on the sign-in page', async () => {
    const page = await h.newPage();
    await signInWithPassword(page, ADMIN.username, 'not-the-right-password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await shownText(alert)).toBe('Invalid username or password');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The password is cleared for the next try; the username stays.
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Username', { exact: true }).inputValue()).toBe(ADMIN.username);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(h.pageProblems).toEqual([]);
  });

  it('staff signs in with a PIN, sees no admin pages, and changes their own password', async () => {
    const staff = {
      username: 'pat',
      display_name: 'Pat Counter',
      password: 'Aisle-seven-bin-three',
      pin: '582047',
    };
    await h.app.users.create({ ...staff, role: 'staff' }, SYSTEM_CONTEXT);
    const page = await h.newPage();

    // A wrong PIN gets the same answer as a wrong password.
    await signInWithPin(page, staff.username, '582048');
    await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();

    await page.getByLabel('PIN', { exact: true }).fill(staff.pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${staff.display_name}` }).waitFor();
    expect(await shownText(page.getByRole('banner'))).toMatch(/Pat Counter\s*Staff/);
    expect(await navLabels(page)).toEqual(STAFF_NAV);
    expect(await shownText(page.getByRole('main'))).toContain('You count stock');

    // Typing the admin address directly shows a polite refusal, not the admin screen.
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    expect(await page.getByRole('table').count()).toBe(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    const newPassword = 'Cycle-count-thursday-08';

    // The confirmation is checked before anything is sent.
    await page.getByLabel('Current password').fill(staff.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill('Cycle-count-thursday-09');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Confirm new password does not match the new password').waitFor();

    // The server's verdict on a wrong current password is shown next to that field.
    await page.getByLabel('Current password').fill('Not-my-password-at-all');
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Current password is not correct').waitFor();

    await page.getByLabel('Current password').fill(staff.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await signInWithPassword(page, staff.username, staff.password);
    await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();
    await signIn(page, { ...staff, password: newPassword });
    expect(h.pageProblems).toEqual([]);
  });

  it('a deactivated user cannot sign in, with password or PIN', async () => {
    const gone = {
      username: 'lee',
      display_name: 'Lee Former',
      password: 'Old-badge-returned-15',
      pin: '604182',
    };
    const created = await h.app.users.create({ ...gone, role: 'staff' }, SYSTEM_CONTEXT);
    await h.app.users.update(created.id, { active: false }, SYSTEM_CONTEXT);

    const page = await h.newPage();
    await signInWithPassword(page, gone.username, gone.password);
    await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    await page.getByRole('button', { name: 'PIN', exact: true }).click();
    await page.getByLabel('PIN', { exact: true }).fill(gone.pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  });

  it('a session ended elsewhere sends the user back to sign-in, then back to where they were', async () => {
    const user = { username: 'kim', display_name: 'Kim Auditor', password: 'Ledger-lines-balance-31' };
    const created = await h.app.users.create({ ...user, role: 'auditor' }, SYSTEM_CONTEXT);
    const page = await h.newPage();
    await signIn(page, user);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();

    // An admin resets Kim's password, which ends all of Kim's sessions.
    const newPassword = 'Reconciled-at-noon-55';
    await h.app.users.resetPassword(created.id, newPassword, SYSTEM_CONTEXT);

    // Kim's next request is refused: the app goes to sign-in, remembering the page.
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password', { exact: true }).fill('Whatever-comes-next-77');
    await page.getByLabel('Confirm new password').fill('Whatever-comes-next-77');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/sign-in?next=%2Faccount');

    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');
  });
});
