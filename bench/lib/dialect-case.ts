import fs from 'node:fs';
import path from 'node:path';
import { type DbHandle, openDb } from '../../server/src/platform/db/database.ts';
import type { Cleanup } from './benchmark.ts';
import { schemaUrl } from './postgres.ts';
import { productDataDir, productSqliteFile, type StartProductOptions } from './product.ts';
import type { Settings } from './settings.ts';

/** What each case of a benchmark run on SQLite, then on PostgreSQL (sqliteThenPostgres), is given. */
export interface DialectCaseOptions {
  label: 'sqlite' | 'postgres';
  workdir: string;
  settings: Settings;
  cpuProfileDir: string | null;
  cleanup: Cleanup;
  /** The scratch schema on PostgreSQL; null on SQLite. */
  schema: string | null;
  log(line: string): void;
}

/**
 * The case's own folder, a way to open the product's database directly (to seed it before the
 * product starts, or to count rows after), and the options that start the product on that store.
 */
export function dialectCase(options: DialectCaseOptions): {
  dir: string;
  open(): DbHandle;
  productOptions: StartProductOptions;
} {
  const { label, settings, schema } = options;
  const dir = path.join(options.workdir, label);
  const profileDir = options.cpuProfileDir ? path.join(options.cpuProfileDir, label) : null;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  return {
    dir,
    open: () =>
      schema === null
        ? openDb({ databaseUrl: null, sqliteFile: productSqliteFile(productDataDir(dir)) })
        : openDb({ databaseUrl: settings.pgUrl, pgSchema: schema, pgPoolSize: 2 }),
    productOptions: {
      workdir: dir,
      overrides: settings.productEnv,
      ...(schema !== null ? { databaseUrl: schemaUrl(settings.pgUrl, schema) } : {}),
      ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    },
  };
}
