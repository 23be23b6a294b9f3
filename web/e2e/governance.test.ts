import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { bearer } from '../../server/test/helpers/test-app.ts';
import {
  ADMIN,
  AUDITOR_NAV,
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
 * The governance section's own views in the browser: the data inventory (every table, its
 * columns' classes, rows and retention) and the compliance report; an auditor reads both, staff
 * are refused. Retention and data subject requests have their own browser tests.
 */

const AUDITOR = { username: 'audra', display_name: 'Audra Reader', password: 'Ledger-lines-agree-9' };
const STAFF = { username: 'pat', display_name: 'Pat Counter', password: 'Aisle-seven-bin-three' };
const DESKTOP = { width: 1280, height: 900 };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: data governance in the browser'), () => {
  let h: Harness;
  let apiToken = '';
  let staffId = '';

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...AUDITOR, role: 'auditor' }, SYSTEM_CONTEXT);
    staffId = (await h.app.users.create({ ...STAFF, role: 'staff' }, SYSTEM_CONTEXT)).id;
    apiToken = await h.app.login(ADMIN.username, ADMIN.password);
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (url: string, payload: object) =>
    h.app.server.inject({ method: 'POST', url, headers: bearer(apiToken), payload });

  it('shows an admin every table with its classes, rows and retention', async () => {
    await post('/api/enterprise/governance/retention-policies', {
      collection_name: 'security_events',
      retention_days: 90,
      archive_before_delete: true,
      description: 'Security events for 90 days',
    });
    const admin: Page = await h.newPage(DESKTOP);
    await signIn(admin, ADMIN);
    await openSection(admin, 'Governance');
    await admin.getByRole('heading', { name: 'Data inventory' }).waitFor();
    expect(await shownText(admin.getByTestId('inventory-summary'))).toContain('Every column is classified.');
    const users = admin.getByTestId('inventory-users');
    // Three users, and their personal and sensitive columns named as such.
    expect(await shownText(users)).toMatch(/Accounts.*\b3\b/s);
    await users
      .getByText(/personal/)
      .first()
      .click();
    expect(await shownText(users)).toMatch(/display_name\s*Personal/);
    expect(await shownText(users)).toMatch(/password_hash\s*Sensitive/);
    expect(await shownText(admin.getByTestId('inventory-security_events'))).toContain(
      '90 days by timestamp (policy, archived first)',
    );
    // Only tables holding sensitive data.
    await admin.getByLabel('Tables holding').selectOption('SENSITIVE');
    expect(await admin.getByTestId('inventory-warehouses').count()).toBe(0);
    expect(await admin.getByTestId('inventory-users').count()).toBe(1);
    await admin.close();
  });

  it('shows the compliance report with requests and overdue ones to an auditor, read-only', async () => {
    const created = await post('/api/enterprise/governance/data-requests', {
      request_type: 'access',
      subject_id: staffId,
    });
    expect(created.statusCode, created.body).toBe(201);
    const auditor: Page = await h.newPage(DESKTOP);
    await signIn(auditor, AUDITOR);
    expect(await navLabels(auditor)).toEqual(AUDITOR_NAV);
    await openSection(auditor, 'Governance');
    await auditor.getByTestId('governance-read-only').waitFor();
    await auditor.getByRole('link', { name: 'Compliance report' }).click();
    await auditor.getByTestId('compliance-report').waitFor();
    expect(await shownText(auditor.getByTestId('coverage'))).toMatch(/^100% of columns classified/);
    const report = await shownText(auditor.getByTestId('compliance-report'));
    expect(report).toMatch(/access 1/);
    expect(report).toMatch(/received 1/);
    expect(await shownText(auditor.getByTestId('overdue'))).toBe('0');
    await auditor.close();
  });

  it('keeps staff out', async () => {
    const staff: Page = await h.newPage(DESKTOP);
    await signIn(staff, STAFF);
    expect(await navLabels(staff)).not.toContain('Governance');
    await staff.goto(`${h.baseUrl}/governance`);
    await staff.getByText('Not available to your role').waitFor();
    await staff.close();
  });
});
