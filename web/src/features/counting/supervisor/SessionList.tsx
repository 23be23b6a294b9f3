import { useState } from 'react';
import { formatDateTime } from '../../../ui/format.ts';
import { SelectField } from '../../../ui/forms.tsx';
import { Filters, LinkedRow, ListPane, PagedTable, usePagedList } from '../../../ui/lists.tsx';
import { countingKeys, countingUrl, listSessions, SESSION_STATUSES, type SessionStatus } from './api.ts';
import { MODE_LABELS, SessionStatusBadge, STATUS_LABELS, WarehouseName } from './parts.tsx';

/** Every count session, newest first, filtered by status. */
export function SessionList() {
  const [status, setStatus] = useState<SessionStatus | ''>('');
  const list = usePagedList({
    queryKey: countingKeys.list(status),
    fetchPage: (cursor) => listSessions(status, cursor),
    keepPrevious: true,
  });

  return (
    <ListPane headingId="session-list-heading" heading="Count sessions">
      <Filters>
        <SelectField
          label="Status"
          value={status}
          onChange={(event) => setStatus(event.target.value as SessionStatus | '')}
        >
          <option value="">Every status</option>
          {SESSION_STATUSES.map((value) => (
            <option key={value} value={value}>
              {STATUS_LABELS[value]}
            </option>
          ))}
        </SelectField>
      </Filters>
      <PagedTable
        list={list}
        caption="Count sessions"
        noun={['session', 'sessions']}
        columns={
          <>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Warehouse</th>
            <th scope="col">Mode</th>
            <th scope="col">Created</th>
          </>
        }
        row={(session) => (
          <LinkedRow
            key={session.id}
            to={countingUrl(session.id)}
            selected={false}
            label="Name"
            title={session.name}
          >
            <td data-label="Status">
              <SessionStatusBadge status={session.status} />
            </td>
            <td data-label="Warehouse">
              <WarehouseName id={session.warehouse_id} />
            </td>
            <td data-label="Mode">{MODE_LABELS[session.mode]}</td>
            <td data-label="Created">{formatDateTime(session.created_at)}</td>
          </LinkedRow>
        )}
      />
    </ListPane>
  );
}
