import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatDateTime } from '../../ui/format.ts';
import { ErrorAlert } from '../../ui/forms.tsx';
import { getComplianceReport, governanceKeys } from './api.ts';

const PERIODS = [7, 30, 90, 365];

/** The compliance report: coverage, retention, data subject requests. */
export function ComplianceView() {
  const [days, setDays] = useState(30);
  const report = useQuery({
    queryKey: governanceKeys.report(days),
    queryFn: () => getComplianceReport(days),
  });
  const data = report.data;
  return (
    <section className="card" aria-labelledby="compliance-heading" aria-busy={report.isFetching || undefined}>
      <h2 id="compliance-heading">Compliance report</h2>
      <label className="field">
        <span>Period</span>
        <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
          {PERIODS.map((period) => (
            <option key={period} value={period}>
              last {period} days
            </option>
          ))}
        </select>
      </label>
      <ErrorAlert error={report.error} />
      {report.isPending ? (
        <p className="muted" role="status">
          Loading the report…
        </p>
      ) : !data ? null : (
        <div className="governance-report" data-testid="compliance-report">
          <section aria-labelledby="coverage-heading">
            <h3 id="coverage-heading">Classification</h3>
            <p data-testid="coverage">
              {data.classification.coverage_percent}% of columns classified (
              {data.classification.classified_columns} of {data.classification.columns} in{' '}
              {data.classification.tables} tables).
            </p>
            {data.classification.unclassified.length > 0 && (
              <p className="error">Not classified: {data.classification.unclassified.join(', ')}</p>
            )}
          </section>
          <section aria-labelledby="retention-report-heading">
            <h3 id="retention-report-heading">Retention</h3>
            <dl className="governance-figures">
              <dt>Policies</dt>
              <dd>{data.retention.policies}</dd>
              <dt>Runs (in period)</dt>
              <dd>
                {data.retention.runs} ({data.retention.runs_in_period}, {data.retention.failed_runs_in_period}{' '}
                failed)
              </dd>
              <dt>Rows removed (in period)</dt>
              <dd data-testid="rows-removed">
                {data.retention.rows_deleted.toLocaleString()} (
                {data.retention.rows_deleted_in_period.toLocaleString()})
              </dd>
              <dt>Rows archived</dt>
              <dd>{data.retention.rows_archived.toLocaleString()}</dd>
              <dt>Kept under legal hold</dt>
              <dd>{data.retention.rows_held.toLocaleString()}</dd>
              <dt>Last run</dt>
              <dd>
                {data.retention.last_run
                  ? `${data.retention.last_run.status}, ${formatDateTime(data.retention.last_run.started_at)}`
                  : 'none yet'}
              </dd>
            </dl>
          </section>
          <section aria-labelledby="requests-report-heading">
            <h3 id="requests-report-heading">Data subject requests</h3>
            <dl className="governance-figures">
              <dt>All requests</dt>
              <dd>{data.requests.total}</dd>
              <dt>By type</dt>
              <dd>
                {Object.entries(data.requests.by_type)
                  .map(([type, n]) => `${type} ${n}`)
                  .join(', ')}
              </dd>
              <dt>By status</dt>
              <dd>
                {Object.entries(data.requests.by_status)
                  .map(([status, n]) => `${status} ${n}`)
                  .join(', ')}
              </dd>
              <dt>Open</dt>
              <dd>{data.requests.open}</dd>
              <dt>Overdue</dt>
              <dd data-testid="overdue" className={data.requests.overdue > 0 ? 'error' : undefined}>
                {data.requests.overdue}
              </dd>
              <dt>Erasures done</dt>
              <dd data-testid="erasures">{data.requests.erasures_completed}</dd>
            </dl>
            {data.requests.overdue_requests.length > 0 && (
              <ul className="governance-overdue">
                {data.requests.overdue_requests.map((request) => (
                  <li key={request.id}>
                    {request.request_type} request {request.id.slice(0, 8)} ({request.status}) was due{' '}
                    {formatDateTime(request.due_at)}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <p className="muted small">
            Generated {formatDateTime(data.generated_at)}. Governance{' '}
            {data.settings.data_governance_enabled ? 'on' : 'off'}, GDPR mode{' '}
            {data.settings.gdpr_compliance_mode ? 'on' : 'off'}, default retention{' '}
            {data.settings.default_retention_days} days.
          </p>
        </div>
      )}
    </section>
  );
}
