import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { countingFixture } from '../../server/src/modules/counting/sessions/sessions-test-support.ts';
import {
  deliverNow,
  postedSession,
  SIGNING_KEY,
  startWebhookErp,
} from '../../server/src/modules/integrations/delivery/delivery.test-support.ts';
import { bearer, STRONG_PASSWORD } from '../../server/test/helpers/test-app.ts';
import {
  ADMIN,
  ADMIN_NAV,
  AUDITOR_NAV,
  browserSkipReason,
  type Harness,
  navLabels,
  openSection,
  RESULTS_DIR,
  STAFF_NAV,
  SUPERVISOR_NAV,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * The ERP integration screens in the browser: an admin adds an HTTP connector pointing at a small
 * ERP this test serves, tests the connection (a sample row comes back, the token never does), sees
 * a broken connector fail readably, runs a sync job and reads its history, watches a circuit
 * breaker open when the ERP fails, sets the delivery target and retries a refused adjustment
 * (which a supervisor follows on the posted session); an auditor reads the same screens without a single button that
 * changes anything; supervisors and staff cannot open them. The tests run in order on one server.
 */

const AUDITOR = { username: 'quinn', display_name: 'Quinn Auditor', password: 'Ledger-lines-never-lie-9' };
const SUPERVISOR = { username: 'sue', display_name: 'Sue Supervisor', password: 'Clipboard-green-morning-4' };
const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const DESKTOP = { width: 1280, height: 900 };
/** The ERP's bearer token: it must never come back, in the page or from the API. */
const ERP_TOKEN = 'erp-token-Zq81-never-shown';

const ERP_ITEMS = [
  { code: 'A-100', name: 'Bolt M8', uom: 'EA', cost: 0.25 },
  { code: 'A-200', name: 'Nut M8', uom: 'EA', cost: 0.1 },
  { code: 'B-100', name: 'Washer', uom: 'EA', cost: 0.05 },
];
const ERP_STOCK = [
  { item: 'A-100', warehouse: 'MAIN', location: 'A1', qty: 10 },
  { item: 'A-200', warehouse: 'MAIN', location: 'A1', qty: 100 },
  { item: 'B-100', warehouse: 'MAIN', location: 'B1', qty: 0 },
];

/** The connector's mappings, as typed into its JSON field. */
const MAPPINGS = {
  items: {
    path: '/items',
    rows_field: 'items',
    fields: { item_code: 'code', name: 'name', base_uom: 'uom' },
  },
  stock_levels: {
    path: '/stock',
    rows_field: 'items',
    fields: { item_code: 'item', warehouse_code: 'warehouse', location_code: 'location', quantity: 'qty' },
  },
};

/** A paged JSON ERP on a local port: ?page=N&page_size=S; `failing` makes it answer 503. */
interface FakeErp {
  url: string;
  /** The Authorization headers it was sent. */
  authorizations: string[];
  calls: number;
  failing: boolean;
  /** Answers this much later: a sync run that takes a while. */
  stallMs: number;
  close(): Promise<void>;
}

async function startFakeErp(): Promise<FakeErp> {
  const erp: Omit<FakeErp, 'url' | 'close'> = { authorizations: [], calls: 0, failing: false, stallMs: 0 };
  const server = http.createServer((request, response) => {
    if (erp.stallMs > 0) setTimeout(() => answer(request, response), erp.stallMs);
    else answer(request, response);
  });
  function answer(request: http.IncomingMessage, response: http.ServerResponse) {
    erp.calls += 1;
    erp.authorizations.push(request.headers.authorization ?? '');
    const url = new URL(request.url ?? '/', 'http://erp.local');
    if (erp.failing) {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'maintenance' }));
      return;
    }
    const rows = url.pathname === '/items' ? ERP_ITEMS : url.pathname === '/stock' ? ERP_STOCK : null;
    if (!rows) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{}');
      return;
    }
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('page_size') ?? '100');
    const slice = rows.slice((page - 1) * size, page * size);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ items: slice, page, total: rows.length }));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(erp, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A local port nothing listens on: a connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface JobStatus {
  name: string;
  running: boolean;
  last_run: { id: string; status: string } | null;
}

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: ERP integration in the browser'), () => {
  let h: Harness;
  let erp: FakeErp;
  let webhook: ReturnType<typeof startWebhookErp>;
  let webhookUrl = '';
  let sessionId = '';
  let admin: Page;
  let adminToken = '';
  let connectorId = '';
  let brokenPort = 0;

  beforeAll(async () => {
    erp = await startFakeErp();
    webhook = startWebhookErp();
    webhookUrl = await webhook.listen();
    brokenPort = await closedPort();
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...AUDITOR, role: 'auditor' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...SUPERVISOR, role: 'supervisor' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT);
    adminToken = await h.app.login(ADMIN.username, ADMIN.password);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await h?.close();
    await erp?.close();
    await webhook?.close();
  });

  const get = async (url: string, token = adminToken) => {
    const response = await h.app.server.inject({ method: 'GET', url, headers: bearer(token) });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };
  const jobs = async (): Promise<JobStatus[]> => (await get('/api/integrations/jobs')).json().items;
  const openTab = (page: Page, label: string) =>
    page
      .getByRole('navigation', { name: 'Integration views' })
      .getByRole('link', { name: label, exact: true })
      .click();
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(RESULTS_DIR, `integrations-${name}.png`), fullPage: true });
  const connectorRow = (page: Page, name: string) =>
    page.getByRole('table', { name: 'Connectors' }).getByRole('row').filter({ hasText: name });

  it('shows the section to an admin, with no connector yet', async () => {
    admin = await h.newPage(DESKTOP);
    await signIn(admin, ADMIN);
    expect(await navLabels(admin)).toEqual(ADMIN_NAV);
    await openSection(admin, 'Integrations');
    await admin.getByRole('heading', { name: 'Connectors', level: 2 }).waitFor();
    await admin.getByText('No connector yet.').waitFor();
  });

  it('adds an HTTP connector: the mappings are checked, here and by the server', async () => {
    await admin.getByRole('link', { name: 'New connector' }).click();
    const form = admin.getByRole('region', { name: 'New connector' });
    await form.waitFor();
    expect(await form.getByLabel('Kind').inputValue()).toBe('http');
    await form.getByLabel('Name', { exact: true }).fill('Main ERP');
    await form.getByLabel('Base URL').fill(erp.url);
    await form.getByLabel('Page size', { exact: true }).fill('2');
    await form.getByLabel('API token').fill(ERP_TOKEN);

    // Not JSON: refused before sending.
    await form.getByLabel('Mappings (JSON)').fill('{ "items": ');
    await form.getByRole('button', { name: 'Create connector' }).click();
    await form.getByText(/Mappings is not valid JSON/).waitFor();

    // JSON, but the server finds a field missing: its message is shown under the mappings.
    const incomplete = structuredClone(MAPPINGS) as { items: { fields: Record<string, string> } };
    delete incomplete.items.fields.name;
    await form.getByLabel('Mappings (JSON)').fill(JSON.stringify(incomplete, null, 2));
    await form.getByRole('button', { name: 'Create connector' }).click();
    await form.getByText('items.fields.name is required', { exact: true }).waitFor();
    expect((await get('/api/integrations/connectors')).json().items).toEqual([]);

    await form.getByLabel('Mappings (JSON)').fill(JSON.stringify(MAPPINGS, null, 2));
    await form.getByRole('button', { name: 'Create connector' }).click();
    await admin.getByRole('heading', { name: 'Main ERP', level: 2 }).waitFor();
    await admin.getByText('Connector created.').waitFor();
    connectorId = new URL(admin.url()).pathname.split('/').pop() ?? '';
    expect(connectorId).toMatch(/^[0-9a-f-]{36}$/);

    const stored = (await get(`/api/integrations/connectors/${connectorId}`)).json();
    expect(stored).toMatchObject({
      name: 'Main ERP',
      kind: 'http',
      enabled: true,
      has_secret: true,
      settings: {
        base_url: erp.url,
        page_size: 2,
        items: MAPPINGS.items,
        stock_levels: MAPPINGS.stock_levels,
      },
    });
  });

  it('tests the connection: ok, with a sample row of each entity', async () => {
    await admin.getByRole('button', { name: 'Test connection' }).click();
    const report = admin.getByTestId('test-report');
    await report
      .getByRole('status')
      .filter({ hasText: 'Connected; read items (1 row), stock_levels (1 row)' })
      .waitFor();
    expect(await shownText(report)).toMatch(/Took \d+/);
    const checks = report.getByRole('table', { name: 'Checks' });
    const items = checks.getByRole('row').filter({ hasText: 'Items' });
    expect(await shownText(items)).toContain('OK');
    const sample = items.getByRole('definition').filter({ hasText: 'A-100' });
    await sample.waitFor();
    expect(await shownText(items)).toContain('Bolt M8');
    expect(await shownText(checks.getByRole('row').filter({ hasText: 'Stock levels' }))).toMatch(
      /MAIN[\s\S]*A1/,
    );
    await shot(admin, 'connector-test');
    // The token went to the ERP in the Authorization header only.
    expect(erp.authorizations).toContain(`Bearer ${ERP_TOKEN}`);

    // The list shows the last test.
    await openTab(admin, 'Connectors');
    const row = connectorRow(admin, 'Main ERP');
    await row.getByText('OK', { exact: true }).waitFor();
    expect(await shownText(row)).toContain('Enabled');
  });

  it('never shows the token back: not in the page, not from the API', async () => {
    await connectorRow(admin, 'Main ERP').getByRole('link', { name: 'Main ERP' }).click();
    await admin.getByRole('heading', { name: 'Main ERP', level: 2 }).waitFor();
    await admin.getByTestId('connector-secret-state').getByText('API token stored (never shown)').waitFor();
    expect(await admin.getByLabel('API token', { exact: true }).inputValue()).toBe('');
    expect(await admin.content()).not.toContain(ERP_TOKEN);
    for (const url of ['/api/integrations/connectors', `/api/integrations/connectors/${connectorId}`]) {
      const response = await get(url);
      expect(response.status).toBe(200);
      expect(response.body).not.toContain(ERP_TOKEN);
    }
  });

  it('a connector whose ERP does not answer fails its test with a readable message', async () => {
    await openTab(admin, 'Connectors');
    await admin.getByRole('link', { name: 'New connector' }).click();
    const form = admin.getByRole('region', { name: 'New connector' });
    await form.getByLabel('Name', { exact: true }).fill('Old ERP');
    await form.getByLabel('Base URL').fill(`http://127.0.0.1:${brokenPort}`);
    await form.getByLabel('Mappings (JSON)').fill(JSON.stringify({ items: MAPPINGS.items }));
    await form.getByRole('button', { name: 'Create connector' }).click();
    await admin.getByRole('heading', { name: 'Old ERP', level: 2 }).waitFor();
    await admin.getByText('No API token').waitFor();

    await admin.getByRole('button', { name: 'Test connection' }).click();
    const failure = admin.getByTestId('test-report').getByRole('alert');
    await failure.waitFor();
    expect(await shownText(failure)).toContain(`items: Connection refused by 127.0.0.1:${brokenPort}`);
    await admin
      .getByTestId('test-report')
      .getByRole('table', { name: 'Checks' })
      .getByText('Failed', { exact: true })
      .waitFor();
  });

  it('edits, disables and removes a connector (after a confirmation)', async () => {
    const settings = admin.getByRole('region', { name: 'Settings' });
    const lastTest = admin.getByTestId('connector-last-test');
    await lastTest.getByText('Failed', { exact: true }).waitFor();
    // A new name only: the settings are not sent again, so the last test still holds.
    await settings.getByLabel('Name', { exact: true }).fill('Old ERP (retired)');
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await settings.getByText('Changes saved.', { exact: true }).waitFor();
    await admin.getByRole('heading', { name: 'Old ERP (retired)', level: 2 }).waitFor();
    expect(await shownText(lastTest)).toContain('Failed');

    await settings.getByLabel('Base URL').fill('ftp://nowhere.example');
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await settings.getByText('Base URL must be an http:// or https:// URL').waitFor();
    await settings.getByLabel('Base URL').fill(`http://127.0.0.1:${brokenPort}/v2`);
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await settings.getByText(/Changes saved\. Test the connection again/).waitFor();
    await lastTest.getByText(/not tested since its settings last changed/).waitFor();

    await admin.getByRole('button', { name: 'Disable connector' }).click();
    await admin.getByText('Connector disabled').waitFor();
    await admin.getByRole('button', { name: 'Enable connector' }).waitFor();
    const id = new URL(admin.url()).pathname.split('/').pop() ?? '';
    expect((await get(`/api/integrations/connectors/${id}`)).json()).toMatchObject({
      name: 'Old ERP (retired)',
      enabled: false,
      settings: { base_url: `http://127.0.0.1:${brokenPort}/v2` },
    });

    await admin.getByRole('button', { name: 'Remove connector' }).click();
    await admin.getByRole('button', { name: 'Cancel' }).click();
    expect((await get(`/api/integrations/connectors/${id}`)).status).toBe(200);
    await admin.getByRole('button', { name: 'Remove connector' }).click();
    await admin.getByRole('button', { name: 'Yes, remove connector' }).click();
    await admin.getByRole('heading', { name: 'Connectors', level: 2 }).waitFor();
    await connectorRow(admin, 'Main ERP').waitFor();
    expect(await connectorRow(admin, 'Old ERP').count()).toBe(0);
    expect((await get(`/api/integrations/connectors/${id}`)).status).toBe(404);
  });

  it('lists the jobs; "Run now" shows the run, its progress, and a second start is refused', async () => {
    await openTab(admin, 'Sync');
    const table = admin.getByRole('table', { name: 'Jobs' });
    const names = (await jobs()).map((job) => job.name);
    expect(names).toEqual(
      expect.arrayContaining(['erp.stock-levels', 'erp.items', 'erp.full-sync', 'erp.deliver-adjustments']),
    );
    for (const name of names) await table.getByRole('row').filter({ hasText: name }).first().waitFor();
    const running = async () => (await jobs()).find((job) => job.name === 'erp.stock-levels')?.running;
    // Not while a scheduled run of it is going (it starts with the server).
    await expect.poll(running, { timeout: 30_000 }).toBe(false);

    erp.stallMs = 2_000;
    await admin.getByRole('button', { name: 'Run erp.stock-levels now' }).click();
    await admin.getByRole('status').filter({ hasText: 'erp.stock-levels started.' }).waitFor();
    const row = table.getByRole('row').filter({ hasText: 'erp.stock-levels' });
    await row.getByRole('progressbar', { name: 'erp.stock-levels progress' }).waitFor();
    // It runs once at a time: a second start is refused, and the page says why.
    await admin.getByRole('button', { name: 'Run erp.stock-levels now' }).click();
    const refused = admin.getByRole('alert').filter({ hasText: /erp\.stock-levels.*running/ });
    await refused.waitFor();
    await shot(admin, 'sync-running');
    erp.stallMs = 0;

    // The run ends, and the page follows it there.
    await expect.poll(running, { timeout: 30_000 }).toBe(false);
    const runs = (await get('/api/integrations/jobs/erp.stock-levels/runs')).json().items as {
      status: 'succeeded' | 'failed' | 'interrupted';
      trigger: string;
    }[];
    const manual = runs.filter((run) => run.trigger === 'manual');
    expect(manual).toHaveLength(1);
    expect(manual[0]?.status).toBe('succeeded');
    const history = admin.getByRole('table', { name: 'Runs of erp.stock-levels' });
    await history
      .getByRole('row')
      .filter({ hasText: 'By hand' })
      .getByText('Succeeded')
      .waitFor({ timeout: 15_000 });
    await row.getByText('Idle').waitFor({ timeout: 20_000 });
    expect(await row.getByRole('progressbar').count()).toBe(0);

    // The connector's sync state: what the run read and wrote.
    const state = (await get('/api/integrations/sync')).json().items as {
      connector_name: string;
      entities: { entity: string; mode: string; last_counts: { read: number } | null }[];
    }[];
    const stock = state
      .find((connector) => connector.connector_name === 'Main ERP')
      ?.entities.find((entity) => entity.entity === 'stock_levels' && entity.mode === 'changes');
    expect(stock?.last_counts?.read).toBe(ERP_STOCK.length);
    const mainErp = admin.getByRole('region', { name: 'Sync state by connector' }).getByRole('table', {
      name: 'Sync state of Main ERP',
    });
    await mainErp
      .getByRole('row')
      .filter({ hasText: 'Stock levels' })
      .filter({ hasText: 'Changes' })
      .getByText(`${ERP_STOCK.length} read`)
      .waitFor();
  });

  it('shows the circuit breakers: none yet, then an open one after the ERP fails', async () => {
    await openTab(admin, 'Circuit breakers');
    await admin.getByRole('heading', { name: 'Circuit breakers', level: 2 }).waitFor();
    const api = async () =>
      (await get('/api/enterprise/circuit-breakers')).json() as {
        circuit_breakers: { name: string; state: string }[];
      };
    if ((await api()).circuit_breakers.length === 0)
      await admin.getByText('No circuit breaker yet').waitFor();

    // The ERP goes down; each sync run fails, until the connector's breaker opens.
    erp.failing = true;
    for (let attempt = 0; attempt < 10; attempt++) {
      if ((await api()).circuit_breakers.some((breaker) => breaker.state === 'open')) break;
      const started = await h.app.server.inject({
        method: 'POST',
        url: '/api/integrations/jobs/erp.stock-levels/run',
        headers: bearer(adminToken),
      });
      expect([202, 409], started.body).toContain(started.statusCode);
      await expect
        .poll(async () => (await jobs()).find((job) => job.name === 'erp.stock-levels')?.running, {
          timeout: 30_000,
        })
        .toBe(false);
    }
    const open = (await api()).circuit_breakers.find((breaker) => breaker.state === 'open');
    expect(open).toBeDefined();
    const row = admin
      .getByRole('table', { name: 'Circuit breakers' })
      .getByRole('row')
      .filter({ hasText: open?.name ?? '' });
    // Polled every 5 seconds.
    await row.getByText('Open', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await shownText(row)).toMatch(/503/);
    await admin
      .getByTestId('breakers-summary')
      .getByText(/1 open/)
      .waitFor();
    await shot(admin, 'circuit-breakers');
    erp.failing = false;
  });

  it('sets the delivery target (its signing key write-only) and tests it', async () => {
    await openTab(admin, 'Delivery');
    const target = admin.getByRole('region', { name: 'Delivery target' });
    await target.getByText('No delivery target yet').waitFor();
    await admin.getByRole('region', { name: 'Outbox' }).getByText('The outbox is empty.').waitFor();
    expect(await target.getByLabel('Deliver to').inputValue()).toBe('webhook');
    await target.getByLabel('Webhook URL').fill(webhookUrl);
    await target.getByLabel('Signing key (HMAC)').fill('short');
    await target.getByRole('button', { name: 'Save target' }).click();
    await target
      .getByText(/at least 16 characters/)
      .first()
      .waitFor();
    await target.getByLabel('Signing key (HMAC)').fill(SIGNING_KEY);
    await target.getByRole('button', { name: 'Save target' }).click();
    await target.getByText('Delivery target saved.').waitFor();
    expect(await target.getByLabel('Signing key (HMAC)').inputValue()).toBe('');
    await target.getByText('The stored signing key is never shown.').waitFor();

    const stored = await get('/api/integrations/delivery-target');
    expect(stored.json()).toMatchObject({ kind: 'webhook', settings: { url: webhookUrl }, has_secret: true });
    expect(stored.body).not.toContain(SIGNING_KEY);
    expect(await admin.content()).not.toContain(SIGNING_KEY);

    await target.getByRole('button', { name: 'Test delivery target' }).click();
    const report = target.getByTestId('delivery-test-report');
    await report.getByText('OK', { exact: true }).waitFor();
    // The ping was signed with the key.
    expect(webhook.requests.at(-1)?.signatureValid).toBe(true);
  });

  it('lists the outbox; an admin retries a refused adjustment; the supervisor follows the session', async () => {
    const f = await countingFixture(h.app);
    // The ERP refuses what it is sent: each adjustment fails at once (a 4xx is not retried).
    webhook.state.mode = 'refuse422';
    sessionId = await postedSession(f, 2);
    await deliverNow(h.app);
    const outbox = async (status = '') =>
      (await get(`/api/integrations/outbox${status ? `?status=${status}` : ''}`)).json().items as {
        id: string;
        idempotency_key: string;
        status: string;
      }[];
    expect((await outbox()).map((message) => message.status)).toEqual(['failed', 'failed']);

    const section = admin.getByRole('region', { name: 'Outbox' });
    await section.getByLabel('Status').selectOption('failed');
    const table = section.getByRole('table', { name: 'Outbox' });
    await expect.poll(async () => (await table.getByRole('row').count()) - 1, { timeout: 15_000 }).toBe(2);
    expect(await shownText(table)).toMatch(/HAMMER|RICE|SAW|NAIL/);
    expect(await shownText(table)).toContain('422');

    webhook.state.mode = 'ok';
    const [first] = await outbox('failed');
    await section.getByRole('button', { name: `Retry ${first?.idempotency_key}` }).click();
    await section.getByText('Queued again').waitFor();
    expect((await outbox('pending')).map((message) => message.id)).toEqual([first?.id]);
    await deliverNow(h.app);
    expect((await outbox('delivered')).map((message) => message.id)).toEqual([first?.id]);
    await section.getByLabel('Status').selectOption('delivered');
    await table.getByText('Delivered', { exact: true }).waitFor();
    await shot(admin, 'delivery');

    // The supervisor sees where the session's adjustments are.
    const supervisor = await h.newPage(DESKTOP);
    await signIn(supervisor, { username: 'sam', display_name: 'Test sam', password: STRONG_PASSWORD });
    await supervisor.goto(`/counting/${sessionId}`);
    const panel = supervisor.getByRole('region', { name: 'ERP delivery' });
    await panel.getByText('1 of 2 adjustments delivered to the ERP.').waitFor();
    expect(await shownText(panel)).toMatch(/Failed\s+1/);
    expect(await shownText(panel)).toContain('422');
    await shot(supervisor, 'session-delivery');
  });

  it('an auditor sees every screen read-only', async () => {
    // On a phone: the tables become cards.
    const auditor = await h.newPage();
    await signIn(auditor, AUDITOR);
    expect(await navLabels(auditor)).toEqual(AUDITOR_NAV);
    await openSection(auditor, 'Integrations');
    await auditor.getByTestId('integrations-read-only').waitFor();
    await connectorRow(auditor, 'Main ERP').waitFor();
    expect(await auditor.getByRole('link', { name: 'New connector' }).count()).toBe(0);

    await connectorRow(auditor, 'Main ERP').getByRole('link', { name: 'Main ERP' }).click();
    await auditor.getByRole('heading', { name: 'Main ERP', level: 2 }).waitFor();
    await auditor.getByRole('region', { name: 'Settings' }).getByText(erp.url).waitFor();
    for (const name of ['Test connection', 'Save changes', 'Disable connector', 'Remove connector'])
      expect(await auditor.getByRole('button', { name }).count()).toBe(0);
    expect(await auditor.getByRole('textbox').count()).toBe(0);
    expect(await auditor.content()).not.toContain(ERP_TOKEN);

    await shot(auditor, 'auditor-connector-phone');
    await openTab(auditor, 'Sync');
    await auditor.getByRole('table', { name: 'Jobs' }).waitFor();
    await shot(auditor, 'auditor-sync-phone');
    expect(await auditor.getByRole('button', { name: /Run .* now/ }).count()).toBe(0);
    await openTab(auditor, 'Circuit breakers');
    await auditor.getByRole('heading', { name: 'Circuit breakers', level: 2 }).waitFor();
    await openTab(auditor, 'Delivery');
    await auditor.getByRole('heading', { name: 'Outbox', level: 2 }).waitFor();
    const target = auditor.getByRole('region', { name: 'Delivery target' });
    await target.getByText('Stored (never shown)').waitFor();
    await target.getByText(webhookUrl).waitFor();
    for (const name of ['Save target', 'Test delivery target', 'Remove target', /^Retry/])
      expect(await auditor.getByRole('button', { name }).count()).toBe(0);
    await auditor.getByRole('table', { name: 'Outbox' }).getByText('Failed', { exact: true }).waitFor();
    expect(await auditor.content()).not.toContain(SIGNING_KEY);

    // The posted session's delivery, read-only too.
    await auditor.goto(`/counting/${sessionId}`);
    await auditor.getByRole('region', { name: 'ERP delivery' }).getByText('1 of 2 adjustments').waitFor();

    await auditor.goto('/integrations/connectors/new');
    await auditor.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    expect(h.pageProblems).toEqual([]);
  });

  it('supervisors and staff do not see the section and are refused', async () => {
    for (const [user, nav, role] of [
      [SUPERVISOR, SUPERVISOR_NAV, 'supervisor'],
      [STAFF, STAFF_NAV, 'staff'],
    ] as const) {
      const page = await h.newPage(DESKTOP);
      await signIn(page, user);
      expect(await navLabels(page), role).toEqual(nav);
      await page.goto('/integrations/sync');
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
      expect(await page.getByRole('table', { name: 'Jobs' }).count()).toBe(0);
      const token = await h.app.login(user.username, user.password);
      for (const url of [
        '/api/integrations/connectors',
        '/api/integrations/jobs',
        '/api/enterprise/circuit-breakers',
      ])
        expect((await get(url, token)).status, `${role} ${url}`).toBe(403);
    }
  });
});
