import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatDateTime } from '../../../ui/format.ts';
import {
  CheckboxField,
  CODE_TEXT,
  ErrorAlert,
  FormFooter,
  fieldError,
  SelectField,
  StatusNote,
  TextField,
} from '../../../ui/forms.tsx';
import { Filters, ListFooter, usePagedList } from '../../../ui/lists.tsx';
import {
  createRequest,
  type DataRequest,
  exportUrl,
  getRequest,
  listRequests,
  type NewRequest,
  processRequest,
  REQUEST_STATUSES,
  REQUEST_TYPES,
  type RequestAction,
  type RequestType,
  requestsKeys,
  STATUS_LABELS,
  type StatusFilter,
  TYPE_LABELS,
} from './api.ts';
import './requests.css';

/**
 * GDPR data subject requests: record one (access, portability, rectification, erasure), take it
 * through its states (verify, process — which does the work — or reject, extend the due date),
 * and download the export of a completed access or portability request. Overdue requests stand
 * out. Admins only act; `canEdit` false shows the queue read-only.
 */
export function RequestsView({ canEdit }: { canEdit: boolean }) {
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div className="dsr">
      {canEdit && <NewRequestForm onCreated={setSelected} />}
      <QueueSection selected={selected} onSelect={setSelected} />
      {selected && (
        <RequestPanel key={selected} id={selected} canEdit={canEdit} onClose={() => setSelected(null)} />
      )}
    </div>
  );
}

const subjectText = (request: DataRequest) => request.subject_username ?? request.subject_user_id;

function NewRequestForm({ onCreated }: { onCreated: (id: string) => void }) {
  const queryClient = useQueryClient();
  const [type, setType] = useState<RequestType>('access');
  const [subject, setSubject] = useState('');
  const [email, setEmail] = useState('');
  const [details, setDetails] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [username, setUsername] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: createRequest,
    onSuccess: (created) => {
      setDone(
        `${TYPE_LABELS[created.request_type]} request recorded for ${subjectText(created)}: due ${formatDateTime(created.due_at)}.`,
      );
      setSubject('');
      setEmail('');
      setDetails('');
      setDisplayName('');
      setUsername('');
      void queryClient.invalidateQueries({ queryKey: requestsKeys.all });
      onCreated(created.id);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const found: Record<string, string> = {};
    if (subject.trim() === '') found.subject_id = 'is required';
    const corrections: NewRequest['corrections'] = {};
    if (type === 'rectification') {
      if (displayName.trim()) corrections.display_name = displayName.trim();
      if (username.trim()) corrections.username = username.trim();
      if (Object.keys(corrections).length === 0)
        found.corrections = 'give a corrected display name or username';
    }
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    create.mutate({
      request_type: type,
      subject_id: subject.trim(),
      ...(email.trim() ? { subject_email: email.trim() } : {}),
      ...(details.trim() ? { details: details.trim() } : {}),
      ...(type === 'rectification' ? { corrections } : {}),
    });
  }

  const error = (field: string) => problems[field] ?? fieldError(create.error, field);
  return (
    <section className="card" aria-labelledby="dsr-new-heading">
      <h2 id="dsr-new-heading">New data subject request</h2>
      <p className="muted small">
        Due 30 days after receipt. Processing does the work: access and portability gather everything held
        about the person; rectification applies the corrections; erasure removes their personal data for good
        (their counts stay, under a pseudonym).
      </p>
      <form onSubmit={submit} noValidate aria-label="New data subject request">
        <div className="form-grid">
          <SelectField
            label="Request type"
            value={type}
            onChange={(event) => setType(event.target.value as RequestType)}
          >
            {REQUEST_TYPES.map((value) => (
              <option key={value} value={value}>
                {TYPE_LABELS[value]}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Subject"
            hint="The person's username or user id"
            {...CODE_TEXT}
            value={subject}
            onChange={(event) => setSubject(event.target.value)}
            error={error('subject_id')}
          />
          <TextField
            label="Subject e-mail"
            type="email"
            {...CODE_TEXT}
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            error={error('subject_email')}
          />
          <TextField label="Notes" value={details} onChange={(event) => setDetails(event.target.value)} />
          {type === 'rectification' && (
            <>
              <TextField
                label="Corrected display name"
                value={displayName}
                onChange={(event) => setDisplayName(event.target.value)}
                error={error('corrections') ?? fieldError(create.error, 'corrections.display_name')}
              />
              <TextField
                label="Corrected username"
                {...CODE_TEXT}
                value={username}
                onChange={(event) => setUsername(event.target.value)}
                error={fieldError(create.error, 'corrections.username')}
              />
            </>
          )}
        </div>
        <FormFooter
          error={create.error}
          done={done}
          pending={create.isPending}
          label="Create request"
          pendingLabel="Creating…"
        />
      </form>
    </section>
  );
}

function QueueSection({ selected, onSelect }: { selected: string | null; onSelect: (id: string) => void }) {
  const [status, setStatus] = useState<StatusFilter>('open');
  const [type, setType] = useState<RequestType | ''>('');
  const [overdue, setOverdue] = useState(false);
  const list = usePagedList<DataRequest>({
    queryKey: requestsKeys.list(status, type, overdue),
    fetchPage: (cursor) => listRequests({ status, type, overdue }, cursor),
    keepPrevious: true,
  });
  const { query, rows } = list;
  return (
    <section className="card" aria-labelledby="dsr-queue-heading">
      <h2 id="dsr-queue-heading">Request queue</h2>
      <Filters>
        <SelectField
          label="Status"
          value={status}
          onChange={(event) => setStatus(event.target.value as StatusFilter)}
        >
          <option value="open">Open</option>
          <option value="all">Every status</option>
          {REQUEST_STATUSES.map((value) => (
            <option key={value} value={value}>
              {STATUS_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Type"
          value={type}
          onChange={(event) => setType(event.target.value as RequestType | '')}
        >
          <option value="">Every type</option>
          {REQUEST_TYPES.map((value) => (
            <option key={value} value={value}>
              {TYPE_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <CheckboxField
          label="Overdue only"
          checked={overdue}
          onChange={(event) => setOverdue(event.target.checked)}
        />
      </Filters>
      <ErrorAlert error={query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading requests…
        </p>
      ) : rows.length === 0 ? (
        query.isSuccess && (
          <p className="empty" role="status">
            No requests match these filters.
          </p>
        )
      ) : (
        <table className="table data-table" aria-busy={query.isFetching || undefined}>
          <caption className="visually-hidden">Data subject requests</caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Type</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Due</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((request) => (
              <tr
                key={request.id}
                className={request.overdue ? 'dsr-overdue' : undefined}
                aria-current={request.id === selected ? 'true' : undefined}
              >
                <th scope="row" data-label="Received">
                  {formatDateTime(request.received_at)}
                </th>
                <td data-label="Type">{TYPE_LABELS[request.request_type]}</td>
                <td data-label="Subject" className="mono">
                  {subjectText(request)}
                </td>
                <td data-label="Status">
                  <span className={`badge dsr-status-${request.status}`}>
                    {STATUS_LABELS[request.status]}
                  </span>
                </td>
                <td data-label="Due">
                  {formatDateTime(request.due_at)}
                  {request.overdue && <span className="badge dsr-overdue-badge">Overdue</span>}
                </td>
                <td>
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-label={`Open ${TYPE_LABELS[request.request_type].toLowerCase()} request for ${subjectText(request)}`}
                    onClick={() => onSelect(request.id)}
                  >
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListFooter count={rows.length} noun={['request', 'requests']} query={query} />
    </section>
  );
}

const NEXT_STEP: Partial<
  Record<DataRequest['status'], { action: RequestAction; label: string; pending: string }>
> = {
  received: { action: 'verify', label: 'Verify identity', pending: 'Verifying…' },
  verified: { action: 'process', label: 'Process request', pending: 'Processing…' },
  processing: { action: 'process', label: 'Process request', pending: 'Processing…' },
};

function RequestPanel({ id, canEdit, onClose }: { id: string; canEdit: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const request = useQuery({ queryKey: requestsKeys.one(id), queryFn: () => getRequest(id) });
  const [reason, setReason] = useState('');
  const [days, setDays] = useState('30');
  const [done, setDone] = useState<string | null>(null);
  const [confirmErase, setConfirmErase] = useState(false);
  const step = useMutation({
    mutationFn: (body: { action: RequestAction; reason?: string; extend_days?: number }) =>
      processRequest(id, body),
    onSuccess: (updated, body) => {
      queryClient.setQueryData(requestsKeys.one(id), updated);
      void queryClient.invalidateQueries({ queryKey: ['data-requests', 'list'] });
      setReason('');
      setConfirmErase(false);
      setDone(
        body.action === 'extend'
          ? `Extended: now due ${formatDateTime(updated.due_at)}.`
          : `${STATUS_LABELS[updated.status]}.`,
      );
    },
  });
  if (!request.data) {
    return (
      <section className="card" aria-label="Request">
        <ErrorAlert error={request.error} />
        {request.isPending && (
          <p className="muted" role="status">
            Loading the request…
          </p>
        )}
      </section>
    );
  }
  const r = request.data;
  const open = r.status === 'received' || r.status === 'verified' || r.status === 'processing';
  const next = NEXT_STEP[r.status];
  const label = `${TYPE_LABELS[r.request_type]} request for ${subjectText(r)}`;
  const needsConfirm = next?.action === 'process' && r.request_type === 'erasure';
  return (
    <section className="card dsr-panel" aria-label={label}>
      <div className="dsr-panel-head">
        <h2>{label}</h2>
        <button type="button" className="button button-secondary button-small" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="details">
        <dt>Status</dt>
        <dd>
          <span className={`badge dsr-status-${r.status}`} data-testid="dsr-status">
            {STATUS_LABELS[r.status]}
          </span>
          {r.overdue && <span className="badge dsr-overdue-badge">Overdue</span>}
        </dd>
        <dt>Subject</dt>
        <dd className="mono">
          {subjectText(r)}
          {r.subject_id && r.subject_id !== r.subject_username && (
            <span className="field-hint"> (given as {r.subject_id})</span>
          )}
        </dd>
        <dt>E-mail</dt>
        <dd>{r.subject_email ?? '—'}</dd>
        {r.details && (
          <>
            <dt>Notes</dt>
            <dd>{r.details}</dd>
          </>
        )}
        {r.corrections && (
          <>
            <dt>Corrections</dt>
            <dd>
              {Object.entries(r.corrections)
                .map(([field, value]) => `${field.replace('_', ' ')}: ${value}`)
                .join('; ')}
            </dd>
          </>
        )}
        <dt>Received</dt>
        <dd>{formatDateTime(r.received_at)}</dd>
        <dt>Due</dt>
        <dd>
          {formatDateTime(r.due_at)}
          {r.extended_days > 0 && ` (extended ${r.extended_days} days: ${r.extension_reason ?? ''})`}
        </dd>
        {r.verified_at && (
          <>
            <dt>Verified</dt>
            <dd>{formatDateTime(r.verified_at)}</dd>
          </>
        )}
        {r.completed_at && (
          <>
            <dt>Completed</dt>
            <dd>{formatDateTime(r.completed_at)}</dd>
          </>
        )}
        {r.rejected_at && (
          <>
            <dt>Rejected</dt>
            <dd>
              {formatDateTime(r.rejected_at)}: {r.rejection_reason}
            </dd>
          </>
        )}
        {r.result && (
          <>
            <dt>Result</dt>
            <dd className="mono dsr-result">{resultText(r.result)}</dd>
          </>
        )}
      </dl>
      {r.export_available && (
        <p className="dsr-downloads">
          <a
            className="button button-primary"
            href={exportUrl(r.id, r.request_type === 'portability' ? 'zip' : 'json')}
            download
          >
            Download export
          </a>{' '}
          <a className="button button-secondary" href={exportUrl(r.id, 'csv')} download>
            Download as CSV
          </a>
        </p>
      )}
      {done && <StatusNote>{done}</StatusNote>}
      <ErrorAlert error={step.error} />
      {canEdit && open && (
        <div className="dsr-actions">
          {next && !confirmErase && (
            <button
              type="button"
              className={needsConfirm ? 'button button-danger' : 'button button-primary'}
              disabled={step.isPending}
              onClick={() => {
                setDone(null);
                if (needsConfirm) setConfirmErase(true);
                else step.mutate({ action: next.action });
              }}
            >
              {step.isPending && step.variables?.action === next.action ? next.pending : next.label}
            </button>
          )}
          {confirmErase && (
            <fieldset className="confirm">
              <legend>Erase {subjectText(r)}'s personal data? This cannot be undone.</legend>
              <div className="form-actions">
                <button
                  type="button"
                  className="button button-danger"
                  disabled={step.isPending}
                  onClick={() => step.mutate({ action: 'process' })}
                >
                  {step.isPending ? 'Erasing…' : 'Yes, erase'}
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setConfirmErase(false)}
                >
                  Cancel
                </button>
              </div>
            </fieldset>
          )}
          <div className="form-grid dsr-reason">
            <TextField
              label="Reason"
              hint="Needed to reject or to extend the due date"
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              error={fieldError(step.error, 'reason')}
            />
            <TextField
              label="Extend by (days)"
              type="number"
              min={1}
              max={60}
              value={days}
              onChange={(event) => setDays(event.target.value)}
              error={fieldError(step.error, 'extend_days')}
            />
          </div>
          <div className="form-actions">
            <button
              type="button"
              className="button button-secondary"
              disabled={step.isPending}
              onClick={() => {
                setDone(null);
                step.mutate({ action: 'extend', reason: reason.trim(), extend_days: Number(days) });
              }}
            >
              Extend due date
            </button>
            <button
              type="button"
              className="button button-danger-outline"
              disabled={step.isPending}
              onClick={() => {
                setDone(null);
                step.mutate({ action: 'reject', reason: reason.trim() });
              }}
            >
              Reject
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

function resultText(result: Record<string, unknown>): string {
  const part = (value: unknown): string =>
    value !== null && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>)
          .map(([key, item]) => `${key}: ${Array.isArray(item) ? item.join(', ') : String(item)}`)
          .join(' · ')
      : String(value);
  return Object.entries(result)
    .map(([key, value]) => `${key} — ${part(value)}`)
    .join('\n');
}
