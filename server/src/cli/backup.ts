import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { Config } from '../config.ts';
import { retryWhileBusy } from './busy-retry.ts';
import { cliAuditTrail, cliContext, openDatabase, sqliteFileOf } from './services.ts';

/**
 * SQLite: a consistent copy taken while the server keeps running, through SQLite's online backup
 * API (better-sqlite3's `db.backup()`): the copy is one snapshot of committed transactions, never
 * a torn file as `cp` of a live database (and its -wal file) can be. The copy is checked with
 * `PRAGMA integrity_check`, made a single self-contained file (no -wal), and only then moved to
 * its name. PostgreSQL: pg_dump is the tool; this prints the command and exits 1.
 */
export async function backup(out: string, config: Readonly<Config>): Promise<number> {
  const target = path.resolve(out);
  if (config.databaseUrl) {
    process.stderr.write(pgDumpAdvice(config.databaseUrl, target));
    return 1;
  }
  const source = sqliteFileOf(config);
  if (!fs.existsSync(source)) {
    process.stderr.write(`No database at ${source} (is DATA_DIR right?).\n`);
    return 1;
  }
  if (fs.existsSync(target)) {
    process.stderr.write(`${target} already exists; choose a new file name.\n`);
    return 1;
  }
  if (target === path.resolve(source)) throw new Error('--out must not be the live database file');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  fs.rmSync(partial, { force: true });

  const live = new SqliteDatabase(source, { fileMustExist: true });
  let pages: number;
  try {
    live.pragma('busy_timeout = 5000');
    // All remaining pages in one step: a step that writers interrupt starts the copy over, so
    // small steps under steady writes could restart without end. Readers never block WAL writers.
    const result = await live.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    pages = result.totalPages;
  } finally {
    live.close();
  }

  const copy = new SqliteDatabase(partial, { fileMustExist: true });
  let integrity: string;
  try {
    integrity = (copy.pragma('integrity_check') as { integrity_check: string }[])
      .map((row) => row.integrity_check)
      .join('; ');
    // One file to keep: a restore must not depend on a -wal file beside it.
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  if (integrity !== 'ok') {
    fs.rmSync(partial, { force: true });
    process.stderr.write(`The copy failed its integrity check (${integrity}); nothing was kept.\n`);
    return 1;
  }
  const handle = fs.openSync(partial, 'r');
  try {
    fs.fsyncSync(handle);
  } finally {
    fs.closeSync(handle);
  }
  fs.renameSync(partial, target);
  const bytes = fs.statSync(target).size;

  const database = openDatabase(config);
  try {
    const trail = cliAuditTrail(config, database);
    const context = cliContext();
    await retryWhileBusy(() =>
      trail.record(context, {
        type: 'BACKUP',
        action: 'database.backup',
        resource: { type: 'database', id: null },
        details: { file: target, bytes, pages, integrity_check: 'ok', via: 'cli' },
      }),
    );
  } finally {
    await database.close();
  }
  process.stdout.write(
    `Backup written to ${target} (${bytes} bytes, integrity check ok).\n` +
      'Keep the key files with it (see docs/operations.md): the audit signing key, MFA key and integrations key.\n',
  );
  return 0;
}

/** The pg_dump command for this database, without its password (pg_dump reads ~/.pgpass or PGPASSWORD). */
export function pgDumpAdvice(databaseUrl: string, target: string): string {
  let url: URL | null = null;
  try {
    url = new URL(databaseUrl);
  } catch {
    // unparseable: show a placeholder
  }
  const schema = url
    ? /search_path=([A-Za-z0-9_]+)/.exec(url.searchParams.get('options') ?? '')?.[1]
    : undefined;
  if (url) {
    url.password = '';
    url.searchParams.delete('options');
  }
  const dbUrl = url ? url.toString() : 'postgres://USER@HOST:5432/DATABASE';
  return [
    'On PostgreSQL, back up with pg_dump (consistent while the server runs):',
    '',
    `  pg_dump --format=custom ${schema ? `--schema=${schema} ` : ''}--file='${target}' '${dbUrl}'`,
    '',
    'The password comes from ~/.pgpass or PGPASSWORD, never the command line. Restore with',
    'pg_restore (see docs/operations.md), and keep the key files (audit signing, MFA, integrations)',
    'with the dump. Nothing was written.',
    '',
  ].join('\n');
}
