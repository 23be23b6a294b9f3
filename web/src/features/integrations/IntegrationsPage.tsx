import type { ReactNode } from 'react';
import type { User } from '../../api/types.ts';
import { Link, useLocation } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { NotFoundPage } from '../layout/NotFoundPage.tsx';
import { CircuitBreakersView } from './CircuitBreakersView.tsx';
import { ConnectorsView } from './ConnectorsView.tsx';
import { ConnectorView } from './ConnectorView.tsx';
import { DeliveryView } from './DeliveryView.tsx';
import { NewConnectorView } from './NewConnectorView.tsx';
import { SyncView } from './SyncView.tsx';
// The tabs are the audit section's: one look for every section with views.
import '../audit/audit.css';
import './integrations.css';

type View = 'connectors' | 'sync' | 'breakers' | 'delivery';

const TABS: { view: View; label: string; path: string }[] = [
  { view: 'connectors', label: 'Connectors', path: '/integrations' },
  { view: 'sync', label: 'Sync', path: '/integrations/sync' },
  { view: 'breakers', label: 'Circuit breakers', path: '/integrations/circuit-breakers' },
  { view: 'delivery', label: 'Delivery', path: '/integrations/delivery' },
];

/**
 * /integrations: the ERP connectors; /integrations/connectors/new and /integrations/connectors/{id}:
 * add one, or see, test and change one; /integrations/sync: the sync jobs, their history and each
 * connector's sync state; /integrations/circuit-breakers; /integrations/delivery: where posted
 * adjustments go, and the outbox. Admins manage; auditors see the same screens read-only.
 */
export function IntegrationsPage({ user }: { user: User }) {
  const { pathname } = useLocation();
  const parts = pathname
    .replace(/^\/integrations\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const [first = '', second = ''] = parts;
  const canManage = user.role === 'admin';

  let view: View | null = null;
  let content: ReactNode = null;
  if (parts.length === 0) {
    view = 'connectors';
    content = <ConnectorsView canManage={canManage} />;
  } else if (first === 'connectors' && parts.length === 2) {
    view = 'connectors';
    if (second === 'new') {
      if (!canManage) return <NotFoundPage reason="forbidden" />;
      content = <NewConnectorView />;
    } else content = <ConnectorView key={second} id={second} canManage={canManage} />;
  } else if (first === 'sync' && parts.length === 1) {
    view = 'sync';
    content = <SyncView canManage={canManage} />;
  } else if (first === 'circuit-breakers' && parts.length === 1) {
    view = 'breakers';
    content = <CircuitBreakersView />;
  } else if (first === 'delivery' && parts.length === 1) {
    view = 'delivery';
    content = <DeliveryView canManage={canManage} />;
  }
  if (view === null) return <NotFoundPage reason="not-found" />;

  return (
    <Page title="Integrations" className="integrations">
      <nav className="audit-tabs" aria-label="Integration views">
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
      {!canManage && (
        <p className="note" data-testid="integrations-read-only">
          Read-only: only admins change connectors, run jobs or retry deliveries.
        </p>
      )}
      {content}
    </Page>
  );
}
