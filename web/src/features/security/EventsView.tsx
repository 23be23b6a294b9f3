import {
  AUDIT_SEVERITIES,
  type AuditSeverity,
  SECURITY_EVENT_TYPES,
  type SecurityEventType,
} from '../../api/types.ts';
import { navigate, useLocation } from '../../router.tsx';
import { SelectField } from '../../ui/forms.tsx';
import { Filters, ListPane, PagedTable, usePagedList } from '../../ui/lists.tsx';
import { SEVERITY_LABELS } from '../audit/api.ts';
import { formatShortTimestamp, SeverityBadge } from '../audit/parts.tsx';
import { type EventFilters, listEvents, securityKeys } from './api.ts';
import { EventDetails, eventsPath, UserLabel } from './parts.tsx';

function oneOf<T extends string>(values: readonly T[], value: string | null): T | '' {
  return values.includes(value as T) ? (value as T) : '';
}

/** Security events, newest first, by severity and type. The filters are kept in the address. */
export function EventsView() {
  const { searchParams } = useLocation();
  const filters: EventFilters = {
    severity: oneOf(AUDIT_SEVERITIES, searchParams.get('severity')),
    type: oneOf(SECURITY_EVENT_TYPES, searchParams.get('type')),
  };
  const list = usePagedList({
    queryKey: securityKeys.events(filters),
    fetchPage: (cursor) => listEvents(filters, cursor),
    keepPrevious: true,
  });
  const filter = (changes: Partial<EventFilters>) =>
    navigate(eventsPath({ ...filters, ...changes }), { replace: true });
  const filtered = filters.severity !== '' || filters.type !== '';

  return (
    <ListPane headingId="security-events-heading" heading="Security events">
      <Filters>
        <SelectField
          label="Severity"
          value={filters.severity}
          onChange={(event) => filter({ severity: event.target.value as AuditSeverity | '' })}
        >
          <option value="">All severities</option>
          {AUDIT_SEVERITIES.map((value) => (
            <option key={value} value={value}>
              {SEVERITY_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Event type"
          value={filters.type}
          onChange={(event) => filter({ type: event.target.value as SecurityEventType | '' })}
        >
          <option value="">All event types</option>
          {SECURITY_EVENT_TYPES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </SelectField>
        {filtered && (
          <div className="form-actions audit-clear">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => filter({ severity: '', type: '' })}
            >
              Clear filters
            </button>
          </div>
        )}
      </Filters>

      <PagedTable
        list={list}
        caption="Security events"
        noun={['event', 'events']}
        columns={
          <>
            <th scope="col">Time</th>
            <th scope="col">Event type</th>
            <th scope="col">Severity</th>
            <th scope="col">User</th>
            <th scope="col">Address</th>
            <th scope="col">Details</th>
          </>
        }
        row={(event) => (
          <tr key={event.id}>
            <th scope="row" data-label="Time" className="audit-time">
              <time dateTime={event.timestamp} title={event.timestamp}>
                {formatShortTimestamp(event.timestamp)}
              </time>
            </th>
            <td data-label="Event type" className="mono">
              {event.event_type}
            </td>
            <td data-label="Severity">
              <SeverityBadge severity={event.severity} />
            </td>
            <td data-label="User">
              <UserLabel id={event.user_id} username={event.username} />
            </td>
            <td data-label="Address" className="mono">
              {event.ip_address ?? '—'}
            </td>
            <td data-label="Details" className="security-details-cell">
              <EventDetails details={event.details} />
            </td>
          </tr>
        )}
      />
    </ListPane>
  );
}
