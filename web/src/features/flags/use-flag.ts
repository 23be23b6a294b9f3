import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session.ts';
import { flagsKeys, getEnabledFlags } from './api.ts';

/**
 * The signed-in user's enabled flags, asked for once and shared by every screen (one query per
 * user). Kept for a minute, like the server's FEATURE_FLAGS_CACHE_TTL default.
 */
export function useEnabledFlags(): ReadonlySet<string> | undefined {
  const session = useSession();
  const userId = session.data?.user?.id ?? null;
  const query = useQuery({
    queryKey: flagsKeys.enabled(userId ?? ''),
    queryFn: getEnabledFlags,
    enabled: userId !== null && session.data?.mfaEnrolmentRequired !== true,
    staleTime: 60_000,
    select: (data) => new Set(data.flags),
  });
  return query.data;
}

/**
 * Whether a feature is on for the signed-in user. False until the answer is in, so a screen
 * hides what may be off rather than flashing it; the server refuses it anyway (403
 * FEATURE_DISABLED) when it is off.
 */
export function useFlag(key: string): boolean {
  return useEnabledFlags()?.has(key) ?? false;
}
