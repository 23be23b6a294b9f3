import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ROLE_LABELS, ROLES, type Role, type User } from '../../api/types.ts';
import { navigate } from '../../router.tsx';
import { ErrorAlert, fieldError, SelectField, TextField } from '../../ui/forms.tsx';
import { PanelHeader } from '../../ui/PanelHeader.tsx';
import { createUser, type NewUser, usersKeys } from './api.ts';

const BACK = { to: '/users', label: 'users' };

export function NewUserPanel({ onCreated }: { onCreated: (user: User) => void }) {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('staff');
  const [password, setPassword] = useState('');
  const [pin, setPin] = useState('');

  const create = useMutation({
    mutationFn: (input: NewUser) => createUser(input),
    onSuccess: (user) => {
      queryClient.setQueryData(usersKeys.detail(user.id), user);
      void queryClient.invalidateQueries({ queryKey: ['users', 'list'] });
      onCreated(user);
      navigate(`/users/${user.id}`);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input: NewUser = { username: username.trim(), display_name: displayName.trim(), role, password };
    if (pin) input.pin = pin;
    create.mutate(input);
  }

  const error = create.error;
  return (
    <section className="panel" aria-labelledby="new-user-heading">
      <PanelHeader id="new-user-heading" title="New user" back={BACK} />
      <form onSubmit={submit}>
        <TextField
          label="Username"
          required
          autoComplete="off"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
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
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {ROLE_LABELS[value]}
            </option>
          ))}
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
        <ErrorAlert error={error} />
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </form>
    </section>
  );
}
