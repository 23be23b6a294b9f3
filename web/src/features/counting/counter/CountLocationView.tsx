import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { errorMessage } from '../../../api/client.ts';
import type { User } from '../../../api/types.ts';
import { Link, navigate } from '../../../router.tsx';
import { formatDateTime } from '../../../ui/format.ts';
import { ErrorAlert } from '../../../ui/forms.tsx';
import { finishedKey } from '../offline/counter-db.ts';
import { counterStore, syncNow, useAfterSync } from '../offline/counter-store.ts';
import {
  completeLocation,
  counterKeys,
  getLocation,
  getSession,
  listRecountLines,
  type RecountLine,
} from './api.ts';
import { EntryList } from './EntryList.tsx';
import { COUNT_PATH, countPath } from './paths.ts';
import { ScanPanel } from './ScanPanel.tsx';
import { useLocationClaim } from './use-location-claim.ts';

const MODE_NOTES = {
  standard: 'Count everything you find here.',
  blind: 'Blind count: count everything you find here.',
  strict: 'Strict count: count everything you find here.',
} as const;

/** Finishing waits for the device's entries of this location to reach the server. */
async function unsyncedHere(userId: string, sessionId: string, locationId: string): Promise<number> {
  const { db } = counterStore();
  const entries = await db.outbox
    .where('[session_id+location_id]')
    .equals([sessionId, locationId])
    .filter((entry) => entry.user_id === userId && entry.state === 'pending')
    .count();
  const voids = await db.voids
    .where('user_id')
    .equals(userId)
    .filter((queued) => queued.session_id === sessionId && queued.location_id === locationId)
    .count();
  return entries + voids;
}

const RECOUNT_NOTE = 'Recount: count only the items listed, all of them, as if for the first time.';

function waitingError(waiting: number, then: string): Error {
  return new Error(`${waiting} ${waiting === 1 ? 'entry is' : 'entries are'} still waiting to sync. ${then}`);
}

/**
 * /count/{session}/{location}: claim the location, scan into it, see what was counted, finish it.
 * A session in review takes recounts only: the screen lists the lines to recount here (code, name,
 * lot: never the book, nor an earlier round), scanning works as in a count, and "Done" syncs and
 * goes back (a recount does not finish the location: lines not listed stay as they were).
 */
export function CountLocationView(props: { user: User; sessionId: string; locationId: string }) {
  const { user, sessionId, locationId } = props;
  const queryClient = useQueryClient();
  const session = useQuery({
    queryKey: counterKeys.session(sessionId),
    queryFn: () => getSession(sessionId),
  });
  const location = useQuery({
    queryKey: counterKeys.location(locationId),
    queryFn: () => getLocation(locationId),
  });
  const status = session.data?.status;
  const inReview = status === 'review';
  const recountHere = useQuery({
    queryKey: counterKeys.recountLines(sessionId, locationId),
    queryFn: () => listRecountLines(sessionId, locationId),
    enabled: inReview,
  });
  // Nothing to recount at this very location: the lines may wait in bins under it (or beside it).
  const recountElsewhere = useQuery({
    queryKey: counterKeys.recountLines(sessionId, null),
    queryFn: () => listRecountLines(sessionId, null),
    enabled: inReview && recountHere.data?.length === 0,
    retry: false,
  });
  // While the session is unknown (loading, or offline) counting goes on: the server judges each entry.
  const mode: 'count' | 'recount' | 'loading' | 'closed' =
    status === undefined || status === 'counting'
      ? 'count'
      : !inReview
        ? 'closed'
        : recountHere.error || (recountHere.data && recountHere.data.length > 0)
          ? 'recount'
          : recountHere.isPending || recountElsewhere.isLoading
            ? 'loading'
            : 'closed';
  // A synced recount entry turns its line from "not recounted yet" to received.
  const refreshRecount = useCallback(() => {
    if (inReview)
      void queryClient.invalidateQueries({ queryKey: counterKeys.recountLines(sessionId, locationId) });
  }, [queryClient, inReview, sessionId, locationId]);
  useAfterSync(refreshRecount);
  const elsewhere = (recountElsewhere.data ?? []).filter((line) => line.location_id !== locationId);
  const [attempt, setAttempt] = useState(0);
  const claim = useLocationClaim(sessionId, locationId, attempt, mode !== 'closed');
  const [confirming, setConfirming] = useState(false);

  const done = useMutation({
    mutationFn: async () => {
      await syncNow();
      const waiting = await unsyncedHere(user.id, sessionId, locationId);
      if (waiting > 0) throw waitingError(waiting, 'Tap Done once they are sent.');
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: counterKeys.assignments });
      void queryClient.invalidateQueries({ queryKey: ['counter', 'recount-lines', sessionId] });
      const code = location.data?.code ?? '';
      navigate(code ? `${COUNT_PATH}?recounted=${encodeURIComponent(code)}` : COUNT_PATH);
    },
  });

  const finish = useMutation({
    mutationFn: async () => {
      await syncNow();
      const waiting = await unsyncedHere(user.id, sessionId, locationId);
      if (waiting > 0) throw waitingError(waiting, 'Finish the location once they are sent.');
      return completeLocation(sessionId, locationId);
    },
    onSuccess: async (completion) => {
      await counterStore().db.finished.put({
        key: finishedKey(user.id, sessionId, locationId),
        finished_at: completion.completed_at,
      });
      void queryClient.invalidateQueries({ queryKey: counterKeys.assignments });
      const code = location.data?.code ?? '';
      navigate(code ? `${COUNT_PATH}?finished=${encodeURIComponent(code)}` : COUNT_PATH);
    },
  });

  const code = location.data?.code ?? '…';

  return (
    <div className="counter-location-view">
      <p className="counter-back">
        <Link to={COUNT_PATH}>← My assignments</Link>
      </p>
      <section className="card counter-head" aria-label="Location">
        <p className="counter-head-code" data-testid="location-code">
          {code}
        </p>
        {location.data?.name && <p className="counter-head-name">{location.data.name}</p>}
        {session.data && (
          <p className="muted small">
            {session.data.name} · {mode === 'recount' ? RECOUNT_NOTE : MODE_NOTES[session.data.mode]}
          </p>
        )}
        <ErrorAlert error={session.error ?? location.error} />
        {claim.kind === 'offline' && (
          <p className="small counter-claim-note">
            Offline: the location will be claimed when the connection is back. Keep counting.
          </p>
        )}
      </section>

      {mode === 'closed' && session.data ? (
        elsewhere.length > 0 ? (
          <RecountElsewhere sessionId={sessionId} code={code} lines={elsewhere} />
        ) : (
          <p className="alert alert-error" role="alert">
            This count is {session.data.status}: nothing more can be counted.
          </p>
        )
      ) : mode === 'loading' ? (
        <p className="muted" role="status">
          Loading the items to recount…
        </p>
      ) : claim.kind === 'taken' ? (
        <section className="card counter-taken" aria-label="Location claimed">
          <p className="alert alert-error" role="alert">
            {claim.holder} is counting this location
            {claim.until ? ` (claimed until ${formatDateTime(claim.until)})` : ''}.
          </p>
          <div className="form-actions">
            <button type="button" className="button button-primary" onClick={() => setAttempt(attempt + 1)}>
              Try again
            </button>
            <Link className="button button-secondary" to={COUNT_PATH}>
              Back
            </Link>
          </div>
        </section>
      ) : claim.kind === 'refused' ? (
        <section className="card">
          <ErrorAlert error={claim.error} />
        </section>
      ) : claim.kind === 'claiming' ? (
        <p className="muted" role="status">
          Claiming the location…
        </p>
      ) : mode === 'recount' ? (
        <>
          <RecountList lines={recountHere.data ?? []} error={recountHere.error} />
          <ScanPanel userId={user.id} sessionId={sessionId} locationId={locationId} />
          <EntryList userId={user.id} sessionId={sessionId} locationId={locationId} recount />
          <section className="card counter-finish" aria-label="Done">
            <button
              type="button"
              className="button button-primary button-block"
              onClick={() => done.mutate()}
              disabled={done.isPending}
            >
              {done.isPending ? 'Sending…' : 'Done'}
            </button>
            {done.error && (
              <p className="alert alert-error" role="alert">
                {errorMessage(done.error)}
              </p>
            )}
          </section>
        </>
      ) : (
        <>
          <ScanPanel userId={user.id} sessionId={sessionId} locationId={locationId} />
          <EntryList userId={user.id} sessionId={sessionId} locationId={locationId} />
          <section className="card counter-finish" aria-label="Finish">
            {confirming ? (
              <>
                <p>Finish {code}? Expected items you did not scan here are recorded as not found (zero).</p>
                <div className="form-actions">
                  <button
                    type="button"
                    className="button button-primary"
                    onClick={() => finish.mutate()}
                    disabled={finish.isPending}
                  >
                    {finish.isPending ? 'Finishing…' : 'Yes, finish'}
                  </button>
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => {
                      setConfirming(false);
                      finish.reset();
                    }}
                  >
                    Keep counting
                  </button>
                </div>
              </>
            ) : (
              <button
                type="button"
                className="button button-primary button-block"
                onClick={() => setConfirming(true)}
              >
                Finish location
              </button>
            )}
            {finish.error && (
              <p className="alert alert-error" role="alert">
                {errorMessage(finish.error)}
              </p>
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** What to recount here: item code, name and lot, and whether a recount of it is in. Never a book figure. */
function RecountList({ lines, error }: { lines: RecountLine[]; error: unknown }) {
  return (
    <section className="card counter-recount" aria-labelledby="recount-title">
      <h2 id="recount-title">
        Recount {lines.length > 0 ? `${lines.length} ${lines.length === 1 ? 'item' : 'items'}` : 'items'}
      </h2>
      <ErrorAlert error={error} />
      {error !== null && (
        <p className="small">The list could not be loaded: scan the items your supervisor asked for.</p>
      )}
      {lines.length > 0 && (
        <ul className="counter-recount-list" aria-label="Items to recount">
          {lines.map((line) => (
            <li key={line.id} className="counter-recount-item">
              <span className="counter-recount-title">
                <span className="mono strong">{line.item_code}</span> {line.item_name}
              </span>
              {line.lot && <span className="small">Lot {line.lot}</span>}
              <span className="counter-entry-state small">
                {line.status === 'counted' ? 'Recount received' : 'Not recounted yet'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Nothing to recount at the opened location, but under my assignments elsewhere: where to go. */
function RecountElsewhere(props: { sessionId: string; code: string; lines: RecountLine[] }) {
  const places = new Map<string, { code: string; items: number }>();
  for (const line of props.lines) {
    const place = places.get(line.location_id) ?? { code: line.location_code, items: 0 };
    place.items += 1;
    places.set(line.location_id, place);
  }
  return (
    <section className="card counter-recount" aria-labelledby="recount-elsewhere-title">
      <h2 id="recount-elsewhere-title">Nothing to recount at {props.code}</h2>
      <p className="small">Open the location to recount:</p>
      <ul className="counter-locations">
        {[...places].map(([locationId, place]) => (
          <li key={locationId}>
            <Link className="counter-location" to={countPath(props.sessionId, locationId)}>
              <span className="counter-location-code">{place.code}</span>
              <span className="counter-location-state small">
                Recount: {place.items} {place.items === 1 ? 'item' : 'items'}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
