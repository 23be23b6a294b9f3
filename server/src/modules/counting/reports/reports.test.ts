import ExcelJS from 'exceljs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { clientId } from '../entries/test-fixtures.ts';
import { type CountingFixture, countingFixture } from '../sessions/sessions-test-support.ts';

const EVIL_NAME = '=HYPERLINK("http://evil.example","click")';

/** The text a PDF shows: pdfkit writes it as hex strings in TJ arrays of uncompressed content streams. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const shown: string[] = [];
  for (const array of raw.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
    let text = '';
    for (const hex of array[1]!.matchAll(/<([0-9a-fA-F]*)>/g))
      text += Buffer.from(hex[1]!, 'hex').toString('latin1');
    shown.push(text);
  }
  return shown.join('\n');
}

const day = (date: Date, offsetDays = 0) =>
  new Date(date.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe.each(dialects())('counting reports of an approved count on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  let session: string;
  let evil: string;
  let period: string;

  const get = (url: string, token = f.users.supervisor.token) => f.call('GET', url, token);

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
    const { users, items, locations } = f;
    const created = await f.call('POST', '/api/items', users.supervisor.token, {
      item_code: 'EVIL',
      name: EVIL_NAME,
      category: 'gifts',
      base_uom: 'EA',
      unit_cost: 3,
    });
    expect(created.statusCode, created.body).toBe(201);
    evil = created.json().id;
    const { SYSTEM_CONTEXT } = await import('../../audit/events.ts');
    await f.stockLevels.upsert(
      [f.level(evil, locations.b3, 6_000), f.level(items.saw, locations.b2, 4_321_500)],
      SYSTEM_CONTEXT,
    );

    session = (await f.createSession({ name: 'Q1 count', tolerance: { qty_abs: 1 } })).id;
    for (const zone of [locations.z1, locations.z2])
      await f.assign(session, zone, [users.staff.id, users.staff2.id]);
    await f.drive(session, 'start');

    const enter = async (token: string, location: string, item: string, quantity: number, lot?: string) => {
      const response = await f.call('POST', `/api/count-sessions/${session}/entries`, token, {
        client_id: clientId(),
        location_id: location,
        item_id: item,
        quantity,
        ...(lot ? { lot } : {}),
      });
      expect(response.statusCode, response.body).toBe(201);
      app.clock.advance(60_000);
    };
    // Kim counts everything once: 8 entries a minute apart (7 minutes of active time).
    const kim = users.staff.token;
    await enter(kim, locations.b1, items.hammer, 10);
    await enter(kim, locations.b2, items.hammer, 4);
    await enter(kim, locations.b1, items.rice, 3, 'L1');
    await enter(kim, locations.b1, items.rice, 4, 'L2');
    await enter(kim, locations.b3, items.saw, 1);
    await enter(kim, locations.b3, evil, 9);
    await enter(kim, locations.b2, items.saw, 4321.5);
    const lastKim = f.call('POST', `/api/count-sessions/${session}/entries`, kim, {
      client_id: clientId(),
      location_id: locations.b4,
      item_id: items.saw,
      quantity: 5,
    });
    expect((await lastKim).statusCode).toBe(201);
    const complete = await f.call(
      'POST',
      `/api/count-sessions/${session}/locations/${locations.b4}/complete`,
      kim,
    );
    expect(complete.statusCode, complete.body).toBe(200);
    await f.drive(session, 'submit');

    // Lee recounts the two lines outside tolerance and agrees with Kim.
    app.clock.advance(600_000);
    await enter(users.staff2.token, locations.b3, evil, 9);
    await enter(users.staff2.token, locations.b4, items.saw, 5);
    const closed = await f.call(
      'POST',
      `/api/count-sessions/${session}/recounts/close`,
      users.supervisor.token,
    );
    expect(closed.json()).toMatchObject({ confirmed: 2 });
    const lines = (await get(`/api/count-sessions/${session}/lines?limit=50`)).json().items as {
      id: string;
      item_id: string;
      location_id: string;
      status: string;
    }[];
    const lineOf = (item: string, location: string) =>
      lines.find((line) => line.item_id === item && line.location_id === location)!;
    for (const [line, reason] of [
      [lineOf(evil, locations.b3), 'misplaced'],
      [lineOf(items.saw, locations.b4), 'theft'],
    ] as const) {
      const approved = await f.call('POST', `/api/count-lines/${line.id}/approve`, users.supervisor.token, {
        reason_code: reason,
      });
      expect(approved.statusCode, approved.body).toBe(200);
    }
    await f.drive(session, 'approve');
    const now = app.clock.now();
    period = `from=${day(now, -1)}&to=${day(now, 1)}`;
  });
  afterAll(async () => {
    await app.close();
  });

  it('summarises the variances of the session: +/−, net, by reason, by status, largest first', async () => {
    const response = await get(`/api/count-sessions/${session}/report`);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report.session).toMatchObject({ id: session, name: 'Q1 count', status: 'approved' });
    expect(report.lines).toEqual({ total: 9, counted: 9, with_variance: 4 });
    expect(report.variance).toEqual({
      lines_with_variance: 4,
      quantity_positive: '3',
      quantity_negative: '-4',
      quantity_net: '-1',
      value_positive: '9',
      value_negative: '-32.5',
      value_net: '-23.5',
    });
    expect(report.book_value).toBe('43369.25');
    expect(report.by_reason).toEqual([
      { reason_code: 'theft', lines: 1, quantity_net: '-2', value_net: '-20' },
      { reason_code: null, lines: 2, quantity_net: '-2', value_net: '-12.5' },
      { reason_code: 'misplaced', lines: 1, quantity_net: '3', value_net: '9' },
    ]);
    expect(report.by_status).toMatchObject({ auto_approved: 7, approved: 2, review: 0 });
    expect(
      report.top_variances.map(
        (line: { item_code: string; location_code: string; variance_value: string }) => [
          line.item_code,
          line.location_code,
          line.variance_value,
        ],
      ),
    ).toEqual([
      ['SAW', 'B4', '-20'],
      ['SAW', 'B3', '-10'],
      ['EVIL', 'B3', '9'],
      ['HAMMER', 'B2', '-2.5'],
    ]);
    expect((await get(`/api/count-sessions/${session}/report`, f.users.auditor.token)).statusCode).toBe(200);
    expect((await get(`/api/count-sessions/${session}/report`, f.users.staff.token)).statusCode).toBe(403);
  });

  it('exports the variances as formula-safe CSV, named after the session, and records the export', async () => {
    const response = await get(`/api/count-sessions/${session}/export?kind=variance&format=csv`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="Q1-count-variance.csv"');
    const rows = response.body.trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^location_code,location_name,item_code,item_name,category,lot,unit,/);
    expect(rows).toHaveLength(10);
    const evilRow = rows.find((row) => row.includes('EVIL'))!;
    expect(evilRow).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    // No cell anywhere starts a formula; negative amounts stay plain numbers.
    for (const row of rows) expect(row).not.toMatch(/(^|,)"?[=+@]/);
    const sawB4 = rows.find((row) => row.startsWith('B4,') && row.includes(',SAW,'))!;
    expect(sawB4).toContain(',7,5,-2,10,-20,theft,');
    const audited = await app.auditEntries('count_session.export');
    expect(audited.at(-1)!.details).toMatchObject({ kind: 'variance', format: 'csv' });
  });

  it('exports the variances as XLSX whose cells hold values, never formulas', async () => {
    const response = await get(`/api/count-sessions/${session}/export?kind=variance&format=xlsx`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(response.headers['content-disposition']).toContain('Q1-count-variance.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Variance')!;
    expect(sheet.rowCount).toBe(10);
    let found = false;
    sheet.eachRow((row) => {
      row.eachCell((cell) => {
        expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
      });
      if (row.getCell(3).value === 'EVIL') {
        found = true;
        expect(row.getCell(4).value).toBe(EVIL_NAME);
        expect(row.getCell(15).value).toBe(9);
      }
    });
    expect(found).toBe(true);
  });

  it('never gives staff the variance export', async () => {
    const response = await get(
      `/api/count-sessions/${session}/export?kind=variance&format=csv`,
      f.users.staff.token,
    );
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('4321.5');
  });

  it('measures record accuracy by first count within tolerance, by location, item and value', async () => {
    const response = await get(`/api/reports/accuracy?${period}`);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report).toMatchObject({
      sessions: 1,
      lines_counted: 9,
      lines_hit: 7,
      hit_rate: '0.7778',
      book_value: '43369.25',
      absolute_variance_value: '41.5',
      value_accuracy: '0.999',
      locations: 4,
      items: 5,
    });
    expect(
      report.by_location.map((row: { location_code: string; lines_hit: number; lines_counted: number }) => [
        row.location_code,
        row.lines_hit,
        row.lines_counted,
      ]),
    ).toEqual([
      ['B3', 1, 2],
      ['B4', 1, 2],
      ['B1', 3, 3],
      ['B2', 2, 2],
    ]);
    expect(report.by_item[0]).toMatchObject({
      item_code: 'EVIL',
      hit_rate: '0',
      absolute_variance_value: '9',
    });
    expect(report.by_item[1]).toMatchObject({
      item_code: 'SAW',
      lines_hit: 2,
      lines_counted: 3,
      hit_rate: '0.6667',
    });
    const limited = (await get(`/api/reports/accuracy?${period}&limit=1`)).json();
    expect(limited.by_item).toHaveLength(1);
    const otherWarehouse = (await get(`/api/reports/accuracy?${period}&warehouse_id=${f.wh2}`)).json();
    expect(otherWarehouse).toMatchObject({ sessions: 0, lines_counted: 0, hit_rate: null });
    const before = (await get('/api/reports/accuracy?from=2020-01-01&to=2020-12-31')).json();
    expect(before.sessions).toBe(0);
  });

  it('keeps shrinkage and productivity behind the advanced_analytics flag (off by default)', async () => {
    for (const report of ['shrinkage', 'productivity']) {
      const refused = await get(`/api/reports/${report}?${period}`);
      expect(refused.statusCode, report).toBe(403);
      expect(refused.json().error.code).toBe('FEATURE_DISABLED');
    }
    // The core accuracy report stays open.
    expect((await get(`/api/reports/accuracy?${period}`)).statusCode).toBe(200);
    const enabled = await f.call(
      'POST',
      '/api/enterprise/features/advanced_analytics/enable',
      f.users.admin.token,
    );
    expect(enabled.statusCode, enabled.body).toBe(200);
    for (const report of ['shrinkage', 'productivity'])
      expect((await get(`/api/reports/${report}?${period}`)).statusCode, report).toBe(200);
  });

  it('values shrinkage by reason and category, gains apart', async () => {
    const response = await get(`/api/reports/shrinkage?${period}`, f.users.auditor.token);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report.shrinkage).toEqual({ lines: 3, quantity: '4', value: '32.5' });
    expect(report.gains).toEqual({ lines: 1, quantity: '3', value: '9' });
    expect(report.net_value).toBe('-23.5');
    expect(report.by_reason).toEqual([
      { reason_code: 'theft', shrinkage_lines: 1, shrinkage_value: '20', gain_lines: 0, gain_value: '0' },
      { reason_code: null, shrinkage_lines: 2, shrinkage_value: '12.5', gain_lines: 0, gain_value: '0' },
      { reason_code: 'misplaced', shrinkage_lines: 0, shrinkage_value: '0', gain_lines: 1, gain_value: '9' },
    ]);
    expect(report.by_category).toEqual([
      { category: 'tools', shrinkage_lines: 3, shrinkage_value: '32.5', gain_lines: 0, gain_value: '0' },
      { category: 'gifts', shrinkage_lines: 0, shrinkage_value: '0', gain_lines: 1, gain_value: '9' },
    ]);
  });

  it('measures each counter: entries, lines, recount rate, active time and lines per hour', async () => {
    const response = await get(`/api/reports/productivity?${period}`);
    expect(response.statusCode, response.body).toBe(200);
    const { counters } = response.json();
    expect(counters).toEqual([
      {
        user_id: f.users.staff.id,
        username: 'kim',
        display_name: expect.any(String),
        sessions: 1,
        entries: 8,
        lines_counted: 8,
        lines_sent_to_recount: 2,
        recount_rate: '0.25',
        active_seconds: 420,
        lines_per_hour: '68.57',
      },
      {
        user_id: f.users.staff2.id,
        username: 'lee',
        display_name: expect.any(String),
        sessions: 1,
        entries: 2,
        lines_counted: 2,
        lines_sent_to_recount: 0,
        recount_rate: '0',
        active_seconds: 60,
        lines_per_hour: '120',
      },
    ]);
  });

  it('validates the period and keeps period reports from staff', async () => {
    for (const query of [
      'from=2026-03-02&to=2026-03-01',
      'from=2025-01-01&to=2026-01-03',
      'from=2026-02-30',
      'to=yesterday',
    ]) {
      for (const report of ['accuracy', 'shrinkage', 'productivity']) {
        const response = await get(`/api/reports/${report}?${query}`);
        expect(response.statusCode, `${report}?${query}`).toBe(400);
      }
    }
    expect((await get('/api/reports/accuracy?from=2025-01-01&to=2026-01-01')).statusCode).toBe(200);
    for (const report of ['accuracy', 'shrinkage', 'productivity'])
      expect((await get(`/api/reports/${report}`, f.users.staff.token)).statusCode).toBe(403);
  });
});

describe.each(dialects())('count sheets, export rules and live progress on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  let blind: string;
  let standard: string;

  const get = (url: string, token = f.users.supervisor.token) => f.call('GET', url, token);
  const sheet = (id: string, format: string, token = f.users.supervisor.token) =>
    get(`/api/count-sessions/${id}/export?kind=count_sheet&format=${format}`, token);
  const pdfOf = (response: LightMyRequestResponse) => {
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    return pdfText(response.rawPayload);
  };

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
    const { SYSTEM_CONTEXT } = await import('../../audit/events.ts');
    await f.stockLevels.upsert([f.level(f.items.saw, f.locations.b2, 4_321_500)], SYSTEM_CONTEXT);
    blind = (await f.createSession({ name: 'Night count: aisle/1 "B"', mode: 'blind' })).id;
    standard = (await f.createSession({ name: 'Day count' })).id;
    for (const id of [blind, standard]) {
      await f.assign(id, f.locations.a01, [f.users.staff.id]);
      await f.assign(id, f.locations.z2, [f.users.staff2.id]);
      await f.drive(id, 'start');
    }
  });
  afterAll(async () => {
    await app.close();
  });

  it('prints book quantities on the sheet of a standard session', async () => {
    const text = pdfOf(await sheet(standard, 'pdf'));
    expect(text).toContain('Count sheet: Day count');
    expect(text).toContain('Location B1');
    expect(text).toContain('Location B4');
    expect(text).toContain('Book');
    expect(text).toContain('4321.5');
    expect(text).toContain('Counted');
  });

  it('prints no book quantity at all on the sheet of a blind session, for anyone', async () => {
    const response = await sheet(blind, 'pdf');
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="Night-count-aisle-1-B-count-sheet.pdf"',
    );
    for (const text of [pdfOf(response), pdfOf(await sheet(blind, 'pdf', f.users.staff.token))]) {
      expect(text).toContain('HAMMER');
      expect(text).toContain('Counted');
      expect(text).not.toContain('Book');
      expect(text).not.toContain('4321.5');
    }
    expect(response.rawPayload.toString('latin1')).not.toMatch(/book/i);
    const csv = await sheet(blind, 'csv', f.users.staff.token);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\r\n')[0]).toBe(
      'location_code,location_name,item_code,item_name,lot,unit,counted_qty',
    );
    expect(csv.body).not.toContain('4321.5');
    const standardCsv = await sheet(standard, 'csv');
    expect(standardCsv.body.split('\r\n')[0]).toContain(',book_qty,');
    expect(standardCsv.body).toMatch(/^B2,[^,\r\n]*,SAW,Saw,,EA,4321\.5,\r$/m);
  });

  it('gives a counter the sheet of their assigned locations only', async () => {
    const kim = pdfOf(await sheet(blind, 'pdf', f.users.staff.token));
    expect(kim).toContain('Location B1');
    expect(kim).toContain('Location B2');
    expect(kim).not.toContain('Location B3');
    expect(kim).not.toContain('Location B4');
    const lee = (await sheet(standard, 'csv', f.users.staff2.token)).body;
    expect(lee.split('\r\n').filter((row) => row.startsWith('B'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^B4,/)]),
    );
    expect(lee).not.toMatch(/^B1,/m);
    const stranger = await f.userWithToken('staff', 'zed');
    expect((await sheet(blind, 'pdf', stranger.token)).statusCode).toBe(404);
  });

  it('refuses a wrong kind, format or moment', async () => {
    const bad = [
      'kind=variance&format=pdf',
      'kind=count_sheet&format=xlsx',
      'kind=bogus&format=csv',
      'kind=variance',
      'format=csv',
    ];
    for (const query of bad) {
      const response = await get(`/api/count-sessions/${standard}/export?${query}`);
      expect(response.statusCode, query).toBe(400);
    }
    const early = await get(`/api/count-sessions/${standard}/export?kind=variance&format=csv`);
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('REPORT_NOT_READY');
    const report = await get(`/api/count-sessions/${standard}/report`);
    expect(report.statusCode).toBe(409);
    expect(report.json().error.code).toBe('REPORT_NOT_READY');
    const draft = (await f.createSession({ name: 'Later' })).id;
    const notStarted = await sheet(draft, 'pdf');
    expect(notStarted.statusCode).toBe(409);
    expect(notStarted.json().error.code).toBe('SESSION_NOT_STARTED');
    const missing = await sheet('00000000-0000-4000-8000-000000000000', 'pdf');
    expect(missing.statusCode).toBe(404);
  });

  it('shows live progress by location and the variance so far, never to a blind counter', async () => {
    for (const id of [blind, standard]) {
      const entry = await f.call('POST', `/api/count-sessions/${id}/entries`, f.users.staff.token, {
        client_id: clientId(),
        location_id: f.locations.b1,
        item_id: f.items.hammer,
        quantity: 8,
      });
      expect(entry.statusCode, entry.body).toBe(201);
    }
    const progress = (await get(`/api/count-sessions/${standard}`)).json().progress;
    expect(progress.by_location_truncated).toBe(false);
    expect(
      progress.by_location.map(
        (row: { location_code: string; lines_total: number; lines_counted: number }) => [
          row.location_code,
          row.lines_total,
          row.lines_counted,
        ],
      ),
    ).toEqual([
      ['B1', 3, 1],
      ['B2', 2, 0],
      ['B3', 1, 0],
      ['B4', 2, 0],
    ]);
    expect(progress.variance).toEqual({
      lines_with_variance: 1,
      quantity_positive: '0',
      quantity_negative: '-2',
      quantity_net: '-2',
      value_positive: '0',
      value_negative: '-5',
      value_net: '-5',
    });
    const blindSupervisor = (await get(`/api/count-sessions/${blind}`)).json().progress;
    expect(blindSupervisor.variance).toMatchObject({ value_net: '-5' });
    const asCounter = await get(`/api/count-sessions/${blind}`, f.users.staff.token);
    expect(asCounter.json().progress.variance).toBeUndefined();
    expect(asCounter.json().progress.by_location[0]).toMatchObject({ location_code: 'B1', lines_counted: 1 });
    for (const word of ['book', 'variance', 'value', 'cost']) expect(asCounter.body).not.toContain(word);
  });
});
