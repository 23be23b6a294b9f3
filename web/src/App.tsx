import { useQueryClient } from '@tanstack/react-query';
import { type ComponentType, useEffect } from 'react';
import { ApiError, setUnauthorizedHandler } from './api/client.ts';
import type { User } from './api/types.ts';
import { AccountPage } from './features/account/AccountPage.tsx';
import { AuditPage } from './features/audit/AuditPage.tsx';
import { MFA_ENROLMENT_REQUIRED } from './features/auth/api.ts';
import { SignInPage } from './features/auth/SignInPage.tsx';
import { markMfaEnrolmentRequired, replaceSession, useSession } from './features/auth/session.ts';
import { CountPage } from './features/counting/counter/CountPage.tsx';
import { startBackgroundSync, stopBackgroundSync } from './features/counting/offline/counter-store.ts';
import { CountingPage } from './features/counting/supervisor/CountingPage.tsx';
import { FlagsPage } from './features/flags/FlagsPage.tsx';
import { GovernancePage } from './features/governance/GovernancePage.tsx';
import { ImportsPage } from './features/imports/ImportsPage.tsx';
import { IntegrationsPage } from './features/integrations/IntegrationsPage.tsx';
import { ItemsPage } from './features/items/ItemsPage.tsx';
import { AppLayout } from './features/layout/AppLayout.tsx';
import { HomePage } from './features/layout/HomePage.tsx';
import { NotFoundPage } from './features/layout/NotFoundPage.tsx';
import { sectionOf } from './features/layout/nav.ts';
import { LocationsPage } from './features/locations/LocationsPage.tsx';
import { SecurityPage } from './features/security/SecurityPage.tsx';
import { StockLevelsPage } from './features/stock-levels/StockLevelsPage.tsx';
import { UsersPage } from './features/users/UsersPage.tsx';
import { navigate, useLocation } from './router.tsx';
import { ErrorAlert } from './ui/forms.tsx';

/** The page of each section in nav.ts, by its path. */
const PAGES: Record<string, ComponentType<{ user: User }>> = {
  '/': HomePage,
  '/counting': CountingPage,
  '/count': CountPage,
  '/items': ItemsPage,
  '/locations': LocationsPage,
  '/stock-levels': StockLevelsPage,
  '/imports': ImportsPage,
  '/users': UsersPage,
  '/audit': AuditPage,
  '/security': SecurityPage,
  '/integrations': IntegrationsPage,
  '/governance': GovernancePage,
  '/flags': FlagsPage,
  '/account': AccountPage,
};

const SIGN_IN_PATH = '/sign-in';
/** Where a user who must set up two-factor sign-in first is kept until they have. */
const ENROLMENT_PATH = '/account';

function currentPath(): string {
  return window.location.pathname + window.location.search;
}

function signInUrl(from: string): string {
  return from === '/' || from.startsWith(SIGN_IN_PATH)
    ? SIGN_IN_PATH
    : `${SIGN_IN_PATH}?next=${encodeURIComponent(from)}`;
}

export function App() {
  const queryClient = useQueryClient();
  const session = useSession();
  const { pathname } = useLocation();
  // undefined: not known yet; null: signed out.
  const user = session.data === undefined ? undefined : (session.data?.user ?? null);
  const enrolling = session.data?.mfaEnrolmentRequired === true;

  // Any request answered 401 means the session is over: back to sign-in, then back here.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      const from = currentPath();
      replaceSession(queryClient, null);
      navigate(signInUrl(from), { replace: true });
    });
  }, [queryClient]);

  // A call refused until two-factor sign-in is set up (the role requires it, and it was reset or
  // the requirement is new): the app switches to the set-up, as /api/auth/me would have said.
  useEffect(() => {
    const check = (error: unknown) => {
      if (error instanceof ApiError && error.status === 403 && error.code === MFA_ENROLMENT_REQUIRED) {
        markMfaEnrolmentRequired(queryClient);
      }
    };
    const stopQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') check(event.action.error);
    });
    const stopMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') check(event.action.error);
    });
    return () => {
      stopQueries();
      stopMutations();
    };
  }, [queryClient]);

  // Entries a counter left on this device (offline, or the tab was closed mid-sync) go out as soon
  // as they are signed in again, whatever page they open first.
  const userId = user?.id;
  useEffect(() => {
    if (userId && !enrolling) startBackgroundSync(userId);
    else stopBackgroundSync();
  }, [userId, enrolling]);

  // Keep the address bar honest: /sign-in when signed out, never /sign-in when signed in, and
  // the set-up's address while two-factor sign-in must be set up first.
  useEffect(() => {
    if (user === null && pathname !== SIGN_IN_PATH) navigate(signInUrl(currentPath()), { replace: true });
    else if (user && enrolling && pathname !== ENROLMENT_PATH) navigate(ENROLMENT_PATH, { replace: true });
    else if (user && pathname === SIGN_IN_PATH) navigate('/', { replace: true });
  }, [user, enrolling, pathname]);

  if (session.isPending) {
    return (
      <p className="splash" role="status">
        Loading…
      </p>
    );
  }
  if (session.isError && user === undefined) {
    return (
      <main className="splash" id="main">
        <ErrorAlert error={session.error} />
        <button type="button" className="button button-primary" onClick={() => session.refetch()}>
          Try again
        </button>
      </main>
    );
  }
  if (!user) return <SignInPage />;
  if (enrolling) {
    return (
      <AppLayout user={user} enrolment>
        <AccountPage user={user} enrolment onEnrolled={() => navigate('/', { replace: true })} />
      </AppLayout>
    );
  }

  const section = sectionOf(pathname);
  const Page = section ? PAGES[section.path] : undefined;
  let content = <NotFoundPage reason="not-found" />;
  if (section && !section.roles.includes(user.role)) content = <NotFoundPage reason="forbidden" />;
  else if (Page) content = <Page user={user} />;
  return <AppLayout user={user}>{content}</AppLayout>;
}
