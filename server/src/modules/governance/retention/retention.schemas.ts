import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';

const Time = Type.String({ format: 'date-time' });
const Days = Type.Integer({
  minimum: 1,
  maximum: 36500,
  description: 'Rows older than this many days are removed',
});

export const PolicyBody = Type.Object(
  {
    collection_name: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'A retainable table (see retainable_tables); anything else is a 400',
    }),
    retention_days: Days,
    archive_before_delete: Type.Optional(
      Type.Boolean({
        description: 'Copy each row to data_archive (with its SHA-256) before removing it; default true',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const PolicyParams = Type.Object(
  { table: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    collection_name: Type.String(),
    retention_days: Type.Integer(),
    archive_before_delete: Type.Boolean(),
    description: Type.String(),
    created_at: Time,
    created_by: nullable(Type.String()),
    updated_at: Time,
    updated_by: nullable(Type.String()),
  },
  { title: 'RetentionPolicy' },
);

export const OverviewSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    default_retention_days: Type.Integer({ description: 'DEFAULT_RETENTION_DAYS: tables without a policy' }),
    accounting_retention_days: Type.Integer({
      description: 'ACCOUNTING_RETENTION_DAYS: posted counts are kept this long after posting (legal hold)',
    }),
    schedule: Type.Object({ daily_at: Type.String(), job: Type.String() }),
    policies: Type.Array(PolicySchema),
    retainable_tables: Type.Array(
      Type.Object({
        name: Type.String(),
        purpose: Type.String(),
        age_column: Type.String({ description: 'The column that ages a row' }),
        archive_allowed: Type.Boolean(),
        note: nullable(Type.String({ description: 'Rows kept whatever their age, rows removed with them' })),
        effective: Type.Object({
          retention_days: Type.Integer(),
          archive_before_delete: Type.Boolean(),
          source: stringEnum(['policy', 'default'] as const),
        }),
      }),
    ),
  },
  { title: 'RetentionPolicies' },
);

const TableFiguresSchema = Type.Object({
  table: Type.String(),
  source: stringEnum(['policy', 'default', 'dependent'] as const),
  parent: nullable(Type.String({ description: 'For a dependent: the table whose rows it went with' })),
  retention_days: nullable(Type.Integer()),
  archive_before_delete: Type.Boolean(),
  cutoff: nullable(Time),
  archived: Type.Integer(),
  deleted: Type.Integer(),
  held: Type.Integer({ description: 'Expired by age but kept under legal hold' }),
});

export const RetentionRunSchema = Type.Object(
  {
    id: Type.String({ description: 'The job run id (GET /api/integrations/jobs/governance.retention/runs)' }),
    trigger: Type.String(),
    triggered_by: nullable(Type.String()),
    status: stringEnum(['running', 'succeeded', 'failed', 'interrupted'] as const),
    started_at: Time,
    finished_at: nullable(Time),
    rows_archived: Type.Integer(),
    rows_deleted: Type.Integer(),
    rows_held: Type.Integer(),
    tables: Type.Array(TableFiguresSchema),
    error: nullable(Type.String()),
  },
  { title: 'RetentionRun' },
);

export const RetentionRunPageSchema = pageSchema(RetentionRunSchema, 'RetentionRunPage');

export const RunsQuery = Type.Object(
  { limit: LimitQuery, cursor: CursorQuery },
  { additionalProperties: false },
);

export const ApplyQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Boolean({ description: 'true: answer 200 with the finished run report instead of 202 at once' }),
    ),
  },
  { additionalProperties: false },
);
