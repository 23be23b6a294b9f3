import { useQuery } from '@tanstack/react-query';
import { formatDateTime, formatQuantity } from '../../../ui/format.ts';
import { ErrorAlert } from '../../../ui/forms.tsx';
import { ListFooter, usePagedList } from '../../../ui/lists.tsx';
import {
  type CountLine,
  type CountSessionDetail,
  countingKeys,
  LINE_STATUSES,
  listAllLines,
  listClaims,
  listUnknownItems,
} from './api.ts';
import { Count, LINE_STATUS_LABELS, Signed } from './parts.tsx';

const POLL_MS = 5_000;

interface LocationProgress {
  id: string;
  code: string;
  total: number;
  counted: number;
  /** From the lines read here; null when they are not (all) read. */
  varianceValue: number | null;
}

/** Per location: the server's counts when it gives them, with the variance summed from the lines. */
function byLocation(session: CountSessionDetail, lines: CountLine[] | null): LocationProgress[] {
  const fromLines = new Map<string, LocationProgress>();
  for (const line of lines ?? []) {
    const group = fromLines.get(line.location_id) ?? {
      id: line.location_id,
      code: line.location_code,
      total: 0,
      counted: 0,
      varianceValue: 0,
    };
    group.total += 1;
    if (line.counted_qty !== null) group.counted += 1;
    group.varianceValue = (group.varianceValue ?? 0) + (line.variance_value ?? 0);
    fromLines.set(line.location_id, group);
  }
  const server = session.progress.by_location;
  const rows = server
    ? server.map((entry) => ({
        id: entry.location_id,
        code: entry.location_code,
        total: entry.lines_total,
        counted: entry.lines_counted,
        varianceValue: lines ? (fromLines.get(entry.location_id)?.varianceValue ?? 0) : null,
      }))
    : [...fromLines.values()];
  return rows.sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * The count as it happens, read again every few seconds while the session is counting: lines
 * counted, by location with the variance so far, who holds which location, unknown barcodes.
 */
export function ProgressView({ session }: { session: CountSessionDetail }) {
  const live = session.status === 'counting';
  const { progress } = session;
  const lines = useQuery({
    queryKey: countingKeys.allLines(session.id),
    queryFn: () => listAllLines(session.id),
    enabled: session.status !== 'draft',
    refetchInterval: live ? POLL_MS : false,
  });
  const claims = useQuery({
    queryKey: countingKeys.claims(session.id),
    queryFn: () => listClaims(session.id),
    enabled: live,
    refetchInterval: live ? POLL_MS : false,
  });
  const unknown = usePagedList({
    queryKey: countingKeys.unknown(session.id),
    fetchPage: (cursor) => listUnknownItems(session.id, cursor),
    enabled: session.status !== 'draft',
    refetchInterval: () => (live ? POLL_MS : false),
  });

  if (session.status === 'draft') {
    return <p className="empty">Progress shows once the session is started.</p>;
  }
  const share = progress.lines_total > 0 ? (progress.lines_counted / progress.lines_total) * 100 : 0;
  const readAll = lines.data?.complete === true;
  const locations = byLocation(session, readAll ? (lines.data?.lines ?? null) : null);
  const serverVariance = progress.variance ? Number(progress.variance.value_net) : null;
  const varianceSoFar =
    serverVariance ??
    (readAll ? (lines.data?.lines.reduce((sum, line) => sum + (line.variance_value ?? 0), 0) ?? null) : null);

  return (
    <>
      <section className="card" aria-labelledby="progress-heading" aria-live="polite">
        <h2 id="progress-heading">Progress</h2>
        <p className="progress-figure">
          <strong>
            {progress.lines_counted} of {progress.lines_total}
          </strong>{' '}
          lines counted
          {live && <span className="muted small"> · updates every 5 seconds</span>}
        </p>
        <progress
          className="progress"
          max={100}
          value={share}
          aria-label={`${progress.lines_counted} of ${progress.lines_total} lines counted`}
        />
        <dl className="counts" aria-label="Progress figures">
          <Count label="Lines counted" value={progress.lines_counted} />
          <Count label="Lines" value={progress.lines_total} />
          <Count label="Counters" value={progress.counters} />
          <Count label="Assigned locations" value={progress.assigned_locations} />
          {varianceSoFar !== null && (
            <Count label="Variance value so far" value={formatSigned(varianceSoFar)} />
          )}
        </dl>
        {progress.lines_by_status && (
          <dl className="counts" aria-label="Lines by status">
            {LINE_STATUSES.map((status) => (
              <Count
                key={status}
                label={LINE_STATUS_LABELS[status]}
                value={progress.lines_by_status?.[status] ?? 0}
              />
            ))}
          </dl>
        )}
      </section>

      <section className="card" aria-labelledby="by-location-heading">
        <h2 id="by-location-heading">By location</h2>
        <ErrorAlert error={lines.error} />
        {progress.by_location_truncated && (
          <p className="note">The first {locations.length} locations, by code (the session has more).</p>
        )}
        {lines.data && !readAll && (
          <p className="note">The session has too many lines to sum the variance per location here.</p>
        )}
        {locations.length === 0 ? (
          <p className="muted">{lines.isPending ? 'Loading…' : 'No lines yet.'}</p>
        ) : (
          <table className="table compact-table" aria-label="Progress by location">
            <thead>
              <tr>
                <th scope="col">Location</th>
                <th scope="col" className="num">
                  Counted
                </th>
                <th scope="col" className="num">
                  Lines
                </th>
                <th scope="col" className="num">
                  Variance value
                </th>
              </tr>
            </thead>
            <tbody>
              {locations.map((location) => (
                <tr key={location.id}>
                  <th scope="row" className="mono">
                    {location.code}
                  </th>
                  <td className="num">{location.counted}</td>
                  <td className="num">{location.total}</td>
                  <td className="num">
                    <Signed value={location.varianceValue} money />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {live && (
        <section className="card" aria-labelledby="claims-heading">
          <h2 id="claims-heading">Who is counting where</h2>
          <ErrorAlert error={claims.error} />
          {claims.data && claims.data.items.length === 0 && (
            <p className="muted">No location is claimed now.</p>
          )}
          {claims.data && claims.data.items.length > 0 && (
            <table className="table compact-table" aria-label="Claims">
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">Counter</th>
                  <th scope="col">Since</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {claims.data.items.map((claim) => (
                  <tr key={`${claim.location_id}/${claim.user_id}`}>
                    <th scope="row" className="mono">
                      {claim.path_codes.join(' › ')}
                    </th>
                    <td>{claim.display_name}</td>
                    <td>{formatDateTime(claim.claimed_at)}</td>
                    <td>{formatDateTime(claim.expires_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      <section className="card" aria-labelledby="unknown-heading">
        <h2 id="unknown-heading">Unknown items</h2>
        <p className="muted small">Scanned barcodes that match no item, kept for follow-up.</p>
        <ErrorAlert error={unknown.query.error} />
        {unknown.rows.length === 0 ? (
          <p className="muted">{unknown.query.isPending ? 'Loading…' : 'None so far.'}</p>
        ) : (
          <table className="table compact-table" aria-label="Unknown items">
            <thead>
              <tr>
                <th scope="col">Barcode</th>
                <th scope="col">Location</th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  Counters
                </th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {unknown.rows.map((item) => (
                <tr key={`${item.barcode}/${item.location_id}`}>
                  <th scope="row" className="mono">
                    {item.barcode}
                  </th>
                  <td className="mono">{item.location_code}</td>
                  <td className="num">{formatQuantity(item.quantity)}</td>
                  <td className="num">{item.counters}</td>
                  <td>{formatDateTime(item.last_counted_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ListFooter
          count={unknown.rows.length}
          noun={['unknown item', 'unknown items']}
          query={unknown.query}
        />
      </section>
    </>
  );
}

function formatSigned(value: number): string {
  const text = new Intl.NumberFormat(undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(Math.abs(value));
  if (value === 0) return text;
  return `${value > 0 ? '+' : '−'}${text}`;
}
