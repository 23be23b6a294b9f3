import { Type } from 'typebox';
import { DATA_CLASSES } from '../../../platform/db/data-registry.ts';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';

const ByClass = Type.Object(
  Object.fromEntries(DATA_CLASSES.map((dataClass) => [dataClass, Type.Integer()])) as Record<
    (typeof DATA_CLASSES)[number],
    ReturnType<typeof Type.Integer>
  >,
);

export const InventorySchema = Type.Object(
  {
    generated_at: Type.String({ format: 'date-time' }),
    tables: Type.Array(
      Type.Object({
        table: Type.String(),
        purpose: Type.String(),
        row_count: Type.Integer(),
        columns: Type.Array(
          Type.Object({
            name: Type.String(),
            class: nullable(
              stringEnum(DATA_CLASSES, 'PERSONAL | SENSITIVE | OPERATIONAL | AUDIT (null: unclassified)'),
            ),
          }),
        ),
        by_class: ByClass,
        subject_columns: Type.Array(Type.String(), { description: "Columns holding a user's id" }),
        retention: Type.Object({
          retainable: Type.Boolean({ description: 'Rows of this table are removed by age' }),
          retention_days: nullable(Type.Integer()),
          archive_before_delete: nullable(Type.Boolean()),
          source: nullable(stringEnum(['policy', 'default'] as const)),
          age_column: nullable(Type.String()),
          note: nullable(Type.String()),
        }),
      }),
    ),
    summary: Type.Object({
      tables: Type.Integer(),
      columns: Type.Integer(),
      by_class: ByClass,
      unclassified: Type.Array(Type.String(), { description: 'table.column present but not classified' }),
    }),
  },
  { title: 'DataInventory' },
);

export const ComplianceQuery = Type.Object({
  days: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 30,
      description: 'The period for the "in period" figures',
    }),
  ),
});

const Counts = Type.Record(Type.String(), Type.Integer());

export const ComplianceReportSchema = Type.Object(
  {
    generated_at: Type.String({ format: 'date-time' }),
    period_days: Type.Integer(),
    settings: Type.Object({
      data_governance_enabled: Type.Boolean(),
      gdpr_compliance_mode: Type.Boolean(),
      default_retention_days: Type.Integer(),
    }),
    classification: Type.Object({
      tables: Type.Integer(),
      columns: Type.Integer(),
      classified_columns: Type.Integer(),
      coverage_percent: Type.Number(),
      by_class: ByClass,
      unclassified: Type.Array(Type.String()),
    }),
    retention: Type.Object({
      policies: Type.Integer(),
      runs: Type.Integer(),
      runs_in_period: Type.Integer(),
      failed_runs_in_period: Type.Integer(),
      rows_archived: Type.Integer(),
      rows_deleted: Type.Integer(),
      rows_held: Type.Integer({ description: 'Rows kept under legal hold, summed over runs' }),
      rows_deleted_in_period: Type.Integer(),
      last_run: nullable(
        Type.Object({
          id: Type.String(),
          status: Type.String(),
          started_at: Type.String({ format: 'date-time' }),
          finished_at: nullable(Type.String({ format: 'date-time' })),
          rows_deleted: Type.Integer(),
        }),
      ),
    }),
    requests: Type.Object({
      total: Type.Integer(),
      by_type: Counts,
      by_status: Counts,
      open: Type.Integer(),
      overdue: Type.Integer(),
      overdue_requests: Type.Array(
        Type.Object({
          id: Type.String(),
          request_type: Type.String(),
          status: Type.String(),
          due_at: Type.String({ format: 'date-time' }),
        }),
      ),
      erasures_completed: Type.Integer(),
      completed_in_period: Type.Integer(),
    }),
  },
  { title: 'GovernanceComplianceReport' },
);
