import { type Kysely, sql } from 'kysely';
import { DATA_REGISTRY } from '../../../platform/db/data-registry.ts';
import type { Database } from '../../../platform/db/schema.ts';
import type { JsonObject } from '../../audit/events.ts';
import { openPersonal, subjectKeys } from '../../audit/personal-data.ts';

/**
 * Everything the system holds about one data subject, found through the data registry: for each
 * table with subject columns, the rows where any of them holds the subject's user id. PERSONAL,
 * OPERATIONAL and AUDIT columns are exported; SENSITIVE ones (hashes, sealed secrets) never are.
 * Audit entries carry their personal fields opened with the subject's own key — only the
 * subject's part; what they hold about other people stays withheld — and the entries in which
 * someone else recorded personal data about the subject (their account's creation) are added.
 */

export const WITHHELD_SECRET = '[withheld: secret]';
export const WITHHELD_OTHERS = '[withheld: about other people]';

export type ExportRow = Record<string, unknown>;

export interface SubjectExport {
  subject: { user_id: string };
  generated_at: string;
  tables: Record<string, { purpose: string; rows: ExportRow[] }>;
}

/** Tables that exist in this database (the registry may name one a later migration adds). */
async function existingTables(db: Kysely<Database>): Promise<Set<string>> {
  const tables = await db.introspection.getTables();
  return new Set(tables.map((table) => table.name));
}

function exportRow(table: string, row: Record<string, unknown>): ExportRow {
  const columns = DATA_REGISTRY[table]!.columns;
  const out: ExportRow = {};
  for (const [column, value] of Object.entries(row)) {
    const dataClass = columns[column];
    // An unclassified column is not exported: the registry test names it for classification.
    if (dataClass === undefined) continue;
    out[column] = dataClass === 'SENSITIVE' ? (value === null ? null : WITHHELD_SECRET) : value;
  }
  return out;
}

async function rowsOf(
  db: Kysely<Database>,
  table: string,
  columns: readonly string[],
  userId: string,
): Promise<Record<string, unknown>[]> {
  const where = sql.join(
    columns.map((column) => sql`${sql.ref(column)} = ${userId}`),
    sql` or `,
  );
  const { rows } = await sql<
    Record<string, unknown>
  >`select * from ${sql.table(table)} where ${where}`.execute(db);
  return rows;
}

/** The subject's share of an audit entry's sealed personal fields, opened. */
async function openAuditEntries(
  db: Kysely<Database>,
  userId: string,
  rows: Record<string, unknown>[],
): Promise<ExportRow[]> {
  const keys = await subjectKeys.readable(db, [userId]);
  const key = keys.get(userId);
  return rows.map((row) => {
    const out = exportRow('enterprise_audit_logs', row);
    const sealed = row.personal ? (JSON.parse(String(row.personal)) as Record<string, string>) : {};
    const personal: Record<string, JsonObject | string | null> = {};
    for (const [subject, value] of Object.entries(sealed)) {
      if (subject !== userId) personal[subject] = WITHHELD_OTHERS;
      else personal[subject] = key ? openPersonal(key, String(row.event_id), subject, value) : null;
    }
    out.personal = personal;
    if (typeof out.details === 'string') out.details = JSON.parse(out.details);
    return out;
  });
}

export async function collectSubjectData(
  db: Kysely<Database>,
  userId: string,
  now: string,
): Promise<SubjectExport> {
  const present = await existingTables(db);
  const tables: SubjectExport['tables'] = {};
  for (const [table, entry] of Object.entries(DATA_REGISTRY)) {
    if (!entry.subject_columns?.length || !present.has(table)) continue;
    const rows = await rowsOf(db, table, entry.subject_columns, userId);
    if (table === 'enterprise_audit_logs') {
      // Also the entries where others recorded personal data about the subject.
      const { rows: about } = await sql<Record<string, unknown>>`select * from enterprise_audit_logs
        where personal like ${`%"${userId}"%`} and (actor_user_id is null or actor_user_id <> ${userId})`.execute(
        db,
      );
      const all = [...rows, ...about].sort((a, b) => Number(a.seq) - Number(b.seq));
      tables[table] = { purpose: entry.purpose, rows: await openAuditEntries(db, userId, all) };
      continue;
    }
    tables[table] = { purpose: entry.purpose, rows: rows.map((row) => exportRow(table, row)) };
  }
  return { subject: { user_id: userId }, generated_at: now, tables };
}

/** Rows per table, for the request's result: never the data itself. */
export function exportSummary(data: SubjectExport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [table, { rows }] of Object.entries(data.tables)) if (rows.length > 0) out[table] = rows.length;
  return out;
}
