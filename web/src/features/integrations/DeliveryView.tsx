import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
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
import { Filters, ListFooter, usePagedList } from '../../ui/lists.tsx';
import {
  DELIVERY_KIND_LABELS,
  type DeliveryKind,
  type DeliveryTarget,
  type DeliveryTestReport,
  deleteDeliveryTarget,
  getDeliveryTarget,
  integrationsKeys,
  listOutbox,
  OUTBOX_STATUS_LABELS,
  OUTBOX_STATUSES,
  type OutboxMessage,
  type OutboxStatus,
  retryOutboxMessage,
  saveDeliveryTarget,
  testDeliveryTarget,
} from './api.ts';
import { swappedPort } from './ConnectorForm.tsx';
import { formatDuration, TestBadge, When } from './parts.tsx';

/** Where posted adjustments go (one target), and the outbox of messages on their way there. */
export function DeliveryView({ canManage }: { canManage: boolean }) {
  return (
    <>
      <TargetSection canManage={canManage} />
      <OutboxSection canManage={canManage} />
    </>
  );
}

const SECRET_LABELS: Record<DeliveryKind, string> = { webhook: 'Signing key (HMAC)', sql: 'Password' };
const SECRET_NOUNS: Record<DeliveryKind, string> = { webhook: 'signing key', sql: 'password' };

interface TargetDraft {
  kind: DeliveryKind;
  url: string;
  dialect: 'postgres' | 'mysql';
  host: string;
  port: string;
  database: string;
  user: string;
  ssl: boolean;
  table: string;
  timeout_ms: string;
  secret: string;
  remove_secret: boolean;
}

const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

function draftOf(target: DeliveryTarget | null): TargetDraft {
  const s = target?.settings ?? {};
  return {
    kind: target?.kind ?? 'webhook',
    url: text(s.url),
    dialect: s.dialect === 'mysql' ? 'mysql' : 'postgres',
    host: text(s.host),
    port: text(s.port) || '5432',
    database: text(s.database),
    user: text(s.user),
    ssl: s.ssl === true,
    table: text(s.table),
    timeout_ms: text(s.timeout_ms),
    secret: '',
    remove_secret: false,
  };
}

function settingsOf(
  draft: TargetDraft,
): { settings: Record<string, unknown> } | { problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const settings: Record<string, unknown> = {};
  const required = (key: 'url' | 'host' | 'database' | 'user' | 'table') => {
    const value = draft[key].trim();
    if (value === '') problems[`settings.${key}`] = 'is required';
    else settings[key] = value;
  };
  const timeout = draft.timeout_ms.trim();
  if (timeout !== '') {
    if (!/^\d+$/.test(timeout) || Number(timeout) < 100 || Number(timeout) > 120_000)
      problems['settings.timeout_ms'] = 'must be a whole number from 100 to 120000';
    else settings.timeout_ms = Number(timeout);
  }
  if (draft.kind === 'webhook') required('url');
  else {
    settings.dialect = draft.dialect;
    required('host');
    const port = draft.port.trim();
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      problems['settings.port'] = 'must be a whole number from 1 to 65535';
    else settings.port = Number(port);
    required('database');
    required('user');
    if (draft.ssl) settings.ssl = true;
    required('table');
  }
  return Object.keys(problems).length > 0 ? { problems } : { settings };
}

function TargetSection({ canManage }: { canManage: boolean }) {
  const target = useQuery({ queryKey: integrationsKeys.target, queryFn: getDeliveryTarget });
  return (
    <section className="card" aria-labelledby="target-heading">
      <h2 id="target-heading">Delivery target</h2>
      <p className="muted small">
        Posting a count queues its adjustments; delivery sends each to the ERP until it is accepted, retrying
        with a growing pause. Each message carries an idempotency key, so the ERP can recognise a redelivery.
      </p>
      <ErrorAlert error={target.error} />
      {target.isPending ? (
        <p className="muted" role="status">
          Loading the delivery target…
        </p>
      ) : target.isSuccess ? (
        canManage ? (
          <TargetForm target={target.data ?? null} />
        ) : (
          <TargetSummary target={target.data ?? null} />
        )
      ) : null}
    </section>
  );
}

function TargetSummary({ target }: { target: DeliveryTarget | null }) {
  if (!target) return <p className="empty">No delivery target: posted adjustments wait in the outbox.</p>;
  return (
    <>
      <dl className="details">
        <dt>Kind</dt>
        <dd>{DELIVERY_KIND_LABELS[target.kind] ?? target.kind}</dd>
        <dt>{SECRET_LABELS[target.kind]}</dt>
        <dd>{target.has_secret ? 'Stored (never shown)' : 'None'}</dd>
        {target.last_test && (
          <>
            <dt>Last test</dt>
            <dd>
              <TestBadge status={target.last_test.status} /> <When iso={target.last_test.tested_at} /> ·{' '}
              {target.last_test.message}
            </dd>
          </>
        )}
      </dl>
      <pre className="integrations-pre">{JSON.stringify(target.settings, null, 2)}</pre>
    </>
  );
}

function TargetForm({ target }: { target: DeliveryTarget | null }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(target));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [report, setReport] = useState<DeliveryTestReport | null>(null);
  const save = useMutation({
    mutationFn: (settings: Record<string, unknown>) =>
      saveDeliveryTarget({
        kind: draft.kind,
        settings,
        ...(draft.remove_secret ? { secret: null } : draft.secret !== '' ? { secret: draft.secret } : {}),
      }),
    onSuccess: (saved) => {
      queryClient.setQueryData(integrationsKeys.target, saved);
      // The form shows what was stored (the secret field empty again).
      setDraft(draftOf(saved));
      setDone('Delivery target saved.');
    },
  });
  const test = useMutation({
    mutationFn: testDeliveryTarget,
    onSuccess: (result) => {
      setReport(result);
      void queryClient.invalidateQueries({ queryKey: integrationsKeys.target });
    },
  });
  const remove = useMutation({
    mutationFn: deleteDeliveryTarget,
    onSuccess: () => {
      queryClient.setQueryData(integrationsKeys.target, null);
      setDraft(draftOf(null));
      setConfirming(false);
      setReport(null);
      setDone('Delivery target removed.');
    },
  });
  const edit = (fields: Partial<TargetDraft>) => {
    setDraft((current) => ({ ...current, ...fields }));
    setProblems({});
    setDone(null);
    save.reset();
  };
  const problem = (field: string) => problems[field] ?? fieldError(save.error, field);
  const fieldProps = (
    key: 'url' | 'host' | 'port' | 'database' | 'user' | 'table' | 'timeout_ms' | 'secret',
  ) => ({
    value: draft[key],
    onChange: (event: { target: { value: string } }) => edit({ [key]: event.target.value }),
    error: problem(key === 'secret' ? 'secret' : `settings.${key}`),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const result = settingsOf(draft);
    if ('problems' in result) {
      setProblems(result.problems);
      return;
    }
    save.mutate(result.settings);
  }

  const secretLabel = SECRET_LABELS[draft.kind];
  const sameKind = target !== null && target.kind === draft.kind;
  return (
    <>
      {target?.last_test && (
        <p className="integrations-last-test">
          <span className="muted">Last test: </span>
          <TestBadge status={target.last_test.status} /> <When iso={target.last_test.tested_at} /> ·{' '}
          {target.last_test.message}
        </p>
      )}
      {!target && (
        <p className="note">
          No delivery target yet: posted adjustments wait in the outbox until one is set.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          <SelectField
            label="Deliver to"
            value={draft.kind}
            onChange={(event) =>
              edit({ kind: event.target.value as DeliveryKind, secret: '', remove_secret: false })
            }
          >
            <option value="webhook">{DELIVERY_KIND_LABELS.webhook}</option>
            <option value="sql">{DELIVERY_KIND_LABELS.sql}</option>
          </SelectField>
          {draft.kind === 'webhook' ? (
            <TextField
              label="Webhook URL"
              type="url"
              {...CODE_TEXT}
              placeholder="https://erp.example.com/hooks/adjustments"
              {...fieldProps('url')}
            />
          ) : (
            <>
              <SelectField
                label="Dialect"
                value={draft.dialect}
                onChange={(event) => {
                  const dialect = event.target.value as TargetDraft['dialect'];
                  edit({ dialect, port: swappedPort(draft.port, dialect) });
                }}
              >
                <option value="postgres">PostgreSQL</option>
                <option value="mysql">MySQL or MariaDB</option>
              </SelectField>
              <TextField label="Host" {...CODE_TEXT} {...fieldProps('host')} />
              <TextField label="Port" inputMode="numeric" {...fieldProps('port')} />
              <TextField label="Database" {...CODE_TEXT} {...fieldProps('database')} />
              <TextField label="User" {...CODE_TEXT} autoCapitalize="none" {...fieldProps('user')} />
              <TextField
                label="Staging table"
                {...CODE_TEXT}
                {...fieldProps('table')}
                hint="table or schema.table: the adjustments are inserted there."
              />
              <CheckboxField
                label="TLS (certificate verified)"
                checked={draft.ssl}
                onChange={(event) => edit({ ssl: event.target.checked })}
              />
            </>
          )}
          <TextField
            label="Timeout (ms)"
            inputMode="numeric"
            {...fieldProps('timeout_ms')}
            hint="How long one delivery may take. Empty: 10 seconds."
          />
          <TextField
            label={secretLabel}
            type="password"
            {...CODE_TEXT}
            autoComplete="new-password"
            {...fieldProps('secret')}
            disabled={draft.remove_secret}
            hint={
              sameKind && target?.has_secret
                ? `The stored ${SECRET_NOUNS[draft.kind]} is never shown. Leave this empty to keep it.`
                : draft.kind === 'webhook'
                  ? 'Write-only: each delivery is signed with it (at least 16 characters), so the ERP can verify the sender.'
                  : 'Write-only: stored sealed, never shown again.'
            }
          />
          {sameKind && target?.has_secret && (
            <CheckboxField
              label={`Remove the stored ${SECRET_NOUNS[draft.kind]}`}
              checked={draft.remove_secret}
              onChange={(event) => edit({ remove_secret: event.target.checked, secret: '' })}
            />
          )}
        </div>
        <FormFooter
          error={save.error}
          done={done}
          pending={save.isPending}
          label="Save target"
          pendingLabel="Saving…"
        >
          {target && (
            <button
              type="button"
              className="button button-secondary"
              disabled={test.isPending}
              onClick={() => {
                setReport(null);
                test.mutate();
              }}
            >
              {test.isPending ? 'Testing…' : 'Test delivery target'}
            </button>
          )}
          {target && !confirming && (
            <button
              type="button"
              className="button button-danger-outline"
              onClick={() => {
                remove.reset();
                setConfirming(true);
              }}
            >
              Remove target
            </button>
          )}
        </FormFooter>
      </form>
      <ErrorAlert error={test.error ?? remove.error} />
      {report && (
        <p
          className={report.status === 'ok' ? 'alert alert-success' : 'alert alert-error'}
          role={report.status === 'ok' ? 'status' : 'alert'}
          data-testid="delivery-test-report"
        >
          <TestBadge status={report.status} /> {report.message}
          {report.duration_ms !== undefined && ` (${formatDuration(report.duration_ms)})`}
        </p>
      )}
      {confirming && (
        <fieldset className="confirm integrations-confirm">
          <legend>
            Remove the delivery target? Adjustments keep waiting in the outbox until a new one is set.
          </legend>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate()}
            >
              {remove.isPending ? 'Removing…' : 'Yes, remove target'}
            </button>
            <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      )}
    </>
  );
}

/** An adjustment's message in a line: "HAMMER at B1: +1 EA (Week 48)"; '' for another kind of message. */
function adjustmentText(message: OutboxMessage): string {
  const p = message.payload ?? {};
  if (typeof p.item_code !== 'string' || typeof p.quantity !== 'string') return '';
  const quantity = p.quantity.startsWith('-') ? `−${p.quantity.slice(1)}` : `+${p.quantity}`;
  const where = typeof p.location_code === 'string' ? ` at ${p.location_code}` : '';
  const lot = typeof p.lot === 'string' && p.lot !== '' ? ` lot ${p.lot}` : '';
  const uom = typeof p.uom === 'string' ? ` ${p.uom}` : '';
  const session = typeof p.session_name === 'string' ? ` (${p.session_name})` : '';
  return `${p.item_code}${lot}${where}: ${quantity}${uom}${session}`;
}

function OutboxSection({ canManage }: { canManage: boolean }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<OutboxStatus | ''>('');
  const [done, setDone] = useState<string | null>(null);
  const list = usePagedList<OutboxMessage>({
    queryKey: integrationsKeys.outbox(status),
    fetchPage: (cursor) => listOutbox(status, cursor),
    keepPrevious: true,
    refetchInterval: (rows) => (rows.some((row) => row.status === 'pending') ? 10_000 : 30_000),
  });
  const retry = useMutation({
    mutationFn: retryOutboxMessage,
    onSuccess: () => {
      setDone('Queued again: it is delivered on the next run.');
      void queryClient.invalidateQueries({ queryKey: ['integrations', 'outbox'] });
    },
  });
  const { query, rows } = list;
  return (
    <section className="card" aria-labelledby="outbox-heading">
      <h2 id="outbox-heading">Outbox</h2>
      <Filters>
        <SelectField
          label="Status"
          value={status}
          onChange={(event) => {
            setDone(null);
            setStatus(event.target.value as OutboxStatus | '');
          }}
        >
          <option value="">Every status</option>
          {OUTBOX_STATUSES.map((value) => (
            <option key={value} value={value}>
              {OUTBOX_STATUS_LABELS[value]}
            </option>
          ))}
        </SelectField>
      </Filters>
      {done && <StatusNote>{done}</StatusNote>}
      <ErrorAlert error={retry.error ?? query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading the outbox…
        </p>
      ) : rows.length === 0 ? (
        query.isSuccess && (
          <p className="empty">
            {status ? `No ${OUTBOX_STATUS_LABELS[status].toLowerCase()} message.` : 'The outbox is empty.'}
          </p>
        )
      ) : (
        <table className="table data-table integrations-table" aria-busy={query.isFetching || undefined}>
          <caption className="visually-hidden">Outbox</caption>
          <thead>
            <tr>
              <th scope="col">Queued</th>
              <th scope="col">Message</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Next attempt</th>
              <th scope="col">Last error</th>
              {canManage && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((message) => (
              <tr key={message.id}>
                <th scope="row" data-label="Queued">
                  <When iso={message.created_at} />
                </th>
                <td data-label="Message">
                  <span className="mono">{message.topic}</span>
                  {adjustmentText(message) && (
                    <span className="integrations-block">{adjustmentText(message)}</span>
                  )}
                  <span className="field-hint integrations-block mono integrations-wrap">
                    {message.idempotency_key}
                  </span>
                </td>
                <td data-label="Status">
                  <span className={`badge integrations-outbox-${message.status}`}>
                    {OUTBOX_STATUS_LABELS[message.status] ?? message.status}
                  </span>
                  {message.delivered_at && (
                    <span className="field-hint integrations-block">
                      <When iso={message.delivered_at} />
                    </span>
                  )}
                </td>
                <td data-label="Attempts" className="num">
                  {message.attempts}
                  {message.last_attempt_at && (
                    <span className="field-hint integrations-block">
                      last <When iso={message.last_attempt_at} />
                    </span>
                  )}
                </td>
                <td data-label="Next attempt">
                  {message.status === 'pending' ? (
                    <When iso={message.next_attempt_at} />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td data-label="Last error" className="integrations-wrap">
                  {message.last_error ?? <span className="muted">—</span>}
                </td>
                {canManage && (
                  <td className="integrations-actions">
                    {message.status === 'failed' && (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Retry ${message.idempotency_key}`}
                        disabled={retry.isPending}
                        onClick={() => {
                          setDone(null);
                          retry.mutate(message.id);
                        }}
                      >
                        {retry.isPending && retry.variables === message.id ? 'Retrying…' : 'Retry'}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListFooter count={rows.length} noun={['message', 'messages']} query={query} />
    </section>
  );
}
