import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ROLE_LABELS, type User } from '../../api/types.ts';
import { ErrorAlert, fieldError, StatusNote, TextField } from '../../ui/forms.tsx';
import { Page } from '../../ui/Page.tsx';
import { changeOwnPassword } from '../auth/api.ts';
import { TwoFactorSection } from './TwoFactorSection.tsx';
import './account.css';

/**
 * /account: your details, two-factor sign-in, your password.
 *
 * `enrolment`: your role requires two-factor sign-in and it is off. Until it is on the server
 * answers nothing else, so this page shows only why, and the set-up; `onEnrolled` runs once done.
 */
export function AccountPage(props: { user: User; enrolment?: boolean; onEnrolled?: () => void }) {
  const { user, enrolment = false, onEnrolled } = props;
  if (enrolment) {
    return (
      <Page title="Set up two-factor sign-in">
        <div className="alert mfa-required" role="alert">
          <p>
            <strong>Two-factor sign-in is required for the {ROLE_LABELS[user.role]} role.</strong>
          </p>
          <p>
            Set it up below to go on using Stock Verify: you will need your phone with an authenticator app.
            Until then, the rest of the app is not available.
          </p>
        </div>
        <TwoFactorSection user={user} enrolment onEnrolled={onEnrolled} />
      </Page>
    );
  }
  return (
    <Page title="My account">
      <section className="card">
        <h2>Your details</h2>
        <dl className="details">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>Name</dt>
          <dd>{user.display_name}</dd>
          <dt>Role</dt>
          <dd>{ROLE_LABELS[user.role]}</dd>
          <dt>Quick sign-in PIN</dt>
          <dd>{user.has_pin ? 'Set' : 'Not set'}</dd>
        </dl>
      </section>
      <TwoFactorSection user={user} />
      <ChangePasswordForm />
    </Page>
  );
}

function ChangePasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);

  const change = useMutation({
    mutationFn: () => changeOwnPassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setConfirm('');
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== confirm) {
      setMismatch(true);
      change.reset();
      return;
    }
    setMismatch(false);
    change.mutate();
  }

  return (
    <section className="card">
      <h2>Change password</h2>
      <form onSubmit={submit}>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
          error={fieldError(change.error, 'current_password')}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onChange={(event) => setNext(event.target.value)}
          hint="At least 12 characters. Not your username, not a common password: a short phrase works well."
          error={fieldError(change.error, 'new_password')}
        />
        <TextField
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(event) => {
            setConfirm(event.target.value);
            setMismatch(false);
          }}
          error={mismatch ? 'does not match the new password' : undefined}
        />
        <ErrorAlert error={change.error} />
        {change.isSuccess && <StatusNote>Password changed. Your other sessions were signed out.</StatusNote>}
        <button className="button button-primary" type="submit" disabled={change.isPending}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
