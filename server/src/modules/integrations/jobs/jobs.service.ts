import type { Page } from '../../../platform/http/pagination.ts';
import type { JobRun, JobRunner, JobStatus } from '../../../platform/jobs/job-runner.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext } from '../../audit/events.ts';

export interface JobsAdmin {
  list(): Promise<JobStatus[]>;
  runs(name: string, page: { cursor?: string; limit: number }): Promise<Page<JobRun>>;
  /** Runs a job now; the claim and its audit entry share one transaction. */
  trigger(name: string, context: AuditContext): Promise<JobRun>;
}

export function createJobsAdmin(deps: { runner: JobRunner; trail: AuditTrail }): JobsAdmin {
  const { runner, trail } = deps;
  return {
    list: () => runner.status(),
    runs: (name, page) => runner.runs(name, page),
    trigger: (name, context) =>
      runner.trigger(name, {
        ...(context.actor.user_id ? { triggeredBy: context.actor.user_id } : {}),
        transaction: (claim) =>
          trail.transaction(context, async (trx, record) => {
            const run = await claim(trx);
            record({
              type: 'DATA_UPDATE',
              action: 'job.trigger',
              resource: { type: 'job', id: name },
              details: { run_id: run.id, trigger: 'manual', instance_id: run.instance_id },
            });
            return run;
          }),
      }),
  };
}
