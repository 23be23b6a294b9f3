import type { Kysely } from 'kysely';
import { csvRow } from '../../platform/csv.ts';
import type { Database } from '../../platform/db/schema.ts';
import { type AuditEntryView, toViews } from './audit-reader.ts';
import type { Checkpoint } from './checkpoints.ts';
import type { IntegrityReport } from './verify.ts';

export interface ComplianceReport {
  period: { days: number; from: string; to: string };
  totals: {
    entries: number;
    by_category: Record<string, number>;
    by_event_type: Record<string, number>;
    by_outcome: Record<string, number>;
    by_severity: Record<string, number>;
  };
  failed_sign_ins: number;
  denied_accesses: number;
  /** The most recent 100 in the period. */
  configuration_changes: AuditEntryView[];
  integrity: IntegrityReport;
  latest_checkpoint: Checkpoint | null;
  generated_at: string;
}

type Column = 'category' | 'event_type' | 'outcome' | 'severity';

async function countBy(db: Kysely<Database>, column: Column, from: string, to: string) {
  const rows = await db
    .selectFrom('enterprise_audit_logs')
    .select([column, (eb) => eb.fn.countAll<number>().as('n')])
    .where('timestamp', '>=', from)
    .where('timestamp', '<=', to)
    .groupBy(column)
    .orderBy(column)
    .execute();
  return Object.fromEntries(rows.map((row) => [row[column], Number(row.n)]));
}

export async function buildComplianceReport(
  db: Kysely<Database>,
  input: { days: number; now: Date; integrity: IntegrityReport; latestCheckpoint: Checkpoint | null },
): Promise<ComplianceReport> {
  const to = input.now.toISOString();
  const from = new Date(input.now.getTime() - input.days * 86_400_000).toISOString();
  const [byCategory, byType, byOutcome, bySeverity] = await Promise.all([
    countBy(db, 'category', from, to),
    countBy(db, 'event_type', from, to),
    countBy(db, 'outcome', from, to),
    countBy(db, 'severity', from, to),
  ]);
  const configRows = await db
    .selectFrom('enterprise_audit_logs')
    .selectAll()
    .where('event_type', '=', 'CONFIG_CHANGE')
    .where('timestamp', '>=', from)
    .where('timestamp', '<=', to)
    .orderBy('seq', 'desc')
    .limit(100)
    .execute();
  return {
    period: { days: input.days, from, to },
    totals: {
      entries: Object.values(byCategory).reduce((sum, n) => sum + n, 0),
      by_category: byCategory,
      by_event_type: byType,
      by_outcome: byOutcome,
      by_severity: bySeverity,
    },
    failed_sign_ins: byType.LOGIN_FAILED ?? 0,
    denied_accesses: byOutcome.denied ?? 0,
    configuration_changes: await toViews(db, configRows),
    integrity: input.integrity,
    latest_checkpoint: input.latestCheckpoint,
    generated_at: input.now.toISOString(),
  };
}

export function complianceReportCsv(report: ComplianceReport): string {
  const lines: (string | number | boolean | null)[][] = [['section', 'name', 'value']];
  lines.push(['period', 'days', report.period.days], ['period', 'from', report.period.from]);
  lines.push(['period', 'to', report.period.to], ['totals', 'entries', report.totals.entries]);
  for (const [name, n] of Object.entries(report.totals.by_category)) lines.push(['by_category', name, n]);
  for (const [name, n] of Object.entries(report.totals.by_event_type)) lines.push(['by_event_type', name, n]);
  for (const [name, n] of Object.entries(report.totals.by_outcome)) lines.push(['by_outcome', name, n]);
  for (const [name, n] of Object.entries(report.totals.by_severity)) lines.push(['by_severity', name, n]);
  lines.push(['security', 'failed_sign_ins', report.failed_sign_ins]);
  lines.push(['security', 'denied_accesses', report.denied_accesses]);
  lines.push(
    ['integrity', 'valid', report.integrity.valid],
    ['integrity', 'checked', report.integrity.checked],
  );
  if (report.integrity.first_bad) {
    lines.push(['integrity', 'first_bad_kind', report.integrity.first_bad.kind]);
    lines.push(['integrity', 'first_bad_seq', report.integrity.first_bad.seq]);
  }
  if (report.latest_checkpoint) {
    lines.push(['checkpoint', 'tree_size', report.latest_checkpoint.tree_size]);
    lines.push(['checkpoint', 'root_hash', report.latest_checkpoint.root_hash]);
    lines.push(['checkpoint', 'timestamp', report.latest_checkpoint.timestamp]);
    lines.push(['checkpoint', 'key_id', report.latest_checkpoint.key_id]);
  }
  for (const change of report.configuration_changes) {
    lines.push(['configuration_change', `${change.timestamp} #${change.seq}`, change.action]);
  }
  lines.push(['report', 'generated_at', report.generated_at]);
  return lines.map(csvRow).join('');
}
