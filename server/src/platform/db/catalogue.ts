import { type Kysely, sql } from 'kysely';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';

/** Kysely's own bookkeeping: not application data. */
const INTERNAL = new Set(['kysely_migration', 'kysely_migration_lock']);

/**
 * The tables and columns that really exist in the database (SQLite's catalogue, or PostgreSQL's
 * information_schema for the current schema) — what the data registry is checked against, and
 * what a scan for a person's data walks, so a table nobody registered is not missed.
 */
export async function catalogueColumns(
  db: Kysely<Database>,
  dialect: Dialect,
): Promise<Map<string, { name: string; text: boolean }[]>> {
  const rows =
    dialect === 'sqlite'
      ? (
          await sql<{ table_name: string; column_name: string; data_type: string }>`
            select m.name as table_name, c.name as column_name, c.type as data_type
            from sqlite_master m join pragma_table_info(m.name) c
            where m.type = 'table' and m.name not like 'sqlite_%'
            order by m.name, c.cid`.execute(db)
        ).rows
      : (
          await sql<{ table_name: string; column_name: string; data_type: string }>`
            select table_name, column_name, data_type
            from information_schema.columns
            where table_schema = current_schema()
            order by table_name, ordinal_position`.execute(db)
        ).rows;
  const out = new Map<string, { name: string; text: boolean }[]>();
  for (const row of rows) {
    if (INTERNAL.has(row.table_name)) continue;
    const columns = out.get(row.table_name) ?? [];
    columns.push({ name: row.column_name, text: /text|char|json/i.test(row.data_type) });
    out.set(row.table_name, columns);
  }
  return out;
}
