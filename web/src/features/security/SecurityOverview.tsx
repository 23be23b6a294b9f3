import { useQuery } from '@tanstack/react-query';
import { AUDIT_SEVERITIES, SECURITY_EVENT_TYPES, type SecuritySummary, type User } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert } from '../../ui/forms.tsx';
import { SEVERITY_LABELS } from '../audit/api.ts';
import { SeverityBadge, Timestamp } from '../audit/parts.tsx';
import { getSummary, LIST_LABELS, MODE_TEXT, securityKeys } from './api.ts';
import { eventsPath } from './parts.tsx';

/** Security at a glance: what is in force, what is listed and locked, and the last 24 hours. */
export function SecurityOverview({ me }: { me: User }) {
  const summary = useQuery({ queryKey: securityKeys.summary, queryFn: getSummary });

  return (
    <section className="card" aria-labelledby="summary-heading" aria-busy={summary.isFetching || undefined}>
      <div className="audit-report-head">
        <h2 id="summary-heading">Security status</h2>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => summary.refetch()}
          disabled={summary.isFetching}
        >
          {summary.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <ErrorAlert error={summary.error} />
      {summary.isPending ? (
        <p className="muted" role="status">
          Loading the summary…
        </p>
      ) : (
        summary.data && <SummaryBody summary={summary.data} admin={me.role === 'admin'} />
      )}
    </section>
  );
}

function SummaryBody({ summary, admin }: { summary: SecuritySummary; admin: boolean }) {
  const { events_24h: recent } = summary;
  return (
    <>
      <p className="muted small">
        As of <Timestamp iso={summary.generated_at} />.
      </p>

      <section aria-labelledby="settings-heading" className="audit-report-part">
        <h3 id="settings-heading">Settings in force</h3>
        <dl className="details">
          <dt>Enterprise security</dt>
          <dd>{summary.enabled ? 'On' : 'Off'}</dd>
          <dt>IP filter mode</dt>
          <dd>{LIST_LABELS[summary.ip_filter_mode] ?? summary.ip_filter_mode}</dd>
        </dl>
        <p className="muted small security-mode">
          {summary.enabled
            ? MODE_TEXT[summary.ip_filter_mode]
            : 'Security is switched off (ENTERPRISE_SECURITY_ENABLED=false): addresses are not filtered and failed sign-ins do not lock accounts.'}
        </p>
      </section>

      <dl className="counts" aria-label="Figures">
        <div className="count">
          <dt>Blacklist entries</dt>
          <dd>{summary.ip_lists.blacklist}</dd>
        </div>
        <div className="count">
          <dt>Whitelist entries</dt>
          <dd>{summary.ip_lists.whitelist}</dd>
        </div>
        <div className={summary.locked_accounts > 0 ? 'count count-bad' : 'count'}>
          <dt>Locked accounts</dt>
          <dd>{summary.locked_accounts}</dd>
        </div>
        <div className="count">
          <dt>Active users</dt>
          <dd>{summary.active_users}</dd>
        </div>
        <div className="count">
          <dt>Events, last 24 hours</dt>
          <dd>{recent.total}</dd>
        </div>
      </dl>
      {admin && (
        <ul className="security-links">
          <li>
            <Link to="/security/ip-lists">Manage the IP lists</Link>
          </li>
          <li>
            <Link to="/security/locked-accounts">See locked accounts</Link>
          </li>
          <li>
            <Link to="/security/sessions">See a user’s sessions</Link>
          </li>
        </ul>
      )}

      <section aria-labelledby="recent-heading" className="audit-report-part">
        <h3 id="recent-heading">Events in the last 24 hours</h3>
        <div className="audit-breakdown">
          <table className="table compact-table">
            <caption className="visually-hidden">Events by type</caption>
            <thead>
              <tr>
                <th scope="col">Event type</th>
                <th scope="col" className="num">
                  Events
                </th>
              </tr>
            </thead>
            <tbody>
              {SECURITY_EVENT_TYPES.map((type) => (
                <tr key={type}>
                  <th scope="row" className="mono">
                    <Link to={eventsPath({ severity: '', type })}>{type}</Link>
                  </th>
                  <td className="num">{recent.by_type[type] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table className="table compact-table">
            <caption className="visually-hidden">Events by severity</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col" className="num">
                  Events
                </th>
              </tr>
            </thead>
            <tbody>
              {AUDIT_SEVERITIES.map((severity) => (
                <tr key={severity}>
                  <th scope="row">
                    <Link
                      to={eventsPath({ severity, type: '' })}
                      aria-label={`${SEVERITY_LABELS[severity]} events`}
                    >
                      <SeverityBadge severity={severity} />
                    </Link>
                  </th>
                  <td className="num">{recent.by_severity[severity] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
