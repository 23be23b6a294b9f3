import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { AUDIT_CATEGORIES, type AuditComplianceReport } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert, SelectField, StatusNote } from '../../ui/forms.tsx';
import {
  auditKeys,
  CATEGORY_LABELS,
  complianceCsvUrl,
  getComplianceReport,
  getPublicKey,
  OUTCOME_LABELS,
  REPORT_PERIODS,
  type ReportDays,
  SEVERITY_LABELS,
} from './api.ts';
import {
  actorName,
  CheckpointDetails,
  entryPath,
  IntegrityResult,
  resourceText,
  Timestamp,
} from './parts.tsx';

/** What an auditor files: the period's totals, sign-in failures, denials, config changes, integrity. */
export function ComplianceReport() {
  const [days, setDays] = useState<ReportDays>(30);
  const report = useQuery({
    queryKey: auditKeys.report(days),
    queryFn: () => getComplianceReport(days),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <section className="card" aria-labelledby="report-heading" aria-busy={report.isFetching || undefined}>
        <div className="audit-report-head">
          <h2 id="report-heading">Compliance report</h2>
          <SelectField
            label="Period"
            value={days}
            onChange={(event) => setDays(Number(event.target.value) as ReportDays)}
          >
            {REPORT_PERIODS.map((value) => (
              <option key={value} value={value}>
                Last {value} days
              </option>
            ))}
          </SelectField>
          <a className="button button-secondary" href={complianceCsvUrl(days)} download>
            Download CSV
          </a>
        </div>
        <ErrorAlert error={report.error} />
        {report.isPending ? (
          <p className="muted" role="status">
            Loading the report…
          </p>
        ) : (
          report.data && <ReportBody report={report.data} />
        )}
      </section>
      <PublicKeySection />
    </>
  );
}

function ReportBody({ report }: { report: AuditComplianceReport }) {
  const { totals } = report;
  const configChanges = totals.by_event_type.CONFIG_CHANGE ?? report.configuration_changes.length;
  return (
    <>
      <p className="muted">
        From <Timestamp iso={report.period.from} /> to <Timestamp iso={report.period.to} />. Generated{' '}
        <Timestamp iso={report.generated_at} />.
      </p>
      <dl className="counts" aria-label="Summary">
        <div className="count">
          <dt>Entries</dt>
          <dd>{totals.entries}</dd>
        </div>
        <div className={report.failed_sign_ins > 0 ? 'count count-bad' : 'count'}>
          <dt>Failed sign-ins</dt>
          <dd>{report.failed_sign_ins}</dd>
        </div>
        <div className={report.denied_accesses > 0 ? 'count count-bad' : 'count'}>
          <dt>Denied accesses</dt>
          <dd>{report.denied_accesses}</dd>
        </div>
        <div className="count">
          <dt>Configuration changes</dt>
          <dd>{configChanges}</dd>
        </div>
      </dl>

      <div className="audit-breakdown">
        <Totals
          id="by-category"
          title="By category"
          column="Category"
          rows={AUDIT_CATEGORIES.map((category) => [
            CATEGORY_LABELS[category],
            totals.by_category[category] ?? 0,
          ])}
        />
        <Totals
          id="by-event-type"
          title="By event type"
          column="Event type"
          mono
          rows={Object.entries(totals.by_event_type).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))}
        />
        <Totals
          id="by-outcome"
          title="By outcome"
          column="Outcome"
          rows={Object.entries(totals.by_outcome).map(([key, count]) => [
            OUTCOME_LABELS[key as keyof typeof OUTCOME_LABELS] ?? key,
            count,
          ])}
        />
        <Totals
          id="by-severity"
          title="By severity"
          column="Severity"
          rows={Object.entries(totals.by_severity).map(([key, count]) => [
            SEVERITY_LABELS[key as keyof typeof SEVERITY_LABELS] ?? key,
            count,
          ])}
        />
      </div>

      <section aria-labelledby="config-changes-heading" className="audit-report-part">
        <h3 id="config-changes-heading">Configuration changes</h3>
        {report.configuration_changes.length === 0 ? (
          <p className="muted">No configuration changes in this period.</p>
        ) : (
          <>
            {configChanges > report.configuration_changes.length && (
              <p className="muted small">The newest {report.configuration_changes.length} are listed.</p>
            )}
            <table className="table compact-table">
              <caption className="visually-hidden">Configuration changes</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Resource</th>
                </tr>
              </thead>
              <tbody>
                {report.configuration_changes.map((entry) => (
                  <tr key={entry.event_id}>
                    <th scope="row">
                      <Link to={entryPath(entry.event_id)}>
                        <Timestamp iso={entry.timestamp} />
                      </Link>
                    </th>
                    <td className="mono">{entry.action}</td>
                    <td>{actorName(entry)}</td>
                    <td className="mono audit-code">{resourceText(entry.resource)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section aria-labelledby="report-integrity-heading" className="audit-report-part">
        <h3 id="report-integrity-heading">Integrity</h3>
        <IntegrityResult result={report.integrity} />
      </section>

      <section aria-labelledby="report-checkpoint-heading" className="audit-report-part">
        <h3 id="report-checkpoint-heading">Latest signed checkpoint</h3>
        {report.latest_checkpoint ? (
          <CheckpointDetails checkpoint={report.latest_checkpoint} />
        ) : (
          <p className="muted">No signed checkpoint yet.</p>
        )}
      </section>
    </>
  );
}

/** A count per kind, as a small table. */
function Totals(props: {
  id: string;
  title: string;
  column: string;
  rows: [string, number][];
  mono?: boolean;
}) {
  const { id, title, column, rows, mono } = props;
  const headingId = `${id}-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted">No entries.</p>
      ) : (
        <table className="table compact-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{column}</th>
              <th scope="col" className="num">
                Entries
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, count]) => (
              <tr key={label}>
                <th scope="row" className={mono ? 'mono' : undefined}>
                  {label}
                </th>
                <td className="num">{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The key that signs checkpoints, for anyone who wants to check a checkpoint outside this app. */
function PublicKeySection() {
  const key = useQuery({
    queryKey: auditKeys.publicKey,
    queryFn: getPublicKey,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const copy = useMutation({ mutationFn: (pem: string) => navigator.clipboard.writeText(pem) });

  return (
    <section className="card" aria-labelledby="public-key-heading">
      <h2 id="public-key-heading">Checkpoint signing key</h2>
      <p className="muted small">
        Checkpoints are signed with this public key’s private half. Keep a copy outside this system: with it,
        anyone can check a checkpoint’s signature on their own.
      </p>
      <ErrorAlert error={key.error} />
      {key.isPending ? (
        <p className="muted" role="status">
          Loading the key…
        </p>
      ) : (
        key.data && (
          <>
            <dl className="details audit-details">
              <dt>Key ID</dt>
              <dd>
                <span className="mono audit-code">{key.data.key_id}</span>
              </dd>
              <dt>Algorithm</dt>
              <dd>{key.data.algorithm}</dd>
            </dl>
            <pre className="audit-pre audit-pem">{key.data.public_key_pem}</pre>
            <ErrorAlert error={copy.error} />
            {copy.isSuccess && <StatusNote>Public key copied.</StatusNote>}
            <div className="form-actions">
              <button
                type="button"
                className="button button-secondary"
                onClick={() => copy.mutate(key.data.public_key_pem)}
              >
                Copy public key
              </button>
            </div>
          </>
        )
      )}
    </section>
  );
}
