import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../../api/client.ts';
import { claimLocation, releaseLocation, releaseOnExit } from './api.ts';

/** Renewed well inside the server's time-to-live, so a claim never lapses while the counter is here. */
export const HEARTBEAT_MS = 60_000;

export type ClaimState =
  | { kind: 'claiming' }
  | { kind: 'held'; expiresAt: string }
  | { kind: 'taken'; holder: string; until: string | null }
  /** The server could not be asked: counting goes on offline, the heartbeat tries again. */
  | { kind: 'offline' }
  | { kind: 'refused'; error: ApiError };

// A release still on its way when the same location is claimed again (leaving and coming back,
// React's double effect in development) must land first, or it would drop the new claim.
let lastRelease: Promise<unknown> = Promise.resolve();

/**
 * Holds the location's claim while the counter's screen is open: claim on arrival, heartbeat
 * every minute, release on leaving (and on closing the tab). `attempt` changes to try again;
 * `active` false (nothing can be counted here) claims nothing, and releases a claim held.
 */
export function useLocationClaim(
  sessionId: string,
  locationId: string,
  attempt: number,
  active = true,
): ClaimState {
  const wanted = active;
  const [state, setShownState] = useState<ClaimState>({ kind: 'claiming' });
  const current = useRef<ClaimState>(state);
  const setState = (next: ClaimState) => {
    current.current = next;
    setShownState(next);
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger
  useEffect(() => {
    if (!wanted) return;
    let active = true;
    let held = false;
    setState({ kind: 'claiming' });

    const claim = async () => {
      await lastRelease.catch(() => {});
      if (!active) return;
      try {
        const claimed = await claimLocation(sessionId, locationId);
        held = true;
        if (active) setState({ kind: 'held', expiresAt: claimed.expires_at });
      } catch (error) {
        if (!active) return;
        if (error instanceof ApiError && error.code === 'LOCATION_CLAIMED') {
          held = false;
          setState({
            kind: 'taken',
            holder: error.fieldMessage('holder') ?? 'someone else',
            until: error.fieldMessage('expires_at') ?? null,
          });
        } else if (error instanceof ApiError && error.status !== 0 && error.status < 500) {
          setState({ kind: 'refused', error });
        } else {
          // A missed heartbeat keeps the claim it renews: the server's time-to-live has room for it.
          if (current.current.kind !== 'held') setState({ kind: 'offline' });
        }
      }
    };

    void claim();
    const timer = window.setInterval(() => {
      // Someone else's claim is not fought over every minute: "Try again" does that.
      const { kind } = current.current;
      if (kind !== 'taken' && kind !== 'refused') void claim();
    }, HEARTBEAT_MS);
    const onExit = () => {
      if (held) releaseOnExit(sessionId, locationId);
    };
    window.addEventListener('pagehide', onExit);

    return () => {
      active = false;
      window.clearInterval(timer);
      window.removeEventListener('pagehide', onExit);
      if (held) lastRelease = releaseLocation(sessionId, locationId).catch(() => {});
    };
  }, [sessionId, locationId, attempt, wanted]);

  return state;
}
