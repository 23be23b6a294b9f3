import type { JobRunner } from '../../../platform/jobs/job-runner.ts';
import type { ErpSync } from './sync.service.ts';

export const SYNC_JOBS = {
  stockLevels: 'erp.stock-levels',
  items: 'erp.items',
  full: 'erp.full-sync',
} as const;

/** The sync schedules (README, ERP integration): each job runs on one instance at a time. */
export function registerSyncJobs(
  jobs: JobRunner,
  sync: ErpSync,
  schedule: { stockLevelsMinutes: number; itemsMinutes: number; fullAt: string },
): void {
  jobs.register(SYNC_JOBS.stockLevels, {
    description: 'Stock levels from every ERP connector; only figures that moved are written',
    everyMs: schedule.stockLevelsMinutes * 60_000,
    run: (ctx) => sync.runMode('changes', ctx),
  });
  jobs.register(SYNC_JOBS.items, {
    description: 'New items (codes not known yet) from every ERP connector',
    everyMs: schedule.itemsMinutes * 60_000,
    run: (ctx) => sync.runMode('new_items', ctx),
  });
  jobs.register(SYNC_JOBS.full, {
    description: 'Full sync: every item brought up to date, then every stock level',
    dailyAt: schedule.fullAt,
    run: (ctx) => sync.runMode('full', ctx),
  });
}
