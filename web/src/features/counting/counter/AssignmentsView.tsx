import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { User } from '../../../api/types.ts';
import { Link, navigate } from '../../../router.tsx';
import { formatDateTime } from '../../../ui/format.ts';
import { CODE_TEXT, ErrorAlert, StatusNote } from '../../../ui/forms.tsx';
import { finishedKey } from '../offline/counter-db.ts';
import { counterStore, useLiveQuery } from '../offline/counter-store.ts';
import { counterKeys, listMyAssignments, lookupLocation, type MyAssignment } from './api.ts';
import { CameraScanner } from './CameraScanner.tsx';
import { countPath } from './paths.ts';

const MODE_LABELS = { standard: 'Standard', blind: 'Blind', strict: 'Strict' } as const;

/** The assignment a scanned label stands for: its code, or a label the server resolves to it or under it. */
async function findAssignment(code: string, assignments: MyAssignment[]) {
  const wanted = code.trim().toUpperCase();
  const byCode = assignments.find((assignment) => assignment.location_code.toUpperCase() === wanted);
  if (byCode) return { sessionId: byCode.session_id, locationId: byCode.location_id };
  const location = await lookupLocation(code.trim());
  if (!location) return null;
  // An assignment covers its whole subtree: a bin under an assigned zone is counted in that session.
  const covering = assignments.find(
    (assignment) =>
      assignment.location_id === location.id ||
      (assignment.warehouse_id === location.warehouse_id &&
        assignment.path_codes.every((part, index) => location.path_codes[index] === part)),
  );
  return covering ? { sessionId: covering.session_id, locationId: location.id } : null;
}

/** A count open to counting, or a session in review with lines here waiting for a recount. */
const isOpen = (assignment: MyAssignment) =>
  assignment.session_status === 'counting' ||
  (assignment.session_status === 'review' && (assignment.recount_lines ?? 0) > 0);

const isRecount = (assignment: MyAssignment) => assignment.session_status === 'review';

const itemsText = (count: number) => `${count} ${count === 1 ? 'item' : 'items'}`;

function groupBySession(assignments: MyAssignment[]) {
  const sessions = new Map<string, MyAssignment[]>();
  for (const assignment of assignments) {
    const list = sessions.get(assignment.session_id) ?? [];
    list.push(assignment);
    sessions.set(assignment.session_id, list);
  }
  return [...sessions.values()];
}

/** /count: the counter's assigned locations by session, and a field to scan a location's label. */
export function AssignmentsView(props: { user: User; finished: string | null; recounted: string | null }) {
  const { user, finished, recounted } = props;
  const query = useQuery({ queryKey: counterKeys.assignments, queryFn: listMyAssignments });
  const assignments = (query.data?.items ?? []).filter(isOpen);
  const { db } = counterStore();
  const finishedKeys = useLiveQuery(
    async () => new Set(await db.finished.toCollection().primaryKeys()),
    'finished',
  );
  const [code, setCode] = useState('');
  const [scanError, setScanError] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);

  async function openLocation(text: string) {
    if (!text.trim()) return;
    setScanError(null);
    setScanning(true);
    try {
      const found = await findAssignment(text, assignments);
      if (found) navigate(countPath(found.sessionId, found.locationId));
      else setScanError(`${text.trim()} is not one of your locations.`);
    } catch (error) {
      setScanError(
        error instanceof Error ? `${error.message} Pick the location from the list.` : 'Lookup failed',
      );
    } finally {
      setScanning(false);
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void openLocation(code);
    setCode('');
  }

  return (
    <>
      {finished && <StatusNote>Location {finished} finished.</StatusNote>}
      {recounted && <StatusNote>Recount at {recounted} sent.</StatusNote>}
      <section className="card counter-scan-location" aria-labelledby="scan-location-title">
        <h2 id="scan-location-title">Scan a location</h2>
        <form onSubmit={onSubmit} className="counter-scan-form">
          <label htmlFor="location-code" className="visually-hidden">
            Location label
          </label>
          <input
            id="location-code"
            className="counter-scan-input"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            placeholder="Scan a label"
            enterKeyHint="go"
            {...CODE_TEXT}
            autoCapitalize="characters"
          />
          <button type="submit" className="button button-primary" disabled={scanning}>
            Open
          </button>
        </form>
        {scanError && (
          <p className="alert alert-error" role="alert">
            {scanError}
          </p>
        )}
        <CameraScanner label="Camera: location label" onCode={(scanned) => void openLocation(scanned)} />
      </section>

      <ErrorAlert error={query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading your assignments…
        </p>
      ) : assignments.length === 0 ? (
        <p className="empty" role="status">
          Nothing to count right now. Your supervisor assigns locations once a count starts.
        </p>
      ) : (
        groupBySession(assignments).map((locations) => {
          const first = locations[0] as MyAssignment;
          return (
            <section
              key={first.session_id}
              className="card counter-session"
              aria-label={`Count ${first.session_name}`}
            >
              <h2>{first.session_name}</h2>
              <p className="muted small">
                {MODE_LABELS[first.session_mode]} count ·{' '}
                {isRecount(first) ? 'recount: count again only what is listed' : first.session_status}
              </p>
              <ul className="counter-locations">
                {locations.map((assignment) => {
                  const recount = isRecount(assignment);
                  // Finishing belongs to the count: a recount starts afresh whatever was finished.
                  const done =
                    !recount &&
                    finishedKeys?.has(finishedKey(user.id, assignment.session_id, assignment.location_id));
                  const claim = assignment.claim;
                  return (
                    <li key={assignment.location_id}>
                      <Link
                        className="counter-location"
                        to={countPath(assignment.session_id, assignment.location_id)}
                      >
                        <span className="counter-location-code">{assignment.location_code}</span>
                        <span className="counter-location-name">
                          {assignment.location_name || assignment.location_kind}
                        </span>
                        {recount && (
                          <span className="counter-location-recount badge">
                            Recount: {itemsText(assignment.recount_lines)}
                          </span>
                        )}
                        <span className="counter-location-state small">
                          {done
                            ? 'Finished on this device'
                            : claim && !claim.mine
                              ? `${claim.display_name} is counting here (until ${formatDateTime(claim.expires_at)})`
                              : claim?.mine
                                ? 'You are counting here'
                                : recount
                                  ? 'Open to recount'
                                  : 'Not started'}
                        </span>
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </section>
          );
        })
      )}
    </>
  );
}
