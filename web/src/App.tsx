import { useQueryClient } from '@tanstack/react-query';
import { type ComponentType, useEffect } from 'react';
import { setUnauthorizedHandler } from './api/client.ts';
import type { User } from './api/types.ts';
import { AccountPage } from './features/account/AccountPage.tsx';
import { AuditPage } from './features/audit/AuditPage.tsx';
import { SignInPage } from './features/auth/SignInPage.tsx';
import { replaceSession, useSession } from './features/auth/session.ts';
import { ImportsPage } from './features/imports/ImportsPage.tsx';
import { ItemsPage } from './features/items/ItemsPage.tsx';
import { AppLayout } from './features/layout/AppLayout.tsx';
import { HomePage } from './features/layout/HomePage.tsx';
import { NotFoundPage } from './features/layout/NotFoundPage.tsx';
import { sectionOf } from './features/layout/nav.ts';
import { LocationsPage } from './features/locations/LocationsPage.tsx';
import { StockLevelsPage } from './features/stock-levels/StockLevelsPage.tsx';
import { UsersPage } from './features/users/UsersPage.tsx';
import { navigate, useLocation } from './router.tsx';
import { ErrorAlert } from './ui/forms.tsx';

/** The page of each section in nav.ts, by its path. */
const PAGES: Record<string, ComponentType<{ user: User }>> = {
  '/': HomePage,
  '/items': ItemsPage,
  '/locations': LocationsPage,
  '/stock-levels': StockLevelsPage,
  '/imports': ImportsPage,
  '/users': UsersPage,
  '/audit': AuditPage,
  '/account': AccountPage,
};

const SIGN_IN_PATH = '/sign-in';

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
  const user = session.data;

  // Any request answered 401 means the session is over: back to sign-in, then back here.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      const from = currentPath();
      replaceSession(queryClient, null);
      navigate(signInUrl(from), { replace: true });
    });
  }, [queryClient]);

  // Keep the address bar honest: /sign-in when signed out, never /sign-in when signed in.
  useEffect(() => {
    if (user === null && pathname !== SIGN_IN_PATH) navigate(signInUrl(currentPath()), { replace: true });
    if (user && pathname === SIGN_IN_PATH) navigate('/', { replace: true });
  }, [user, pathname]);

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

  const section = sectionOf(pathname);
  const Page = section ? PAGES[section.path] : undefined;
  let content = <NotFoundPage reason="not-found" />;
  if (section && !section.roles.includes(user.role)) content = <NotFoundPage reason="forbidden" />;
  else if (Page) content = <Page user={user} />;
  return <AppLayout user={user}>{content}</AppLayout>;
}
