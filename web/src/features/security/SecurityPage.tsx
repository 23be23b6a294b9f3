import type { Role, User } from '../../api/types.ts';
import { Link, useLocation } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { NotFoundPage } from '../layout/NotFoundPage.tsx';
import { EventsView } from './EventsView.tsx';
import { IpListsView } from './IpListsView.tsx';
import { LockedAccountsView } from './LockedAccountsView.tsx';
import { SecurityOverview } from './SecurityOverview.tsx';
import { SessionsView } from './SessionsView.tsx';
// The tabs and the severity badges are the audit section's: one look for both.
import '../audit/audit.css';
import './security.css';

type View = 'overview' | 'events' | 'ip-lists' | 'locked' | 'sessions';

/** The views, with who may open them (the server's roles: auditors read, admins act). */
const TABS: { view: View; label: string; path: string; roles: readonly Role[] }[] = [
  { view: 'overview', label: 'Overview', path: '/security', roles: ['admin', 'auditor'] },
  { view: 'events', label: 'Events', path: '/security/events', roles: ['admin', 'auditor'] },
  { view: 'ip-lists', label: 'IP lists', path: '/security/ip-lists', roles: ['admin'] },
  { view: 'locked', label: 'Locked accounts', path: '/security/locked-accounts', roles: ['admin'] },
  { view: 'sessions', label: 'Sessions', path: '/security/sessions', roles: ['admin'] },
];

/**
 * /security: the summary; /security/events: security events; admins also have
 * /security/ip-lists, /security/locked-accounts and /security/sessions[/{user_id}].
 */
export function SecurityPage({ user: me }: { user: User }) {
  const { pathname } = useLocation();
  const parts = pathname
    .replace(/^\/security\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const [first = '', second = ''] = parts;

  let view: View | null = null;
  let userId: string | null = null;
  if (parts.length === 0) view = 'overview';
  else if (parts.length === 1 && first === 'events') view = 'events';
  else if (parts.length === 1 && first === 'ip-lists') view = 'ip-lists';
  else if (parts.length === 1 && first === 'locked-accounts') view = 'locked';
  else if (first === 'sessions' && parts.length <= 2) {
    view = 'sessions';
    userId = second || null;
  }
  if (view === null) return <NotFoundPage reason="not-found" />;

  const tabs = TABS.filter((tab) => tab.roles.includes(me.role));
  if (!tabs.some((tab) => tab.view === view)) return <NotFoundPage reason="forbidden" />;

  return (
    <Page title="Security" className="security">
      <nav className="audit-tabs" aria-label="Security views">
        <ul>
          {tabs.map((tab) => (
            <li key={tab.view}>
              <Link to={tab.path} aria-current={tab.view === view ? 'page' : undefined}>
                {tab.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {view === 'overview' && <SecurityOverview me={me} />}
      {view === 'events' && <EventsView />}
      {view === 'ip-lists' && <IpListsView />}
      {view === 'locked' && <LockedAccountsView />}
      {view === 'sessions' && <SessionsView key={userId ?? ''} userId={userId} me={me} />}
    </Page>
  );
}
