/**
 * Imports a generated items CSV (default 1,000,000 rows, each with a barcode) into a fresh SQLite
 * database through the imports service — the same path as POST /api/imports after multipart —
 * and prints the peak RSS and the rows per second. Run by hand:
 *
 *   npx tsx bench/import-memory.ts [rows]
 *
 * The file and the database go to a temporary directory, removed at the end.
 */

import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAuditTrail } from '../server/src/modules/audit/audit.service.ts';
import type { AuditContext } from '../server/src/modules/audit/events.ts';
import { createImportsService, type UploadPart } from '../server/src/modules/imports/imports.service.ts';
import { systemClock } from '../server/src/platform/clock.ts';
import { openDb } from '../server/src/platform/db/database.ts';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { systemIds } from '../server/src/platform/ids.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-import-bench-'));
const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;

async function generate(file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write(
    'item_code,name,category,sub_category,base_uom,unit_cost,mrp,abc_class,tracking,active,barcode\n',
  );
  let chunk = '';
  for (let i = 0; i < rows; i += 1) {
    const code = `SKU-${String(i).padStart(7, '0')}`;
    chunk += `${code},"Item ${i}, standard pack",Category ${i % 40},Sub ${i % 400},EA,${(i % 9973) / 4},${(i % 9973) / 2},${'ABC'[i % 3]},none,true,INT-${i}|${code}-CASE*12\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return fs.statSync(file).size;
}

async function main(): Promise<void> {
  const csv = path.join(dir, 'items.csv');
  const size = await generate(csv);
  // The end of the check pass is the write of `total`.
  let checkedAt = 0;
  const database = openDb({
    databaseUrl: null,
    sqliteFile: path.join(dir, 'bench.sqlite'),
    onQuery: (event) => {
      if (checkedAt === 0 && /^update "import_jobs" set "processed" = \?, "total"/.test(event.query.sql))
        checkedAt = performance.now();
    },
  });
  await migrateToLatest(database.db, database.dialect);
  const userId = systemIds.uuid();
  const now = new Date().toISOString();
  await database.db
    .insertInto('users')
    .values({
      id: userId,
      username: 'bench',
      username_key: 'bench',
      display_name: 'Bench',
      role: 'admin',
      password_hash: 'x',
      pin_hash: null,
      active: 1,
      password_changed_at: now,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const imports = createImportsService({
    db: database.db,
    clock: systemClock,
    ids: systemIds,
    audit: createAuditTrail({
      database,
      clock: systemClock,
      ids: systemIds,
      enabled: true,
      algorithm: 'sha256',
    }),
    logger: { info() {}, error: (obj, msg) => console.error(msg, obj) },
    dataDir: dir,
    maxBytes: 1024 * 1024 * 1024,
  });

  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);

  async function* upload(): AsyncGenerator<UploadPart> {
    yield { type: 'field', fieldname: 'kind', value: 'items' };
    yield { type: 'file', fieldname: 'file', filename: 'items.csv', file: fs.createReadStream(csv) };
  }
  const started = performance.now();
  const context: AuditContext = {
    actor: { user_id: userId, username: 'bench', role: 'admin', ip_address: null },
    request_id: null,
    trace_id: null,
  };
  const job = await imports.accept(upload(), userId, context);
  const accepted = performance.now();
  await imports.idle();
  const done = performance.now();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const result = await imports.get(job.id);
  await imports.close();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const seconds = (done - started) / 1000;
  console.log(
    JSON.stringify(
      {
        rows,
        file: mib(size),
        status: result.status,
        error: result.error,
        inserted: result.inserted,
        rss_baseline: mib(baseline),
        rss_peak: mib(peak),
        upload_and_header_s: Number(((accepted - started) / 1000).toFixed(1)),
        check_pass_s: checkedAt ? Number(((checkedAt - accepted) / 1000).toFixed(1)) : null,
        write_pass_s: checkedAt ? Number(((done - checkedAt) / 1000).toFixed(1)) : null,
        total_s: Number(seconds.toFixed(1)),
        rows_per_s: Math.round(rows / seconds),
      },
      null,
      2,
    ),
  );
}

main().catch((error) => {
  console.error(error);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
