import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { JOB_NAME_PATTERN } from '../../../platform/jobs/job-runner.ts';
import { RUN_STATUSES, RUN_TRIGGERS } from '../../../platform/jobs/jobs.store.ts';

export const JobNameParams = Type.Object({
  name: Type.String({ pattern: JOB_NAME_PATTERN, description: 'A registered job, e.g. erp.stock-sync' }),
});

export const ListJobRunsQuery = Type.Object({ limit: LimitQuery, cursor: CursorQuery });

export const JobRunSchema = Type.Object(
  {
    id: Type.String(),
    job: Type.String(),
    instance_id: Type.String({ description: 'The server instance that ran it' }),
    trigger: stringEnum(RUN_TRIGGERS),
    triggered_by: nullable(Type.String({ description: 'User id of a manual trigger' })),
    status: stringEnum(RUN_STATUSES),
    started_at: Type.String({ format: 'date-time' }),
    finished_at: nullable(Type.String({ format: 'date-time' })),
    duration_ms: nullable(Type.Integer()),
    rows_processed: nullable(Type.Integer({ description: 'Rows the run wrote' })),
    progress: Type.Object({
      processed: Type.Integer(),
      total: nullable(Type.Integer({ description: 'null while unknown' })),
    }),
    error: nullable(Type.String({ description: 'Why it failed or was interrupted (no secrets)' })),
  },
  { title: 'JobRun' },
);

export const JobStatusSchema = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    schedule: Type.Object({
      every_ms: nullable(Type.Integer({ description: 'Runs every this many milliseconds' })),
      daily_at: nullable(Type.String({ description: 'Runs daily at HH:MM (UTC)' })),
    }),
    running: Type.Boolean({ description: 'Some instance holds an unexpired lease on it' }),
    holder: nullable(Type.String({ description: 'The instance running it' })),
    current_run: nullable(JobRunSchema),
    last_run: nullable(JobRunSchema),
    next_run_at: nullable(Type.String({ format: 'date-time', description: 'Next scheduled run' })),
  },
  { title: 'JobStatus' },
);

export const JobListSchema = Type.Object({ items: Type.Array(JobStatusSchema) }, { title: 'JobList' });

export const JobRunPageSchema = pageSchema(JobRunSchema, 'JobRunPage');
