import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { ImportJob } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { ErrorAlert } from '../../ui/forms.tsx';
import { ListFooter, usePagedList } from '../../ui/lists.tsx';
import { getImport, importsKeys, isFinished, KIND_LABELS, listImportErrors, STATUS_LABELS } from './api.ts';

export function StatusBadge({ job }: { job: Pick<ImportJob, 'status'> }) {
  return <span className={`badge job-${job.status}`}>{STATUS_LABELS[job.status]}</span>;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** One import job, polled every half second until it has succeeded or failed. */
export function ImportJobView({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const job = useQuery({
    queryKey: importsKeys.detail(id),
    queryFn: () => getImport(id),
    refetchInterval: (query) => (query.state.data && isFinished(query.state.data.status) ? false : 500),
  });
  const status = job.data?.status;

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  // Once the job is over, the lists it may have changed are stale.
  useEffect(() => {
    if (!status || !isFinished(status)) return;
    void queryClient.invalidateQueries({ queryKey: importsKeys.list });
    void queryClient.invalidateQueries({ queryKey: ['items'] });
    void queryClient.invalidateQueries({ queryKey: ['stock-levels'] });
  }, [status, queryClient]);

  const data = job.data;
  return (
    <section className="card job" aria-labelledby="job-heading">
      <Link to="/imports" className="back-link">
        <span aria-hidden="true">←</span> New upload
      </Link>
      <h2 id="job-heading" ref={headingRef} tabIndex={-1}>
        {data ? data.filename : job.isPending ? 'Loading import…' : 'Import not available'}
      </h2>
      <ErrorAlert error={job.error} />
      {data && <JobDetails job={data} />}
    </section>
  );
}

function JobDetails({ job }: { job: ImportJob }) {
  const percent = job.total ? Math.round((job.processed / job.total) * 100) : null;
  const counts: [string, number | null][] = [
    ['Rows', job.total],
    ['Processed', job.processed],
    ['Inserted', job.inserted],
    ['Updated', job.updated],
    ['Unchanged', job.unchanged],
    ['Rejected', job.rejected],
  ];

  return (
    <>
      <p className="panel-sub">
        <span>{KIND_LABELS[job.kind]}</span>
        <span className="muted">
          {job.format.toUpperCase()} · {formatBytes(job.size_bytes)} · {formatDateTime(job.created_at)}
        </span>
        {job.dry_run && <span className="badge">Dry run</span>}
      </p>

      <div className="progress-block">
        <p className="job-status" role="status">
          <StatusBadge job={job} />{' '}
          {job.status === 'queued'
            ? 'Waiting to start…'
            : job.total === null
              ? `Checking the file… ${job.processed} rows so far`
              : `${job.processed} of ${job.total} rows processed`}
        </p>
        <progress
          className={`progress job-${job.status}`}
          aria-label="Import progress"
          max={job.total ?? undefined}
          value={job.total === null ? undefined : job.processed}
        >
          {percent === null ? '' : `${percent}%`}
        </progress>
      </div>

      <dl className="counts" aria-label="Counts">
        {counts.map(([label, value]) => (
          <div key={label} className={label === 'Rejected' && job.rejected > 0 ? 'count count-bad' : 'count'}>
            <dt>{label}</dt>
            <dd>{value ?? '—'}</dd>
          </div>
        ))}
      </dl>

      {job.error && (
        <div className="alert alert-error" role="alert">
          {job.error}
        </div>
      )}
      {job.status === 'succeeded' &&
        (job.dry_run ? (
          <p className="note">
            Dry run passed: nothing was saved. Upload the same file without “Dry run” to import it.
          </p>
        ) : (
          <p className="alert alert-success">Import finished: the data is saved.</p>
        ))}
      {job.ignored_columns.length > 0 && (
        <p className="note">
          Ignored columns (not recognised): <span className="mono">{job.ignored_columns.join(', ')}</span>
        </p>
      )}
      <RejectedRows job={job} />
    </>
  );
}

/** While the job runs, the first rejected rows come with it; once done, all of them, page by page. */
function RejectedRows({ job }: { job: ImportJob }) {
  const total = job.errors_total ?? job.rejected;
  const finished = isFinished(job.status);
  const all = usePagedList({
    queryKey: importsKeys.errors(job.id),
    fetchPage: (cursor) => listImportErrors(job.id, cursor),
    enabled: finished && total > 0,
  });
  const rows = all.query.data ? all.rows : (job.errors ?? []);
  if (total === 0 && rows.length === 0) return null;

  return (
    <section className="rejected" aria-labelledby="rejected-heading">
      <h3 id="rejected-heading">Rejected rows ({total})</h3>
      <ErrorAlert error={all.query.error} />
      <table className="table compact-table">
        <caption className="visually-hidden">Rejected rows</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Row
            </th>
            <th scope="col">Column</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.row}:${row.column ?? ''}:${row.reason}`}>
              <th scope="row" data-label="Row" className="num">
                {row.row}
              </th>
              <td data-label="Column" className="mono">
                {row.column ?? '—'}
              </td>
              <td data-label="Reason">{row.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ListFooter count={rows.length} noun={['rejected row', 'rejected rows']} query={all.query} />
    </section>
  );
}
