import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { base32Decode, totpAt } from '../../server/src/modules/security/mfa/totp.ts';
import { bearer } from '../../server/test/helpers/test-app.ts';
import {
  ADMIN,
  browserSkipReason,
  type Harness,
  navLabels,
  openSection,
  RESULTS_DIR,
  SUPERVISOR_NAV,
  shownText,
  signIn,
  signInWithPassword,
  signInWithPin,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * Two-factor sign-in in the browser: setting it up from My account, signing in with a code or a
 * recovery code (by password and by PIN), switching it off, an admin's reset, and the enrolment a
 * role can require. The tests of each suite run in order on one server, each building on the last.
 *
 * The test server's clock is a ManualClock, stopped unless moved: codes are computed for its time,
 * and it is moved on a 30-second step before a second code, since a step's code is accepted once.
 */

const ALEX = {
  username: 'alex',
  display_name: 'Alex Counter',
  password: 'Shelf-label-printer-12',
  pin: '739251',
};
const SAM = { username: 'sam', display_name: 'Sam Nightshift', password: 'Cold-store-door-open-5' };
const SUPERVISOR = { username: 'sky', display_name: 'Sky Supervisor', password: 'Variance-review-daily-8' };
const DESKTOP = { width: 1280, height: 900 };
const STEP_MS = 30_000;

/** The code an authenticator app holding `secret` shows at the server's current time. */
function codeNow(h: Harness, secret: string): string {
  return totpAt(base32Decode(secret), h.app.clock.now().getTime() / 1000);
}

/** Another 6-digit code, certainly not the one the app shows now. */
function wrongCode(h: Harness, secret: string): string {
  const right = codeNow(h, secret);
  return String((Number(right) + 500_001) % 1_000_000).padStart(6, '0');
}

/** The next 30-second step: a new code, which the server has not seen used. */
function nextStep(h: Harness): void {
  h.app.clock.advance(STEP_MS);
}

const mfaSection = (page: Page) => page.getByRole('region', { name: 'Two-factor sign-in' });

/** Shown value of a `.details` entry of the two-factor section. */
async function detail(page: Page, term: string): Promise<string> {
  const dl = mfaSection(page).locator('dl.details');
  const index = (await dl.locator('dt').allInnerTexts()).indexOf(term);
  if (index < 0) throw new Error(`no "${term}" in the two-factor status`);
  return (await shownText(dl.locator('dd').nth(index))).trim();
}

/** Sets up two-factor sign-in from My account; answers the secret and the recovery codes. */
async function setUpFromAccount(h: Harness, page: Page): Promise<{ secret: string; codes: string[] }> {
  const section = mfaSection(page);
  await section.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  const key = section.getByLabel('Or type this key', { exact: true });
  await key.waitFor();
  const secret = (await key.inputValue()).replace(/\s+/g, '');
  await section.getByLabel('Code from the app', { exact: true }).fill(codeNow(h, secret));
  await section.getByRole('button', { name: 'Switch on two-factor sign-in' }).click();
  const list = section.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  const codes = (await list.getByRole('listitem').allInnerTexts()).map((text) => text.trim());
  return { secret, codes };
}

/** Switches a user's two-factor sign-in on through the API, as their own script would. */
async function enableByApi(h: Harness, username: string, password: string): Promise<string> {
  const token = await h.app.login(username, password);
  const setup = await h.app.server.inject({
    method: 'POST',
    url: '/api/auth/mfa/setup',
    headers: bearer(token),
  });
  const { secret } = setup.json() as { secret: string };
  const enabled = await h.app.server.inject({
    method: 'POST',
    url: '/api/auth/mfa/enable',
    headers: bearer(token),
    payload: { otp_code: codeNow(h, secret) },
  });
  expect(enabled.statusCode).toBe(200);
  return secret;
}

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: two-factor sign-in in the browser'), () => {
  let h: Harness;
  let secret = '';
  let recoveryCodes: string[] = [];
  let samId = '';

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...ALEX, role: 'staff' }, SYSTEM_CONTEXT);
    samId = (await h.app.users.create({ ...SAM, role: 'staff' }, SYSTEM_CONTEXT)).id;
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('sets up two-factor sign-in from My account: QR code and key, a code, then the recovery codes once', async () => {
    const page = await h.newPage();
    await signIn(page, ALEX);
    await openSection(page, 'My account');
    const section = mfaSection(page);
    expect(await detail(page, 'Status')).toBe('Off');
    expect(await detail(page, 'Required for your role')).toBe('No');

    await section.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await section.getByRole('heading', { name: '1. Add Stock Verify to your authenticator app' }).waitFor();

    // The QR code is an image of the server's SVG, from a data: address the CSP allows, and it loads.
    const qr = section.getByRole('img', { name: /QR code for your authenticator app/ });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    await expect
      .poll(() => qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0))
      .toBe(true);
    // The key is shown in groups of four for typing, and decodes to the 160-bit secret.
    const key = await section.getByLabel('Or type this key', { exact: true }).inputValue();
    expect(key).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    secret = key.replace(/ /g, '');
    expect(base32Decode(secret)).toHaveLength(20);
    const open = section.getByRole('link', { name: 'Open in an app on this device' });
    expect(await open.getAttribute('href')).toMatch(/^otpauth:\/\/totp\/Stock%20Verify:alex\?secret=/);

    const codeField = section.getByLabel('Code from the app', { exact: true });
    expect(await codeField.getAttribute('inputmode')).toBe('numeric');
    expect(await codeField.getAttribute('autocomplete')).toBe('one-time-code');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-setup-phone.png'), fullPage: true });

    // A wrong code is refused, and the set-up stays open.
    await codeField.fill(wrongCode(h, secret));
    await section.getByRole('button', { name: 'Switch on two-factor sign-in' }).click();
    await section.getByRole('alert').filter({ hasText: 'The code does not match' }).waitFor();
    expect(await codeField.inputValue()).toBe('');

    // The code as an app shows it ("123 456") is fine too.
    const right = codeNow(h, secret);
    await codeField.fill(`${right.slice(0, 3)} ${right.slice(3)}`);
    expect(await codeField.inputValue()).toBe(right);
    await section.getByRole('button', { name: 'Switch on two-factor sign-in' }).click();

    await section.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const list = section.getByRole('list', { name: 'Recovery codes' });
    recoveryCodes = (await list.getByRole('listitem').allInnerTexts()).map((text) => text.trim());
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-recovery-codes-phone.png'), fullPage: true });

    // Downloaded as a text file, with every code.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      section.getByRole('button', { name: 'Download as text' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('stock-verify-recovery-codes-alex.txt');
    const saved = fs.readFileSync(await download.path(), 'utf8');
    for (const code of recoveryCodes) expect(saved).toContain(code);

    await section.getByRole('button', { name: 'I have saved them' }).click();
    await section.getByRole('status').filter({ hasText: 'Two-factor sign-in is on.' }).waitFor();
    // Shown once: the codes are gone from the page.
    expect(await section.getByRole('list', { name: 'Recovery codes' }).count()).toBe(0);
    await expect.poll(() => detail(page, 'Status')).toBe('On');
    expect(await detail(page, 'Recovery codes left')).toBe('10 of 10');
    expect(h.pageProblems).toEqual([]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('signing in asks for the code: a wrong one is refused, the right one signs in', async () => {
    const page = await h.newPage();
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByRole('heading', { name: 'Two-factor sign-in', level: 1 }).waitFor();
    expect(await shownText(page.locator('.signin-card'))).toContain('Signing in as alex.');
    const codeField = page.getByLabel('6-digit code', { exact: true });
    expect(await codeField.getAttribute('inputmode')).toBe('numeric');
    expect(await codeField.getAttribute('autocomplete')).toBe('one-time-code');
    // Asking for the code is no failure: nothing is shown as wrong.
    expect(await page.getByRole('alert').count()).toBe(0);
    // The cursor is already in the code field.
    expect(await codeField.evaluate((input) => input === document.activeElement)).toBe(true);
    // Nothing of the password is kept in the browser's storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(stored).not.toContain(ALEX.password);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-code-step-phone.png'), fullPage: true });

    nextStep(h);
    await codeField.fill(wrongCode(h, secret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'That code did not work' }).waitFor();
    expect(await shownText(alert)).not.toContain('password');
    expect(await codeField.inputValue()).toBe('');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-code-refused-phone.png'), fullPage: true });

    // Too short: said at once, nothing sent.
    await codeField.fill('12345');
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByText('6-digit code must be the 6 digits your app shows now').waitFor();

    await codeField.fill(codeNow(h, secret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');

    // The same code (same 30 seconds) does not sign in a second time.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByLabel('6-digit code', { exact: true }).fill(codeNow(h, secret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code did not work' }).waitFor();

    // Back: the password is forgotten, the username kept.
    await page.getByRole('button', { name: 'Back to sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    expect(await page.getByLabel('Username', { exact: true }).inputValue()).toBe(ALEX.username);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(h.pageProblems).toEqual([]);
  });

  it('a recovery code signs in instead, once', async () => {
    const page = await h.newPage();
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    const field = page.getByLabel('Recovery code', { exact: true });
    // Typed in capitals without dashes: the server folds it to the code.
    await field.fill(recoveryCodes[0]!.replace(/-/g, '').toUpperCase());
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That recovery code did not work' }).waitFor();

    // Back to the app's code, which works.
    await page.getByRole('button', { name: 'Use the code from my app instead' }).click();
    nextStep(h);
    await page.getByLabel('6-digit code', { exact: true }).fill(codeNow(h, secret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();
    await openSection(page, 'My account');
    expect(await detail(page, 'Recovery codes left')).toBe('9 of 10');
    expect(h.pageProblems).toEqual([]);
  });

  it('PIN sign-in asks for the code as well', async () => {
    const page = await h.newPage();
    await signInWithPin(page, ALEX.username, ALEX.pin);
    await page.getByRole('heading', { name: 'Two-factor sign-in', level: 1 }).waitFor();
    nextStep(h);
    await page.getByLabel('6-digit code', { exact: true }).fill(codeNow(h, secret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();
    expect(h.pageProblems).toEqual([]);
  });

  it('new recovery codes replace the old: an old one is refused at sign-in, a new one signs in', async () => {
    // A script signs in with six more recovery codes: three are left.
    for (const code of recoveryCodes.slice(3, 9)) {
      const signedIn = await h.app.server.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: ALEX.username, password: ALEX.password, recovery_code: code },
      });
      expect(signedIn.statusCode).toBe(200);
    }

    const page = await h.newPage(DESKTOP);
    nextStep(h);
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByLabel('6-digit code', { exact: true }).fill(codeNow(h, secret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();
    await openSection(page, 'My account');
    const section = mfaSection(page);
    expect(await detail(page, 'Recovery codes left')).toBe('3 of 10');
    // Few left: the status points to new ones.
    expect(await shownText(section.locator('.note'))).toBe(
      'Only 3 recovery codes left. Use Get new recovery codes below for a new set of 10, with a code from your app.',
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-few-codes-desktop.png'), fullPage: true });

    await section.getByRole('button', { name: 'Get new recovery codes' }).click();
    await section.getByRole('heading', { name: 'Get new recovery codes' }).waitFor();
    const codeField = section.getByLabel('Code from the app', { exact: true });
    expect(await codeField.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await codeField.getAttribute('autocomplete')).toBe('one-time-code');

    // Too short: said at once, nothing sent.
    await codeField.fill('123');
    await section.getByRole('button', { name: 'Replace recovery codes' }).click();
    await section.getByText('Code from the app must be the 6 digits the app shows now').waitFor();

    // The code just used to sign in (the same 30 seconds) is refused, and nothing changes.
    await codeField.fill(codeNow(h, secret));
    await section.getByRole('button', { name: 'Replace recovery codes' }).click();
    await section.getByRole('alert').filter({ hasText: 'The code is not correct' }).waitFor();
    await section.getByText('Code from the app does not match').waitFor();
    expect(await codeField.inputValue()).toBe('');
    await page.screenshot({
      path: path.join(RESULTS_DIR, 'mfa-new-codes-refused-desktop.png'),
      fullPage: true,
    });

    // Cancelled: the status as it was.
    await section.getByRole('button', { name: 'Cancel' }).click();
    expect(await detail(page, 'Recovery codes left')).toBe('3 of 10');
    await section.getByRole('button', { name: 'Get new recovery codes' }).click();

    // The app's next code: ten new codes, shown once the same way as on switching on.
    nextStep(h);
    await section.getByLabel('Code from the app', { exact: true }).fill(codeNow(h, secret));
    await section.getByRole('button', { name: 'Replace recovery codes' }).click();
    await section.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await section
      .getByRole('status')
      .filter({ hasText: 'New recovery codes made: the old ones no longer work.' })
      .waitFor();
    const list = section.getByRole('list', { name: 'Recovery codes' });
    const fresh = (await list.getByRole('listitem').allInnerTexts()).map((text) => text.trim());
    expect(fresh).toHaveLength(10);
    for (const code of fresh) {
      expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
      expect(recoveryCodes).not.toContain(code);
    }
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      section.getByRole('button', { name: 'Download as text' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('stock-verify-recovery-codes-alex.txt');
    for (const code of fresh) expect(fs.readFileSync(await download.path(), 'utf8')).toContain(code);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-new-codes-desktop.png'), fullPage: true });

    await section.getByRole('button', { name: 'I have saved them' }).click();
    await section
      .getByRole('status')
      .filter({ hasText: 'New recovery codes saved. The old ones no longer work.' })
      .waitFor();
    expect(await list.count()).toBe(0);
    expect(await detail(page, 'Status')).toBe('On');
    await expect.poll(() => detail(page, 'Recovery codes left')).toBe('10 of 10');
    expect(await section.locator('.note').count()).toBe(0);

    // At sign-in, an old code never used is refused; a new one signs in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    const field = page.getByLabel('Recovery code', { exact: true });
    await field.fill(recoveryCodes[9]!);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That recovery code did not work' }).waitFor();
    await field.fill(fresh[0]!);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();
    await openSection(page, 'My account');
    expect(await detail(page, 'Recovery codes left')).toBe('9 of 10');

    recoveryCodes = fresh;
    expect(h.pageProblems).toEqual([]);
  });

  it('switches two-factor sign-in off with the password and a recovery code', async () => {
    const page = await h.newPage(DESKTOP);
    await signInWithPassword(page, ALEX.username, ALEX.password);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[1]!);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${ALEX.display_name}` }).waitFor();
    await openSection(page, 'My account');
    const section = mfaSection(page);
    await section.getByRole('button', { name: 'Switch off two-factor sign-in' }).click();

    // A wrong password: the server's one answer, and nothing changes.
    await section.getByLabel('Password', { exact: true }).fill('Not-my-password-at-all');
    await section.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await section.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[2]!);
    await section.getByRole('button', { name: 'Switch off', exact: true }).click();
    await section.getByRole('alert').filter({ hasText: 'The password or the code is not correct' }).waitFor();

    await section.getByLabel('Password', { exact: true }).fill(ALEX.password);
    await section.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[2]!);
    await section.getByRole('button', { name: 'Switch off', exact: true }).click();
    await section.getByRole('status').filter({ hasText: 'Two-factor sign-in is off.' }).waitFor();
    await expect.poll(() => detail(page, 'Status')).toBe('Off');
    expect(await section.getByRole('button', { name: 'Set up two-factor sign-in' }).count()).toBe(1);

    // The password alone signs in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, ALEX);
    expect(h.pageProblems).toEqual([]);
  });

  it("an admin sees who has two-factor sign-in and resets a user's from the users screen", async () => {
    await enableByApi(h, SAM.username, SAM.password);
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await openSection(page, 'Users');
    await page
      .getByRole('table', { name: 'Users' })
      .getByRole('link', { name: SAM.username, exact: true })
      .click();
    const panel = page.getByRole('region', { name: SAM.display_name });
    const twoFactor = panel.getByRole('region', { name: 'Two-factor sign-in' });
    await twoFactor.waitFor();
    expect(await shownText(twoFactor)).toContain('On');

    // Asked first; cancelling changes nothing.
    await twoFactor.getByRole('button', { name: 'Reset two-factor sign-in' }).click();
    await twoFactor.getByRole('button', { name: 'Cancel' }).click();
    await twoFactor.getByRole('button', { name: 'Reset two-factor sign-in' }).click();
    expect(await shownText(twoFactor.getByRole('group'))).toContain(
      `Reset two-factor sign-in for ${SAM.username}?`,
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'mfa-admin-reset-desktop.png'), fullPage: true });
    await twoFactor.getByRole('button', { name: 'Yes, reset' }).click();
    await twoFactor.getByRole('status').filter({ hasText: 'Two-factor sign-in reset.' }).waitFor();
    await expect.poll(() => shownText(twoFactor)).toContain('Off');
    expect(await twoFactor.getByRole('button', { name: 'Reset two-factor sign-in' }).count()).toBe(0);

    // The server agrees: the password alone signs Sam in.
    expect((await h.app.users.get(samId)).mfa_enabled).toBe(false);
    await expect(h.app.login(SAM.username, SAM.password)).resolves.toBeTruthy();

    // Their own panel offers no reset, but points to My account.
    await openSection(page, 'Users');
    await page
      .getByRole('table', { name: 'Users' })
      .getByRole('link', { name: ADMIN.username, exact: true })
      .click();
    const own = page
      .getByRole('region', { name: ADMIN.display_name })
      .getByRole('region', { name: 'Two-factor sign-in' });
    await own.getByRole('link', { name: 'My account' }).waitFor();
    expect(await own.getByRole('button', { name: 'Reset two-factor sign-in' }).count()).toBe(0);
    expect(h.pageProblems).toEqual([]);
  });
});

describe.skipIf(browserSkipReason !== null)(
  suiteTitle('web: two-factor sign-in required for a role (MFA_REQUIRED_ROLES=supervisor)'),
  () => {
    let h: Harness;
    let supervisorId = '';
    let supervisorSecret = '';

    beforeAll(async () => {
      h = await startHarness({ env: { MFA_REQUIRED_ROLES: 'supervisor' } });
      await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
      supervisorId = (await h.app.users.create({ ...SUPERVISOR, role: 'supervisor' }, SYSTEM_CONTEXT)).id;
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
    });

    afterAll(async () => {
      await h?.close();
    });

    it('a supervisor is sent to the set-up, and can go on only once it is on', async () => {
      const page = await h.newPage();
      await signInWithPassword(page, SUPERVISOR.username, SUPERVISOR.password);
      await page.getByRole('heading', { name: 'Set up two-factor sign-in', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/account');
      expect(await shownText(page.getByRole('alert'))).toContain(
        'Two-factor sign-in is required for the Supervisor role.',
      );
      // Nothing else is offered, or reachable by its address.
      expect(await navLabels(page)).toEqual(['My account']);
      await page.goto('/items');
      await page.getByRole('heading', { name: 'Set up two-factor sign-in', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/account');
      const refused = await page.evaluate(async () => {
        const response = await fetch('/api/items');
        return { status: response.status, body: (await response.json()) as { error: { code: string } } };
      });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'MFA_ENROLMENT_REQUIRED' } } });
      await page.screenshot({
        path: path.join(RESULTS_DIR, 'mfa-enrolment-required-phone.png'),
        fullPage: true,
      });

      // No way around the set-up: it cannot be cancelled.
      await mfaSection(page).getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      await mfaSection(page).getByLabel('Or type this key', { exact: true }).waitFor();
      expect(await mfaSection(page).getByRole('button', { name: 'Cancel' }).count()).toBe(0);
      await page.reload();
      await page.getByRole('heading', { name: 'Set up two-factor sign-in', level: 1 }).waitFor();

      supervisorSecret = (await setUpFromAccount(h, page)).secret;
      // Still held until the codes are saved.
      expect(await navLabels(page)).toEqual(['My account']);
      await mfaSection(page).getByRole('button', { name: 'I have saved them' }).click();
      await page.getByRole('heading', { name: `Welcome, ${SUPERVISOR.display_name}` }).waitFor();
      expect(await navLabels(page)).toEqual(SUPERVISOR_NAV);
      await openSection(page, 'Items');

      // Required: it cannot be switched off from here.
      await openSection(page, 'My account');
      expect(await detail(page, 'Status')).toBe('On');
      expect(await detail(page, 'Required for your role')).toBe('Yes (Supervisor)');
      expect(
        await mfaSection(page).getByRole('button', { name: 'Switch off two-factor sign-in' }).count(),
      ).toBe(0);
      // New recovery codes, though, are there to be had.
      expect(await mfaSection(page).getByRole('button', { name: 'Get new recovery codes' }).count()).toBe(1);
      expect(await shownText(mfaSection(page))).toContain('Your role requires two-factor sign-in');
      expect(h.pageProblems).toEqual([]);
    });

    it('when an admin resets it, the supervisor is signed out, and signing in again leads to the set-up', async () => {
      const page = await h.newPage();
      nextStep(h);
      await signInWithPassword(page, SUPERVISOR.username, SUPERVISOR.password);
      await page.getByLabel('6-digit code', { exact: true }).fill(codeNow(h, supervisorSecret));
      await page.getByRole('button', { name: 'Verify and sign in' }).click();
      await page.getByRole('heading', { name: `Welcome, ${SUPERVISOR.display_name}` }).waitFor();

      // Lost phone: an admin resets it while the supervisor is signed in; their sessions end.
      const admin = await h.app.login(ADMIN.username, ADMIN.password);
      const reset = await h.app.server.inject({
        method: 'DELETE',
        url: `/api/users/${supervisorId}/mfa`,
        headers: bearer(admin),
      });
      expect(reset.json()).toEqual({ reset: true });

      // The next call is refused and the app goes back to sign-in.
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Items', exact: true })
        .click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      // The password alone signs in now, straight to the set-up the role requires.
      await signInWithPassword(page, SUPERVISOR.username, SUPERVISOR.password);
      await page.getByRole('heading', { name: 'Set up two-factor sign-in', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/account');
      expect(await navLabels(page)).toEqual(['My account']);

      // Signing out still works from there.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(h.pageProblems).toEqual([]);
    });
  },
);
