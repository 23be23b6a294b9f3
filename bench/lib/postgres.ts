import pg from 'pg';
import { Cleanup } from './benchmark.ts';

/** The connection string of a schema: every session's search_path is set to it. */
export function schemaUrl(base: string, schema: string): string {
  return `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** A superuser connection to BENCH_PG_URL that makes fresh schemas and drops them at cleanup. */
export interface ScratchSchemas {
  admin: pg.Client;
  /** Creates `bench_<prefix>_<pid>_<ms>` (dropped by the cleanup, or earlier with drop). */
  create(prefix: string): Promise<string>;
  drop(schema: string): Promise<void>;
}

export async function scratchSchemas(pgUrl: string, cleanup: Cleanup): Promise<ScratchSchemas> {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  cleanup.add('close the PostgreSQL connection', () => admin.end());
  const drop = async (schema: string) => {
    await admin.query(`drop schema if exists ${schema} cascade`);
  };
  return {
    admin,
    async create(prefix) {
      const schema = `bench_${prefix}_${process.pid}_${Date.now()}`;
      await admin.query(`create schema ${schema}`);
      cleanup.add(`drop schema ${schema}`, () => drop(schema));
      return schema;
    },
    drop,
  };
}

/**
 * Runs one benchmark case on SQLite, then on PostgreSQL in a scratch schema named after
 * `schemaName`, with one cleanup for both; answers the two results in that order.
 */
export async function sqliteThenPostgres<T>(
  pgUrl: string,
  schemaName: string,
  runCase: (label: 'sqlite' | 'postgres', cleanup: Cleanup, schema: string | null) => Promise<T>,
): Promise<T[]> {
  const cleanup = new Cleanup();
  try {
    const results = [await runCase('sqlite', cleanup, null)];
    const schemas = await scratchSchemas(pgUrl, cleanup);
    results.push(await runCase('postgres', cleanup, await schemas.create(schemaName)));
    return results;
  } finally {
    await cleanup.run();
  }
}
