import type { ReactNode } from 'react';
import type { User } from '../../api/types.ts';
import { Link, useLocation } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { NotFoundPage } from '../layout/NotFoundPage.tsx';
import { ComplianceView } from './ComplianceView.tsx';
import { InventoryView } from './InventoryView.tsx';
import { RequestsView } from './requests/RequestsView.tsx';
import { RetentionView } from './retention/RetentionView.tsx';
// The tabs are the audit section's: one look for every section with views.
import '../audit/audit.css';
import './governance.css';

type View = 'inventory' | 'retention' | 'requests' | 'compliance';

const TABS: { view: View; label: string; path: string }[] = [
  { view: 'inventory', label: 'Data inventory', path: '/governance' },
  { view: 'retention', label: 'Retention', path: '/governance/retention' },
  { view: 'requests', label: 'Data subject requests', path: '/governance/requests' },
  { view: 'compliance', label: 'Compliance report', path: '/governance/compliance' },
];

/**
 * /governance: what personal data we hold (the data inventory), how long (retention policies,
 * apply now), the data subject requests queue, and the compliance report. Admins act; auditors
 * read. The server refuses it all while the data_governance flag is off.
 */
export function GovernancePage({ user }: { user: User }) {
  const { pathname } = useLocation();
  const sub = pathname.replace(/^\/governance\/?/, '').replace(/\/$/, '');
  const canEdit = user.role === 'admin';
  const view: View | null =
    sub === ''
      ? 'inventory'
      : sub === 'retention'
        ? 'retention'
        : sub === 'requests'
          ? 'requests'
          : sub === 'compliance'
            ? 'compliance'
            : null;
  if (view === null) return <NotFoundPage reason="not-found" />;
  const content: ReactNode =
    view === 'inventory' ? (
      <InventoryView />
    ) : view === 'retention' ? (
      <RetentionView canEdit={canEdit} />
    ) : view === 'requests' ? (
      <RequestsView canEdit={canEdit} />
    ) : (
      <ComplianceView />
    );
  return (
    <Page title="Data governance" className="governance">
      <nav className="audit-tabs" aria-label="Governance views">
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
      {!canEdit && (
        <p className="note" data-testid="governance-read-only">
          Read-only: only admins change retention policies or process requests.
        </p>
      )}
      {content}
    </Page>
  );
}
