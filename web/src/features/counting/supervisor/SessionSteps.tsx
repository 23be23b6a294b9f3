import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { ErrorAlert, FormFooter, TextField } from '../../../ui/forms.tsx';
import {
  type CountSessionDetail,
  cancelSession,
  PENDING_STATUSES,
  type Step,
  stepSession,
  storeSession,
} from './api.ts';

/** Lines still to decide: the session cannot be approved while there are any. */
export function pendingLines(session: CountSessionDetail): number | null {
  const byStatus = session.progress.lines_by_status;
  if (!byStatus) return null;
  return PENDING_STATUSES.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0);
}

const STEP_TEXT: Record<Step, { label: string; pending: string; explain: string }> = {
  start: {
    label: 'Start counting',
    pending: 'Starting…',
    explain: 'Freezes the book quantities and opens the assigned locations to the counters.',
  },
  submit: {
    label: 'Submit for review',
    pending: 'Submitting…',
    explain: 'Ends the count: variances are decided (auto-approve, recount or review) and claims released.',
  },
  approve: {
    label: 'Approve session',
    pending: 'Approving…',
    explain: 'Every line is decided: approve the session so its adjustments can be posted.',
  },
  post: {
    label: 'Post adjustments',
    pending: 'Posting…',
    explain: 'Hands the approved adjustments to the ERP. A posted session never changes again.',
  },
};

const NEXT_STEP: Partial<Record<CountSessionDetail['status'], Step>> = {
  draft: 'start',
  counting: 'submit',
  review: 'approve',
  approved: 'post',
};

/** The next step of the lifecycle for this session, and cancelling it. Nothing for read-only users. */
export function SessionSteps({ session }: { session: CountSessionDetail }) {
  const queryClient = useQueryClient();
  const [confirmPost, setConfirmPost] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const step = NEXT_STEP[session.status];
  const run = useMutation({
    mutationFn: (which: Step) => stepSession(session.id, which, session.version),
    onSuccess: (updated) => {
      setConfirmPost(false);
      storeSession(queryClient, updated);
    },
  });

  const pending = pendingLines(session);
  const blocked =
    step === 'approve' && pending !== null && pending > 0
      ? `${pending} ${pending === 1 ? 'line is' : 'lines are'} still pending (not counted, counted, recount or in review): decide ${pending === 1 ? 'it' : 'them'} in the review queue first.`
      : null;
  const canCancel = session.status !== 'posted' && session.status !== 'cancelled';

  if (!step && !canCancel) return null;
  return (
    <section className="card session-steps" aria-labelledby="steps-heading">
      <h2 id="steps-heading" className="visually-hidden">
        Next step
      </h2>
      {step && (
        <>
          {/* While lines are pending the note below says what is left; "every line is decided" would not be true. */}
          {!blocked && <p className="muted">{STEP_TEXT[step].explain}</p>}
          <div className="form-actions">
            <button
              type="button"
              className="button button-primary"
              disabled={run.isPending || blocked !== null}
              aria-describedby={blocked ? 'step-blocked' : undefined}
              onClick={() => (step === 'post' ? setConfirmPost(true) : run.mutate(step))}
            >
              {run.isPending ? STEP_TEXT[step].pending : STEP_TEXT[step].label}
            </button>
            {canCancel && !cancelling && (
              <button
                type="button"
                className="button button-danger-outline"
                onClick={() => setCancelling(true)}
              >
                Cancel session
              </button>
            )}
          </div>
          {blocked && (
            <p id="step-blocked" className="note">
              {blocked}
            </p>
          )}
          {!confirmPost && <ErrorAlert error={run.error} />}
        </>
      )}
      {!step && canCancel && !cancelling && (
        <button type="button" className="button button-danger-outline" onClick={() => setCancelling(true)}>
          Cancel session
        </button>
      )}
      {cancelling && <CancelForm session={session} onClose={() => setCancelling(false)} />}
      {confirmPost && (
        <ConfirmDialog
          title="Post the adjustments?"
          confirmLabel="Post adjustments"
          pending={run.isPending}
          error={run.error}
          onConfirm={() => run.mutate('post')}
          onCancel={() => {
            setConfirmPost(false);
            run.reset();
          }}
        >
          <p>
            The approved variances of <strong>{session.name}</strong> become adjustments for the ERP. A posted
            session can never be changed again.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function CancelForm({ session, onClose }: { session: CountSessionDetail; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const cancel = useMutation({
    mutationFn: () => cancelSession(session.id, reason.trim(), session.version),
    onSuccess: (updated) => {
      storeSession(queryClient, updated);
      onClose();
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (reason.trim()) cancel.mutate();
  }
  return (
    <form className="confirm cancel-form" onSubmit={submit} aria-label="Cancel the session">
      <TextField
        label="Reason for cancelling"
        value={reason}
        maxLength={500}
        required
        onChange={(event) => setReason(event.target.value)}
      />
      <FormFooter
        error={cancel.error}
        pending={cancel.isPending}
        label="Cancel session"
        pendingLabel="Cancelling…"
        disabled={!reason.trim()}
      >
        <button type="button" className="button button-secondary" onClick={onClose}>
          Keep the session
        </button>
      </FormFooter>
    </form>
  );
}

/** A modal question (the browser's own dialog element: focus is trapped, Escape cancels). */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  pending: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const { title, confirmLabel, pending, error, onConfirm, onCancel, children } = props;
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="counting-dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-dialog-title">{title}</h2>
      {children}
      <ErrorAlert error={error} />
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={pending} onClick={onConfirm}>
          {pending ? 'Working…' : confirmLabel}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Go back
        </button>
      </div>
    </dialog>
  );
}
