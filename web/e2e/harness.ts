import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../server/test/helpers/test-app.ts';

/**
 * Browser tests drive the built web app (dist/web) served by the real server, in-process, on a
 * fresh SQLite database, with Debian's Chromium through playwright-core.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_ROOT = path.join(REPO_ROOT, 'dist', 'web');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const CHROMIUM = '/usr/bin/chromium';

const IN_CI = process.env.CI === 'true';

/**
 * Why this machine cannot run the browser tests, or null. Only outside CI: in CI a missing
 * browser fails the suite (startHarness throws), it never skips.
 */
export const browserSkipReason: string | null =
  !IN_CI && !fs.existsSync(CHROMIUM)
    ? `skipped: ${CHROMIUM} not found (apt-get install chromium to run the browser tests)`
    : null;

/** A describe title that says why it was skipped, since the report shows only the title. */
export function suiteTitle(title: string): string {
  return browserSkipReason ? `${title} (${browserSkipReason})` : title;
}

export interface Harness {
  app: TestApp;
  browser: Browser;
  baseUrl: string;
  /** A fresh browser profile (its own cookies), with one page open. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Content-Security-Policy violations and uncaught page errors seen in any page so far. */
  pageProblems: string[];
  close(): Promise<void>;
}

/** The newest modification time of the web app's sources (index.html, src/, the Vite config). */
function newestSourceTime(): number {
  const webDir = path.join(REPO_ROOT, 'web');
  const files = [path.join(webDir, 'index.html'), path.join(webDir, 'vite.config.ts')];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(webDir, 'src'));
  return Math.max(...files.map((file) => fs.statSync(file).mtimeMs));
}

/** `env`: server settings for this suite (MFA_REQUIRED_ROLES, …), over the test defaults. */
export async function startHarness(options: { env?: Record<string, string> } = {}): Promise<Harness> {
  const builtIndex = path.join(WEB_ROOT, 'index.html');
  if (!fs.existsSync(builtIndex)) {
    throw new Error(`${builtIndex} is missing: run \`npm run build:web\` before the browser tests`);
  }
  // Testing an old build would report on code that is no longer there.
  if (fs.statSync(builtIndex).mtimeMs < newestSourceTime()) {
    throw new Error(`${WEB_ROOT} is older than the sources in web/: run \`npm run build:web\` again`);
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing, so the browser tests cannot run (CI=true: they may not be skipped). ` +
        'Install it with `apt-get install chromium`.',
    );
  }

  const app = await createTestApp({
    dialect: 'sqlite',
    webRoot: WEB_ROOT,
    ...(options.env ? { env: options.env } : {}),
  });
  const contexts: BrowserContext[] = [];
  let browser: Browser | null = null;
  try {
    await app.server.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.addresses().find((entry) => typeof entry !== 'string');
    if (!address || typeof address === 'string') throw new Error('the test server is not listening on TCP');
    const baseUrl = `http://127.0.0.1:${address.port}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const pageProblems: string[] = [];
    const launched = browser;

    return {
      app,
      browser: launched,
      baseUrl,
      pageProblems,
      async newPage(viewport = { width: 390, height: 844 }) {
        const context = await launched.newContext({ baseURL: baseUrl, viewport });
        contexts.push(context);
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
        page.on('console', (message) => {
          if (/Content.Security.Policy/i.test(message.text())) pageProblems.push(`CSP: ${message.text()}`);
        });
        return page;
      },
      async close() {
        for (const context of contexts) await context.close().catch(() => {});
        await launched.close().catch(() => {});
        await app.close();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    await app.close();
    throw error;
  }
}

export async function signInWithPassword(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signInWithPin(page: Page, username: string, pin: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByRole('button', { name: 'PIN', exact: true }).click();
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('PIN', { exact: true }).fill(pin);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Someone who signs in with a password. */
export interface TestUser {
  username: string;
  display_name: string;
  password: string;
}

/** The admin the master-data and user suites sign in as. */
export const ADMIN: TestUser = {
  username: 'boss',
  display_name: 'Dana Admin',
  password: 'Warehouse-keys-2024!',
};

/** The main navigation an admin sees. */
export const ADMIN_NAV = [
  'Home',
  'Counting',
  'Count',
  'Items',
  'Locations',
  'Stock levels',
  'Imports',
  'Users',
  'Audit',
  'Security',
  'Integrations',
  'Governance',
  'Feature flags',
  'My account',
  'API docs',
];

/** The main navigation an auditor sees. */
export const AUDITOR_NAV = [
  'Home',
  'Counting',
  'Items',
  'Locations',
  'Stock levels',
  'Audit',
  'Security',
  'Integrations',
  'Governance',
  'My account',
  'API docs',
];

/** The main navigation a supervisor sees. */
export const SUPERVISOR_NAV = [
  'Home',
  'Counting',
  'Count',
  'Items',
  'Locations',
  'Stock levels',
  'Imports',
  'My account',
  'API docs',
];

/** The main navigation a counter (staff) sees. */
export const STAFF_NAV = ['Home', 'Count', 'Items', 'Locations', 'My account', 'API docs'];

/** Signs in with the password and waits for the home page's welcome. */
export async function signIn(page: Page, user: TestUser): Promise<void> {
  await signInWithPassword(page, user.username, user.password);
  await page.getByRole('heading', { name: `Welcome, ${user.display_name}` }).waitFor();
}

/** Opens a section from the main navigation and waits for its page. */
export async function openSection(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
  await page.getByRole('heading', { name: label, level: 1 }).waitFor();
}

/** The labels of the main navigation, as the user sees them. */
export async function navLabels(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.waitFor();
  return (await nav.getByRole('link').allInnerTexts()).map((text) => text.trim());
}

/** The text as rendered (innerText): what the user sees, with hidden parts left out. */
export function shownText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator; rendered text is the point
  return locator.innerText();
}
