import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.ts';
import type { Dialect } from './database.ts';

/** Migrations are frozen in time: they see `Kysely<any>` and the dialect, never app code. */
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on today's schema types
export type MigrationDb = Kysely<any>;

export interface MigrationModule {
  name: string;
  up(db: MigrationDb, dialect: Dialect): Promise<void>;
  down?(db: MigrationDb, dialect: Dialect): Promise<void>;
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const module of migrations) {
      out[module.name] = {
        up: (db) => module.up(db, this.dialect),
        ...(module.down ? { down: (db: MigrationDb) => module.down!(db, this.dialect) } : {}),
      };
    }
    return out;
  }
}

/**
 * On PostgreSQL the bookkeeping tables live in the schema the connection works in. Kysely would
 * otherwise take a `kysely_migration` table in any other schema of the database for its own.
 */
async function migrator(db: MigrationDb, dialect: Dialect): Promise<Migrator> {
  if (dialect !== 'postgres') return new Migrator({ db, provider: new StaticProvider(dialect) });
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? 'public';
  return new Migrator({ db, provider: new StaticProvider(dialect), migrationTableSchema: schema });
}

/** PostgreSQL's undefined_table. */
const isUndefinedTable = (error: unknown) => (error as { code?: unknown } | null)?.code === '42P01';

export async function migrateToLatest(db: MigrationDb, dialect: Dialect): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    const { error, results } = await (await migrator(db, dialect)).migrateToLatest();
    if (!error) {
      return (results ?? [])
        .filter((result) => result.status === 'Success')
        .map((result) => result.migrationName);
    }
    const failed = results?.find((result) => result.status === 'Error');
    // Before migrating, Kysely reads the tables of every schema in the database; a table dropped
    // meanwhile in another schema (another application sharing the database) fails that read.
    // Nothing of ours ran then, so reading again is safe.
    if (!failed && attempt < 5 && isUndefinedTable(error)) continue;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
}

/**
 * Names of the migrations not yet applied: readiness fails while this is not empty. Read from the
 * bookkeeping table itself (in the connection's own schema), not through Kysely's migrator, which
 * first introspects every table of every schema — slow, and failed by a table another schema drops
 * meanwhile.
 */
export async function pendingMigrations(db: MigrationDb, _dialect: Dialect): Promise<string[]> {
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    applied = new Set(rows.map((row) => row.name));
  } catch (error) {
    // No bookkeeping table yet: nothing is applied. Any other failure is the database's.
    if (!isUndefinedTable(error) && !/no such table/i.test(String(error))) throw error;
    applied = new Set();
  }
  return migrations.map((migration) => migration.name).filter((name) => !applied.has(name));
}
