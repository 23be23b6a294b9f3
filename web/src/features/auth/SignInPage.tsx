import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { navigate, safeLocalPath, useLocation } from '../../router.tsx';
import { ErrorAlert, TextField } from '../../ui/forms.tsx';
import { signInWithPassword, signInWithPin } from './api.ts';
import { replaceSession } from './session.ts';

type Mode = 'password' | 'pin';

export function SignInPage() {
  const queryClient = useQueryClient();
  const { searchParams } = useLocation();
  const [mode, setMode] = useState<Mode>('password');
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const secretRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Stock Verify';
  }, []);

  const signIn = useMutation({
    mutationFn: () =>
      mode === 'pin' ? signInWithPin(username, secret) : signInWithPassword(username, secret),
    onSuccess: (result) => {
      replaceSession(queryClient, result.user);
      navigate(safeLocalPath(searchParams.get('next')) ?? '/', { replace: true });
    },
    onError: () => {
      setSecret('');
      secretRef.current?.focus();
    },
  });

  function switchMode(next: Mode) {
    if (next === mode) return;
    setMode(next);
    setSecret('');
    signIn.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!signIn.isPending) signIn.mutate();
  }

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <p className="signin-brand" aria-hidden="true">
          <span className="brand-mark">✓</span> Stock Verify
        </p>
        <h1>Sign in</h1>
        <fieldset className="segmented">
          <legend className="visually-hidden">Sign-in method</legend>
          <button type="button" aria-pressed={mode === 'password'} onClick={() => switchMode('password')}>
            Password
          </button>
          <button type="button" aria-pressed={mode === 'pin'} onClick={() => switchMode('pin')}>
            PIN
          </button>
        </fieldset>
        <form onSubmit={submit}>
          <TextField
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            required
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
          {mode === 'password' ? (
            <TextField
              key="password"
              ref={secretRef}
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={secret}
              onChange={(event) => setSecret(event.target.value)}
            />
          ) : (
            <TextField
              key="pin"
              ref={secretRef}
              label="PIN"
              name="pin"
              type="password"
              inputMode="numeric"
              autoComplete="off"
              maxLength={12}
              hint="6 to 12 digits"
              required
              value={secret}
              onChange={(event) => setSecret(event.target.value.replace(/\D/g, ''))}
            />
          )}
          <ErrorAlert error={signIn.error} />
          <button className="button button-primary button-block" type="submit" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {mode === 'pin' && (
          <p className="signin-foot muted small">
            Quick sign-in for shared handhelds. Ask an admin to set your PIN.
          </p>
        )}
      </div>
    </main>
  );
}
