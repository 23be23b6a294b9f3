import { useLocation } from '../../router.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { ErrorAlert } from '../../ui/forms.tsx';
import { LinkedRow, ListFooter, usePagedList } from '../../ui/lists.tsx';
import { Page } from '../../ui/Page.tsx';
import { importsKeys, isFinished, KIND_LABELS, listImports } from './api.ts';
import { ImportJobView, StatusBadge } from './ImportJobView.tsx';
import { UploadForm } from './UploadForm.tsx';

/** /imports: upload a file; /imports/{id}: follow that job. Recent imports below either. */
export function ImportsPage() {
  const { pathname } = useLocation();
  const id = decodeURIComponent(pathname.replace(/^\/imports\/?/, '').split('/')[0] ?? '');
  return (
    <Page title="Imports">
      {id ? <ImportJobView key={id} id={id} /> : <UploadForm />}
      <RecentImports currentId={id || null} />
    </Page>
  );
}

function RecentImports({ currentId }: { currentId: string | null }) {
  const { query: jobs, rows } = usePagedList({
    queryKey: importsKeys.list,
    fetchPage: listImports,
    // Follow jobs still running, so their status here does not go stale.
    refetchInterval: (loaded) => (loaded.some((job) => !isFinished(job.status)) ? 2000 : false),
  });

  return (
    <section className="recent-imports" aria-labelledby="recent-heading">
      <h2 id="recent-heading">Recent imports</h2>
      <ErrorAlert error={jobs.error} />
      {jobs.isPending ? (
        <p className="muted" role="status">
          Loading imports…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">No imports yet.</p>
      ) : (
        <table className="table data-table">
          <caption className="visually-hidden">Recent imports</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col" className="num">
                Rejected
              </th>
              <th scope="col">Uploaded</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((job) => (
              <LinkedRow
                key={job.id}
                to={`/imports/${job.id}`}
                selected={job.id === currentId}
                label="File"
                title={job.filename}
              >
                <td data-label="Kind">
                  {KIND_LABELS[job.kind]}
                  {job.dry_run ? ' (dry run)' : ''}
                </td>
                <td data-label="Status">
                  <StatusBadge job={job} />
                </td>
                <td data-label="Rows" className="num">
                  {job.total ?? '—'}
                </td>
                <td data-label="Rejected" className="num">
                  {job.rejected}
                </td>
                <td data-label="Uploaded">{formatDateTime(job.created_at)}</td>
              </LinkedRow>
            ))}
          </tbody>
        </table>
      )}
      <ListFooter count={rows.length} noun={['import', 'imports']} query={jobs} />
    </section>
  );
}
