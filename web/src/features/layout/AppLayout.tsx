import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef } from 'react';
import { ApiError } from '../../api/client.ts';
import { ROLE_LABELS, type User } from '../../api/types.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import { ErrorAlert } from '../../ui/forms.tsx';
import { signOut } from '../auth/api.ts';
import { replaceSession } from '../auth/session.ts';
import { NAV_ITEMS, navFor, sectionOf } from './nav.ts';

/**
 * The header (who is signed in, the main navigation, sign out) around a page.
 *
 * `enrolment`: the user must set up two-factor sign-in before anything else, so the navigation
 * offers only their account, where the set-up is.
 */
export function AppLayout(props: { user: User; enrolment?: boolean; children: ReactNode }) {
  const { user, enrolment = false, children } = props;
  const queryClient = useQueryClient();
  const { pathname } = useLocation();
  const current = sectionOf(pathname);
  const mainRef = useRef<HTMLElement>(null);

  // Moving to another section moves focus to its heading, so screen readers announce the new page.
  const sectionPath = current?.path ?? pathname;
  const shownSection = useRef(sectionPath);
  useEffect(() => {
    if (shownSection.current === sectionPath) return;
    shownSection.current = sectionPath;
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    (heading ?? mainRef.current)?.focus();
  }, [sectionPath]);

  const signOutMutation = useMutation({
    mutationFn: signOut,
    onSettled: (_data, error) => {
      // Unreachable server: the session cookie still works, so do not pretend it ended.
      if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) return;
      // Signed out, or the server no longer knew the session: either way this device is signed out.
      replaceSession(queryClient, null);
      navigate('/sign-in', { replace: true });
    },
  });

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link className="brand" to="/">
            <span className="brand-mark" aria-hidden="true">
              ✓
            </span>
            Stock Verify
          </Link>
          <div className="who">
            <span className="who-name">{user.display_name}</span>
            <span className={`badge badge-${user.role}`}>{ROLE_LABELS[user.role]}</span>
          </div>
          <button
            type="button"
            className="button button-ghost"
            onClick={() => signOutMutation.mutate()}
            disabled={signOutMutation.isPending}
          >
            Sign out
          </button>
        </div>
        <nav className="mainnav" aria-label="Main">
          <ul>
            {(enrolment ? NAV_ITEMS.filter((item) => item.path === '/account') : navFor(user.role)).map(
              (item) => (
                <li key={item.path}>
                  <Link to={item.path} aria-current={current?.path === item.path ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ),
            )}
            {!enrolment && (
              <li className="mainnav-end">
                <a href="/docs">API docs</a>
              </li>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" className="content" tabIndex={-1} ref={mainRef}>
        {signOutMutation.isError && (
          <div className="signout-error">
            <ErrorAlert error={signOutMutation.error} />
          </div>
        )}
        {children}
      </main>
    </div>
  );
}
