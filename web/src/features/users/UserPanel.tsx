import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Role, User } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import {
  EditFormFooter,
  ErrorAlert,
  FormFooter,
  fieldError,
  SelectField,
  StatusNote,
  TextField,
  useEditForm,
} from '../../ui/forms.tsx';
import { ActiveStatus } from '../../ui/lists.tsx';
import { Panel, PanelSection, UnavailablePanel } from '../../ui/panels.tsx';
import { sessionsPath } from '../security/parts.tsx';
import {
  getUser,
  resetMfa,
  resetPassword,
  storeUser,
  type UserChanges,
  updateUser,
  usersKeys,
} from './api.ts';
import { RoleBadge, RoleOptions } from './roles.tsx';

export const USERS_BACK = { to: '/users', label: 'users' };

/** A user's detail panel: profile, access, PIN, password and two-factor sign-in, each on its own. */
export function UserPanel(props: { id: string; me: User; justCreated: boolean }) {
  const { id, me, justCreated } = props;
  const user = useQuery({ queryKey: usersKeys.detail(id), queryFn: () => getUser(id) });

  if (!user.data) {
    return <UnavailablePanel headingId="user-panel-heading" noun="user" query={user} back={USERS_BACK} />;
  }

  const self = user.data.id === me.id;
  return (
    <Panel
      headingId="user-panel-heading"
      title={user.data.display_name}
      back={USERS_BACK}
      head={
        <p className="panel-sub">
          <span className="mono">{user.data.username}</span>
          <RoleBadge role={user.data.role} />
          <ActiveStatus active={user.data.active} />
        </p>
      }
    >
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
      <TwoFactorSection user={user.data} self={self} />
      <SessionsSection user={user.data} />
    </Panel>
  );
}

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

function ProfileSection({ user, self }: { user: User; self: boolean }) {
  const form = useEditForm(useUserUpdate(user), {
    saved: { display_name: user.display_name, role: user.role },
    changesOf: ({ display_name, role }) => {
      const changes: UserChanges = {};
      if (display_name.trim() !== user.display_name) changes.display_name = display_name.trim();
      if (role !== user.role) changes.role = role;
      return changes;
    },
  });

  return (
    <PanelSection headingId="profile-heading" title="Profile">
      <form onSubmit={form.submit}>
        <TextField
          label="Display name"
          required
          maxLength={120}
          value={form.draft.display_name}
          onChange={(event) => form.edit({ display_name: event.target.value })}
          error={form.fieldError('display_name')}
        />
        <SelectField
          label="Role"
          value={form.draft.role}
          disabled={self}
          onChange={(event) => form.edit({ role: event.target.value as Role })}
          hint={self ? undefined : 'Changing the role signs the user out everywhere.'}
          error={form.fieldError('role')}
        >
          <RoleOptions />
        </SelectField>
        <EditFormFooter form={form} />
      </form>
    </PanelSection>
  );
}

function AccessSection({ user, self }: { user: User; self: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const update = useUserUpdate(user, () => setConfirming(false));

  return (
    <PanelSection headingId="access-heading" title="Access">
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
    </PanelSection>
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
    <PanelSection headingId="pin-heading" title="Quick sign-in PIN">
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
        <FormFooter
          error={update.error}
          done={done}
          pending={update.isPending}
          label={user.has_pin ? 'Change PIN' : 'Set PIN'}
          secondary
        >
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
        </FormFooter>
      </form>
    </PanelSection>
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
    <PanelSection headingId="reset-heading" title="Reset password">
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
        <FormFooter
          error={reset.error}
          done={reset.isSuccess && 'Password reset. The user was signed out everywhere.'}
          pending={reset.isPending}
          label="Reset password"
          pendingLabel="Resetting…"
          secondary
        />
      </form>
    </PanelSection>
  );
}

function SessionsSection({ user }: { user: User }) {
  return (
    <PanelSection headingId="sessions-link-heading" title="Sessions">
      <p className="muted small">Where this user is signed in now; end all their sessions at once.</p>
      <div>
        <Link to={sessionsPath(user.id)} className="button button-secondary">
          See sessions
        </Link>
      </div>
    </PanelSection>
  );
}

function TwoFactorSection({ user, self }: { user: User; self: boolean }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const reset = useMutation({
    mutationFn: () => resetMfa(user.id),
    onSuccess: () => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: usersKeys.detail(user.id) });
      void queryClient.invalidateQueries({ queryKey: usersKeys.lists });
    },
  });

  return (
    <PanelSection headingId="mfa-heading" title="Two-factor sign-in">
      <p>
        <span className={user.mfa_enabled ? 'status status-active' : 'status status-inactive'}>
          {user.mfa_enabled ? 'On' : 'Off'}
        </span>{' '}
        {user.mfa_enabled
          ? 'This user signs in with a code from their authenticator app as well.'
          : 'This user signs in without a code from an authenticator app.'}
      </p>
      {self && (
        <p className="muted small">
          Switch yours on or off on <Link to="/account">My account</Link>.
        </p>
      )}
      <ErrorAlert error={reset.error} />
      {reset.isSuccess && (
        <StatusNote>
          {reset.data.reset
            ? `Two-factor sign-in reset. ${user.username} signs in without a code until they set it up again.`
            : 'Two-factor sign-in was already off.'}
        </StatusNote>
      )}
      {!self && user.mfa_enabled && confirming && (
        <fieldset className="confirm">
          <legend>
            Reset two-factor sign-in for <strong>{user.username}</strong>? Their app and recovery codes stop
            working. Do this only once you are sure it is them (a lost or replaced phone).
          </legend>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={reset.isPending}
              onClick={() => reset.mutate()}
            >
              {reset.isPending ? 'Resetting…' : 'Yes, reset'}
            </button>
            <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      )}
      {!self && user.mfa_enabled && !confirming && (
        <div>
          <button
            type="button"
            className="button button-danger-outline"
            onClick={() => {
              reset.reset();
              setConfirming(true);
            }}
          >
            Reset two-factor sign-in
          </button>
        </div>
      )}
    </PanelSection>
  );
}
