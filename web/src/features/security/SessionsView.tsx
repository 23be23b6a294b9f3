import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { User } from '../../api/types.ts';
import { Link, navigate } from '../../router.tsx';
import { ErrorAlert, StatusNote } from '../../ui/forms.tsx';
import { SearchPicker } from '../../ui/SearchPicker.tsx';
import { getUser, listUsers, usersKeys } from '../users/api.ts';
import { endSessions, listSessions, refreshSecurity, securityKeys } from './api.ts';
import { deviceName, ShortTime, sessionsPath } from './parts.tsx';

const searchUsers = (q: string) => listUsers({ q, role: '', active: '' }, null).then((page) => page.items);

/** Pick a user, see where they are signed in, and sign them out everywhere. */
export function SessionsView({ userId, me }: { userId: string | null; me: User }) {
  const user = useQuery({
    queryKey: usersKeys.detail(userId ?? ''),
    queryFn: () => getUser(userId ?? ''),
    enabled: userId !== null,
  });

  return (
    <>
      <section className="card" aria-labelledby="sessions-user-heading">
        <h2 id="sessions-user-heading">Choose a user</h2>
        <div className="security-picker">
          <SearchPicker<User>
            label="User"
            placeholder="Username starts with…"
            maxLength={64}
            selected={user.data ?? null}
            onSelect={(picked) => navigate(picked ? sessionsPath(picked.id) : '/security/sessions')}
            queryKey={[...usersKeys.all, 'picker']}
            search={searchUsers}
            keyOf={(value) => value.id}
            describe={(value) => `${value.username} (${value.display_name})`}
          />
        </div>
        {userId === null && (
          <p className="muted small">Type the start of a username, then choose the user.</p>
        )}
        {userId !== null && user.isPending && (
          <p className="muted" role="status">
            Loading the user…
          </p>
        )}
        <ErrorAlert error={user.error} />
      </section>
      {user.data && <UserSessions user={user.data} self={user.data.id === me.id} />}
    </>
  );
}

function UserSessions({ user, self }: { user: User; self: boolean }) {
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: securityKeys.sessions(user.id),
    queryFn: () => listSessions(user.id),
  });
  const [confirming, setConfirming] = useState(false);
  const end = useMutation({
    mutationFn: () => endSessions(user.id),
    onSuccess: () => {
      setConfirming(false);
      refreshSecurity(queryClient);
    },
  });

  const rows = sessions.data?.items ?? [];
  const ended = end.data?.terminated;
  return (
    <section className="card" aria-labelledby="sessions-heading" aria-busy={sessions.isFetching || undefined}>
      <h2 id="sessions-heading">Sessions of {user.display_name}</h2>
      <p className="muted small">
        Where <span className="mono">{user.username}</span> is signed in now, newest first.{' '}
        <Link to={`/users/${encodeURIComponent(user.id)}`}>Open their account</Link>
      </p>
      {ended !== undefined && (
        <StatusNote>
          {ended === 1 ? 'Ended 1 session.' : `Ended ${ended} sessions.`} {user.username} is signed out
          everywhere.
        </StatusNote>
      )}
      <ErrorAlert error={sessions.error} />
      {sessions.isPending ? (
        <p className="muted" role="status">
          Loading sessions…
        </p>
      ) : rows.length === 0 ? (
        sessions.isSuccess && <p className="empty">{user.username} is not signed in anywhere.</p>
      ) : (
        <>
          <table className="table data-table security-table">
            <caption className="visually-hidden">Sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Signed in with</th>
                <th scope="col">Address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last seen</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((session) => (
                <tr key={session.id}>
                  <th scope="row" data-label="Device" title={session.user_agent ?? undefined}>
                    {deviceName(session.user_agent)}
                    {session.current && (
                      <>
                        {' '}
                        <span className="badge security-this-browser">This browser</span>
                      </>
                    )}
                  </th>
                  <td data-label="Signed in with">{session.auth_method === 'pin' ? 'PIN' : 'Password'}</td>
                  <td data-label="Address" className="mono">
                    {session.ip_address ?? '—'}
                  </td>
                  <td data-label="Signed in">
                    <ShortTime iso={session.created_at} />
                  </td>
                  <td data-label="Last seen">
                    <ShortTime iso={session.last_seen_at} />
                  </td>
                  <td data-label="Expires">
                    <ShortTime iso={session.expires_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <ErrorAlert error={end.error} />
          {confirming ? (
            <fieldset className="confirm">
              <legend>
                End all of <strong>{user.username}</strong>’s sessions? They are signed out everywhere on
                their next request.
                {self && ' This includes the session you are using: you will be signed out too.'}
              </legend>
              <div className="form-actions">
                <button
                  type="button"
                  className="button button-danger"
                  disabled={end.isPending}
                  onClick={() => end.mutate()}
                >
                  {end.isPending ? 'Ending…' : 'Yes, end all sessions'}
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setConfirming(false)}
                >
                  Cancel
                </button>
              </div>
            </fieldset>
          ) : (
            <div className="form-actions">
              <button
                type="button"
                className="button button-danger-outline"
                onClick={() => {
                  end.reset();
                  setConfirming(true);
                }}
              >
                End all sessions
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
