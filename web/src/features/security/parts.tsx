import { useQuery } from '@tanstack/react-query';
import { formatShortTimestamp } from '../audit/parts.tsx';
import { getUser, usersKeys } from '../users/api.ts';
import type { EventFilters } from './api.ts';

/** A user by username; by id when the username is not known (no such user any more). */
export function UserLabel({ id, username }: { id: string | null; username: string | null | undefined }) {
  if (!id) return <span className="muted">—</span>;
  if (username) return <span>{username}</span>;
  return (
    <span className="mono security-clip" title={id}>
      {id}
    </span>
  );
}

/** The user an id belongs to, looked up (admins only: only they may read users), by username. */
export function UserName({ id }: { id: string | null }) {
  const user = useQuery({
    queryKey: usersKeys.detail(id ?? ''),
    queryFn: () => getUser(id ?? ''),
    enabled: id !== null,
    staleTime: 5 * 60_000,
  });
  return <UserLabel id={id} username={user.data?.username} />;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/(Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/Windows/, 'Windows'],
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/CrOS/, 'ChromeOS'],
  [/Macintosh|Mac OS X/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome on Android" from a browser's user agent; anything else (an API client) as it named itself. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? userAgent;
}

/** A point in time, short enough for a table cell, with the exact instant for machines (and on hover). */
export function ShortTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={iso} className="audit-time">
      {formatShortTimestamp(iso)}
    </time>
  );
}

/** An expiry: its time, or "Never". */
export function Expiry({ iso }: { iso: string | null }) {
  return iso ? <ShortTime iso={iso} /> : <span className="muted">Never</span>;
}

/** An event's details, one `key: value` a line. */
export function EventDetails({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="security-details">
      {entries.map(([key, value]) => (
        <li key={key}>
          <span className="muted">{key}:</span> {typeof value === 'string' ? value : JSON.stringify(value)}
        </li>
      ))}
    </ul>
  );
}

/** The events view, filtered: the filters live in the address, so they can be linked to. */
export function eventsPath(filters: EventFilters): string {
  const params = new URLSearchParams();
  if (filters.severity) params.set('severity', filters.severity);
  if (filters.type) params.set('type', filters.type);
  const query = params.toString();
  return query ? `/security/events?${query}` : '/security/events';
}

/** A user's sessions, under Security. */
export const sessionsPath = (userId: string) => `/security/sessions/${encodeURIComponent(userId)}`;
