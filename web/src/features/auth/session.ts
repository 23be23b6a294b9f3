import { type QueryClient, useQuery } from '@tanstack/react-query';
import { ApiError, hasSessionHint } from '../../api/client.ts';
import type { User } from '../../api/types.ts';
import { fetchMe } from './api.ts';

export const SESSION_KEY = ['session'] as const;

export interface Session {
  user: User;
  /**
   * The user's role requires two-factor sign-in and it is off: until it is set up, the server
   * answers nothing else (403 MFA_ENROLMENT_REQUIRED), and the app shows only its set-up.
   */
  mfaEnrolmentRequired: boolean;
}

/** The signed-in user, or null when there is no valid session. */
async function loadSession(): Promise<Session | null> {
  // No readable sv_csrf cookie means no session cookie either: skip a request bound to fail.
  if (!hasSessionHint()) return null;
  try {
    const me = await fetchMe();
    return { user: me.user, mfaEnrolmentRequired: me.mfa_enrolment_required };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: loadSession, staleTime: 60_000 });
}

/**
 * Starts (a session) or ends (null) a session in the client: everything cached for the previous
 * user is dropped, so a shared handheld never shows one person's data to the next.
 */
export function replaceSession(queryClient: QueryClient, session: Session | null): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
  queryClient.setQueryData(SESSION_KEY, session);
}

/** Asks the server again who is signed in (after two-factor sign-in was switched on or off). */
export function refreshSession(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: SESSION_KEY, exact: true });
}

/** The server refused a call until two-factor sign-in is set up: the app switches to its set-up. */
export function markMfaEnrolmentRequired(queryClient: QueryClient): void {
  queryClient.setQueryData<Session | null>(SESSION_KEY, (session) =>
    session && !session.mfaEnrolmentRequired ? { ...session, mfaEnrolmentRequired: true } : session,
  );
}

/**
 * Two-factor sign-in was just switched on (or off) for the signed-in user: the session says so at
 * once (once on, nothing is held back any more), then the server is asked to confirm.
 */
export function mfaSwitched(queryClient: QueryClient, enabled: boolean): void {
  queryClient.setQueryData<Session | null>(SESSION_KEY, (session) =>
    session
      ? {
          user: { ...session.user, mfa_enabled: enabled },
          mfaEnrolmentRequired: enabled ? false : session.mfaEnrolmentRequired,
        }
      : session,
  );
  void refreshSession(queryClient);
}
