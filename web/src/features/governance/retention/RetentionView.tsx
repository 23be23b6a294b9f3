import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatDateTime } from '../../../ui/format.ts';
import {
  CheckboxField,
  ErrorAlert,
  FormFooter,
  fieldError,
  SelectField,
  TextField,
} from '../../../ui/forms.tsx';
import {
  applyRetention,
  getRetention,
  type JobRun,
  listJobRuns,
  listRetentionRuns,
  type RetainableTable,
  type RetentionRun,
  type RunStatus,
  removePolicy,
  retentionKeys,
  savePolicy,
} from './api.ts';
import './retention.css';

const STATUS_LABELS: Record<RunStatus, string> = {
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

const count = (n: number) => n.toLocaleString('en');

/**
 * Retention policies (a governance tab): the retention each retainable table gets, a form to set
 * or change a table's policy, "Apply now" with the run's progress, and the last runs' results.
 */
export function RetentionView({ canEdit }: { canEdit: boolean }) {
  const overview = useQuery({ queryKey: retentionKeys.overview, queryFn: getRetention });
  const [editing, setEditing] = useState<string | null>(null);
  if (overview.isPending)
    return (
      <p className="muted" role="status">
        Loading the retention policies…
      </p>
    );
  if (!overview.isSuccess) return <ErrorAlert error={overview.error} />;
  const data = overview.data;
  return (
    <div className="retention">
      <section className="card" aria-labelledby="retention-heading">
        <h2 id="retention-heading">Retention policies</h2>
        <p className="muted small">
          Rows older than their table's retention are removed every day at {data.schedule.daily_at} UTC,
          copied first to the archive (with a SHA-256 of each row) when the policy says so. Tables without a
          policy keep rows {data.default_retention_days} days. Posted counts are always kept{' '}
          {data.accounting_retention_days} days after posting (legal hold).
        </p>
        <PoliciesTable tables={data.retainable_tables} canEdit={canEdit} onEdit={setEditing} />
      </section>
      {canEdit && <PolicyForm key={editing ?? ''} tables={data.retainable_tables} initial={editing} />}
      <ApplySection canEdit={canEdit} />
    </div>
  );
}

function PoliciesTable(props: {
  tables: RetainableTable[];
  canEdit: boolean;
  onEdit: (table: string) => void;
}) {
  const { tables, canEdit, onEdit } = props;
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: removePolicy,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: retentionKeys.overview }),
  });
  return (
    <>
      <table className="table data-table retention-table">
        <caption className="visually-hidden">Retention per table</caption>
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col">Retention</th>
            <th scope="col">Archive first</th>
            <th scope="col">Set by</th>
            <th scope="col">Notes</th>
            {canEdit && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {tables.map((table) => (
            <tr key={table.name} data-table-name={table.name}>
              <th scope="row" data-label="Table">
                <code>{table.name}</code>
                <span className="muted small retention-block">{table.purpose}</span>
              </th>
              <td data-label="Retention">{table.effective.retention_days} days</td>
              <td data-label="Archive first">{table.effective.archive_before_delete ? 'Yes' : 'No'}</td>
              <td data-label="Set by">{table.effective.source === 'policy' ? 'Policy' : 'Default'}</td>
              <td data-label="Notes" className="small">
                Aged by <code>{table.age_column}</code>. {table.note ?? ''}
              </td>
              {canEdit && (
                <td data-label="Actions">
                  <div className="retention-actions">
                    <button
                      type="button"
                      className="button button-secondary"
                      aria-label={`Edit the retention of ${table.name}`}
                      onClick={() => onEdit(table.name)}
                    >
                      Edit
                    </button>
                    {table.effective.source === 'policy' && (
                      <button
                        type="button"
                        className="button button-secondary"
                        aria-label={`Remove the policy of ${table.name}`}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate(table.name)}
                      >
                        Use default
                      </button>
                    )}
                  </div>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorAlert error={remove.error} />
    </>
  );
}

function PolicyForm(props: { tables: RetainableTable[]; initial: string | null }) {
  const { tables, initial } = props;
  const queryClient = useQueryClient();
  const start = tables.find((table) => table.name === initial) ?? tables[0];
  const [table, setTable] = useState(start?.name ?? '');
  const [days, setDays] = useState(String(start?.effective.retention_days ?? 365));
  const [archive, setArchive] = useState(start?.effective.archive_before_delete ?? true);
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | null>(null);
  const chosen = tables.find((entry) => entry.name === table);
  const save = useMutation({
    mutationFn: savePolicy,
    onSuccess: (policy) => {
      setSaved(`Saved: ${policy.collection_name} keeps rows ${policy.retention_days} days.`);
      void queryClient.invalidateQueries({ queryKey: retentionKeys.overview });
    },
  });

  function pick(name: string) {
    setTable(name);
    const entry = tables.find((candidate) => candidate.name === name);
    if (entry) {
      setDays(String(entry.effective.retention_days));
      setArchive(entry.effective.archive_before_delete);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const value = days.trim();
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 36500) {
      setProblem('must be a whole number of days from 1 to 36500');
      return;
    }
    setProblem(undefined);
    save.mutate({
      collection_name: table,
      retention_days: Number(value),
      archive_before_delete: chosen?.archive_allowed === false ? false : archive,
      description: description.trim(),
    });
  }

  return (
    <section className="card" aria-labelledby="retention-form-heading">
      <h2 id="retention-form-heading">Set a retention policy</h2>
      <form onSubmit={submit} noValidate>
        <SelectField
          label="Table"
          value={table}
          onChange={(event) => pick(event.target.value)}
          error={fieldError(save.error, 'collection_name')}
        >
          {tables.map((entry) => (
            <option key={entry.name} value={entry.name}>
              {entry.name}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Retention (days)"
          inputMode="numeric"
          value={days}
          onChange={(event) => setDays(event.target.value)}
          error={problem ?? fieldError(save.error, 'retention_days')}
        />
        <CheckboxField
          label="Archive rows before deleting them"
          checked={chosen?.archive_allowed === false ? false : archive}
          disabled={chosen?.archive_allowed === false}
          hint={
            chosen?.archive_allowed === false ? 'Archived rows are deleted, never archived again.' : undefined
          }
          onChange={(event) => setArchive(event.target.checked)}
        />
        <TextField
          label="Description"
          value={description}
          maxLength={500}
          onChange={(event) => setDescription(event.target.value)}
        />
        <FormFooter
          error={save.error}
          done={saved}
          pending={save.isPending}
          label="Save policy"
          pendingLabel="Saving…"
        />
      </form>
    </section>
  );
}

function ApplySection({ canEdit }: { canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [started, setStarted] = useState<string | null>(null);
  const jobRuns = useQuery({
    queryKey: retentionKeys.jobRun(started ?? 'none'),
    queryFn: listJobRuns,
    enabled: started !== null,
    refetchInterval: (query) => {
      const run = query.state.data?.items.find((item) => item.id === started);
      return run && run.status !== 'running' ? false : 1000;
    },
  });
  const current: JobRun | undefined = jobRuns.data?.items.find((item) => item.id === started);
  const running = started !== null && (current === undefined || current.status === 'running');
  const runs = useQuery({
    queryKey: retentionKeys.runs,
    queryFn: () => listRetentionRuns(5),
    refetchInterval: running ? 2000 : false,
  });
  const apply = useMutation({
    mutationFn: applyRetention,
    onSuccess: (run) => setStarted(run.id),
  });
  if (started !== null && current && current.status !== 'running' && runs.data?.items[0]?.id !== started)
    void queryClient.invalidateQueries({ queryKey: retentionKeys.runs });

  return (
    <section className="card" aria-labelledby="retention-apply-heading">
      <h2 id="retention-apply-heading">Runs</h2>
      {canEdit && (
        <div className="retention-apply">
          <button
            type="button"
            className="button button-primary"
            disabled={apply.isPending || running}
            onClick={() => apply.mutate()}
          >
            {running ? 'Applying…' : 'Apply now'}
          </button>
          <ErrorAlert error={apply.error} />
          {started !== null && (
            <div className="retention-progress" role="status" aria-live="polite">
              {current === undefined || current.status === 'running' ? (
                <>
                  <progress
                    aria-label="Retention progress"
                    max={current?.progress.total ?? undefined}
                    value={current?.progress.total ? current.progress.processed : undefined}
                  />
                  <span>
                    {count(current?.progress.processed ?? 0)}
                    {current?.progress.total ? ` of ${count(current.progress.total)}` : ''} rows removed
                  </span>
                </>
              ) : (
                <span>Run {STATUS_LABELS[current.status].toLowerCase()}.</span>
              )}
            </div>
          )}
        </div>
      )}
      <ErrorAlert error={runs.error} />
      {runs.isSuccess && runs.data.items.length === 0 && <p className="empty">Retention has not run yet.</p>}
      {runs.isSuccess && runs.data.items.length > 0 && <RunsTable runs={runs.data.items} />}
    </section>
  );
}

function RunsTable({ runs }: { runs: RetentionRun[] }) {
  return (
    <table className="table data-table retention-table">
      <caption className="visually-hidden">Last retention runs</caption>
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">
            Archived
          </th>
          <th scope="col" className="num">
            Deleted
          </th>
          <th scope="col" className="num">
            Held
          </th>
          <th scope="col">Per table</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id} data-run-id={run.id}>
            <th scope="row" data-label="Started">
              {formatDateTime(run.started_at)}
              <span className="muted small retention-block">
                {run.trigger === 'manual' ? 'By hand' : 'Schedule'}
              </span>
            </th>
            <td data-label="Status">
              <span className={`badge job-${run.status}`}>{STATUS_LABELS[run.status]}</span>
              {run.error && <span className="small retention-block">{run.error}</span>}
            </td>
            <td data-label="Archived" className="num">
              {count(run.rows_archived)}
            </td>
            <td data-label="Deleted" className="num">
              {count(run.rows_deleted)}
            </td>
            <td data-label="Held" className="num">
              {count(run.rows_held)}
            </td>
            <td data-label="Per table">
              <TablesDetail run={run} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TablesDetail({ run }: { run: RetentionRun }) {
  const touched = run.tables.filter((t) => t.archived > 0 || t.deleted > 0 || t.held > 0);
  if (touched.length === 0) return <span className="muted">Nothing expired</span>;
  return (
    <ul className="retention-figures">
      {touched.map((t) => (
        <li key={t.table}>
          <code>{t.table}</code>: {count(t.deleted)} deleted
          {t.archived > 0 ? `, ${count(t.archived)} archived` : ''}
          {t.held > 0 ? `, ${count(t.held)} held` : ''}
        </li>
      ))}
    </ul>
  );
}
