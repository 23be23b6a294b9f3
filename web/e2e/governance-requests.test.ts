import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import {
  ADMIN,
  browserSkipReason,
  type Harness,
  openSection,
  shownText,
  signIn,
  startHarness,
  suiteTitle,
} from './harness.ts';

/**
 * The data subject request queue in the browser: an admin records an access request, verifies and
 * processes it and downloads the export, which holds the person's data; an erasure request ends
 * completed and the person's name is gone from the users list. The tests run in order on one server.
 */

const PAT = { username: 'pat.fielding', display_name: 'Pat Fielding', password: 'Aisle-seven-bin-three' };
const RILEY = {
  username: 'riley.ashgrove',
  display_name: 'Riley Ashgrove',
  password: 'Aisle-eight-bin-four',
};
const DESKTOP = { width: 1280, height: 900 };

describe.skipIf(browserSkipReason !== null)(suiteTitle('web: data subject requests in the browser'), () => {
  let h: Harness;
  let admin: Page;

  beforeAll(async () => {
    h = await startHarness();
    await h.app.users.create({ ...ADMIN, role: 'admin' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...PAT, role: 'staff' }, SYSTEM_CONTEXT);
    await h.app.users.create({ ...RILEY, role: 'staff' }, SYSTEM_CONTEXT);
  });
  afterAll(async () => {
    await h?.close();
  });

  const form = () => admin.getByRole('form', { name: 'New data subject request' });
  const queue = () => admin.getByRole('table', { name: 'Data subject requests' });

  async function openRequests(page: Page) {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Governance', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Data governance', level: 1 }).waitFor();
    await page
      .getByRole('navigation', { name: 'Governance views' })
      .getByRole('link', { name: 'Data subject requests' })
      .click();
    await page.getByRole('heading', { name: 'Request queue' }).waitFor();
  }

  async function create(type: string, subject: string, email: string) {
    await form().getByLabel('Request type').selectOption(type);
    await form().getByLabel('Subject', { exact: true }).fill(subject);
    await form().getByLabel('Subject e-mail').fill(email);
    await form().getByRole('button', { name: 'Create request' }).click();
    await form()
      .getByRole('status')
      .filter({ hasText: `request recorded for ${subject}` })
      .waitFor();
  }

  it('records an access request, takes it through its states and downloads the export', async () => {
    admin = await h.newPage(DESKTOP);
    await signIn(admin, ADMIN);
    await openRequests(admin);

    // The form says what is missing before sending.
    await form().getByRole('button', { name: 'Create request' }).click();
    await form().getByText('Subject is required').waitFor();

    await create('access', PAT.username, 'pat@example.org');
    await queue().getByRole('row').filter({ hasText: PAT.username }).getByText('Received').waitFor();

    const panel = admin.getByRole('region', { name: `Access request for ${PAT.username}` });
    await panel.getByText('pat@example.org').waitFor();
    await panel.getByRole('button', { name: 'Verify identity' }).click();
    await panel.getByTestId('dsr-status').filter({ hasText: 'Verified' }).waitFor();
    await panel.getByRole('button', { name: 'Process request' }).click();
    await panel.getByTestId('dsr-status').filter({ hasText: 'Completed' }).waitFor();
    // Completed requests leave the (open) queue.
    await admin.getByRole('row').filter({ hasText: PAT.username }).first().waitFor({ state: 'detached' });

    const link = panel.getByRole('link', { name: 'Download export' });
    const [download] = await Promise.all([admin.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^data-request-.+\.json$/);
    const file = await download.path();
    const { readFile } = await import('node:fs/promises');
    const exported = JSON.parse(await readFile(file, 'utf8'));
    expect(exported.tables.users.rows[0]).toMatchObject({
      username: PAT.username,
      display_name: PAT.display_name,
      password_hash: '[withheld: secret]',
    });
    expect(h.pageProblems).toEqual([]);
  });

  it('erases a person: the request ends completed and their name is gone from the users list', async () => {
    await create('erasure', RILEY.username, 'riley@example.org');
    const panel = admin.getByRole('region', { name: `Erasure request for ${RILEY.username}` });
    await panel.getByRole('button', { name: 'Verify identity' }).click();
    await panel.getByTestId('dsr-status').filter({ hasText: 'Verified' }).waitFor();
    await panel.getByRole('button', { name: 'Process request' }).click();
    // Erasure asks first.
    await panel.getByRole('button', { name: 'Yes, erase' }).click();
    await admin
      .getByRole('region', { name: /^Erasure request for erased-/ })
      .getByTestId('dsr-status')
      .filter({ hasText: 'Completed' })
      .waitFor();
    // The request keeps no e-mail once the person is erased.
    expect(
      await shownText(admin.getByRole('region', { name: /^Erasure request for erased-/ })),
    ).not.toContain('riley@example.org');

    // Every status: both requests, the erased one under its pseudonym.
    await admin.getByLabel('Status', { exact: true }).selectOption('all');
    await queue().getByRole('row').filter({ hasText: PAT.username }).waitFor();
    expect(await shownText(queue())).not.toContain(RILEY.username);

    await openSection(admin, 'Users');
    const users = admin.getByRole('table', { name: 'Users' });
    await users.getByText(PAT.display_name).waitFor();
    const shown = await shownText(users);
    expect(shown).not.toContain(RILEY.display_name);
    expect(shown).not.toContain(RILEY.username);
    expect(shown).toContain('Erased user');
    expect(h.pageProblems).toEqual([]);
  });
});
