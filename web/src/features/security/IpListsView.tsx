import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, errorMessage } from '../../api/client.ts';
import { IP_LIST_TYPES, type IpListEntry, type IpLists, type IpListType } from '../../api/types.ts';
import {
  CODE_TEXT,
  ErrorAlert,
  FormFooter,
  fieldError,
  SelectField,
  StatusNote,
  TextField,
} from '../../ui/forms.tsx';
import {
  addIpEntry,
  getIpLists,
  LIST_LABELS,
  MAX_EXPIRY_HOURS,
  MODE_TEXT,
  type NewIpEntry,
  refreshSecurity,
  removeIpEntry,
  SELF_BLOCK,
  securityKeys,
} from './api.ts';
import { Expiry, ShortTime, UserName } from './parts.tsx';

const isSelfBlock = (error: unknown) => error instanceof ApiError && error.code === SELF_BLOCK;

/** The whitelist and the blacklist: add an address or range (for a while, or for good), remove one. */
export function IpListsView() {
  const lists = useQuery({ queryKey: securityKeys.ipLists, queryFn: getIpLists });
  return (
    <>
      {lists.data && <ModeNote lists={lists.data} />}
      <AddEntrySection />
      <ErrorAlert error={lists.error} />
      {lists.isPending ? (
        <p className="muted" role="status">
          Loading the IP lists…
        </p>
      ) : (
        lists.data &&
        IP_LIST_TYPES.map((listType) => (
          <ListSection
            key={listType}
            listType={listType}
            entries={lists.data[listType]}
            mode={lists.data.mode}
          />
        ))
      )}
    </>
  );
}

function ModeNote({ lists }: { lists: IpLists }) {
  return (
    <p className="note">
      {lists.enabled
        ? MODE_TEXT[lists.mode]
        : 'Security is switched off (ENTERPRISE_SECURITY_ENABLED=false): the lists are kept but not applied.'}
    </p>
  );
}

interface Draft {
  list_type: IpListType;
  ip_address: string;
  reason: string;
  expires_hours: string;
}

const EMPTY: Draft = { list_type: 'blacklist', ip_address: '', reason: '', expires_hours: '' };

/** Whole hours from 1 to ten years, or empty for "never". */
function parseHours(text: string): number | null | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^\d+$/.test(trimmed)) return { error: 'must be a whole number of hours' };
  const hours = Number(trimmed);
  if (hours < 1 || hours > MAX_EXPIRY_HOURS) return { error: `must be from 1 to ${MAX_EXPIRY_HOURS} hours` };
  return hours;
}

function AddEntrySection() {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [hoursError, setHoursError] = useState<string | undefined>();
  const [done, setDone] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: addIpEntry,
    onSuccess: (entry) => {
      refreshSecurity(queryClient);
      setDraft((current) => ({ ...EMPTY, list_type: current.list_type }));
      setDone(`${entry.ip_address} added to the ${entry.list_type}.`);
    },
  });

  function edit(fields: Partial<Draft>) {
    setDraft((current) => ({ ...current, ...fields }));
    setHoursError(undefined);
    setDone(null);
    add.reset();
  }

  function send(force: boolean) {
    const hours = parseHours(draft.expires_hours);
    if (hours !== null && typeof hours === 'object') {
      setHoursError(hours.error);
      return;
    }
    const entry: NewIpEntry = {
      list_type: draft.list_type,
      ip_address: draft.ip_address.trim(),
      reason: draft.reason.trim(),
    };
    if (hours !== null) entry.expires_hours = hours;
    if (force) entry.force = true;
    setDone(null);
    add.mutate(entry);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    send(false);
  }

  const selfBlock = isSelfBlock(add.error);
  return (
    <section className="card" aria-labelledby="add-entry-heading">
      <h2 id="add-entry-heading">Add an address</h2>
      <form onSubmit={submit}>
        <div className="form-grid">
          <SelectField
            label="List"
            value={draft.list_type}
            onChange={(event) => edit({ list_type: event.target.value as IpListType })}
            error={fieldError(add.error, 'list_type')}
          >
            {IP_LIST_TYPES.map((value) => (
              <option key={value} value={value}>
                {LIST_LABELS[value]}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Address or range"
            required
            {...CODE_TEXT}
            autoCapitalize="none"
            maxLength={64}
            placeholder="203.0.113.7 or 10.0.0.0/8"
            value={draft.ip_address}
            onChange={(event) => edit({ ip_address: event.target.value })}
            hint="An IPv4 or IPv6 address, or a CIDR range."
            error={fieldError(add.error, 'ip_address')}
          />
          <TextField
            label="Reason"
            required
            maxLength={500}
            value={draft.reason}
            onChange={(event) => edit({ reason: event.target.value })}
            error={fieldError(add.error, 'reason')}
          />
          <TextField
            label="Expires after (hours)"
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_EXPIRY_HOURS}
            step={1}
            value={draft.expires_hours}
            onChange={(event) => edit({ expires_hours: event.target.value })}
            hint="Optional: empty never expires. 24 is a day, 720 thirty days."
            error={hoursError ?? fieldError(add.error, 'expires_hours')}
          />
        </div>
        {selfBlock ? (
          <SelfBlockConfirm
            error={add.error}
            question={`Add ${draft.ip_address.trim()} to the ${draft.list_type} anyway?`}
            confirmLabel="Add anyway"
            pending={add.isPending}
            onConfirm={() => send(true)}
            onCancel={() => add.reset()}
          />
        ) : (
          <FormFooter
            error={add.error}
            done={done}
            pending={add.isPending}
            label="Add to list"
            pendingLabel="Adding…"
          />
        )}
      </form>
    </section>
  );
}

/**
 * The server refused a change that would block the caller's own address: its message, and the
 * choice to go ahead (the server's `force`) or not.
 */
function SelfBlockConfirm(props: {
  error: unknown;
  question: string;
  confirmLabel: string;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { error, question, confirmLabel, pending, onConfirm, onCancel } = props;
  return (
    <fieldset className="confirm security-confirm">
      <legend>
        <span role="alert">{errorMessage(error)}</span>
      </legend>
      <p>
        <strong>{question}</strong> Every request from your address will then be refused, this page included,
        until someone at another address undoes it.
      </p>
      <div className="form-actions">
        <button type="button" className="button button-danger" disabled={pending} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}

const EMPTY_TEXT: Record<IpListType, Record<IpLists['mode'], string>> = {
  blacklist: { blacklist: 'No address is blacklisted.', whitelist: 'No address is blacklisted.' },
  whitelist: {
    blacklist: 'The whitelist is empty.',
    whitelist:
      'The whitelist is empty, so every address may connect: whitelist mode applies once it has entries.',
  },
};

function ListSection(props: { listType: IpListType; entries: IpListEntry[]; mode: IpLists['mode'] }) {
  const { listType, entries, mode } = props;
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: removeIpEntry,
    onSuccess: (_data, entry) => {
      setConfirming(null);
      setDone(`${entry.ip_address} removed from the ${listType}.`);
      refreshSecurity(queryClient);
    },
  });
  const headingId = `${listType}-heading`;
  const title = LIST_LABELS[listType];

  function startRemoving(entry: IpListEntry) {
    remove.reset();
    setDone(null);
    setConfirming(entry.id);
  }

  const pendingEntry = entries.find((entry) => entry.id === confirming);
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {title} <span className="muted security-count">({entries.length})</span>
      </h2>
      {done && <StatusNote>{done}</StatusNote>}
      {pendingEntry && isSelfBlock(remove.error) ? (
        <SelfBlockConfirm
          error={remove.error}
          question={`Remove ${pendingEntry.ip_address} from the ${listType} anyway?`}
          confirmLabel="Remove anyway"
          pending={remove.isPending}
          onConfirm={() =>
            remove.mutate({ ip_address: pendingEntry.ip_address, list_type: listType, force: true })
          }
          onCancel={() => {
            remove.reset();
            setConfirming(null);
          }}
        />
      ) : (
        <ErrorAlert error={remove.error} />
      )}
      {entries.length === 0 ? (
        <p className="empty">{EMPTY_TEXT[listType][mode]}</p>
      ) : (
        <table className="table data-table security-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Address or range</th>
              <th scope="col">Reason</th>
              <th scope="col">Added</th>
              <th scope="col">Added by</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} className={entry.id === confirming ? 'is-selected' : undefined}>
                <th scope="row" data-label="Address or range" className="mono security-address">
                  {entry.ip_address}
                </th>
                <td data-label="Reason" className="security-reason">
                  {entry.reason}
                </td>
                <td data-label="Added">
                  <ShortTime iso={entry.created_at} />
                </td>
                <td data-label="Added by">
                  {entry.source === 'automatic' ? (
                    <span className="badge security-auto">Automatic</span>
                  ) : (
                    <UserName id={entry.created_by} />
                  )}
                </td>
                <td data-label="Expires">
                  <Expiry iso={entry.expires_at} />
                </td>
                <td className="security-actions">
                  {entry.id === confirming && !isSelfBlock(remove.error) ? (
                    <div className="form-actions">
                      <button
                        type="button"
                        className="button button-danger button-small"
                        disabled={remove.isPending}
                        aria-label={`Yes, remove ${entry.ip_address}`}
                        onClick={() => remove.mutate({ ip_address: entry.ip_address, list_type: listType })}
                      >
                        {remove.isPending ? 'Removing…' : 'Yes, remove'}
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
                    <button
                      type="button"
                      className="button button-danger-outline button-small"
                      aria-label={`Remove ${entry.ip_address} from the ${listType}`}
                      onClick={() => startRemoving(entry)}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
