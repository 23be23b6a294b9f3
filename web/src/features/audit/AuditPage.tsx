import { Link, useLocation } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { NotFoundPage } from '../layout/NotFoundPage.tsx';
import { AuditEntryPanel } from './AuditEntryPanel.tsx';
import { AuditLog } from './AuditLog.tsx';
import { ComplianceReport } from './ComplianceReport.tsx';
import { IntegrityView } from './IntegrityView.tsx';
import './audit.css';

type View = 'log' | 'integrity' | 'report';

const TABS: { view: View; label: string; path: string }[] = [
  { view: 'log', label: 'Log', path: '/audit' },
  { view: 'integrity', label: 'Integrity', path: '/audit/integrity' },
  { view: 'report', label: 'Compliance report', path: '/audit/report' },
];

/**
 * /audit: the log; /audit/entries/{event_id}: the log with that entry beside it;
 * /audit/integrity: verify the chain, list the checkpoints; /audit/report: the compliance report.
 * Everything here is read-only.
 */
export function AuditPage() {
  const { pathname } = useLocation();
  const parts = pathname
    .replace(/^\/audit\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const [first = '', second = ''] = parts;

  let view: View | null = null;
  let entryId: string | null = null;
  if (parts.length === 0) view = 'log';
  else if (first === 'entries' && second && parts.length === 2) {
    view = 'log';
    entryId = second;
  } else if (parts.length === 1 && (first === 'integrity' || first === 'report')) view = first;
  if (view === null) return <NotFoundPage reason="not-found" />;

  return (
    <Page title="Audit" className={entryId ? 'audit has-panel' : 'audit'}>
      <nav className="audit-tabs" aria-label="Audit views">
        <ul>
          {TABS.map((tab) => (
            <li key={tab.view}>
              <Link to={tab.path} aria-current={tab.view === view ? 'page' : undefined}>
                {tab.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {view === 'log' && (
        <div className="split">
          <AuditLog selectedId={entryId} />
          {entryId && (
            <div className="split-panel">
              <AuditEntryPanel key={entryId} id={entryId} />
            </div>
          )}
        </div>
      )}
      {view === 'integrity' && <IntegrityView />}
      {view === 'report' && <ComplianceReport />}
    </Page>
  );
}
