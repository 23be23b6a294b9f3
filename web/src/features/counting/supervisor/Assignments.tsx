import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Location } from '../../../api/types.ts';
import { ErrorAlert, FormFooter, SelectField, StatusNote } from '../../../ui/forms.tsx';
import { usePagedList } from '../../../ui/lists.tsx';
import { SearchPicker } from '../../../ui/SearchPicker.tsx';
import {
  assignCounters,
  type CountSessionDetail,
  countingKeys,
  listAssignments,
  listCounters,
  searchLocations,
  unassignCounter,
} from './api.ts';

/** Who counts where: the session's assignments, and (while it can change) assigning and unassigning. */
export function Assignments({ session, canEdit }: { session: CountSessionDetail; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const editable = canEdit && (session.status === 'draft' || session.status === 'counting');
  const list = usePagedList({
    queryKey: countingKeys.assignments(session.id),
    fetchPage: (cursor) => listAssignments(session.id, cursor),
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: countingKeys.assignments(session.id) });
    void queryClient.invalidateQueries({ queryKey: countingKeys.detail(session.id) });
  };
  const remove = useMutation({
    mutationFn: (pair: { location_id: string; user_id: string }) =>
      unassignCounter(session.id, pair.location_id, pair.user_id),
    onSuccess: refresh,
  });

  return (
    <section className="card" aria-labelledby="assignments-heading">
      <h2 id="assignments-heading">Counters and locations</h2>
      {editable && <AssignForm session={session} onAssigned={refresh} />}
      <ErrorAlert error={list.query.error ?? remove.error} />
      {list.query.isPending ? (
        <p className="muted" role="status">
          Loading assignments…
        </p>
      ) : list.rows.length === 0 ? (
        <p className="muted">Nobody is assigned yet.</p>
      ) : (
        <table className="table compact-table" aria-label="Assignments">
          <thead>
            <tr>
              <th scope="col">Location</th>
              <th scope="col">Counter</th>
              {editable && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {list.rows.map((row) => (
              <tr key={`${row.location_id}/${row.user_id}`}>
                <td>
                  <span className="mono">{row.path_codes.join(' › ')}</span>{' '}
                  <span className="muted">{row.location_name}</span>
                </td>
                <td>
                  {row.display_name} <span className="muted">({row.username})</span>
                </td>
                {editable && (
                  <td>
                    <button
                      type="button"
                      className="button button-danger-outline button-small"
                      disabled={remove.isPending}
                      aria-label={`Unassign ${row.username} from ${row.location_code}`}
                      onClick={() => remove.mutate({ location_id: row.location_id, user_id: row.user_id })}
                    >
                      Unassign
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AssignForm({ session, onAssigned }: { session: CountSessionDetail; onAssigned: () => void }) {
  const [location, setLocation] = useState<Location | null>(null);
  const [userId, setUserId] = useState('');
  const counters = useQuery({
    queryKey: countingKeys.counters(),
    queryFn: listCounters,
    staleTime: 60_000,
  });
  const assign = useMutation({
    mutationFn: () => assignCounters(session.id, location?.id ?? '', [userId]),
    onSuccess: () => {
      setLocation(null);
      setUserId('');
      onAssigned();
    },
  });
  const done = assign.isSuccess
    ? assign.data.added > 0
      ? 'Counter assigned.'
      : 'That counter was assigned there already.'
    : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (location && userId) assign.mutate();
  }

  const people = counters.data ?? [];
  return (
    <form className="assign-form" onSubmit={submit} aria-label="Assign a counter">
      <div className="form-grid">
        <SearchPicker<Location>
          label="Location"
          placeholder="Code or name"
          selected={location}
          onSelect={(value) => {
            setLocation(value);
            assign.reset();
          }}
          queryKey={['counting', 'assign-locations', session.warehouse_id]}
          search={(q) => searchLocations(session.warehouse_id, q)}
          keyOf={(value) => value.id}
          describe={(value) => `${value.path_codes.join(' › ')} · ${value.name}`}
        />
        <SelectField
          label="Counter"
          value={userId}
          onChange={(event) => {
            setUserId(event.target.value);
            assign.reset();
          }}
        >
          <option value="">{counters.isPending ? 'Loading…' : 'Choose…'}</option>
          {people.map((person) => (
            <option key={person.id} value={person.id}>
              {person.display_name} ({person.username})
            </option>
          ))}
        </SelectField>
      </div>
      <ErrorAlert error={counters.error} />
      {counters.isSuccess && people.length === 0 && (
        <p className="muted small">No counter to offer: an admin can create staff accounts under Users.</p>
      )}
      <FormFooter
        error={assign.error}
        done={null}
        pending={assign.isPending}
        label="Assign"
        pendingLabel="Assigning…"
        secondary
        disabled={!location || !userId}
      />
      {done && <StatusNote>{done}</StatusNote>}
    </form>
  );
}
