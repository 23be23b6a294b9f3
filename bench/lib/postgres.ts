import pg from 'pg';
import type { Cleanup } from './benchmark.ts';

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
