import { type ComponentPropsWithRef, type ReactNode, useId } from 'react';
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
