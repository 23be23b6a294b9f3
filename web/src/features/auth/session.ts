import { type QueryClient, useQuery } from '@tanstack/react-query';
import { ApiError, hasSessionHint } from '../../api/client.ts';
import type { User } from '../../api/types.ts';
import { fetchMe } from './api.ts';

export const SESSION_KEY = ['session'] as const;

/** The signed-in user, or null when there is no valid session. */
async function loadSession(): Promise<User | null> {
  // No readable sv_csrf cookie means no session cookie either: skip a request bound to fail.
  if (!hasSessionHint()) return null;
  try {
    return (await fetchMe()).user;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: loadSession, staleTime: 60_000 });
}

/**
 * Starts (user) or ends (null) a session in the client: everything cached for the previous user
 * is dropped, so a shared handheld never shows one person's data to the next.
 */
export function replaceSession(queryClient: QueryClient, user: User | null): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
  queryClient.setQueryData(SESSION_KEY, user);
}
