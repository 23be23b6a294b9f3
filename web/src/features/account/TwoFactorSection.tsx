import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { type MfaSetup, type MfaStatus, ROLE_LABELS, type User } from '../../api/types.ts';
import { CODE_TEXT, ErrorAlert, FormFooter, fieldError, StatusNote, TextField } from '../../ui/forms.tsx';
import { isWholeOtp, isWholeRecoveryCode, otpDigits } from '../auth/second-factor.ts';
import {
  accountKeys,
  disableMfa,
  enableMfa,
  getMfaStatus,
  mfaChanged,
  RECOVERY_CODE_COUNT,
  refreshMfaStatus,
  replaceRecoveryCodes,
  startMfaSetup,
} from './api.ts';
import { copyText, downloadText, groupsOfFour, qrImageSource } from './mfa-parts.ts';
import '../auth/auth.css';

type View =
  | { kind: 'status' }
  | { kind: 'setup'; setup: MfaSetup }
  /** The recovery codes, shown once: on switching on, or `replaced` when new ones were asked for. */
  | { kind: 'codes'; codes: string[]; replaced: boolean }
  | { kind: 'new-codes' }
  | { kind: 'disable' };

/** Below this many unused recovery codes, the status says it is time for new ones. */
const FEW_CODES = 3;

/**
 * Two-factor sign-in for your own account: its status; setting it up (QR code or key, then a code
 * to confirm, then the recovery codes, shown once); new recovery codes for a code from the app
 * (shown once the same way); switching it off.
 *
 * `enrolment`: the user's role requires it and it is off, so this is all the app shows them;
 * `onEnrolled` runs once it is on and the recovery codes are saved.
 */
export function TwoFactorSection(props: { user: User; enrolment?: boolean; onEnrolled?: () => void }) {
  const { user, enrolment = false, onEnrolled } = props;
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: accountKeys.mfa, queryFn: getMfaStatus });
  const [view, setView] = useState<View>({ kind: 'status' });
  const [done, setDone] = useState<string | null>(null);

  const setup = useMutation({
    mutationFn: startMfaSetup,
    onSuccess: (started) => {
      setDone(null);
      setView({ kind: 'setup', setup: started });
    },
    onError: (error) => {
      // Switched on elsewhere (another tab): show what is true now.
      if (error instanceof ApiError && error.code === 'MFA_ALREADY_ENABLED') mfaChanged(queryClient, true);
    },
  });

  function show(next: View, note: string | null = null) {
    setDone(note);
    setView(next);
  }

  let body: ReactNode;
  if (view.kind === 'setup') {
    body = (
      <SetupSteps
        setup={view.setup}
        restart={setup}
        onEnabled={(codes) => {
          // The session is told only once the codes are saved: in enrolment, that lets the app go on.
          refreshMfaStatus(queryClient);
          show({ kind: 'codes', codes, replaced: false });
        }}
        onCancel={() => show({ kind: 'status' })}
        cancellable={!enrolment}
      />
    );
  } else if (view.kind === 'codes') {
    body = (
      <RecoveryCodes
        codes={view.codes}
        username={user.username}
        replaced={view.replaced}
        onSaved={() => {
          if (view.replaced) {
            show({ kind: 'status' }, 'New recovery codes saved. The old ones no longer work.');
            return;
          }
          show(
            { kind: 'status' },
            'Two-factor sign-in is on. You will be asked for a code when you sign in.',
          );
          mfaChanged(queryClient, true);
          onEnrolled?.();
        }}
      />
    );
  } else if (view.kind === 'new-codes') {
    body = (
      <NewCodesForm
        onReplaced={(codes) => {
          refreshMfaStatus(queryClient);
          show({ kind: 'codes', codes, replaced: true });
        }}
        onNotEnabled={() => mfaChanged(queryClient, false)}
        onCancel={() => show({ kind: 'status' })}
      />
    );
  } else if (view.kind === 'disable') {
    body = (
      <DisableForm
        onDisabled={() => {
          show({ kind: 'status' }, 'Two-factor sign-in is off. You sign in with your password alone.');
          mfaChanged(queryClient, false);
        }}
        onCancel={() => show({ kind: 'status' })}
      />
    );
  } else if (status.data) {
    body = (
      <StatusView
        status={status.data}
        role={user.role}
        starting={setup}
        onNewCodes={() => show({ kind: 'new-codes' })}
        onDisable={() => show({ kind: 'disable' })}
      />
    );
  } else {
    body = status.isPending ? (
      <p className="muted" role="status">
        Loading…
      </p>
    ) : (
      <ErrorAlert error={status.error} />
    );
  }

  return (
    <section className="card mfa" aria-labelledby="mfa-heading">
      <h2 id="mfa-heading">Two-factor sign-in</h2>
      {done && <StatusNote>{done}</StatusNote>}
      {body}
    </section>
  );
}

type SetupMutation = { mutate: () => void; isPending: boolean; error: unknown };

function StatusView(props: {
  status: MfaStatus;
  role: User['role'];
  starting: SetupMutation;
  onNewCodes: () => void;
  onDisable: () => void;
}) {
  const { status, role, starting, onNewCodes, onDisable } = props;
  const left = status.recovery_codes_left;
  return (
    <>
      <p className="muted">
        With two-factor sign-in on, signing in needs a code from an authenticator app on your phone as well as
        your password or PIN, so a stolen password alone is not enough.
      </p>
      <dl className="details">
        <dt>Status</dt>
        <dd>
          <span className={status.enabled ? 'status status-active' : 'status status-inactive'}>
            {status.enabled ? 'On' : 'Off'}
          </span>
        </dd>
        {status.enabled && (
          <>
            <dt>Recovery codes left</dt>
            <dd>
              {status.recovery_codes_left} of {RECOVERY_CODE_COUNT}
            </dd>
          </>
        )}
        <dt>Required for your role</dt>
        <dd>{status.required ? `Yes (${ROLE_LABELS[role]})` : 'No'}</dd>
      </dl>
      {status.enabled && left <= FEW_CODES && (
        <p className="note">
          {left === 0
            ? 'You have no recovery codes left.'
            : left === 1
              ? 'Only 1 recovery code left.'
              : `Only ${left} recovery codes left.`}{' '}
          Use <strong>Get new recovery codes</strong> below for a new set of {RECOVERY_CODE_COUNT}, with a
          code from your app.
        </p>
      )}
      <ErrorAlert error={starting.error} />
      {status.enabled ? (
        <>
          {status.required && (
            <p className="muted small">
              Your role requires two-factor sign-in, so it cannot be switched off. Lost your phone? Sign in
              with a recovery code, or ask an admin to reset it.
            </p>
          )}
          <div className="form-actions">
            <button type="button" className="button button-secondary" onClick={onNewCodes}>
              Get new recovery codes
            </button>
            {!status.required && (
              <button type="button" className="button button-danger-outline" onClick={onDisable}>
                Switch off two-factor sign-in
              </button>
            )}
          </div>
        </>
      ) : (
        <div>
          <button
            type="button"
            className="button button-primary"
            disabled={starting.isPending}
            onClick={() => starting.mutate()}
          >
            {starting.isPending ? 'Starting…' : 'Set up two-factor sign-in'}
          </button>
        </div>
      )}
    </>
  );
}

function SetupSteps(props: {
  setup: MfaSetup;
  restart: SetupMutation;
  onEnabled: (codes: string[]) => void;
  onCancel: () => void;
  cancellable: boolean;
}) {
  const { setup, restart, onEnabled, onCancel, cancellable } = props;
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const enable = useMutation({
    mutationFn: () => enableMfa(code),
    onSuccess: (result) => onEnabled(result.recovery_codes),
    onError: () => setCode(''),
  });
  const image = qrImageSource(setup.qr_svg);
  const expired = enable.error instanceof ApiError && enable.error.code === 'MFA_SETUP_REQUIRED';
  const until = new Date(setup.expires_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  // A new secret (first, or after starting again): the steps are announced from their first heading.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs for each new secret
  useEffect(() => {
    headingRef.current?.focus();
    setCode('');
    enable.reset();
  }, [setup.secret]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!isWholeOtp(code)) {
      setProblem('must be the 6 digits the app shows now');
      return;
    }
    setProblem(null);
    enable.mutate();
  }

  return (
    <div className="mfa-steps">
      <div className="mfa-step">
        <h3 ref={headingRef} tabIndex={-1}>
          1. Add Stock Verify to your authenticator app
        </h3>
        <p>
          In an authenticator app (such as Google Authenticator, Microsoft Authenticator or 1Password), add an
          account and scan this QR code.
        </p>
        <div className="mfa-setup">
          {image ? (
            <img
              className="mfa-qr"
              src={image}
              width={200}
              height={200}
              alt="QR code for your authenticator app: the same key as shown in text"
            />
          ) : (
            <p className="note">The QR code could not be shown: type the key instead.</p>
          )}
          <div className="mfa-key">
            <TextField
              label="Or type this key"
              className="mono mfa-secret"
              readOnly
              value={groupsOfFour(setup.secret)}
              onFocus={(event) => event.target.select()}
              hint="Time-based, 6 digits, every 30 seconds. The spaces are only for reading."
              {...CODE_TEXT}
            />
            <div className="form-actions">
              <button
                type="button"
                className="button button-secondary button-small"
                onClick={async () => setCopied((await copyText(setup.secret)) ? 'Key copied.' : null)}
              >
                Copy key
              </button>
              {setup.otpauth_url.startsWith('otpauth://') && (
                <a className="button button-secondary button-small" href={setup.otpauth_url}>
                  Open in an app on this device
                </a>
              )}
            </div>
            {copied && <StatusNote>{copied}</StatusNote>}
          </div>
        </div>
      </div>
      <div className="mfa-step">
        <h3>2. Enter the code the app shows</h3>
        <form onSubmit={submit} noValidate>
          <TextField
            label="Code from the app"
            name="otp_code"
            className="code-input"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]*"
            required
            value={code}
            onChange={(event) => {
              setCode(otpDigits(event.target.value));
              setProblem(null);
            }}
            hint={`6 digits. Finish by ${until}, or start again.`}
            error={problem ?? fieldError(enable.error, 'otp_code')}
          />
          <FormFooter
            error={enable.error}
            pending={enable.isPending}
            label="Switch on two-factor sign-in"
            pendingLabel="Checking…"
            disabled={expired}
          >
            {expired && (
              <button
                type="button"
                className="button button-secondary"
                disabled={restart.isPending}
                onClick={() => restart.mutate()}
              >
                {restart.isPending ? 'Starting…' : 'Start again'}
              </button>
            )}
            {cancellable && (
              <button type="button" className="button button-secondary" onClick={onCancel}>
                Cancel
              </button>
            )}
          </FormFooter>
          <ErrorAlert error={restart.error} />
        </form>
      </div>
    </div>
  );
}

function RecoveryCodes(props: { codes: string[]; username: string; replaced: boolean; onSaved: () => void }) {
  const { codes, username, replaced, onSaved } = props;
  const [copied, setCopied] = useState<boolean | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const text = [
    `Stock Verify recovery codes for ${username}`,
    `Saved ${new Date().toISOString().slice(0, 10)}. Each code signs in once, instead of a code from the app.`,
    '',
    ...codes,
    '',
  ].join('\n');

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  return (
    <div className="mfa-step">
      <h3 ref={headingRef} tabIndex={-1}>
        Save your recovery codes
      </h3>
      <StatusNote>
        {replaced ? 'New recovery codes made: the old ones no longer work.' : 'Two-factor sign-in is on.'}
      </StatusNote>
      <p>
        If you lose your phone, each of these codes signs you in once instead of a code from the app.{' '}
        <strong>They are shown only now</strong>: copy or download them and keep them somewhere safe, away
        from your phone.
      </p>
      <ol className="mfa-codes mono" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      <div className="form-actions">
        <button
          type="button"
          className="button button-secondary"
          onClick={async () => setCopied(await copyText(text))}
        >
          Copy codes
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => downloadText(`stock-verify-recovery-codes-${username}.txt`, text)}
        >
          Download as text
        </button>
      </div>
      {copied === true && <StatusNote>Recovery codes copied.</StatusNote>}
      {copied === false && (
        <p className="alert alert-error" role="alert">
          This browser would not copy them: download them, or write them down.
        </p>
      )}
      <div>
        <button type="button" className="button button-primary" onClick={onSaved}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

/** New recovery codes for a code from the app; the old ones (used or not) stop working. */
function NewCodesForm(props: {
  onReplaced: (codes: string[]) => void;
  onNotEnabled: () => void;
  onCancel: () => void;
}) {
  const { onReplaced, onNotEnabled, onCancel } = props;
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const replace = useMutation({
    mutationFn: () => replaceRecoveryCodes(code),
    onSuccess: (result) => onReplaced(result.recovery_codes),
    onError: (error) => {
      setCode('');
      // Switched off elsewhere (another tab): the status says so once this form is closed.
      if (error instanceof ApiError && error.code === 'MFA_NOT_ENABLED') onNotEnabled();
    },
  });

  useEffect(() => {
    codeRef.current?.focus();
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!isWholeOtp(code)) {
      setProblem('must be the 6 digits the app shows now');
      return;
    }
    setProblem(null);
    replace.mutate();
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="mfa-new-codes-heading">
      <h3 id="mfa-new-codes-heading">Get new recovery codes</h3>
      <p className="muted small">
        You get {RECOVERY_CODE_COUNT} new recovery codes, shown once. The ones you have now stop working, used
        or not.
      </p>
      <TextField
        ref={codeRef}
        label="Code from the app"
        name="otp_code"
        className="code-input"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]*"
        required
        value={code}
        onChange={(event) => {
          setCode(otpDigits(event.target.value));
          setProblem(null);
        }}
        hint="6 digits. A code already used (to sign in, say) is refused: wait for the app's next one."
        error={problem ?? fieldError(replace.error, 'otp_code')}
      />
      <FormFooter
        error={replace.error}
        pending={replace.isPending}
        label="Replace recovery codes"
        pendingLabel="Checking…"
      >
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </FormFooter>
    </form>
  );
}

function DisableForm(props: { onDisabled: () => void; onCancel: () => void }) {
  const { onDisabled, onCancel } = props;
  const [password, setPassword] = useState('');
  const [kind, setKind] = useState<'otp' | 'recovery'>('otp');
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const disable = useMutation({
    mutationFn: () =>
      disableMfa(password, kind === 'otp' ? { otp_code: code } : { recovery_code: code.trim() }),
    onSuccess: onDisabled,
    onError: () => {
      setPassword('');
      setCode('');
    },
  });

  useEffect(() => {
    passwordRef.current?.focus();
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    const ok = kind === 'otp' ? isWholeOtp(code) : isWholeRecoveryCode(code);
    if (!ok) {
      setProblem(kind === 'otp' ? 'must be the 6 digits the app shows now' : 'must be a whole recovery code');
      return;
    }
    setProblem(null);
    disable.mutate();
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="mfa-disable-heading">
      <h3 id="mfa-disable-heading">Switch off two-factor sign-in</h3>
      <p className="muted small">
        Prove it is you: your password, and a code from your app or one of your recovery codes. Your recovery
        codes stop working.
      </p>
      <TextField
        ref={passwordRef}
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {kind === 'otp' ? (
        <TextField
          key="otp"
          label="Code from the app"
          className="code-input"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          required
          value={code}
          onChange={(event) => {
            setCode(otpDigits(event.target.value));
            setProblem(null);
          }}
          error={problem ?? undefined}
        />
      ) : (
        <TextField
          key="recovery"
          label="Recovery code"
          className="code-input"
          autoCapitalize="none"
          {...CODE_TEXT}
          maxLength={20}
          required
          value={code}
          onChange={(event) => {
            setCode(event.target.value);
            setProblem(null);
          }}
          error={problem ?? undefined}
        />
      )}
      <div>
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={() => {
            setKind(kind === 'otp' ? 'recovery' : 'otp');
            setCode('');
            setProblem(null);
          }}
        >
          {kind === 'otp' ? 'Use a recovery code instead' : 'Use the code from my app instead'}
        </button>
      </div>
      <FormFooter
        error={disable.error}
        pending={disable.isPending}
        label="Switch off"
        pendingLabel="Switching off…"
      >
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </FormFooter>
    </form>
  );
}
