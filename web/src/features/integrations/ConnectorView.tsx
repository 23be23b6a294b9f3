import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, navigate, useLocation } from '../../router.tsx';
import { ErrorAlert, StatusNote } from '../../ui/forms.tsx';
import {
  type Connector,
  deleteConnector,
  getConnector,
  integrationsKeys,
  KIND_LABELS,
  refreshConnectors,
  type TestReport,
  testConnector,
  updateConnector,
} from './api.ts';
import {
  ConnectorForm,
  type ConnectorSubmit,
  canonicalJson,
  draftOf,
  SECRET_LABELS,
  SECRET_NOUNS,
} from './ConnectorForm.tsx';
import { ENTITY_LABELS, EnabledStatus, formatDuration, SampleRowView, TestBadge, When } from './parts.tsx';

/** One connector: its settings (a form for admins), "Test connection", enable/disable, delete. */
export function ConnectorView({ id, canManage }: { id: string; canManage: boolean }) {
  const { searchParams } = useLocation();
  const connector = useQuery({ queryKey: integrationsKeys.connector(id), queryFn: () => getConnector(id) });
  const data = connector.data;
  return (
    <>
      <Link to="/integrations" className="back-link">
        <span aria-hidden="true">←</span> Back to connectors
      </Link>
      {!data ? (
        <section className="card">
          <h2>{connector.isPending ? 'Loading the connector…' : 'Connector not available'}</h2>
          <ErrorAlert error={connector.error} />
        </section>
      ) : (
        <>
          <section className="card" aria-labelledby="connector-heading">
            <h2 id="connector-heading">{data.name}</h2>
            <p className="panel-sub">
              <span>{KIND_LABELS[data.kind]}</span>
              <EnabledStatus enabled={data.enabled} />
              {data.kind !== 'file_drop' && (
                <span className="muted" data-testid="connector-secret-state">
                  {data.has_secret
                    ? `${SECRET_LABELS[data.kind]} stored (never shown)`
                    : `No ${SECRET_NOUNS[data.kind]}`}
                </span>
              )}
            </p>
            {searchParams.get('created') === '1' && (
              <StatusNote>
                Connector created. Test the connection to check the settings and the mappings.
              </StatusNote>
            )}
            <LastTest connector={data} />
          </section>
          {canManage && <TestConnection connector={data} />}
          {canManage ? (
            <>
              <EditConnector connector={data} />
              <ConnectorActions connector={data} />
            </>
          ) : (
            <section className="card" aria-labelledby="connector-settings-heading">
              <h2 id="connector-settings-heading">Settings</h2>
              <pre className="integrations-pre">{JSON.stringify(data.settings, null, 2)}</pre>
            </section>
          )}
        </>
      )}
    </>
  );
}

function LastTest({ connector }: { connector: Connector }) {
  const last = connector.last_test;
  return (
    <p className="integrations-last-test" data-testid="connector-last-test">
      <span className="muted">Last test: </span>
      {last ? (
        <>
          <TestBadge status={last.status} /> <When iso={last.tested_at} /> · {last.message}
        </>
      ) : (
        <span className="muted">not tested since its settings last changed</span>
      )}
    </p>
  );
}

function TestConnection({ connector }: { connector: Connector }) {
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: () => testConnector(connector.id),
    onSettled: () => refreshConnectors(queryClient),
  });
  return (
    <section className="card" aria-labelledby="test-heading">
      <h2 id="test-heading">Test connection</h2>
      <p className="muted small">
        Connects and reads one row of each mapped entity, with a short timeout. Nothing is written.
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={test.isPending}
          onClick={() => test.mutate()}
        >
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
      </div>
      <ErrorAlert error={test.error} />
      {test.data && <TestReportView report={test.data} />}
    </section>
  );
}

export function TestReportView({ report }: { report: TestReport }) {
  return (
    <div className="integrations-report" data-testid="test-report">
      <p
        className={report.status === 'ok' ? 'alert alert-success' : 'alert alert-error'}
        role={report.status === 'ok' ? 'status' : 'alert'}
      >
        <TestBadge status={report.status} /> {report.message}
      </p>
      <p className="muted small">
        Took {formatDuration(report.duration_ms)} · <When iso={report.tested_at} />
      </p>
      {report.checks.length > 0 && (
        <table className="table data-table integrations-table">
          <caption className="visually-hidden">Checks</caption>
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">Result</th>
              <th scope="col">Message</th>
              <th scope="col">Sample row</th>
            </tr>
          </thead>
          <tbody>
            {report.checks.map((check) => (
              <tr key={check.entity}>
                <th scope="row" data-label="Entity">
                  {ENTITY_LABELS[check.entity] ?? check.entity}
                </th>
                <td data-label="Result">
                  <TestBadge status={check.status} />
                </td>
                <td data-label="Message">{check.message}</td>
                <td data-label="Sample row" className="integrations-sample-cell">
                  {check.sample ? (
                    <SampleRowView
                      row={check.sample}
                      label={`Sample ${ENTITY_LABELS[check.entity] ?? check.entity}`}
                    />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function EditConnector({ connector }: { connector: Connector }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(connector));
  const [done, setDone] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: ({ draft, settings }: ConnectorSubmit) =>
      updateConnector(connector.id, {
        name: draft.name.trim(),
        // Unchanged settings are not sent: saving them again would count as a change (tested anew).
        ...(canonicalJson(settings) === canonicalJson(connector.settings) ? {} : { settings }),
        ...(draft.remove_secret ? { secret: null } : draft.secret !== '' ? { secret: draft.secret } : {}),
      }),
    onSuccess: (saved, { draft: sent }) => {
      const retest = saved.last_test === null && connector.last_test !== null;
      queryClient.setQueryData(integrationsKeys.connector(saved.id), saved);
      // The form shows what was stored (the secret field empty again).
      setDraft(draftOf(saved));
      setDone(
        retest || sent.secret !== '' || sent.remove_secret
          ? 'Changes saved. Test the connection again: the last test was of the old settings.'
          : 'Changes saved.',
      );
      refreshConnectors(queryClient);
    },
  });
  return (
    <section className="card" aria-labelledby="edit-connector-heading">
      <h2 id="edit-connector-heading">Settings</h2>
      {done && <StatusNote>{done}</StatusNote>}
      <ConnectorForm
        connector={connector}
        draft={draft}
        onDraft={(next) => {
          setDraft(next);
          setDone(null);
        }}
        mutation={save}
        done={null}
        label="Save changes"
        pendingLabel="Saving…"
      />
    </section>
  );
}

function ConnectorActions({ connector }: { connector: Connector }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const toggle = useMutation({
    mutationFn: () => updateConnector(connector.id, { enabled: !connector.enabled }),
    onSuccess: (saved) => {
      queryClient.setQueryData(integrationsKeys.connector(saved.id), saved);
      setDone(
        saved.enabled
          ? 'Connector enabled: the sync jobs read from it.'
          : 'Connector disabled: it is not synced.',
      );
      refreshConnectors(queryClient);
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteConnector(connector.id),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: integrationsKeys.connector(connector.id) });
      refreshConnectors(queryClient);
      navigate('/integrations');
    },
  });
  return (
    <section className="card" aria-labelledby="connector-actions-heading">
      <h2 id="connector-actions-heading">Enable, disable or remove</h2>
      {done && <StatusNote>{done}</StatusNote>}
      <ErrorAlert error={toggle.error ?? remove.error} />
      {confirming ? (
        <fieldset className="confirm">
          <legend>
            Remove <strong>{connector.name}</strong>? Its settings and stored secret are deleted; what it
            already synced stays.
          </legend>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate()}
            >
              {remove.isPending ? 'Removing…' : 'Yes, remove connector'}
            </button>
            <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : (
        <div className="form-actions">
          <button
            type="button"
            className="button button-secondary"
            disabled={toggle.isPending}
            onClick={() => {
              setDone(null);
              toggle.mutate();
            }}
          >
            {connector.enabled ? 'Disable connector' : 'Enable connector'}
          </button>
          <button
            type="button"
            className="button button-danger-outline"
            onClick={() => {
              setDone(null);
              remove.reset();
              setConfirming(true);
            }}
          >
            Remove connector
          </button>
        </div>
      )}
    </section>
  );
}
