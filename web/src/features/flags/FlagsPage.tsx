import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ROLES, type Role, type User } from '../../api/types.ts';
import {
  CheckboxField,
  CODE_TEXT,
  ErrorAlert,
  FormFooter,
  fieldError,
  SelectField,
  StatusNote,
  TextField,
} from '../../ui/forms.tsx';
import { Page } from '../../ui/Page.tsx';
import {
  createFlag,
  deleteFlag,
  type FeatureFlag,
  type FlagInput,
  type FlagState,
  flagsKeys,
  KEY_PATTERN,
  listFlags,
  refreshFlags,
  setFlagState,
  updateFlag,
} from './api.ts';
import { useEnabledFlags } from './use-flag.ts';
import './flags.css';

/** The form's text, as typed: the percentage empty for "no gradual rollout", user ids one a line. */
interface Draft {
  name: string;
  description: string;
  percentage: string;
  allowed_roles: Role[];
  allowed_users: string;
}

const EMPTY: Draft = { name: '', description: '', percentage: '', allowed_roles: [], allowed_users: '' };

function draftOf(flag: FeatureFlag): Draft {
  return {
    name: flag.name,
    description: flag.description,
    percentage: flag.percentage === null ? '' : String(flag.percentage),
    allowed_roles: [...flag.allowed_roles],
    allowed_users: flag.allowed_users.join('\n'),
  };
}

/** The draft as the API takes it, or the percentage field's complaint. */
function inputOf(draft: Draft): FlagInput | { percentageError: string } {
  const text = draft.percentage.trim();
  let percentage: number | null = null;
  if (text !== '') {
    if (!/^\d{1,3}$/.test(text) || Number(text) > 100)
      return { percentageError: 'must be a whole number from 0 to 100' };
    percentage = Number(text);
  }
  return {
    name: draft.name.trim(),
    description: draft.description.trim(),
    percentage,
    allowed_roles: draft.allowed_roles,
    allowed_users: draft.allowed_users
      .split(/[\s,]+/)
      .map((id) => id.trim())
      .filter(Boolean),
  };
}

/** How a flag decides, in one line, for the table. */
function rulesText(flag: FeatureFlag): string {
  const parts: string[] = [];
  if (flag.allowed_roles.length > 0) parts.push(`roles: ${flag.allowed_roles.join(', ')}`);
  if (flag.allowed_users.length > 0)
    parts.push(`${flag.allowed_users.length} user${flag.allowed_users.length === 1 ? '' : 's'}`);
  if (flag.percentage !== null) parts.push(`${flag.percentage} % of users`);
  return parts.length === 0 ? 'everyone' : parts.join(' · ');
}

/** /flags (admins): every feature flag; create, edit rollout and targets, enable, disable, delete. */
export function FlagsPage(_props: { user: User }) {
  const flags = useQuery({ queryKey: flagsKeys.list, queryFn: listFlags });
  const [editing, setEditing] = useState<string | null>(null);
  const editedFlag = flags.data?.items.find((flag) => flag.key === editing) ?? null;
  return (
    <Page title="Feature flags" className="flags">
      <p className="note">
        A flag is off while disabled. When enabled, listed users and roles always get it; with a percentage,
        each other user's stable bucket (1–100, the same as Unleash's) decides; with neither, everyone gets
        it, and with targets only, only the targets do.
      </p>
      {flags.data && !flags.data.evaluation_enabled && (
        <p className="alert alert-error" role="status">
          FEATURE_FLAGS_ENABLED=false: changes are kept, but every flag evaluates to its built-in default.
        </p>
      )}
      <MyFlags />
      <ErrorAlert error={flags.error} />
      {flags.isPending ? (
        <p className="muted" role="status">
          Loading the flags…
        </p>
      ) : (
        flags.data && <FlagTable flags={flags.data.items} editing={editing} onEdit={setEditing} />
      )}
      {editedFlag ? (
        <EditFlag key={editedFlag.key} flag={editedFlag} onClose={() => setEditing(null)} />
      ) : (
        <CreateFlag />
      )}
    </Page>
  );
}

/** The useFlag hooks' answer for the admin: what the app currently shows them. */
function MyFlags() {
  const enabled = useEnabledFlags();
  if (!enabled) return null;
  return (
    <p className="flags-mine" data-testid="flags-mine">
      On for you:{' '}
      {enabled.size === 0 ? (
        <span className="muted">none</span>
      ) : (
        [...enabled].map((key) => (
          <code key={key} className="flags-chip">
            {key}
          </code>
        ))
      )}
    </p>
  );
}

function FlagTable(props: {
  flags: FeatureFlag[];
  editing: string | null;
  onEdit: (key: string | null) => void;
}) {
  const { flags, editing, onEdit } = props;
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const toggle = useMutation({
    mutationFn: ({ key, state }: { key: string; state: FlagState }) => setFlagState(key, state),
    onSuccess: (flag) => {
      setDone(`${flag.key} ${flag.state}.`);
      refreshFlags(queryClient);
    },
  });
  const remove = useMutation({
    mutationFn: deleteFlag,
    onSuccess: (_data, key) => {
      setConfirming(null);
      if (editing === key) onEdit(null);
      setDone(`${key} deleted.`);
      refreshFlags(queryClient);
    },
  });

  return (
    <section className="card" aria-labelledby="flags-heading">
      <h2 id="flags-heading">Flags</h2>
      {done && <StatusNote>{done}</StatusNote>}
      <ErrorAlert error={toggle.error ?? remove.error} />
      <table className="table data-table flags-table">
        <caption className="visually-hidden">Feature flags</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Who gets it</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {flags.map((flag) => (
            <tr key={flag.key} className={flag.key === editing ? 'is-selected' : undefined}>
              <th scope="row" data-label="Key" className="mono">
                {flag.key}
                {flag.built_in && <span className="badge flags-builtin">built-in</span>}
              </th>
              <td data-label="Name">
                {flag.name}
                {flag.description && <span className="field-hint flags-description">{flag.description}</span>}
              </td>
              <td data-label="State">
                <span className={`badge flags-${flag.state}`}>
                  {flag.state === 'enabled' ? 'Enabled' : 'Disabled'}
                </span>
              </td>
              <td data-label="Who gets it">{rulesText(flag)}</td>
              <td className="flags-actions">
                {confirming === flag.key ? (
                  <div className="form-actions">
                    <button
                      type="button"
                      className="button button-danger button-small"
                      disabled={remove.isPending}
                      aria-label={`Yes, delete ${flag.key}`}
                      onClick={() => remove.mutate(flag.key)}
                    >
                      {remove.isPending ? 'Deleting…' : 'Yes, delete'}
                    </button>
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      onClick={() => setConfirming(null)}
                    >
                      Cancel
                    </button>
                  </div>
                ) : (
                  <div className="form-actions">
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={`Edit ${flag.key}`}
                      onClick={() => {
                        setDone(null);
                        onEdit(flag.key);
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      disabled={toggle.isPending}
                      aria-label={`${flag.state === 'enabled' ? 'Disable' : 'Enable'} ${flag.key}`}
                      onClick={() => {
                        setDone(null);
                        toggle.mutate({
                          key: flag.key,
                          state: flag.state === 'enabled' ? 'disabled' : 'enabled',
                        });
                      }}
                    >
                      {flag.state === 'enabled' ? 'Disable' : 'Enable'}
                    </button>
                    {!flag.built_in && (
                      <button
                        type="button"
                        className="button button-danger-outline button-small"
                        aria-label={`Delete ${flag.key}`}
                        onClick={() => {
                          setDone(null);
                          remove.reset();
                          setConfirming(flag.key);
                        }}
                      >
                        Delete
                      </button>
                    )}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Name, description, percentage and targets: the part of a flag both forms edit. */
function RuleFields(props: {
  draft: Draft;
  edit: (fields: Partial<Draft>) => void;
  error: unknown;
  percentageError: string | undefined;
}) {
  const { draft, edit, error, percentageError } = props;
  const toggleRole = (role: Role, on: boolean) =>
    edit({
      allowed_roles: on ? [...draft.allowed_roles, role] : draft.allowed_roles.filter((r) => r !== role),
    });
  return (
    <>
      <TextField
        label="Name"
        maxLength={200}
        value={draft.name}
        onChange={(event) => edit({ name: event.target.value })}
        error={fieldError(error, 'name')}
      />
      <TextField
        label="Description"
        maxLength={2000}
        value={draft.description}
        onChange={(event) => edit({ description: event.target.value })}
        error={fieldError(error, 'description')}
      />
      <TextField
        label="Rollout percentage"
        inputMode="numeric"
        value={draft.percentage}
        onChange={(event) => edit({ percentage: event.target.value })}
        hint="0–100 of the other users, by a stable bucket. Empty: no gradual rollout."
        error={percentageError ?? fieldError(error, 'percentage')}
      />
      <fieldset className="flags-roles">
        <legend>Roles that always get it</legend>
        {ROLES.map((role) => (
          <CheckboxField
            key={role}
            label={role}
            checked={draft.allowed_roles.includes(role)}
            onChange={(event) => toggleRole(role, event.target.checked)}
          />
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="flag-users">Users who always get it</label>
        <textarea
          id="flag-users"
          rows={3}
          {...CODE_TEXT}
          value={draft.allowed_users}
          onChange={(event) => edit({ allowed_users: event.target.value })}
          aria-describedby="flag-users-hint"
        />
        <p id="flag-users-hint" className="field-hint">
          User ids, one a line (a user's id is in the address of their page under Users).
        </p>
      </div>
    </>
  );
}

function CreateFlag() {
  const queryClient = useQueryClient();
  const [key, setKey] = useState('');
  const [state, setState] = useState<FlagState>('disabled');
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [problems, setProblems] = useState<{ key?: string; percentage?: string }>({});
  const [done, setDone] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: createFlag,
    onSuccess: (flag) => {
      setDone(`${flag.key} created.`);
      setKey('');
      setState('disabled');
      setDraft(EMPTY);
      refreshFlags(queryClient);
    },
  });
  const edit = (fields: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...fields }));
    setProblems({});
    setDone(null);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = inputOf(draft);
    const keyText = key.trim();
    const keyProblem = KEY_PATTERN.test(keyText)
      ? undefined
      : 'must start with a lower-case letter, then 1–63 of a–z, 0–9, _ . -';
    const percentageProblem = 'percentageError' in input ? input.percentageError : undefined;
    if (keyProblem || percentageProblem) {
      setProblems({
        ...(keyProblem ? { key: keyProblem } : {}),
        ...(percentageProblem ? { percentage: percentageProblem } : {}),
      });
      return;
    }
    setDone(null);
    create.mutate({ ...(input as FlagInput), key: keyText, state });
  }

  return (
    <section className="card" aria-labelledby="new-flag-heading">
      <h2 id="new-flag-heading">New flag</h2>
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          <TextField
            label="Key"
            required
            {...CODE_TEXT}
            autoCapitalize="none"
            maxLength={64}
            placeholder="new_dashboard"
            value={key}
            onChange={(event) => {
              setKey(event.target.value);
              setProblems({});
              setDone(null);
            }}
            error={problems.key ?? fieldError(create.error, 'key')}
          />
          <SelectField
            label="State"
            value={state}
            onChange={(event) => setState(event.target.value as FlagState)}
          >
            <option value="disabled">Disabled</option>
            <option value="enabled">Enabled</option>
          </SelectField>
          <RuleFields draft={draft} edit={edit} error={create.error} percentageError={problems.percentage} />
        </div>
        <FormFooter
          error={create.error}
          done={done}
          pending={create.isPending}
          label="Create flag"
          pendingLabel="Creating…"
        />
      </form>
    </section>
  );
}

function EditFlag({ flag, onClose }: { flag: FeatureFlag; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(flag));
  const [percentageError, setPercentageError] = useState<string | undefined>();
  const [done, setDone] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (changes: FlagInput) => updateFlag(flag.key, changes),
    onSuccess: () => {
      setDone('Saved.');
      refreshFlags(queryClient);
    },
  });
  const edit = (fields: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...fields }));
    setPercentageError(undefined);
    setDone(null);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = inputOf(draft);
    if ('percentageError' in input) {
      setPercentageError(input.percentageError);
      return;
    }
    setDone(null);
    save.mutate(input);
  }

  return (
    <section className="card" aria-labelledby="edit-flag-heading">
      <h2 id="edit-flag-heading">Edit {flag.key}</h2>
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          <RuleFields draft={draft} edit={edit} error={save.error} percentageError={percentageError} />
        </div>
        <FormFooter
          error={save.error}
          done={done}
          pending={save.isPending}
          label="Save"
          pendingLabel="Saving…"
        >
          <button type="button" className="button button-secondary" onClick={onClose}>
            Close
          </button>
        </FormFooter>
      </form>
    </section>
  );
}
