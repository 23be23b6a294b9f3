import { type FormEvent, useState } from 'react';
import type { Role, User } from '../../api/types.ts';
import { CODE_TEXT, FormFooter, fieldError, SelectField, TextField } from '../../ui/forms.tsx';
import { Panel, useCreate } from '../../ui/panels.tsx';
import { createUser, type NewUser, storeUser } from './api.ts';
import { RoleOptions } from './roles.tsx';
import { USERS_BACK } from './UserPanel.tsx';

export function NewUserPanel({ onCreated }: { onCreated: (user: User) => void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('staff');
  const [password, setPassword] = useState('');
  const [pin, setPin] = useState('');

  const create = useCreate({
    create: createUser,
    store: storeUser,
    onCreated,
    urlOf: (user) => `/users/${user.id}`,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input: NewUser = { username: username.trim(), display_name: displayName.trim(), role, password };
    if (pin) input.pin = pin;
    create.mutate(input);
  }

  const error = create.error;
  return (
    <Panel headingId="new-user-heading" title="New user" back={USERS_BACK}>
      <form onSubmit={submit}>
        <TextField
          label="Username"
          required
          {...CODE_TEXT}
          autoCapitalize="none"
          maxLength={64}
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          hint="3 to 64 letters, digits and . _ @ -"
          error={fieldError(error, 'username')}
        />
        <TextField
          label="Display name"
          required
          autoComplete="off"
          maxLength={120}
          value={displayName}
          onChange={(event) => setDisplayName(event.target.value)}
          error={fieldError(error, 'display_name')}
        />
        <SelectField
          label="Role"
          value={role}
          onChange={(event) => setRole(event.target.value as Role)}
          error={fieldError(error, 'role')}
        >
          <RoleOptions />
        </SelectField>
        <TextField
          label="Password"
          type="password"
          required
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          hint="At least 12 characters, not containing the username, not a common password."
          error={fieldError(error, 'password')}
        />
        <TextField
          label="PIN (optional)"
          type="password"
          inputMode="numeric"
          autoComplete="off"
          maxLength={12}
          value={pin}
          onChange={(event) => setPin(event.target.value.replace(/\D/g, ''))}
          hint="6 to 12 digits, for quick sign-in on shared handhelds."
          error={fieldError(error, 'pin')}
        />
        <FormFooter error={error} pending={create.isPending} label="Create user" pendingLabel="Creating…" />
      </form>
    </Panel>
  );
}
