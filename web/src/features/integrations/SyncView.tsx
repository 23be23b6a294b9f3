import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { navigate, useLocation } from '../../router.tsx';
import { ErrorAlert, StatusNote } from '../../ui/forms.tsx';
import { ListFooter, usePagedList } from '../../ui/lists.tsx';
import {
  type ConnectorSyncState,
  getSyncState,
  integrationsKeys,
  type JobRun,
  type JobStatus,
  KIND_LABELS,
  listJobRuns,
  listJobs,
  runJob,
  type SyncMode,
} from './api.ts';
import {
  ENTITY_LABELS,
  EnabledStatus,
  formatDuration,
  RunBadge,
  RunProgress,
  scheduleText,
  When,
} from './parts.tsx';

/** While something runs, its progress is read this often (only while the page is visible). */
const LIVE_POLL_MS = 2_500;
/** Otherwise, often enough to notice a scheduled run starting. */
const IDLE_POLL_MS = 15_000;

const MODE_LABELS: Record<SyncMode, string> = {
  changes: 'Changes',
  new_items: 'New items',
  full: 'Full',
};

/** The background jobs (ERP sync and delivery), a job's run history, and each connector's sync state. */
export function SyncView({ canManage }: { canManage: boolean }) {
  const { searchParams } = useLocation();
  const jobs = useQuery({
    queryKey: integrationsKeys.jobs,
    queryFn: listJobs,
    refetchInterval: (query) =>
      query.state.data?.items.some((job) => job.running) ? LIVE_POLL_MS : IDLE_POLL_MS,
  });
  const items = jobs.data?.items ?? [];
  // A run started or ended: the connectors' sync state moved with it.
  const queryClient = useQueryClient();
  const runningKey = items
    .filter((job) => job.running)
    .map((job) => job.name)
    .join(',');
  useEffect(() => {
    void runningKey;
    void queryClient.invalidateQueries({ queryKey: integrationsKeys.sync });
  }, [runningKey, queryClient]);
  const selected = searchParams.get('job') ?? items[0]?.name ?? null;
  const selectedJob = items.find((job) => job.name === selected) ?? null;
  return (
    <>
      <JobsSection jobs={items} query={jobs} selected={selected} canManage={canManage} />
      {selectedJob && <RunHistory key={selectedJob.name} job={selectedJob} />}
      <ConnectorSyncSection />
    </>
  );
}

function JobsSection(props: {
  jobs: JobStatus[];
  query: { isPending: boolean; isSuccess: boolean; error: unknown };
  selected: string | null;
  canManage: boolean;
}) {
  const { jobs, query, selected, canManage } = props;
  const queryClient = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: runJob,
    onSuccess: (started) => {
      setDone(`${started.job} started.`);
      void queryClient.invalidateQueries({ queryKey: integrationsKeys.jobs });
      void queryClient.invalidateQueries({ queryKey: integrationsKeys.sync });
      navigate(`/integrations/sync?job=${encodeURIComponent(started.job)}`, { replace: true });
    },
    onError: () => {
      void queryClient.invalidateQueries({ queryKey: integrationsKeys.jobs });
    },
  });
  return (
    <section className="card" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs</h2>
      <p className="muted small">
        Each job runs on one server at a time, on its schedule{canManage ? ' or when you run it now' : ''}.
        The ERP sync jobs read from every enabled connector; delivery sends posted adjustments to the ERP.
      </p>
      {done && <StatusNote>{done}</StatusNote>}
      <ErrorAlert error={run.error ?? query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading the jobs…
        </p>
      ) : jobs.length === 0 ? (
        query.isSuccess && <p className="empty">No background job is registered on this server.</p>
      ) : (
        <table className="table data-table integrations-table">
          <caption className="visually-hidden">Jobs</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Schedule</th>
              <th scope="col">Now</th>
              <th scope="col">Last run</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.name} className={job.name === selected ? 'is-selected' : undefined}>
                <th scope="row" data-label="Job">
                  <span className="mono strong">{job.name}</span>
                  {job.description && (
                    <span className="field-hint integrations-block">{job.description}</span>
                  )}
                </th>
                <td data-label="Schedule">
                  {scheduleText(job.schedule)}
                  {job.next_run_at && (
                    <span className="field-hint integrations-block">
                      Next: <When iso={job.next_run_at} />
                    </span>
                  )}
                </td>
                <td data-label="Now">
                  {job.running ? (
                    <>
                      <RunBadge status="running" />
                      {job.holder && <span className="field-hint integrations-block">on {job.holder}</span>}
                      {job.current_run && (
                        <RunProgress
                          label={`${job.name} progress`}
                          processed={job.current_run.progress.processed}
                          total={job.current_run.progress.total}
                        />
                      )}
                    </>
                  ) : (
                    <span className="muted">Idle</span>
                  )}
                </td>
                <td data-label="Last run">
                  {job.last_run ? (
                    <>
                      <RunBadge status={job.last_run.status} />{' '}
                      <When iso={job.last_run.finished_at ?? job.last_run.started_at} />
                      {job.last_run.rows_processed !== null && (
                        <span className="field-hint integrations-block">
                          {job.last_run.rows_processed} rows
                        </span>
                      )}
                      {job.last_run.error && (
                        <span className="field-error integrations-block">{job.last_run.error}</span>
                      )}
                    </>
                  ) : (
                    <span className="muted">Never run</span>
                  )}
                </td>
                <td className="integrations-actions">
                  <div className="form-actions">
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={`History of ${job.name}`}
                      aria-pressed={job.name === selected}
                      onClick={() =>
                        navigate(`/integrations/sync?job=${encodeURIComponent(job.name)}`, { replace: true })
                      }
                    >
                      History
                    </button>
                    {canManage && (
                      <button
                        type="button"
                        className="button button-primary button-small"
                        aria-label={`Run ${job.name} now`}
                        disabled={run.isPending}
                        onClick={() => {
                          setDone(null);
                          run.mutate(job.name);
                        }}
                      >
                        {run.isPending && run.variables === job.name ? 'Starting…' : 'Run now'}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RunHistory({ job }: { job: JobStatus }) {
  const queryClient = useQueryClient();
  // A run started or ended (seen in the jobs list): the history is read again at once.
  const lastRunKey = `${job.running}:${job.current_run?.id ?? ''}:${job.last_run?.id ?? ''}:${job.last_run?.status ?? ''}`;
  useEffect(() => {
    if (lastRunKey) void queryClient.invalidateQueries({ queryKey: integrationsKeys.runs(job.name) });
  }, [lastRunKey, job.name, queryClient]);
  const list = usePagedList<JobRun>({
    queryKey: integrationsKeys.runs(job.name),
    fetchPage: (cursor) => listJobRuns(job.name, cursor),
    refetchInterval: (rows) =>
      job.running || rows.some((run) => run.status === 'running') ? LIVE_POLL_MS : false,
  });
  const { query, rows } = list;
  const headingId = 'runs-heading';
  return (
    <section className="card" aria-labelledby={headingId} aria-busy={query.isFetching || undefined}>
      <h2 id={headingId}>History of {job.name}</h2>
      <ErrorAlert error={query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading the runs…
        </p>
      ) : rows.length === 0 ? (
        query.isSuccess && <p className="empty">{job.name} has not run yet.</p>
      ) : (
        <table className="table data-table integrations-table">
          <caption className="visually-hidden">Runs of {job.name}</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Duration</th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.id}>
                <th scope="row" data-label="Started">
                  <When iso={run.started_at} />
                </th>
                <td data-label="Status">
                  <RunBadge status={run.status} />
                  {run.status === 'running' && (
                    <RunProgress
                      label="Run progress"
                      processed={run.progress.processed}
                      total={run.progress.total}
                    />
                  )}
                </td>
                <td data-label="Trigger">{run.trigger === 'manual' ? 'By hand' : 'Schedule'}</td>
                <td data-label="Duration">{formatDuration(run.duration_ms)}</td>
                <td data-label="Rows" className="num">
                  {run.rows_processed ?? '—'}
                </td>
                <td data-label="Error" className="integrations-wrap">
                  {run.error ?? <span className="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListFooter count={rows.length} noun={['run', 'runs']} query={query} />
    </section>
  );
}

function ConnectorSyncSection() {
  const sync = useQuery({
    queryKey: integrationsKeys.sync,
    queryFn: getSyncState,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
    refetchInterval: (query) =>
      query.state.data?.items.some((connector) => connector.entities.some((entity) => entity.in_progress))
        ? LIVE_POLL_MS
        : IDLE_POLL_MS,
  });
  const notHere = sync.error instanceof ApiError && sync.error.status === 404;
  const items = sync.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="sync-state-heading">
      <h2 id="sync-state-heading">Sync state by connector</h2>
      <p className="muted small">
        What each connector last brought in, per entity: a sync picks up where it stopped, so an interrupted
        run resumes.
      </p>
      {notHere ? (
        <p className="empty">This server does not report sync state.</p>
      ) : (
        <ErrorAlert error={sync.error} />
      )}
      {sync.isPending ? (
        <p className="muted" role="status">
          Loading the sync state…
        </p>
      ) : items.length === 0 ? (
        sync.isSuccess && <p className="empty">No connector has been synced yet.</p>
      ) : (
        items.map((connector) => <ConnectorSync key={connector.connector_id} connector={connector} />)
      )}
    </section>
  );
}

function ConnectorSync({ connector }: { connector: ConnectorSyncState }) {
  const headingId = `sync-${connector.connector_id}`;
  return (
    <section className="integrations-sync" aria-labelledby={headingId}>
      <h3 id={headingId}>{connector.connector_name}</h3>
      <p className="panel-sub">
        <span>{KIND_LABELS[connector.kind] ?? connector.kind}</span>
        <EnabledStatus enabled={connector.enabled} />
      </p>
      {connector.entities.length === 0 ? (
        <p className="muted">Not synced yet.</p>
      ) : (
        <table className="table data-table integrations-table">
          <caption className="visually-hidden">Sync state of {connector.connector_name}</caption>
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">Mode</th>
              <th scope="col">Now</th>
              <th scope="col">Last completed</th>
              <th scope="col">Last counts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {connector.entities.map((entity) => (
              <tr key={`${entity.entity}-${entity.mode}`}>
                <th scope="row" data-label="Entity">
                  {ENTITY_LABELS[entity.entity] ?? entity.entity}
                </th>
                <td data-label="Mode">{MODE_LABELS[entity.mode] ?? entity.mode}</td>
                <td data-label="Now">
                  {entity.in_progress ? (
                    <>
                      <span className="badge integrations-run-running">In progress</span>{' '}
                      <span className="field-hint integrations-block">
                        since <When iso={entity.started_at} />
                        {entity.pass_counts && ` · ${entity.pass_counts.read} rows read so far`}
                      </span>
                    </>
                  ) : (
                    <span className="muted">Idle</span>
                  )}
                </td>
                <td data-label="Last completed">
                  <When iso={entity.last_completed_at} none="Never" />
                </td>
                <td data-label="Last counts">
                  {entity.last_counts ? (
                    <span className="integrations-counts">
                      {entity.last_counts.read} read · {entity.last_counts.inserted} new ·{' '}
                      {entity.last_counts.updated} updated · {entity.last_counts.unchanged} unchanged ·{' '}
                      <span className={entity.last_counts.rejected > 0 ? 'field-error' : undefined}>
                        {entity.last_counts.rejected} rejected
                      </span>
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td data-label="Last error" className="integrations-wrap">
                  {entity.last_error ? (
                    <span className="field-error">{entity.last_error}</span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                  {(entity.rejects ?? []).length > 0 && (
                    <details className="integrations-rejects">
                      <summary>
                        {entity.rejects.length} row{entity.rejects.length === 1 ? '' : 's'} not taken
                      </summary>
                      <ul>
                        {entity.rejects.map((reject) => (
                          <li key={`${reject.at}-${reject.reason}`}>
                            <span className="muted">{reject.at}:</span> {reject.reason}
                          </li>
                        ))}
                      </ul>
                    </details>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
