import { formatShortTimestamp } from '../audit/parts.tsx';
import type { BreakerState, JobStatus, RunStatus, SampleRow, TestStatus } from './api.ts';
import { BREAKER_STATE_LABELS } from './api.ts';

/** A point in time, short enough for a table cell, with the exact instant for machines; "—" for none. */
export function When({ iso, none = '—' }: { iso: string | null | undefined; none?: string }) {
  if (!iso) return <span className="muted">{none}</span>;
  return (
    <time dateTime={iso} title={iso} className="audit-time">
      {formatShortTimestamp(iso)}
    </time>
  );
}

/** "850 ms", "12.3 s", "4 min 5 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** How often a job runs, in words. */
export function scheduleText(schedule: JobStatus['schedule']): string {
  if (schedule.daily_at) return `Daily at ${schedule.daily_at} UTC`;
  const every = schedule.every_ms;
  if (!every) return 'Only when run by hand';
  if (every % 3_600_000 === 0) {
    const hours = every / 3_600_000;
    return hours === 1 ? 'Every hour' : `Every ${hours} hours`;
  }
  if (every % 60_000 === 0) {
    const minutes = every / 60_000;
    return minutes === 1 ? 'Every minute' : `Every ${minutes} minutes`;
  }
  if (every % 1000 === 0) {
    const seconds = every / 1000;
    return seconds === 1 ? 'Every second' : `Every ${seconds} seconds`;
  }
  return `Every ${formatDuration(every)}`;
}

export function TestBadge({ status }: { status: TestStatus }) {
  return <span className={`badge integrations-${status}`}>{status === 'ok' ? 'OK' : 'Failed'}</span>;
}

const RUN_LABELS: Record<RunStatus, string> = {
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

export function RunBadge({ status }: { status: RunStatus }) {
  return <span className={`badge integrations-run-${status}`}>{RUN_LABELS[status]}</span>;
}

export function BreakerBadge({ state }: { state: BreakerState }) {
  return <span className={`badge integrations-breaker-${state}`}>{BREAKER_STATE_LABELS[state]}</span>;
}

/** A progress bar for a run: exact when the total is known, indeterminate until then. */
export function RunProgress(props: { label: string; processed: number; total: number | null }) {
  const { label, processed, total } = props;
  return (
    <div className="integrations-progress">
      <progress
        className="progress job-running"
        aria-label={label}
        max={total ?? undefined}
        value={total === null ? undefined : Math.min(processed, total)}
      />
      <span className="muted small">
        {total === null ? `${processed} rows so far` : `${processed} of ${total} rows`}
      </span>
    </div>
  );
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A mapped row, field by field: what a sync would write, to check the mapping by eye. */
export function SampleRowView({ row, label }: { row: SampleRow; label: string }) {
  const entries = Object.entries(row);
  if (entries.length === 0) return <span className="muted">(empty row)</span>;
  return (
    <dl className="integrations-sample" aria-label={label}>
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt className="mono">{key}</dt>
          <dd className="mono">{cellText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export const ENTITY_LABELS: Record<string, string> = {
  items: 'Items',
  barcodes: 'Barcodes',
  stock_levels: 'Stock levels',
};

/** "Enabled" or "Disabled", as a status chip. */
export function EnabledStatus({ enabled }: { enabled: boolean }) {
  return (
    <span className={enabled ? 'status status-active' : 'status status-inactive'}>
      {enabled ? 'Enabled' : 'Disabled'}
    </span>
  );
}
