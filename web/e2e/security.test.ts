import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { bearer } from '../../server/test/helpers/test-app.ts';
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
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * The security screens in the browser: the summary, the IP lists (with the self-block guard),
 * locked accounts, a user's sessions, security events, and who may see which. The tests run in
 * order on one server: each builds on what the ones before it did.
 */

const AUDITOR = { username: 'quinn', display_name: 'Quinn Auditor', password: 'Ledger-lines-never-lie-9' };
const LOCKED = { username: 'lee', display_name: 'Lee Forgetful', password: 'Forklift-yellow-sunset-3' };
const ROAMING = { username: 'sam', display_name: 'Sam Roaming', password: 'Pallet-stack-blue-river-8' };
const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const DESKTOP = { width: 1280, height: 900 };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: security in the browser'), () => {
  let h: Harness;
  let roamingId = '';
  let adminId = '';

  beforeAll(async () => {
    h = await startHarness();
    adminId = (await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT)).id;
    await h.app.users.create({ ...AUDITOR, role: 'auditor' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...LOCKED, role: 'staff' }, SYSTEM_CONTEXT);
    roamingId = (await h.app.users.create({ ...ROAMING, role: 'staff' }, SYSTEM_CONTEXT)).id;
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A figure of a `.counts` list, by its label. */
  const count = (scope: Locator, label: string) =>
    scope
      .locator('.count')
      .filter({ has: scope.page().locator('dt', { hasText: new RegExp(`^${label}$`) }) })
      .locator('dd');
  const figure = async (scope: Locator, label: string) => Number(await shownText(count(scope, label)));
  const openTab = async (page: Page, label: string) => {
    await page
      .getByRole('navigation', { name: 'Security views' })
      .getByRole('link', { name: label, exact: true })
      .click();
  };
  const tabLabels = async (page: Page) => {
    const tabs = page.getByRole('navigation', { name: 'Security views' });
    await tabs.waitFor();
    return (await tabs.getByRole('link').allInnerTexts()).map((text) => text.trim());
  };
  const eventsTable = (page: Page) => page.getByRole('table', { name: 'Security events' });
  const eventTypes = (page: Page) => eventsTable(page).locator('td[data-label="Event type"]').allInnerTexts();
  /** A sign-in straight to the API, as a script would: no browser, no device cookie. */
  const apiSignIn = (username: string, password: string) =>
    fetch(`${h.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });

  it('admin opens Security: the settings in force, list sizes, lockouts, active users and events', async () => {
    // Something for the last 24 hours: an auditor asking for an admin-only list is refused.
    const auditorToken = await h.app.login(AUDITOR.username, AUDITOR.password);
    const refused = await h.app.server.inject({
      method: 'GET',
      url: '/api/enterprise/security/ip-lists',
      headers: bearer(auditorToken),
    });
    expect(refused.statusCode).toBe(403);

    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    expect(await navLabels(page)).toEqual(ADMIN_NAV);
    await openSection(page, 'Security');
    expect(page.url()).toBe(`${h.baseUrl}/security`);
    expect(await tabLabels(page)).toEqual(['Overview', 'Events', 'IP lists', 'Locked accounts', 'Sessions']);

    const summary = page.getByRole('region', { name: 'Security status' });
    await count(summary, 'Locked accounts').waitFor();
    const settings = await shownText(summary.getByRole('region', { name: 'Settings in force' }));
    expect(settings).toMatch(/Enterprise security\s+On/);
    expect(settings).toMatch(/IP filter mode\s+Blacklist/);
    expect(await figure(summary, 'Blacklist entries')).toBe(0);
    expect(await figure(summary, 'Whitelist entries')).toBe(0);
    expect(await figure(summary, 'Locked accounts')).toBe(0);
    // The auditor's API session and this one.
    expect(await figure(summary, 'Active users')).toBe(2);
    expect(await figure(summary, 'Events, last 24 hours')).toBe(1);
    expect(await shownText(summary.getByRole('table', { name: 'Events by type' }))).toMatch(
      /PERMISSION_DENIED\s+1/,
    );
    expect(await shownText(summary.getByRole('table', { name: 'Events by severity' }))).toMatch(/Medium\s+1/);

    // A figure links to its events.
    await summary.getByRole('link', { name: 'PERMISSION_DENIED' }).click();
    await expect.poll(() => eventTypes(page)).toEqual(['PERMISSION_DENIED']);
    expect(page.url()).toBe(`${h.baseUrl}/security/events?type=PERMISSION_DENIED`);
    expect(await page.getByLabel('Event type', { exact: true }).inputValue()).toBe('PERMISSION_DENIED');

    await openTab(page, 'Overview');
    await count(summary, 'Locked accounts').waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-overview.png'), fullPage: true });
    expect(h.pageProblems).toEqual([]);
  });

  it('admin blacklists a range for a day, sees it listed with its expiry, and removes it', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await page.goto('/security');
    await openTab(page, 'IP lists');
    expect(page.url()).toBe(`${h.baseUrl}/security/ip-lists`);
    const blacklist = page.getByRole('region', { name: /^Blacklist/ });
    await blacklist.getByText('No address is blacklisted.').waitFor();
    await page.getByText(/^Blacklist mode: requests from a blacklisted address are refused/).waitFor();

    const form = page.getByRole('region', { name: 'Add an address' });
    // Not an address: the server's message, and next to the field.
    await form.getByLabel('List', { exact: true }).selectOption('blacklist');
    await form.getByLabel('Address or range', { exact: true }).fill('203.0.113.999');
    await form.getByLabel('Reason', { exact: true }).fill('Port scans from this range');
    await form.getByLabel('Expires after (hours)', { exact: true }).fill('24');
    await form.getByRole('button', { name: 'Add to list' }).click();
    expect(await shownText(form.getByRole('alert'))).toBe('ip_address is not an IP address or CIDR range');
    await form
      .getByText('Address or range must be an IPv4/IPv6 address or CIDR, e.g. 203.0.113.7 or 10.0.0.0/8')
      .waitFor();

    await form.getByLabel('Address or range', { exact: true }).fill('203.0.113.0/24');
    expect(await form.getByRole('alert').count()).toBe(0);
    await form.getByRole('button', { name: 'Add to list' }).click();
    await form.getByRole('status').filter({ hasText: '203.0.113.0/24 added to the blacklist.' }).waitFor();
    // The form is cleared for the next entry.
    expect(await form.getByLabel('Address or range', { exact: true }).inputValue()).toBe('');

    const row = blacklist.getByRole('row').filter({ hasText: '203.0.113.0/24' });
    await row.waitFor();
    expect(await shownText(row)).toContain('Port scans from this range');
    expect(await shownText(row)).toContain(ADMIN.username);
    // Expires a day after it was added.
    const added = await row.locator('td[data-label="Added"] time').getAttribute('datetime');
    const expires = await row.locator('td[data-label="Expires"] time').getAttribute('datetime');
    expect(Date.parse(expires ?? '') - Date.parse(added ?? '')).toBe(24 * 3_600_000);
    expect(await shownText(blacklist.getByRole('heading'))).toBe('Blacklist (1)');

    // The summary counts it.
    await openTab(page, 'Overview');
    expect(await figure(page.getByRole('region', { name: 'Security status' }), 'Blacklist entries')).toBe(1);
    await openTab(page, 'IP lists');
    await row.waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-ip-lists.png'), fullPage: true });

    // Removing asks first.
    await row.getByRole('button', { name: 'Remove 203.0.113.0/24 from the blacklist' }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: 'Remove 203.0.113.0/24 from the blacklist' }).click();
    await row.getByRole('button', { name: 'Yes, remove 203.0.113.0/24' }).click();
    await blacklist
      .getByRole('status')
      .filter({ hasText: '203.0.113.0/24 removed from the blacklist.' })
      .waitFor();
    await blacklist.getByText('No address is blacklisted.').waitFor();
    expect(h.pageProblems).toEqual([]);
  });

  it("blacklisting the admin's own address is refused with the server's message, and can be cancelled", async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await page.goto('/security/ip-lists');
    const form = page.getByRole('region', { name: 'Add an address' });
    await form.getByLabel('Address or range', { exact: true }).fill('127.0.0.0/8');
    await form.getByLabel('Reason', { exact: true }).fill('Loopback, by mistake');
    await form.getByRole('button', { name: 'Add to list' }).click();

    const refusal = form.getByRole('group', { name: /would block your own address/ });
    await refusal.waitFor();
    expect(await shownText(form.getByRole('alert'))).toBe(
      'This change would block your own address 127.0.0.1; send "force": true to do it anyway',
    );
    expect(await shownText(refusal)).toContain('Add 127.0.0.0/8 to the blacklist anyway?');
    await refusal.getByRole('button', { name: 'Add anyway' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-self-block.png'), fullPage: true });

    await refusal.getByRole('button', { name: 'Cancel' }).click();
    await form.getByRole('button', { name: 'Add to list' }).waitFor();
    expect(await form.getByRole('alert').count()).toBe(0);
    // What was typed stays, to correct it.
    expect(await form.getByLabel('Address or range', { exact: true }).inputValue()).toBe('127.0.0.0/8');
    await page
      .getByRole('region', { name: /^Blacklist/ })
      .getByText('No address is blacklisted.')
      .waitFor();

    // A whitelist entry for the same address blocks nobody: no question asked.
    await form.getByLabel('List', { exact: true }).selectOption('whitelist');
    await form.getByRole('button', { name: 'Add to list' }).click();
    await form.getByRole('status').filter({ hasText: '127.0.0.0/8 added to the whitelist.' }).waitFor();
    const whitelist = page.getByRole('region', { name: /^Whitelist/ });
    await whitelist.getByRole('row').filter({ hasText: '127.0.0.0/8' }).getByText('Never').waitFor();
    await whitelist.getByRole('button', { name: 'Remove 127.0.0.0/8 from the whitelist' }).click();
    await whitelist.getByRole('button', { name: 'Yes, remove 127.0.0.0/8' }).click();
    await whitelist.getByText('The whitelist is empty.').waitFor();
    expect(h.pageProblems).toEqual([]);
  });

  it('an account locked by failed sign-ins is listed, and unlocking it lets its owner back in', async () => {
    const attempts = h.app.config.maxLoginAttempts;
    for (let i = 0; i < attempts; i++) {
      expect((await apiSignIn(LOCKED.username, `Wrong-password-${i}-xyz`)).status).toBe(401);
    }
    // Locked: even the right password is refused now.
    expect((await apiSignIn(LOCKED.username, LOCKED.password)).status).toBe(401);

    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await openSection(page, 'Security');
    expect(await figure(page.getByRole('region', { name: 'Security status' }), 'Locked accounts')).toBe(1);
    await openTab(page, 'Locked accounts');
    expect(page.url()).toBe(`${h.baseUrl}/security/locked-accounts`);
    const table = page.getByRole('table', { name: 'Locked accounts' });
    const row = table.getByRole('row').filter({ hasText: LOCKED.username });
    await row.waitFor();
    expect(await shownText(row.locator('td[data-label="Failed attempts"]'))).toBe(String(attempts));
    expect(await shownText(row.locator('td[data-label="Lockouts, last 24 hours"]'))).toBe('1');
    expect(await row.locator('td[data-label="Locked until"] time').getAttribute('datetime')).toMatch(
      /^\d{4}-/,
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-locked.png'), fullPage: true });

    await row.getByRole('button', { name: `Unlock ${LOCKED.username}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${LOCKED.username} unlocked: they can sign in again.` })
      .waitFor();
    await page.getByText('No account is locked.').waitFor();
    expect(await table.count()).toBe(0);

    expect((await apiSignIn(LOCKED.username, LOCKED.password)).status).toBe(200);
    expect(h.pageProblems).toEqual([]);
  });

  it("admin lists a user's sessions and ends them all: the user's next request is refused", async () => {
    // The user is signed in twice: in a browser, and from a script.
    const roaming = await h.newPage();
    await signIn(roaming, ROAMING);
    const token = await h.app.login(ROAMING.username, ROAMING.password);
    const me = () => h.app.server.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    expect((await me()).statusCode).toBe(200);

    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    // From the user's panel on the Users screen.
    await page.goto(`/users/${roamingId}`);
    const userPanel = page.getByRole('region', { name: ROAMING.display_name });
    await userPanel.getByRole('link', { name: 'See sessions' }).click();
    expect(page.url()).toBe(`${h.baseUrl}/security/sessions/${roamingId}`);
    const sessions = page.getByRole('region', { name: `Sessions of ${ROAMING.display_name}` });
    const table = sessions.getByRole('table', { name: 'Sessions' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const text = await shownText(table);
    expect(text).toContain('Chrome on Linux');
    expect(text).toContain('127.0.0.1');
    expect(text).toContain('Password');
    // None of them is the admin's own.
    expect(await table.getByText('This browser').count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-sessions.png'), fullPage: true });

    // Or by picking the user under Security.
    await openTab(page, 'Sessions');
    expect(page.url()).toBe(`${h.baseUrl}/security/sessions`);
    await page.getByLabel('User', { exact: true }).fill('sa');
    await page.getByRole('button', { name: `${ROAMING.username} (${ROAMING.display_name})` }).click();
    expect(page.url()).toBe(`${h.baseUrl}/security/sessions/${roamingId}`);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);

    await sessions.getByRole('button', { name: 'End all sessions' }).click();
    await sessions.getByRole('group', { name: /End all of sam’s sessions\?/ }).waitFor();
    await sessions.getByRole('button', { name: 'Yes, end all sessions' }).click();
    await sessions
      .getByRole('status')
      .filter({ hasText: 'Ended 2 sessions. sam is signed out everywhere.' })
      .waitFor();
    await sessions.getByText('sam is not signed in anywhere.').waitFor();

    // The script's next call is refused; the browser goes back to sign-in.
    expect((await me()).statusCode).toBe(401);
    await roaming
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Items', exact: true })
      .click();
    await roaming.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(roaming.url()).pathname).toBe('/sign-in');
    expect(h.pageProblems).toEqual([]);
  });

  it("among the admin's own sessions, the one of this browser is marked", async () => {
    // Signed in in each test so far: several sessions, one of them this page's.
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await page.goto(`/security/sessions/${adminId}`);
    const sessions = page.getByRole('region', { name: `Sessions of ${ADMIN.display_name}` });
    const rows = sessions.getByRole('table', { name: 'Sessions' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(1);
    const marked = rows.filter({ hasText: 'This browser' });
    expect(await marked.count()).toBe(1);
    expect(await shownText(marked.getByRole('rowheader'))).toBe('Chrome on Linux This browser');
    // The newest session (listed first) is this page's.
    expect(await shownText(rows.first())).toContain('This browser');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-own-sessions.png'), fullPage: true });

    // Another browser of the same admin sees its own row marked instead.
    const other = await h.newPage();
    await signIn(other, ADMIN);
    await other.goto(`/security/sessions/${adminId}`);
    const otherRows = other
      .getByRole('region', { name: `Sessions of ${ADMIN.display_name}` })
      .getByRole('table', { name: 'Sessions' })
      .locator('tbody tr');
    await expect.poll(() => otherRows.count()).toBeGreaterThan(1);
    expect(await otherRows.filter({ hasText: 'This browser' }).count()).toBe(1);
    expect(await shownText(otherRows.first())).toContain('This browser');
    // Reloaded, the first page still marks its own: now the second.
    await page.reload();
    await expect.poll(() => rows.count()).toBeGreaterThan(1);
    expect(await rows.filter({ hasText: 'This browser' }).count()).toBe(1);
    expect(await shownText(rows.nth(1))).toContain('This browser');
    expect(h.pageProblems).toEqual([]);
  });

  it('security events: newest first, filtered by severity and type, a page at a time', async () => {
    const page = await h.newPage(DESKTOP);
    // Beyond the admin's limit of sessions: the oldest of theirs is ended (a low SESSION_TERMINATED).
    await signIn(page, ADMIN);
    const auditorToken = await h.app.login(AUDITOR.username, AUDITOR.password);
    // More events than a page holds: refused requests, a second after everything else (the test
    // clock stands still otherwise, and events of the same instant have no order).
    h.app.clock.advance(1000);
    for (let i = 0; i < 50; i++) {
      const refused = await h.app.server.inject({
        method: 'GET',
        url: '/api/enterprise/security/locked-accounts',
        headers: bearer(auditorToken),
      });
      expect(refused.statusCode).toBe(403);
    }

    // Each event names its user: nothing is looked up user by user.
    const userLookups: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/api/users')) userLookups.push(pathname);
    });
    const eventUsers = async () => [
      ...new Set(await eventsTable(page).locator('td[data-label="User"]').allInnerTexts()),
    ];

    await page.goto('/security/events');
    await expect.poll(async () => [...new Set(await eventTypes(page))].sort()).toEqual(['PERMISSION_DENIED']);
    await page.getByText('Showing 50 events').waitFor();
    expect(await eventUsers()).toEqual([AUDITOR.username]);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText(/^Showing 5\d events \(all\)$/).waitFor();
    expect([...new Set(await eventTypes(page))].sort()).toEqual([
      'ACCOUNT_LOCKED',
      'ACCOUNT_UNLOCKED',
      'PERMISSION_DENIED',
      'SESSION_TERMINATED',
    ]);

    // Only high severity: the lockout, about its user.
    await page.getByLabel('Severity', { exact: true }).selectOption('high');
    await expect.poll(() => eventTypes(page)).toEqual(['ACCOUNT_LOCKED']);
    expect(page.url()).toBe(`${h.baseUrl}/security/events?severity=high`);
    const locked = eventsTable(page).locator('tbody tr').first();
    expect(await shownText(locked.locator('td[data-label="Severity"]'))).toBe('High');
    expect(await shownText(locked.locator('td[data-label="User"]'))).toBe(LOCKED.username);
    expect(await shownText(locked.locator('td[data-label="Address"]'))).toBe('127.0.0.1');
    expect(await shownText(locked.locator('td[data-label="Details"]'))).toContain('scope: account');
    await page.getByText('Showing 1 event (all)').waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'security-events.png'), fullPage: true });

    // Medium and a session ended: the admin's doing.
    await page.getByLabel('Severity', { exact: true }).selectOption('medium');
    await page.getByLabel('Event type', { exact: true }).selectOption('SESSION_TERMINATED');
    await expect.poll(() => eventTypes(page)).toEqual(['SESSION_TERMINATED']);
    expect(await shownText(eventsTable(page).locator('td[data-label="Details"]'))).toContain('terminated: 2');
    expect(await eventUsers()).toEqual([ROAMING.username]);
    // Nothing critical happened.
    await page.getByLabel('Severity', { exact: true }).selectOption('critical');
    await page.getByText('No events match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    expect(page.url()).toBe(`${h.baseUrl}/security/events`);
    await expect.poll(() => eventTypes(page)).toContain('ACCOUNT_UNLOCKED');
    expect(userLookups).toEqual([]);
    expect(h.pageProblems).toEqual([]);
  });

  it('an auditor sees the summary and the events, not the admin tools; staff see no Security', async () => {
    const auditor = await h.newPage();
    await signIn(auditor, AUDITOR);
    expect(await navLabels(auditor)).toEqual(AUDITOR_NAV);
    await openSection(auditor, 'Security');
    expect(await tabLabels(auditor)).toEqual(['Overview', 'Events']);
    const summary = auditor.getByRole('region', { name: 'Security status' });
    await count(summary, 'Locked accounts').waitFor();
    expect(await figure(summary, 'Events, last 24 hours')).toBeGreaterThan(50);
    expect(await summary.getByRole('link', { name: 'Manage the IP lists' }).count()).toBe(0);

    await openTab(auditor, 'Events');
    await auditor.getByLabel('Severity', { exact: true }).selectOption('high');
    await expect.poll(() => eventTypes(auditor)).toEqual(['ACCOUNT_LOCKED']);
    // Auditors may not read user accounts, but the event itself names its user.
    expect(await shownText(eventsTable(auditor).locator('td[data-label="User"]'))).toBe(LOCKED.username);
    await auditor.screenshot({ path: path.join(RESULTS_DIR, 'security-events-phone.png'), fullPage: true });

    for (const address of [
      '/security/ip-lists',
      '/security/locked-accounts',
      `/security/sessions/${roamingId}`,
    ]) {
      await auditor.goto(address);
      await auditor.getByRole('heading', { name: 'Not available to your role' }).waitFor();
      expect(await auditor.getByRole('button', { name: /Unlock|Remove|Add to list|End all/ }).count()).toBe(
        0,
      );
    }

    const staff = await h.newPage();
    await signIn(staff, STAFF);
    expect(await navLabels(staff)).not.toContain('Security');
    await staff.goto('/security');
    await staff.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    expect(h.pageProblems).toEqual([]);
  });

  // Last: after it, this address is blocked for good.
  it('forcing a self-block goes through, and then this browser is refused', async () => {
    const page = await h.newPage(DESKTOP);
    await signIn(page, ADMIN);
    await page.goto('/security/ip-lists');
    const form = page.getByRole('region', { name: 'Add an address' });
    await form.getByLabel('Address or range', { exact: true }).fill('127.0.0.1');
    await form.getByLabel('Reason', { exact: true }).fill('Testing the guard');
    await form.getByRole('button', { name: 'Add to list' }).click();
    await form.getByRole('button', { name: 'Add anyway' }).click();
    await form.getByRole('status').filter({ hasText: '127.0.0.1/32 added to the blacklist.' }).waitFor();
    // Reloading the lists is the first request refused.
    await page
      .getByRole('alert')
      .filter({ hasText: 'Requests from this address are not allowed' })
      .first()
      .waitFor();
    expect((await apiSignIn(ADMIN.username, ADMIN.password)).status).toBe(403);
    expect(h.pageProblems).toEqual([]);
  });
});
