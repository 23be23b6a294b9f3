import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ROLE_LABELS, ROLES, type Role, type User } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert, fieldError, SelectField, StatusNote, TextField } from '../../ui/forms.tsx';
import { PanelHeader } from '../../ui/PanelHeader.tsx';
import { getUser, resetPassword, type UserChanges, updateUser, usersKeys } from './api.ts';

const BACK = { to: '/users', label: 'users' };

/** A user's detail panel: profile, access, PIN and password, each saved on its own. */
export function UserPanel(props: { id: string; me: User; justCreated: boolean }) {
  const { id, me, justCreated } = props;
  const user = useQuery({ queryKey: usersKeys.detail(id), queryFn: () => getUser(id) });

  if (!user.data) {
    return (
      <section className="panel" aria-labelledby="user-panel-heading">
        <PanelHeader
          id="user-panel-heading"
          title={user.isPending ? 'Loading user…' : 'User not available'}
          back={BACK}
        />
        <ErrorAlert error={user.error} />
      </section>
    );
  }

  const self = user.data.id === me.id;
  return (
    <section className="panel" aria-labelledby="user-panel-heading">
      <PanelHeader id="user-panel-heading" title={user.data.display_name} back={BACK}>
        <p className="panel-sub">
          <span className="mono">{user.data.username}</span>
          <span className={`badge badge-${user.data.role}`}>{ROLE_LABELS[user.data.role]}</span>
          <span className={user.data.active ? 'status status-active' : 'status status-inactive'}>
            {user.data.active ? 'Active' : 'Inactive'}
          </span>
        </p>
      </PanelHeader>
      {justCreated && <StatusNote>User {user.data.username} created.</StatusNote>}
      {self && (
        <p className="note">
          This is your own account. You cannot remove your own admin role or deactivate yourself; change your
          password on <Link to="/account">My account</Link>.
        </p>
      )}
      <ProfileSection user={user.data} self={self} />
      <AccessSection user={user.data} self={self} />
      <PinSection user={user.data} />
      {!self && <ResetPasswordSection user={user.data} />}
    </section>
  );
}

/** Stores the server's answer and refreshes the lists, which may now filter the user differently. */
function useUserUpdate(user: User, onSuccess?: () => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: UserChanges) => updateUser(user.id, changes),
    onSuccess: (updated) => {
      storeUser(queryClient, updated);
      onSuccess?.();
    },
  });
}

function storeUser(queryClient: QueryClient, user: User): void {
  queryClient.setQueryData(usersKeys.detail(user.id), user);
  void queryClient.invalidateQueries({ queryKey: ['users', 'list'] });
}

function ProfileSection({ user, self }: { user: User; self: boolean }) {
  // Unedited fields show the server's current value; an edit is kept until it is saved.
  const [editedName, setEditedName] = useState<string | null>(null);
  const [editedRole, setEditedRole] = useState<Role | null>(null);
  const displayName = editedName ?? user.display_name;
  const role = editedRole ?? user.role;
  const update = useUserUpdate(user, () => {
    setEditedName(null);
    setEditedRole(null);
  });

  const changes: UserChanges = {};
  if (displayName.trim() !== user.display_name) changes.display_name = displayName.trim();
  if (role !== user.role) changes.role = role;
  const dirty = Object.keys(changes).length > 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (dirty) update.mutate(changes);
  }

  return (
    <section className="panel-section" aria-labelledby="profile-heading">
      <h3 id="profile-heading">Profile</h3>
      <form onSubmit={submit}>
        <TextField
          label="Display name"
          required
          maxLength={120}
          value={displayName}
          onChange={(event) => {
            setEditedName(event.target.value);
            update.reset();
          }}
          error={fieldError(update.error, 'display_name')}
        />
        <SelectField
          label="Role"
          value={role}
          disabled={self}
          onChange={(event) => {
            setEditedRole(event.target.value as Role);
            update.reset();
          }}
          hint={self ? undefined : 'Changing the role signs the user out everywhere.'}
          error={fieldError(update.error, 'role')}
        >
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {ROLE_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <ErrorAlert error={update.error} />
        {update.isSuccess && !dirty && <StatusNote>Changes saved.</StatusNote>}
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={!dirty || update.isPending}>
            {update.isPending ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </section>
  );
}

function AccessSection({ user, self }: { user: User; self: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const update = useUserUpdate(user, () => setConfirming(false));

  return (
    <section className="panel-section" aria-labelledby="access-heading">
      <h3 id="access-heading">Access</h3>
      <p>
        {user.active
          ? 'Active: this user can sign in.'
          : 'Inactive: this user cannot sign in. Their history is kept.'}
      </p>
      <ErrorAlert error={update.error} />
      {update.isSuccess && (
        <StatusNote>{user.active ? 'User reactivated.' : 'User deactivated and signed out.'}</StatusNote>
      )}
      {user.active && confirming ? (
        <fieldset className="confirm">
          <legend>
            Deactivate <strong>{user.username}</strong>? They are signed out at once and can no longer sign
            in.
          </legend>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={update.isPending}
              onClick={() => update.mutate({ active: false })}
            >
              {update.isPending ? 'Deactivating…' : 'Yes, deactivate'}
            </button>
            <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : user.active ? (
        <button
          type="button"
          className="button button-danger-outline"
          disabled={self}
          onClick={() => {
            update.reset();
            setConfirming(true);
          }}
        >
          Deactivate user
        </button>
      ) : (
        <button
          type="button"
          className="button button-secondary"
          disabled={update.isPending}
          onClick={() => update.mutate({ active: true })}
        >
          {update.isPending ? 'Reactivating…' : 'Reactivate user'}
        </button>
      )}
    </section>
  );
}

function PinSection({ user }: { user: User }) {
  const [pin, setPin] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const update = useUserUpdate(user);

  function save(changes: UserChanges, message: string) {
    setDone(null);
    update.mutate(changes, {
      onSuccess: () => {
        setPin('');
        setDone(message);
      },
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    save({ pin }, user.has_pin ? 'PIN changed.' : 'PIN set.');
  }

  return (
    <section className="panel-section" aria-labelledby="pin-heading">
      <h3 id="pin-heading">Quick sign-in PIN</h3>
      <p>{user.has_pin ? 'A PIN is set.' : 'No PIN is set: this user signs in with their password.'}</p>
      <form onSubmit={submit}>
        <TextField
          label="New PIN"
          type="password"
          inputMode="numeric"
          autoComplete="off"
          required
          maxLength={12}
          value={pin}
          onChange={(event) => setPin(event.target.value.replace(/\D/g, ''))}
          hint="6 to 12 digits; not one repeated digit or a simple sequence."
          error={fieldError(update.error, 'pin')}
        />
        <ErrorAlert error={update.error} />
        {done && <StatusNote>{done}</StatusNote>}
        <div className="form-actions">
          <button className="button button-secondary" type="submit" disabled={update.isPending}>
            {user.has_pin ? 'Change PIN' : 'Set PIN'}
          </button>
          {user.has_pin && (
            <button
              type="button"
              className="button button-danger-outline"
              disabled={update.isPending}
              onClick={() => save({ pin: null }, 'PIN removed.')}
            >
              Remove PIN
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function ResetPasswordSection({ user }: { user: User }) {
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: () => resetPassword(user.id, password),
    onSuccess: () => setPassword(''),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    reset.mutate();
  }

  return (
    <section className="panel-section" aria-labelledby="reset-heading">
      <h3 id="reset-heading">Reset password</h3>
      <p className="muted small">
        Sets a new password and signs the user out everywhere. Tell them in person.
      </p>
      <form onSubmit={submit}>
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
            if (!reset.isPending) reset.reset();
          }}
          hint="At least 12 characters, not containing the username, not a common password."
          error={fieldError(reset.error, 'new_password')}
        />
        <ErrorAlert error={reset.error} />
        {reset.isSuccess && <StatusNote>Password reset. The user was signed out everywhere.</StatusNote>}
        <div className="form-actions">
          <button className="button button-secondary" type="submit" disabled={reset.isPending}>
            {reset.isPending ? 'Resetting…' : 'Reset password'}
          </button>
        </div>
      </form>
    </section>
  );
}
