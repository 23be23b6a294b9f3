import type { UseMutationResult } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { CheckboxField, CODE_TEXT, FormFooter, fieldError, SelectField, TextField } from '../../ui/forms.tsx';
import { CONNECTOR_KINDS, type Connector, type ConnectorKind, KIND_LABELS } from './api.ts';

/**
 * The connector form, per kind: the connection in plain fields, the mappings (which source column
 * or JSON field fills which of ours) as JSON, checked on submit. The server checks everything
 * again and names the exact field it refuses (settings.items.query); that message is shown next
 * to the field, or under the mappings.
 */

/** The form's text, as typed. */
export interface ConnectorDraft {
  name: string;
  kind: ConnectorKind;
  enabled: boolean;
  // sql
  dialect: 'postgres' | 'mysql';
  host: string;
  port: string;
  database: string;
  user: string;
  ssl: boolean;
  query_timeout_ms: string;
  // http
  base_url: string;
  page_size: string;
  timeout_ms: string;
  paging_mode: 'page' | 'token';
  page_param: string;
  first_page: '' | '0' | '1';
  size_param: string;
  token_param: string;
  next_token_field: string;
  /** The stored settings had a paging object: it is kept, even with only defaults in it. */
  had_paging: boolean;
  // sql and http: the default warehouse when the source names none
  warehouse_code: string;
  // file drop
  directory: string;
  file_kind: 'items' | 'stock_levels';
  /** Everything else of the settings (the mappings), as JSON. */
  mappings: string;
  /** A new secret: empty keeps the stored one. */
  secret: string;
  remove_secret: boolean;
}

/** Settings each kind has a field for; anything else is in the mappings' JSON. */
const FIELDS: Record<ConnectorKind, readonly string[]> = {
  sql: ['dialect', 'host', 'port', 'database', 'user', 'ssl', 'query_timeout_ms', 'warehouse_code'],
  http: ['base_url', 'page_size', 'timeout_ms', 'paging', 'warehouse_code'],
  file_drop: ['directory', 'kind'],
};

/** A starting point for the mappings, per kind: the admin renames the columns to theirs. */
const MAPPING_TEMPLATES: Record<ConnectorKind, Record<string, unknown>> = {
  sql: {
    items: {
      table: 'items',
      columns: { item_code: 'code', name: 'name', base_uom: 'uom', unit_cost: 'cost' },
    },
    stock_levels: {
      table: 'stock',
      columns: { item_code: 'item', warehouse_code: 'warehouse', location_code: 'location', quantity: 'qty' },
    },
  },
  http: {
    items: { path: '/items', rows_field: 'items', fields: { item_code: 'code', name: 'name' } },
    stock_levels: {
      path: '/stock-levels',
      rows_field: 'items',
      fields: { item_code: 'item', warehouse_code: 'warehouse', location_code: 'location', quantity: 'qty' },
    },
  },
  file_drop: {},
};

export const SECRET_LABELS: Record<ConnectorKind, string> = {
  sql: 'Password',
  http: 'API token',
  file_drop: '',
};

/** The secret's name inside a sentence. */
export const SECRET_NOUNS: Record<ConnectorKind, string> = {
  sql: 'password',
  http: 'API token',
  file_drop: '',
};

const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

export function emptyDraft(kind: ConnectorKind = 'http'): ConnectorDraft {
  return {
    name: '',
    kind,
    enabled: true,
    dialect: 'postgres',
    host: '',
    port: '5432',
    database: '',
    user: '',
    ssl: false,
    query_timeout_ms: '',
    base_url: '',
    page_size: '',
    timeout_ms: '',
    paging_mode: 'page',
    page_param: '',
    first_page: '',
    size_param: '',
    token_param: '',
    next_token_field: '',
    had_paging: false,
    warehouse_code: '',
    directory: '',
    file_kind: 'items',
    mappings: JSON.stringify(MAPPING_TEMPLATES[kind], null, 2),
    secret: '',
    remove_secret: false,
  };
}

export function draftOf(connector: Connector): ConnectorDraft {
  const s = connector.settings;
  const paging = (s.paging ?? {}) as Record<string, unknown>;
  const rest = Object.fromEntries(Object.entries(s).filter(([key]) => !FIELDS[connector.kind].includes(key)));
  return {
    ...emptyDraft(connector.kind),
    name: connector.name,
    enabled: connector.enabled,
    dialect: s.dialect === 'mysql' ? 'mysql' : 'postgres',
    host: text(s.host),
    port: text(s.port),
    database: text(s.database),
    user: text(s.user),
    ssl: s.ssl === true,
    query_timeout_ms: text(s.query_timeout_ms),
    base_url: text(s.base_url),
    page_size: text(s.page_size),
    timeout_ms: text(s.timeout_ms),
    paging_mode: paging.mode === 'token' ? 'token' : 'page',
    page_param: text(paging.page_param),
    first_page: paging.first_page === 0 ? '0' : paging.first_page === 1 ? '1' : '',
    size_param: text(paging.size_param),
    token_param: text(paging.token_param),
    next_token_field: text(paging.next_token_field),
    had_paging: s.paging !== undefined,
    warehouse_code: text(s.warehouse_code),
    directory: text(s.directory),
    file_kind: s.kind === 'stock_levels' ? 'stock_levels' : 'items',
    mappings: connector.kind === 'file_drop' ? '' : JSON.stringify(rest, null, 2),
  };
}

type Problems = Record<string, string>;

const DEFAULT_PORTS = { postgres: '5432', mysql: '3306' } as const;

/** The other dialect's default port, when the port was this one's default. */
export function swappedPort(port: string, dialect: 'postgres' | 'mysql'): string {
  const other = dialect === 'postgres' ? 'mysql' : 'postgres';
  return port.trim() === '' || port.trim() === DEFAULT_PORTS[other] ? DEFAULT_PORTS[dialect] : port;
}

/** JSON with its keys sorted: two settings objects compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : inner,
  );
}

/** A whole number typed in a field, or a complaint about it; absent when empty and optional. */
function wholeNumber(
  value: string,
  field: string,
  problems: Problems,
  options: { required?: boolean; min: number; max: number },
): number | undefined {
  const trimmed = value.trim();
  if (trimmed === '') {
    if (options.required) problems[field] = 'is required';
    return undefined;
  }
  const number = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || number < options.min || number > options.max) {
    problems[field] = `must be a whole number from ${options.min} to ${options.max}`;
    return undefined;
  }
  return number;
}

/** The settings as the server takes them, or what is wrong with the draft (by the server's field names). */
export function settingsOf(
  draft: ConnectorDraft,
): { settings: Record<string, unknown> } | { problems: Problems } {
  const problems: Problems = {};
  if (draft.name.trim() === '') problems.name = 'is required';
  let settings: Record<string, unknown> = {};
  if (draft.kind !== 'file_drop') {
    try {
      const parsed: unknown = JSON.parse(draft.mappings.trim() === '' ? '{}' : draft.mappings);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        problems.mappings = 'must be a JSON object, like {"items": {…}, "stock_levels": {…}}';
      else settings = { ...(parsed as Record<string, unknown>) };
    } catch (error) {
      problems.mappings = `is not valid JSON: ${error instanceof Error ? error.message : 'cannot be read'}`;
    }
  }
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== '') settings[key] = value;
  };
  if (draft.kind === 'sql') {
    put('dialect', draft.dialect);
    put('host', draft.host.trim());
    put('port', wholeNumber(draft.port, 'settings.port', problems, { required: true, min: 1, max: 65535 }));
    put('database', draft.database.trim());
    put('user', draft.user.trim());
    if (draft.ssl) put('ssl', true);
    put(
      'query_timeout_ms',
      wholeNumber(draft.query_timeout_ms, 'settings.query_timeout_ms', problems, { min: 100, max: 600_000 }),
    );
    put('warehouse_code', draft.warehouse_code.trim());
    for (const key of ['host', 'database', 'user'] as const)
      if (draft[key].trim() === '') problems[`settings.${key}`] = 'is required';
  } else if (draft.kind === 'http') {
    put('base_url', draft.base_url.trim());
    if (draft.base_url.trim() === '') problems['settings.base_url'] = 'is required';
    put('page_size', wholeNumber(draft.page_size, 'settings.page_size', problems, { min: 1, max: 5000 }));
    put(
      'timeout_ms',
      wholeNumber(draft.timeout_ms, 'settings.timeout_ms', problems, { min: 100, max: 600_000 }),
    );
    const paging: Record<string, unknown> = { mode: draft.paging_mode };
    const pagingText = (key: keyof ConnectorDraft & string, name: string) => {
      const value = String(draft[key]).trim();
      if (value !== '') paging[name] = value;
    };
    if (draft.paging_mode === 'page') {
      pagingText('page_param', 'page_param');
      if (draft.first_page !== '') paging.first_page = Number(draft.first_page);
    } else {
      pagingText('token_param', 'token_param');
      pagingText('next_token_field', 'next_token_field');
    }
    pagingText('size_param', 'size_param');
    // Only when it says more than the defaults: an unchanged connector keeps its settings as stored.
    if (draft.had_paging || Object.keys(paging).length > 1 || draft.paging_mode !== 'page')
      settings.paging = paging;
    put('warehouse_code', draft.warehouse_code.trim());
  } else {
    put('directory', draft.directory.trim());
    if (draft.directory.trim() === '') problems['settings.directory'] = 'is required';
    put('kind', draft.file_kind);
  }
  return Object.keys(problems).length > 0 ? { problems } : { settings };
}

/** The server's messages about the mappings: every field under them, each with its path. */
function mappingErrors(error: unknown, kind: ConnectorKind): string[] {
  if (!(error instanceof ApiError)) return [];
  const structured = new Set(FIELDS[kind].map((key) => `settings.${key}`));
  return error.details
    .filter(
      (detail) =>
        (detail.field === 'settings' || detail.field.startsWith('settings.')) &&
        !structured.has(detail.field) &&
        !detail.field.startsWith('settings.paging'),
    )
    .map((detail) => `${detail.field.replace(/^settings\.?/, '') || 'settings'} ${detail.message}`);
}

export interface ConnectorSubmit {
  draft: ConnectorDraft;
  settings: Record<string, unknown>;
}

/**
 * The form for a new connector (`connector` null: the kind can be chosen) or an existing one.
 * `mutation` sends it; the parent decides what happens after.
 */
export function ConnectorForm(props: {
  connector: Connector | null;
  draft: ConnectorDraft;
  onDraft: (draft: ConnectorDraft) => void;
  mutation: UseMutationResult<unknown, Error, ConnectorSubmit>;
  done: string | null;
  label: string;
  pendingLabel: string;
  children?: ReactNode;
}) {
  const { connector, draft, onDraft, mutation, done, label, pendingLabel, children } = props;
  const [problems, setProblems] = useState<Problems>({});
  const mappingsId = useId();
  const error = mutation.error;
  const edit = (fields: Partial<ConnectorDraft>) => {
    onDraft({ ...draft, ...fields });
    setProblems({});
    mutation.reset();
  };
  const problem = (...fields: string[]) => {
    for (const field of fields) if (problems[field]) return problems[field];
    return fieldError(error, ...fields);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const result = settingsOf(draft);
    if ('problems' in result) {
      setProblems(result.problems);
      return;
    }
    mutation.mutate({ draft, settings: result.settings });
  }

  const serverMappingErrors = mappingErrors(error, draft.kind);
  const mappingProblem = problems.mappings;
  const secretLabel = SECRET_LABELS[draft.kind];
  const secretNoun = SECRET_NOUNS[draft.kind];
  const fieldProps = (key: keyof ConnectorDraft & string) => ({
    value: String(draft[key]),
    onChange: (event: { target: { value: string } }) => edit({ [key]: event.target.value }),
  });

  return (
    <form onSubmit={submit} noValidate className="integrations-form">
      <div className="form-grid">
        <TextField label="Name" required maxLength={100} {...fieldProps('name')} error={problem('name')} />
        {connector === null ? (
          <SelectField
            label="Kind"
            value={draft.kind}
            onChange={(event) => {
              const kind = event.target.value as ConnectorKind;
              // A new kind starts from its own mapping template, keeping the name.
              onDraft({ ...emptyDraft(kind), name: draft.name, enabled: draft.enabled });
              setProblems({});
              mutation.reset();
            }}
          >
            {CONNECTOR_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {KIND_LABELS[kind]}
              </option>
            ))}
          </SelectField>
        ) : null}
        {connector === null && (
          <CheckboxField
            label="Enabled"
            hint="A disabled connector is kept but never synced."
            checked={draft.enabled}
            onChange={(event) => edit({ enabled: event.target.checked })}
          />
        )}
      </div>

      {draft.kind === 'sql' && (
        <fieldset className="fieldset">
          <legend>Database</legend>
          <div className="form-grid">
            <SelectField
              label="Dialect"
              value={draft.dialect}
              onChange={(event) => {
                const dialect = event.target.value as ConnectorDraft['dialect'];
                edit({ dialect, port: swappedPort(draft.port, dialect) });
              }}
              error={problem('settings.dialect')}
            >
              <option value="postgres">PostgreSQL</option>
              <option value="mysql">MySQL or MariaDB</option>
            </SelectField>
            <TextField label="Host" {...CODE_TEXT} {...fieldProps('host')} error={problem('settings.host')} />
            <TextField
              label="Port"
              inputMode="numeric"
              {...fieldProps('port')}
              error={problem('settings.port')}
            />
            <TextField
              label="Database"
              {...CODE_TEXT}
              {...fieldProps('database')}
              error={problem('settings.database')}
            />
            <TextField
              label="User"
              {...CODE_TEXT}
              autoCapitalize="none"
              {...fieldProps('user')}
              error={problem('settings.user')}
              hint="A read-only account: the connector only ever reads."
            />
            <TextField
              label="Query timeout (ms)"
              inputMode="numeric"
              {...fieldProps('query_timeout_ms')}
              error={problem('settings.query_timeout_ms')}
              hint="Empty: the default."
            />
            <CheckboxField
              label="TLS (certificate verified)"
              checked={draft.ssl}
              onChange={(event) => edit({ ssl: event.target.checked })}
            />
          </div>
        </fieldset>
      )}

      {draft.kind === 'http' && (
        <fieldset className="fieldset">
          <legend>API</legend>
          <div className="form-grid">
            <TextField
              label="Base URL"
              type="url"
              {...CODE_TEXT}
              placeholder="https://erp.example.com/api"
              {...fieldProps('base_url')}
              error={problem('settings.base_url')}
              hint="http:// or https://, without credentials: the token goes below."
            />
            <TextField
              label="Page size"
              inputMode="numeric"
              {...fieldProps('page_size')}
              error={problem('settings.page_size')}
              hint="Rows asked for per call. Empty: 100."
            />
            <TextField
              label="Timeout (ms)"
              inputMode="numeric"
              {...fieldProps('timeout_ms')}
              error={problem('settings.timeout_ms')}
              hint="Empty: 30 seconds."
            />
            <SelectField
              label="Paging"
              value={draft.paging_mode}
              onChange={(event) => edit({ paging_mode: event.target.value as ConnectorDraft['paging_mode'] })}
              error={problem('settings.paging.mode', 'settings.paging')}
            >
              <option value="page">Page numbers (?page=N)</option>
              <option value="token">Next-page token (?cursor=…)</option>
            </SelectField>
            {draft.paging_mode === 'page' ? (
              <>
                <TextField
                  label="Page parameter"
                  {...CODE_TEXT}
                  placeholder="page"
                  {...fieldProps('page_param')}
                  error={problem('settings.paging.page_param')}
                />
                <SelectField
                  label="First page"
                  value={draft.first_page}
                  onChange={(event) =>
                    edit({ first_page: event.target.value as ConnectorDraft['first_page'] })
                  }
                  error={problem('settings.paging.first_page')}
                >
                  <option value="">Default (1)</option>
                  <option value="0">0</option>
                  <option value="1">1</option>
                </SelectField>
              </>
            ) : (
              <>
                <TextField
                  label="Token parameter"
                  {...CODE_TEXT}
                  placeholder="cursor"
                  {...fieldProps('token_param')}
                  error={problem('settings.paging.token_param')}
                />
                <TextField
                  label="Next token field"
                  {...CODE_TEXT}
                  placeholder="next_cursor"
                  {...fieldProps('next_token_field')}
                  error={problem('settings.paging.next_token_field')}
                  hint="Where the answer gives the next page's token (dotted for nested fields)."
                />
              </>
            )}
            <TextField
              label="Page size parameter"
              {...CODE_TEXT}
              placeholder="page_size"
              {...fieldProps('size_param')}
              error={problem('settings.paging.size_param')}
            />
          </div>
        </fieldset>
      )}

      {draft.kind === 'file_drop' && (
        <fieldset className="fieldset">
          <legend>Directory</legend>
          <div className="form-grid">
            <TextField
              label="Directory"
              {...CODE_TEXT}
              placeholder="/srv/erp-drop"
              {...fieldProps('directory')}
              error={problem('settings.directory')}
              hint="An absolute path the server can read."
            />
            <SelectField
              label="The files hold"
              value={draft.file_kind}
              onChange={(event) => edit({ file_kind: event.target.value as ConnectorDraft['file_kind'] })}
              error={problem('settings.kind')}
            >
              <option value="items">Items</option>
              <option value="stock_levels">Stock levels</option>
            </SelectField>
          </div>
        </fieldset>
      )}

      {draft.kind !== 'file_drop' && (
        <>
          <div className="form-grid">
            <TextField
              label="Default warehouse code"
              {...CODE_TEXT}
              {...fieldProps('warehouse_code')}
              error={problem('settings.warehouse_code')}
              hint="For stock levels whose source names no warehouse. Empty: the source must name one."
            />
          </div>
          <div className={mappingProblem || serverMappingErrors.length > 0 ? 'field has-error' : 'field'}>
            <label htmlFor={mappingsId}>Mappings (JSON)</label>
            <textarea
              id={mappingsId}
              rows={14}
              className="integrations-json"
              {...CODE_TEXT}
              value={draft.mappings}
              onChange={(event) => edit({ mappings: event.target.value })}
              aria-invalid={mappingProblem || serverMappingErrors.length > 0 ? true : undefined}
              aria-describedby={`${mappingsId}-errors ${mappingsId}-hint`}
            />
            <div id={`${mappingsId}-errors`}>
              {mappingProblem && <p className="field-error">Mappings {mappingProblem}</p>}
              {serverMappingErrors.map((message) => (
                <p key={message} className="field-error">
                  {message}
                </p>
              ))}
            </div>
            <p id={`${mappingsId}-hint`} className="field-hint">
              {draft.kind === 'sql'
                ? 'items, barcodes and stock_levels: each a "table" or a read-only "query", and "columns": our field → the source column.'
                : 'items and stock_levels: each a "path" under the base URL, "rows_field" (where the rows are in the answer) and "fields": our field → the JSON field.'}
            </p>
          </div>
        </>
      )}

      {draft.kind !== 'file_drop' && (
        <div className="form-grid">
          <TextField
            label={secretLabel}
            type="password"
            {...CODE_TEXT}
            autoComplete="new-password"
            {...fieldProps('secret')}
            disabled={draft.remove_secret}
            error={problem('secret')}
            hint={
              connector?.has_secret
                ? `The stored ${secretNoun} is never shown. Leave this empty to keep it.`
                : `Write-only: stored sealed, never shown again.${draft.kind === 'http' ? ' Sent as a bearer token.' : ''}`
            }
          />
          {connector?.has_secret && (
            <CheckboxField
              label={`Remove the stored ${secretNoun}`}
              checked={draft.remove_secret}
              onChange={(event) => edit({ remove_secret: event.target.checked, secret: '' })}
            />
          )}
        </div>
      )}

      <FormFooter
        error={error}
        done={done}
        pending={mutation.isPending}
        label={label}
        pendingLabel={pendingLabel}
      >
        {children}
      </FormFooter>
    </form>
  );
}
