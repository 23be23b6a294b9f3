import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { LogEvent } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase, type TestDatabase } from '../../../test/helpers/test-app.ts';
import { ManualClock } from '../../platform/clock.ts';
import { systemIds } from '../../platform/ids.ts';
import { createAuditTrail } from '../audit/audit.service.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';
import type { RunnerSettings } from './import-runner.ts';
import {
  createImportsService,
  type ImportsService,
  INTERRUPTED_BY_RESTART,
  INTERRUPTED_BY_SHUTDOWN,
  type UploadPart,
} from './imports.service.ts';
import type { ImportJobRow } from './imports.store.ts';

const quiet = { info() {}, error() {} };

async function* form(kind: string, csv: string, dryRun = false): AsyncGenerator<UploadPart> {
  yield { type: 'field', fieldname: 'kind', value: kind };
  yield { type: 'field', fieldname: 'dry_run', value: String(dryRun) };
  yield { type: 'file', fieldname: 'file', filename: 'items.csv', file: Readable.from([Buffer.from(csv)]) };
}

function itemsCsv(rows: number): string {
  const lines = ['item_code,name,base_uom,unit_cost'];
  for (let i = 0; i < rows; i += 1) lines.push(`P-${i},Item ${i},EA,${i}`);
  return lines.join('\n');
}

describe.each(dialects())('imports service on %s', (dialect) => {
  let database: TestDatabase;
  let dataDir: string;
  let userId: string;
  const queries: LogEvent[] = [];
  const clock = new ManualClock('2026-03-01T08:00:00.000Z');

  const service = (settings: Partial<RunnerSettings> = {}): ImportsService =>
    createImportsService({
      db: database.handle.db,
      clock,
      ids: systemIds,
      audit: createAuditTrail({
        database: database.handle,
        clock,
        ids: systemIds,
        enabled: true,
        algorithm: 'sha256',
      }),
      logger: quiet,
      dataDir,
      maxBytes: 10 * 1024 * 1024,
      settings,
    });

  const job = (id: string) =>
    database.handle.db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const itemCount = async () =>
    Number(
      (
        await database.handle.db
          .selectFrom('items')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeEach(async () => {
    queries.length = 0;
    database = await freshDatabase(dialect, (event) => queries.push(event));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-imports-service-'));
    userId = systemIds.uuid();
    const now = clock.now().toISOString();
    await database.handle.db
      .insertInto('users')
      .values({
        id: userId,
        username: 'importer',
        username_key: 'importer',
        display_name: 'Importer',
        role: 'admin',
        password_hash: 'x',
        pin_hash: null,
        active: 1,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterEach(async () => {
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('on start-up, fails the jobs a crash left queued or running, and removes their files', async () => {
    const base: Omit<ImportJobRow, 'id' | 'status'> = {
      kind: 'items',
      format: 'csv',
      filename: 'items.csv',
      size_bytes: 10,
      dry_run: 0,
      total: null,
      processed: 1200,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      error: null,
      ignored_columns: '[]',
      created_by: userId,
      created_at: clock.now().toISOString(),
      started_at: clock.now().toISOString(),
      finished_at: null,
    };
    const ids = { running: systemIds.uuid(), queued: systemIds.uuid(), done: systemIds.uuid() };
    await database.handle.db
      .insertInto('import_jobs')
      .values([
        { ...base, id: ids.running, status: 'running' },
        { ...base, id: ids.queued, status: 'queued', started_at: null, processed: 0 },
        { ...base, id: ids.done, status: 'succeeded', finished_at: clock.now().toISOString() },
      ])
      .execute();
    fs.mkdirSync(path.join(dataDir, 'imports'));
    fs.writeFileSync(path.join(dataDir, 'imports', `${ids.running}.csv`), 'item_code\n');

    clock.advance(60_000);
    expect(await service().recoverInterrupted()).toBe(2);
    for (const id of [ids.running, ids.queued]) {
      expect(await job(id)).toMatchObject({
        status: 'failed',
        error: INTERRUPTED_BY_RESTART,
        finished_at: clock.now().toISOString(),
      });
    }
    expect(await job(ids.done)).toMatchObject({ status: 'succeeded', error: null });
    expect(fs.readdirSync(path.join(dataDir, 'imports'))).toEqual([]);
    expect(await service().recoverInterrupted()).toBe(0);
  });

  it('reports progress while checking rows, then the total', async () => {
    const imports = service({ progressEveryRows: 10, batchSize: 7 });
    const accepted = await imports.accept(form('items', itemsCsv(45)), userId, SYSTEM_CONTEXT);
    expect(accepted).toMatchObject({ status: 'queued', processed: 0, total: null });
    await imports.idle();
    const progress = queries
      .filter((event) => /^update "import_jobs" set "processed" = /.test(event.query.sql))
      .map((event) => [
        event.query.parameters[0],
        /"total"/.test(event.query.sql) ? event.query.parameters[1] : null,
      ]);
    expect(progress).toEqual([
      [10, null],
      [20, null],
      [30, null],
      [40, null],
      [45, 45],
    ]);
    expect(await job(accepted.id)).toMatchObject({
      status: 'succeeded',
      processed: 45,
      total: 45,
      inserted: 45,
    });
    await imports.close();
  });

  it('a shutdown stops the import: rolled back, failed, nothing written', async () => {
    const imports = service({ batchSize: 50 });
    const accepted = await imports.accept(form('items', itemsCsv(3000)), userId, SYSTEM_CONTEXT);
    await imports.close();
    expect(await job(accepted.id)).toMatchObject({ status: 'failed', error: INTERRUPTED_BY_SHUTDOWN });
    expect(await itemCount()).toBe(0);
    expect(fs.readdirSync(path.join(dataDir, 'imports'))).toEqual([]);
    await expect(imports.accept(form('items', itemsCsv(1)), userId, SYSTEM_CONTEXT)).rejects.toMatchObject({
      statusCode: 503,
    });
  });

  it('runs one job at a time, in order', async () => {
    const imports = service();
    const first = await imports.accept(form('items', itemsCsv(500)), userId, SYSTEM_CONTEXT);
    const second = await imports.accept(form('items', itemsCsv(600), true), userId, SYSTEM_CONTEXT);
    await imports.idle();
    const [a, b] = [await job(first.id), await job(second.id)];
    expect(a).toMatchObject({ status: 'succeeded', inserted: 500 });
    expect(b).toMatchObject({ status: 'succeeded', dry_run: 1, inserted: 100, unchanged: 500 });
    expect(b.started_at! >= a.finished_at!).toBe(true);
    expect(await itemCount()).toBe(500);
    await imports.close();
  });
});
