import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { navigate, safeLocalPath, useLocation } from '../../router.tsx';
import { CODE_TEXT, ErrorAlert, TextField } from '../../ui/forms.tsx';
import { MFA_REQUIRED, type SecondFactor, signInWithPassword, signInWithPin } from './api.ts';
import { isWholeOtp, isWholeRecoveryCode, otpDigits } from './second-factor.ts';
import { replaceSession } from './session.ts';
import './auth.css';

type Mode = 'password' | 'pin';
/** First the username with a password or PIN; then, for two-factor sign-in, a code. */
type Step = 'credentials' | 'code';
/** The code from the authenticator app, or one of the recovery codes. */
type CodeKind = 'otp' | 'recovery';

export function SignInPage() {
  const queryClient = useQueryClient();
  const { searchParams } = useLocation();
  const [mode, setMode] = useState<Mode>('password');
  const [step, setStep] = useState<Step>('credentials');
  const [codeKind, setCodeKind] = useState<CodeKind>('otp');
  const [username, setUsername] = useState('');
  // Kept in memory only (never in storage) until the code step ends, to send again with the code.
  const [secret, setSecret] = useState('');
  const [code, setCode] = useState('');
  const [codeProblem, setCodeProblem] = useState<string | null>(null);
  const secretRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = step === 'code' ? 'Two-factor sign-in · Stock Verify' : 'Sign in · Stock Verify';
  }, [step]);

  // The code step opens with the cursor in the code field.
  useEffect(() => {
    if (step === 'code') codeRef.current?.focus();
  }, [step]);

  const signIn = useMutation({
    mutationFn: (factor: SecondFactor) =>
      mode === 'pin' ? signInWithPin(username, secret, factor) : signInWithPassword(username, secret, factor),
    onSuccess: (result) => {
      setSecret('');
      setCode('');
      replaceSession(queryClient, { user: result.user, mfaEnrolmentRequired: result.mfa_enrolment_required });
      navigate(safeLocalPath(searchParams.get('next')) ?? '/', { replace: true });
    },
    onError: (error) => {
      if (step === 'credentials' && error instanceof ApiError && error.code === MFA_REQUIRED) {
        // The password (or PIN) was right: keep it, and ask for the second factor.
        setCodeKind('otp');
        setCode('');
        setStep('code');
        return;
      }
      if (step === 'code') {
        setCode('');
        codeRef.current?.focus();
        return;
      }
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

  function switchCodeKind() {
    setCodeKind(codeKind === 'otp' ? 'recovery' : 'otp');
    setCode('');
    setCodeProblem(null);
    signIn.reset();
    requestAnimationFrame(() => codeRef.current?.focus());
  }

  /** Back to the first step: the password (or PIN) is forgotten, the username kept. */
  function startAgain() {
    setStep('credentials');
    setSecret('');
    setCode('');
    setCodeProblem(null);
    signIn.reset();
    requestAnimationFrame(() => secretRef.current?.focus());
  }

  function submitCredentials(event: FormEvent) {
    event.preventDefault();
    if (!signIn.isPending) signIn.mutate({});
  }

  function submitCode(event: FormEvent) {
    event.preventDefault();
    if (signIn.isPending) return;
    if (codeKind === 'otp' && !isWholeOtp(code)) {
      setCodeProblem('must be the 6 digits your app shows now');
      codeRef.current?.focus();
      return;
    }
    if (codeKind === 'recovery' && !isWholeRecoveryCode(code)) {
      setCodeProblem('must be a whole recovery code, like abcd-efgh-2345');
      codeRef.current?.focus();
      return;
    }
    setCodeProblem(null);
    signIn.mutate(codeKind === 'otp' ? { otp_code: code } : { recovery_code: code.trim() });
  }

  // MFA_REQUIRED is no failure: it is what opens the code step. At the code step a refusal is
  // about the code as far as this screen can tell: the server gives one answer for every failure,
  // so nothing more specific is claimed.
  const error = signIn.error instanceof ApiError && signIn.error.code === MFA_REQUIRED ? null : signIn.error;
  const shownError =
    step === 'code' && error instanceof ApiError && error.status === 401
      ? new Error(
          codeKind === 'otp'
            ? 'That code did not work. Wait for the next code in your app and try again, or go back and sign in again.'
            : 'That recovery code did not work. Check it and try again, or go back and sign in again.',
        )
      : error;

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <p className="signin-brand" aria-hidden="true">
          <span className="brand-mark">✓</span> Stock Verify
        </p>
        {step === 'credentials' ? (
          <>
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
            <form onSubmit={submitCredentials}>
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
              <ErrorAlert error={shownError} />
              <button
                className="button button-primary button-block"
                type="submit"
                disabled={signIn.isPending}
              >
                {signIn.isPending ? 'Signing in…' : 'Sign in'}
              </button>
            </form>
            {mode === 'pin' && (
              <p className="signin-foot muted small">
                Quick sign-in for shared handhelds. Ask an admin to set your PIN.
              </p>
            )}
          </>
        ) : (
          <>
            <h1>Two-factor sign-in</h1>
            <p className="signin-who">
              Signing in as <strong>{username}</strong>.{' '}
              {codeKind === 'otp'
                ? 'Open your authenticator app and enter the 6-digit code it shows for Stock Verify.'
                : 'Enter one of the recovery codes you saved when you set up two-factor sign-in. Each works once.'}
            </p>
            <form onSubmit={submitCode} noValidate>
              {codeKind === 'otp' ? (
                <TextField
                  key="otp"
                  ref={codeRef}
                  label="6-digit code"
                  name="otp_code"
                  className="code-input"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9]*"
                  required
                  value={code}
                  onChange={(event) => {
                    setCode(otpDigits(event.target.value));
                    setCodeProblem(null);
                  }}
                  error={codeProblem ?? undefined}
                />
              ) : (
                <TextField
                  key="recovery"
                  ref={codeRef}
                  label="Recovery code"
                  name="recovery_code"
                  className="code-input"
                  autoCapitalize="none"
                  {...CODE_TEXT}
                  maxLength={20}
                  required
                  value={code}
                  onChange={(event) => {
                    setCode(event.target.value);
                    setCodeProblem(null);
                  }}
                  hint="Like abcd-efgh-2345; the dashes are optional."
                  error={codeProblem ?? undefined}
                />
              )}
              <ErrorAlert error={shownError} />
              <button
                className="button button-primary button-block"
                type="submit"
                disabled={signIn.isPending}
              >
                {signIn.isPending ? 'Checking…' : 'Verify and sign in'}
              </button>
            </form>
            <div className="signin-alt">
              <button type="button" className="button button-secondary" onClick={switchCodeKind}>
                {codeKind === 'otp' ? 'Use a recovery code instead' : 'Use the code from my app instead'}
              </button>
              <button type="button" className="button button-secondary" onClick={startAgain}>
                <span aria-hidden="true">←</span> Back to sign in
              </button>
            </div>
            {codeKind === 'otp' && (
              <p className="signin-foot muted small">
                Lost your phone and your recovery codes? Ask an admin to reset your two-factor sign-in.
              </p>
            )}
          </>
        )}
      </div>
    </main>
  );
}
