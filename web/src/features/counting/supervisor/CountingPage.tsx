import { useQuery } from '@tanstack/react-query';
import type { User } from '../../../api/types.ts';
import { Link, useLocation } from '../../../router.tsx';
import { formatDateTime } from '../../../ui/format.ts';
import { ErrorAlert } from '../../../ui/forms.tsx';
import { Page } from '../../../ui/Page.tsx';
import { SessionDeliveryPanel } from '../../integrations/SessionDeliveryPanel.tsx';
import { NotFoundPage } from '../../layout/NotFoundPage.tsx';
import { Assignments } from './Assignments.tsx';
import { type CountSessionDetail, countingKeys, countingUrl, getSession } from './api.ts';
import { PeriodReports } from './PeriodReports.tsx';
import { PlanForm } from './PlanForm.tsx';
import { ProgressView } from './ProgressView.tsx';
import { canRunCounts, MODE_LABELS, SessionStatusBadge, WarehouseName } from './parts.tsx';
import { ReviewQueue } from './ReviewQueue.tsx';
import { SessionList } from './SessionList.tsx';
import { SessionReport } from './SessionReport.tsx';
import { SessionSteps } from './SessionSteps.tsx';
import '../../audit/audit.css';
import './counting.css';

type Tab = 'plan' | 'progress' | 'review' | 'report';
const TABS: { tab: Tab; label: string; sub: string }[] = [
  { tab: 'plan', label: 'Plan', sub: '' },
  { tab: 'progress', label: 'Progress', sub: 'progress' },
  { tab: 'review', label: 'Review', sub: 'review' },
  { tab: 'report', label: 'Report', sub: 'report' },
];

/** How often a session that is being counted is read again for the live figures. */
const LIVE_POLL_MS = 5_000;

/**
 * /counting: the sessions; /counting/new: plan one; /counting/reports: accuracy, shrinkage and
 * productivity over a period; /counting/{id}[/progress|/review|/report]: one session.
 * Auditors see all of it without the buttons that change anything.
 */
export function CountingPage({ user }: { user: User }) {
  const { pathname } = useLocation();
  const parts = pathname
    .replace(/^\/counting\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const [first = '', second = ''] = parts;
  const canRun = canRunCounts(user.role);

  if (parts.length === 0) {
    return (
      <Page
        title="Counting"
        actions={
          <div className="page-actions">
            <Link to="/counting/reports" className="button button-secondary">
              Reports
            </Link>
            {canRun && (
              <Link to="/counting/new" className="button button-primary">
                Plan a session
              </Link>
            )}
          </div>
        }
      >
        <SessionList />
      </Page>
    );
  }
  if (first === 'new' && parts.length === 1) {
    if (!canRun) return <NotFoundPage reason="forbidden" />;
    return (
      <Page title="Plan a session" className="counting">
        <BackToSessions />
        <PlanForm session={null} />
      </Page>
    );
  }
  if (first === 'reports' && parts.length === 1) {
    return (
      <Page title="Counting reports" className="counting">
        <BackToSessions />
        <PeriodReports />
      </Page>
    );
  }
  const tab = TABS.find((entry) => entry.sub === second)?.tab;
  if (!tab || parts.length > 2) return <NotFoundPage reason="not-found" />;
  return <SessionView key={first} id={first} tab={tab} canRun={canRun} />;
}

function BackToSessions() {
  return (
    <Link to="/counting" className="back-link">
      <span aria-hidden="true">←</span> Back to sessions
    </Link>
  );
}

function SessionView({ id, tab, canRun }: { id: string; tab: Tab; canRun: boolean }) {
  const session = useQuery({
    queryKey: countingKeys.detail(id),
    queryFn: () => getSession(id),
    // Live figures while people count; the progress tab also follows a session in review.
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'counting' || (tab === 'progress' && status === 'review') ? LIVE_POLL_MS : false;
    },
  });

  if (!session.data) {
    return (
      <Page title={session.isPending ? 'Loading session…' : 'Session not available'} className="counting">
        <BackToSessions />
        <ErrorAlert error={session.error} />
      </Page>
    );
  }
  const data = session.data;
  return (
    <Page title={data.name} className="counting">
      <BackToSessions />
      <p className="panel-sub session-sub">
        <SessionStatusBadge status={data.status} />
        <span>
          <WarehouseName id={data.warehouse_id} />
        </span>
        <span>{MODE_LABELS[data.mode]} mode</span>
        {!canRun && <span className="badge counting-readonly">Read-only</span>}
      </p>
      {canRun && <SessionSteps session={data} />}
      {data.status === 'posted' && <SessionDeliveryPanel sessionId={data.id} />}
      <nav className="audit-tabs" aria-label="Session views">
        <ul>
          {TABS.map((entry) => (
            <li key={entry.tab}>
              <Link to={countingUrl(id, entry.sub)} aria-current={entry.tab === tab ? 'page' : undefined}>
                {entry.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'plan' && <PlanTab session={data} canRun={canRun} />}
      {tab === 'progress' && <ProgressView session={data} />}
      {tab === 'review' && <ReviewQueue session={data} canRun={canRun} />}
      {tab === 'report' && <SessionReport session={data} />}
    </Page>
  );
}

function PlanTab({ session, canRun }: { session: CountSessionDetail; canRun: boolean }) {
  const { scope, tolerance } = session;
  const figure = (value: number | undefined, suffix = '') =>
    value === undefined ? 'none' : `${value}${suffix}`;
  return (
    <>
      {session.status === 'draft' && canRun ? (
        <PlanForm key={session.id} session={session} />
      ) : (
        <section className="card" aria-labelledby="plan-summary-heading">
          <h2 id="plan-summary-heading">Plan</h2>
          <dl className="details">
            <dt>Scope</dt>
            <dd>
              {scope.location_ids.length === 0
                ? 'every location'
                : `${scope.location_ids.length} location subtrees`}
              {' · '}
              {scope.categories.length === 0 ? 'every category' : scope.categories.join(', ')}
              {' · '}
              {scope.item_ids.length === 0 ? 'every item' : `${scope.item_ids.length} items`}
            </dd>
            {tolerance && (
              <>
                <dt>Tolerance</dt>
                <dd>
                  quantity {figure(tolerance.qty_abs)} / {figure(tolerance.qty_pct, ' %')}, value{' '}
                  {figure(tolerance.value_abs)} / {figure(tolerance.value_pct, ' %')};{' '}
                  {tolerance.auto_approve ? 'auto-approve within tolerance' : 'no auto-approve'}
                </dd>
              </>
            )}
            <dt>Created</dt>
            <dd>{formatDateTime(session.created_at)}</dd>
            {session.started_at && (
              <>
                <dt>Started</dt>
                <dd>{formatDateTime(session.started_at)}</dd>
              </>
            )}
            {session.submitted_at && (
              <>
                <dt>Submitted</dt>
                <dd>{formatDateTime(session.submitted_at)}</dd>
              </>
            )}
            {session.approved_at && (
              <>
                <dt>Approved</dt>
                <dd>{formatDateTime(session.approved_at)}</dd>
              </>
            )}
            {session.posted_at && (
              <>
                <dt>Posted</dt>
                <dd>{formatDateTime(session.posted_at)}</dd>
              </>
            )}
            {session.cancelled_at && (
              <>
                <dt>Cancelled</dt>
                <dd>
                  {formatDateTime(session.cancelled_at)}: {session.cancel_reason}
                </dd>
              </>
            )}
            {session.notes && (
              <>
                <dt>Notes</dt>
                <dd>{session.notes}</dd>
              </>
            )}
          </dl>
        </section>
      )}
      <Assignments session={session} canEdit={canRun} />
    </>
  );
}
