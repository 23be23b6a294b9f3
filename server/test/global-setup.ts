import pg from 'pg';
import { TEST_PG_URL } from './helpers/test-app.ts';

/**
 * PostgreSQL test schemas are dropped once, when the whole run ends, never while tests run:
 * Kysely's migrator introspects every schema of the database, and a schema dropped under it by
 * a neighbouring test makes that introspection fail. Each run names its schemas with its own
 * prefix; schemas that crashed runs left behind are removed after a day.
 */
const STALE_MS = 24 * 3600_000;

async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T | undefined> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return undefined; // No PostgreSQL: the suites that need it fail on their own.
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropSchemas(client: pg.Client, keep: (name: string) => boolean): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    "select nspname as name from pg_namespace where nspname ~ '^t[0-9a-z]+_'",
  );
  for (const { name } of rows) {
    if (!keep(name)) await client.query(`drop schema if exists "${name}" cascade`);
  }
}

export async function setup(): Promise<() => Promise<void>> {
  const prefix = `t${Date.now().toString(36)}_`;
  process.env.SV_TEST_SCHEMA_PREFIX = prefix;
  await withClient((client) =>
    dropSchemas(client, (name) => {
      const stamp = /^t([0-9a-z]+)_/.exec(name)?.[1];
      return stamp !== undefined && Date.now() - Number.parseInt(stamp, 36) < STALE_MS;
    }),
  );
  return async () => {
    await withClient((client) => dropSchemas(client, (name) => !name.startsWith(prefix)));
  };
}
