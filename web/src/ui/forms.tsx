import type { UseMutationResult } from '@tanstack/react-query';
import { type ComponentPropsWithRef, type FormEvent, type ReactNode, useId, useState } from 'react';
import { ApiError, errorMessage } from '../api/client.ts';

/** The server's message for one field of a failed request, shown next to that field. */
export function fieldError(error: unknown, ...fields: string[]): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  for (const field of fields) {
    const message = error.fieldMessage(field);
    if (message) return message;
  }
  return undefined;
}

/** For fields typed exactly (codes, barcodes, usernames): never corrected, completed or spell-checked. */
export const CODE_TEXT = { autoComplete: 'off', autoCorrect: 'off', spellCheck: false } as const;

/** The server words field errors as a predicate ("must be 6 to 12 digits"): lead with the label. */
function readableFieldError(label: string, message: string): string {
  return /^[a-z]/.test(message) ? `${label} ${message}` : message;
}

interface FieldChrome {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

function useFieldIds(id: string | undefined, chrome: FieldChrome) {
  const generated = useId();
  const inputId = id ?? generated;
  const hintId = chrome.hint ? `${inputId}-hint` : undefined;
  const errorId = chrome.error ? `${inputId}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return { inputId, hintId, errorId, describedBy };
}

function FieldShell(props: {
  chrome: FieldChrome;
  ids: ReturnType<typeof useFieldIds>;
  children: ReactNode;
}) {
  const { chrome, ids, children } = props;
  return (
    <div className={chrome.error ? 'field has-error' : 'field'}>
      <label htmlFor={ids.inputId}>{chrome.label}</label>
      {children}
      {chrome.error && (
        <p id={ids.errorId} className="field-error">
          {readableFieldError(chrome.label, chrome.error)}
        </p>
      )}
      {chrome.hint && (
        <p id={ids.hintId} className="field-hint">
          {chrome.hint}
        </p>
      )}
    </div>
  );
}

type TextFieldProps = FieldChrome & Omit<ComponentPropsWithRef<'input'>, 'children'>;

export function TextField({ label, hint, error, id, ...input }: TextFieldProps) {
  const chrome = { label, hint, error };
  const ids = useFieldIds(id, chrome);
  return (
    <FieldShell chrome={chrome} ids={ids}>
      <input
        id={ids.inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={ids.describedBy}
        {...input}
      />
    </FieldShell>
  );
}

/** A search box: typed text is matched as it is, never corrected. */
export function SearchField(
  props: Omit<TextFieldProps, 'type' | 'onChange' | 'value'> & {
    value: string;
    onChange: (text: string) => void;
  },
) {
  const { onChange, ...field } = props;
  return (
    <TextField
      type="search"
      autoCorrect="off"
      spellCheck={false}
      {...field}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

type SelectFieldProps = FieldChrome & ComponentPropsWithRef<'select'>;

export function SelectField({ label, hint, error, id, children, ...select }: SelectFieldProps) {
  const chrome = { label, hint, error };
  const ids = useFieldIds(id, chrome);
  return (
    <FieldShell chrome={chrome} ids={ids}>
      <select
        id={ids.inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={ids.describedBy}
        {...select}
      >
        {children}
      </select>
    </FieldShell>
  );
}

type CheckboxFieldProps = { label: string; hint?: string | undefined } & Omit<
  ComponentPropsWithRef<'input'>,
  'type' | 'children'
>;

/** A checkbox with its label beside it: the whole row is the touch target. */
export function CheckboxField({ label, hint, id, ...input }: CheckboxFieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  const hintId = hint ? `${inputId}-hint` : undefined;
  return (
    <div className="field field-checkbox">
      <label htmlFor={inputId}>
        <input id={inputId} type="checkbox" aria-describedby={hintId} {...input} />
        {label}
      </label>
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A failed request's message, announced to screen readers. Renders nothing without an error. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      {errorMessage(error)}
    </div>
  );
}

/** A quiet confirmation ("Saved"), announced politely. */
export function StatusNote({ children }: { children: ReactNode }) {
  return (
    <p className="alert alert-success" role="status">
      {children}
    </p>
  );
}

/**
 * The end of a form: the request's error, what was just done (announced), then the buttons, the
 * submit button first. The submit button is disabled while the request runs.
 */
export function FormFooter(props: {
  error: unknown;
  /** A confirmation to show, or nothing. */
  done?: ReactNode;
  pending: boolean;
  label: string;
  /** The submit button's text while the request runs; `label` without one. */
  pendingLabel?: string;
  /** A secondary (outlined) submit button, for a form that is not the panel's main one. */
  secondary?: boolean;
  disabled?: boolean;
  /** More buttons, after the submit button. */
  children?: ReactNode;
}) {
  const { error, done, pending, label, pendingLabel, secondary, disabled, children } = props;
  return (
    <>
      <ErrorAlert error={error} />
      {done ? <StatusNote>{done}</StatusNote> : null}
      <div className="form-actions">
        <button
          className={secondary ? 'button button-secondary' : 'button button-primary'}
          type="submit"
          disabled={disabled || pending}
        >
          {pending && pendingLabel ? pendingLabel : label}
        </button>
        {children}
      </div>
    </>
  );
}

type DraftErrors<Draft> = Partial<Record<keyof Draft, string>>;
const NO_ERRORS = {};

/**
 * An edit form over a saved record. The fields show the saved values until edited; an edit is kept
 * until it is saved or discarded. Only the changes are sent (nothing when there are none), through
 * `mutation`; errors `validate` finds are shown instead of sending.
 */
export function useEditForm<Draft extends object, Changes extends object>(
  mutation: UseMutationResult<unknown, Error, Changes>,
  options: {
    /** The record's values, as the form shows them. */
    saved: Draft;
    changesOf: (draft: Draft) => Changes;
    validate?: (draft: Draft) => DraftErrors<Draft>;
  },
) {
  const { saved, changesOf, validate } = options;
  const [edited, setEdited] = useState<Partial<Draft> | null>(null);
  const [localErrors, setLocalErrors] = useState<DraftErrors<Draft>>(NO_ERRORS);
  const draft: Draft = { ...saved, ...edited };
  const changes = changesOf(draft);
  const dirty = Object.keys(changes).length > 0;

  return {
    draft,
    dirty,
    localErrors,
    /** Some fields changed: kept until saved; the last request's outcome is cleared. */
    edit(fields: Partial<Draft>) {
      setEdited((current) => ({ ...current, ...fields }));
      setLocalErrors(NO_ERRORS);
      mutation.reset();
    },
    discard: () => setEdited(null),
    submit(event: FormEvent) {
      event.preventDefault();
      const errors = validate?.(draft) ?? NO_ERRORS;
      setLocalErrors(errors);
      if (Object.keys(errors).length === 0 && dirty) {
        mutation.mutate(changes, { onSuccess: () => setEdited(null) });
      }
    },
    /** The server's message for a field of the last request. */
    fieldError: (...fields: string[]) => fieldError(mutation.error, ...fields),
    error: mutation.error,
    pending: mutation.isPending,
    /** Saved, and not edited since. */
    saved: mutation.isSuccess && !dirty,
  };
}

type EditForm = Pick<ReturnType<typeof useEditForm>, 'error' | 'saved' | 'pending' | 'dirty'>;

/** The end of an edit form: "Save changes", enabled once something changed, then "Changes saved." */
export function EditFormFooter({ form, children }: { form: EditForm; children?: ReactNode }) {
  return (
    <FormFooter
      error={form.error}
      done={form.saved && 'Changes saved.'}
      pending={form.pending}
      label="Save changes"
      pendingLabel="Saving…"
      disabled={!form.dirty}
    >
      {children}
    </FormFooter>
  );
}
