import { useState } from 'react';
import {
  AUDIT_CATEGORIES,
  AUDIT_OUTCOMES,
  AUDIT_SEVERITIES,
  type AuditCategory,
  type AuditOutcome,
  type AuditSeverity,
} from '../../api/types.ts';
import { CODE_TEXT, SearchField, SelectField, TextField } from '../../ui/forms.tsx';
import { useSearchText } from '../../ui/hooks.ts';
import { Filters, LinkedRow, ListPane, PagedTable, usePagedList } from '../../ui/lists.tsx';
import {
  AUDIT_EVENT_TYPES,
  type AuditFilters,
  auditKeys,
  CATEGORY_LABELS,
  listAuditLogs,
  OUTCOME_LABELS,
  SEVERITY_LABELS,
} from './api.ts';
import {
  actorName,
  entryPath,
  formatShortTimestamp,
  OutcomeStatus,
  resourceText,
  SeverityBadge,
} from './parts.tsx';

/** The audit log, newest first, narrowed by who, what, how bad, how it ended, on what, and when. */
export function AuditLog({ selectedId }: { selectedId: string | null }) {
  const [usernameText, setUsernameText, username] = useSearchText();
  const [resourceTypeText, setResourceTypeText, resourceType] = useSearchText();
  const [category, setCategory] = useState<AuditCategory | ''>('');
  const [eventType, setEventType] = useState('');
  const [severity, setSeverity] = useState<AuditSeverity | ''>('');
  const [outcome, setOutcome] = useState<AuditOutcome | ''>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');

  const datesReversed = from !== '' && to !== '' && to < from;
  const filters: AuditFilters = {
    username,
    event_type: eventType,
    category,
    severity,
    outcome,
    resource_type: resourceType,
    from,
    to: datesReversed ? '' : to,
  };
  const list = usePagedList({
    queryKey: auditKeys.list(filters),
    fetchPage: (cursor) => listAuditLogs(filters, cursor),
    keepPrevious: true,
  });

  const filtered =
    usernameText !== '' ||
    resourceTypeText !== '' ||
    category !== '' ||
    eventType !== '' ||
    severity !== '' ||
    outcome !== '' ||
    from !== '' ||
    to !== '';
  function clear() {
    setUsernameText('');
    setResourceTypeText('');
    setCategory('');
    setEventType('');
    setSeverity('');
    setOutcome('');
    setFrom('');
    setTo('');
  }

  // A category narrows the event types offered; a type outside it is dropped.
  const categories = category ? [category] : AUDIT_CATEGORIES;
  function chooseCategory(next: AuditCategory | '') {
    setCategory(next);
    if (next && eventType && !AUDIT_EVENT_TYPES[next].includes(eventType)) setEventType('');
  }

  return (
    <ListPane headingId="audit-log-heading" heading="Audit log entries">
      <Filters>
        <SearchField
          label="Username"
          autoCapitalize="none"
          maxLength={64}
          value={usernameText}
          onChange={setUsernameText}
        />
        <SelectField
          label="Event type"
          value={eventType}
          onChange={(event) => setEventType(event.target.value)}
        >
          <option value="">All event types</option>
          {categories.map((value) => (
            <optgroup key={value} label={CATEGORY_LABELS[value]}>
              {AUDIT_EVENT_TYPES[value].map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </optgroup>
          ))}
        </SelectField>
        <SelectField
          label="Category"
          value={category}
          onChange={(event) => chooseCategory(event.target.value as AuditCategory | '')}
        >
          <option value="">All categories</option>
          {AUDIT_CATEGORIES.map((value) => (
            <option key={value} value={value}>
              {CATEGORY_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Severity"
          value={severity}
          onChange={(event) => setSeverity(event.target.value as AuditSeverity | '')}
        >
          <option value="">All severities</option>
          {AUDIT_SEVERITIES.map((value) => (
            <option key={value} value={value}>
              {SEVERITY_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Outcome"
          value={outcome}
          onChange={(event) => setOutcome(event.target.value as AuditOutcome | '')}
        >
          <option value="">All outcomes</option>
          {AUDIT_OUTCOMES.map((value) => (
            <option key={value} value={value}>
              {OUTCOME_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <SearchField
          label="Resource type"
          placeholder="item, user, location…"
          {...CODE_TEXT}
          autoCapitalize="none"
          maxLength={64}
          value={resourceTypeText}
          onChange={setResourceTypeText}
        />
        <TextField
          label="From"
          type="date"
          value={from}
          max={to || undefined}
          onChange={(event) => setFrom(event.target.value)}
        />
        <TextField
          label="To"
          type="date"
          value={to}
          min={from || undefined}
          onChange={(event) => setTo(event.target.value)}
          error={datesReversed ? 'must be on or after the From date' : undefined}
        />
        {filtered && (
          <div className="form-actions audit-clear">
            <button type="button" className="button button-secondary" onClick={clear}>
              Clear filters
            </button>
          </div>
        )}
      </Filters>

      <PagedTable
        list={list}
        caption="Audit log"
        noun={['entry', 'entries']}
        columns={
          <>
            <th scope="col">Time</th>
            <th scope="col">Event type</th>
            <th scope="col">Severity</th>
            <th scope="col">Outcome</th>
            <th scope="col">Actor</th>
            <th scope="col" className="audit-wide">
              Resource
            </th>
            <th scope="col" className="audit-wide">
              Action
            </th>
          </>
        }
        row={(entry) => (
          <LinkedRow
            key={entry.event_id}
            to={entryPath(entry.event_id)}
            selected={entry.event_id === selectedId}
            label="Time"
            linkClassName="audit-time"
            title={
              <time dateTime={entry.timestamp} title={entry.timestamp}>
                {formatShortTimestamp(entry.timestamp)}
              </time>
            }
          >
            <td data-label="Event type" className="mono">
              {entry.event_type}
            </td>
            <td data-label="Severity">
              <SeverityBadge severity={entry.severity} />
            </td>
            <td data-label="Outcome">
              <OutcomeStatus outcome={entry.outcome} />
            </td>
            <td data-label="Actor">
              <span className={entry.actor.username ? undefined : 'muted'}>{actorName(entry)}</span>
            </td>
            <td data-label="Resource" className="audit-wide">
              <span className="mono audit-clip" title={resourceText(entry.resource)}>
                {resourceText(entry.resource)}
              </span>
            </td>
            <td data-label="Action" className="mono audit-wide">
              {entry.action}
            </td>
          </LinkedRow>
        )}
      />
    </ListPane>
  );
}
