import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { isUniqueViolation } from '../../../platform/db/unique-violation.ts';
import { AppError, badRequest, conflict, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, encodeCursor, type Page } from '../../../platform/http/pagination.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext, JsonObject } from '../../audit/events.ts';
import { resetCursors } from '../sync/sync.store.ts';
import type { ConnectorKey } from './connector-key.ts';
import { type ConnectorSettings, checkSettings, type FileDropSettings } from './connector-settings.ts';
import * as store from './connectors.store.ts';
import {
  type ConnectorKind,
  type ErpSource,
  type SourceEntity,
  type SourceItem,
  type SourceStockLevel,
  safeMessage,
} from './erp-source.ts';
import { listDropFiles } from './file-drop-source.ts';
import type { HeaderSource } from './http-source.ts';
import { openErpSource } from './open-source.ts';

export interface ConnectorView {
  id: string;
  name: string;
  kind: ConnectorKind;
  role: 'source';
  enabled: boolean;
  settings: ConnectorSettings;
  /** The secret itself is write-only: it is never returned. */
  has_secret: boolean;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  last_test: { status: 'ok' | 'failed'; message: string; tested_at: string } | null;
}

export interface EntityCheck {
  entity: SourceEntity;
  status: 'ok' | 'failed';
  /** Rows read (0 or 1: a test reads one row per entity). */
  rows: number;
  message: string;
  /** The first row, mapped: what a sync would write, to check the mapping by eye. */
  sample: SourceItem | SourceStockLevel | null;
}

export interface TestReport {
  status: 'ok' | 'failed';
  message: string;
  tested_at: string;
  duration_ms: number;
  checks: EntityCheck[];
}

export interface ConnectorInput {
  name: string;
  kind: ConnectorKind;
  enabled?: boolean;
  settings: unknown;
  secret?: string;
}

export interface ConnectorPatch {
  name?: string;
  enabled?: boolean;
  settings?: unknown;
  /** A new secret, or null to remove it. */
  secret?: string | null;
}

export interface Connectors {
  list(options: { limit: number; cursor?: string | undefined }): Promise<Page<ConnectorView>>;
  get(id: string): Promise<ConnectorView>;
  create(input: ConnectorInput, context: AuditContext): Promise<ConnectorView>;
  update(id: string, patch: ConnectorPatch, context: AuditContext): Promise<ConnectorView>;
  remove(id: string, context: AuditContext): Promise<void>;
  /** Connects and reads one row per mapped entity, within the test timeout; records the result. */
  test(id: string, context: AuditContext): Promise<TestReport>;
  /**
   * The driver of an enabled connector, for the sync jobs; close it when done. `headers` are the
   * request or job ids its HTTP calls carry (outgoing-headers.ts).
   */
  openSource(id: string, options?: { headers?: HeaderSource }): Promise<ErpSource>;
  /** The enabled connectors, by name: what the sync jobs go through. */
  listEnabled(): Promise<EnabledConnector[]>;
}

export interface EnabledConnector {
  id: string;
  name: string;
  kind: ConnectorKind;
  settings: ConnectorSettings;
}

const DEFAULT_TEST_TIMEOUT_MS = 5_000;

function toView(row: store.ConnectorRow): ConnectorView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    role: row.role,
    enabled: row.enabled === 1,
    settings: JSON.parse(row.settings) as ConnectorSettings,
    has_secret: row.secret_sealed !== null,
    created_at: row.created_at,
    created_by: row.created_by,
    updated_at: row.updated_at,
    updated_by: row.updated_by,
    last_test:
      row.last_test_status && row.last_tested_at
        ? {
            status: row.last_test_status,
            message: row.last_test_message ?? '',
            tested_at: row.last_tested_at,
          }
        : null,
  };
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100)
    throw badRequest('name must be 1 to 100 characters', [
      { field: 'name', message: 'must be 1 to 100 characters' },
    ]);
  return trimmed;
}

function settingsOf(kind: ConnectorKind, value: unknown): ConnectorSettings {
  const checked = checkSettings(kind, value);
  if (!checked.ok) {
    const first = checked.errors[0]!;
    throw badRequest(`Invalid settings: ${first.field} ${first.message}`, checked.errors);
  }
  return checked.settings;
}

function checkSecret(kind: ConnectorKind, secret: string | null | undefined): void {
  if (kind === 'file_drop' && typeof secret === 'string')
    throw badRequest('A file drop has no secret', [
      { field: 'secret', message: 'is not used by a file drop' },
    ]);
}

export function createConnectors(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
  key: ConnectorKey;
  /** How long "test connection" may take in all (default 5 s). */
  testTimeoutMs?: number;
  /** Headers for outgoing HTTP calls (request and trace ids). */
  headers?: HeaderSource;
}): Connectors {
  const { db, clock, ids, audit, key } = deps;
  const testTimeoutMs = deps.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;

  async function load(id: string): Promise<store.ConnectorRow> {
    const row = await store.findConnector(db, id);
    if (!row) throw notFound('Connector');
    return row;
  }

  function secretOf(row: store.ConnectorRow): string | null {
    if (row.secret_sealed === null) return null;
    try {
      return key.open(row.id, row.secret_sealed);
    } catch (error) {
      throw new AppError(
        409,
        'SECRET_UNREADABLE',
        `The connector's secret cannot be opened: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
    }
  }

  function source(row: store.ConnectorRow, secret: string | null, headers = deps.headers): ErpSource {
    return openErpSource(row.kind, JSON.parse(row.settings), secret, headers ? { headers } : {});
  }

  async function runChecks(row: store.ConnectorRow, secret: string | null): Promise<EntityCheck[]> {
    const driver = source(row, secret);
    const signal = AbortSignal.timeout(testTimeoutMs);
    const checks: EntityCheck[] = [];
    try {
      for (const entity of driver.entities) {
        try {
          const page =
            entity === 'items'
              ? await driver.readItems(null, 1, signal)
              : await driver.readStockLevels(null, 1, signal);
          const rejected = page.rejected[0];
          const sample = page.rows[0] ?? null;
          checks.push(
            rejected && !sample
              ? {
                  entity,
                  status: 'failed',
                  rows: 1,
                  message: `The first row cannot be mapped (${rejected.at}): ${rejected.reason}`,
                  sample: null,
                }
              : {
                  entity,
                  status: 'ok',
                  rows: page.rows.length,
                  message: sample ? 'Read one row' : 'Connected; no rows to read',
                  sample,
                },
          );
        } catch (error) {
          const message = signal.aborted
            ? `No answer within ${testTimeoutMs} ms`
            : safeMessage(error, [secret]);
          checks.push({ entity, status: 'failed', rows: 0, message, sample: null });
        }
      }
    } finally {
      await driver.close().catch(() => undefined);
    }
    return checks;
  }

  async function summary(row: store.ConnectorRow, checks: EntityCheck[]): Promise<string> {
    const failed = checks.find((check) => check.status === 'failed');
    if (failed) return `${failed.entity}: ${failed.message}`;
    if (row.kind === 'file_drop') {
      const settings = JSON.parse(row.settings) as FileDropSettings;
      const files = await listDropFiles(settings.directory).catch(() => []);
      return `Directory readable; ${files.length} file${files.length === 1 ? '' : 's'} waiting`;
    }
    return `Connected; read ${checks.map((check) => `${check.entity} (${check.rows} row${check.rows === 1 ? '' : 's'})`).join(', ')}`;
  }

  return {
    async list({ limit, cursor }) {
      const after = cursor
        ? decodeCursor<[string, string]>(
            cursor,
            (key) => key.length === 2 && key.every((part) => typeof part === 'string'),
          )
        : null;
      const rows = await store.listConnectors(db, { after, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toView),
        next_cursor: rows.length > limit && last ? encodeCursor([last.name, last.id]) : null,
      };
    },

    async get(id) {
      return toView(await load(id));
    },

    async create(input, context) {
      const name = cleanName(input.name);
      const settings = settingsOf(input.kind, input.settings);
      checkSecret(input.kind, input.secret);
      const id = ids.uuid();
      const now = clock.now().toISOString();
      const row: store.ConnectorRow = {
        id,
        name,
        kind: input.kind,
        role: 'source',
        settings: JSON.stringify(settings),
        secret_sealed: input.secret ? key.seal(id, input.secret) : null,
        enabled: input.enabled === false ? 0 : 1,
        created_at: now,
        created_by: context.actor.user_id,
        updated_at: now,
        updated_by: context.actor.user_id,
        last_test_status: null,
        last_test_message: null,
        last_tested_at: null,
      };
      try {
        await audit.transaction(context, async (trx, record) => {
          await store.insertConnector(trx, row);
          record({
            type: 'CONFIG_CHANGE',
            action: 'integration_connector.create',
            resource: { type: 'erp_connector', id },
            // Which fields were stored, by name only (the audit trail refuses secret-named keys).
            details: {
              name,
              kind: row.kind,
              role: row.role,
              enabled: row.enabled === 1,
              stored: row.secret_sealed !== null ? ['settings', 'secret'] : ['settings'],
            },
            severity: 'medium',
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict(`A connector named "${name}" already exists`, 'CONNECTOR_NAME_TAKEN');
        throw error;
      }
      return toView(row);
    },

    async update(id, patch, context) {
      const row = await load(id);
      const changes: store.ConnectorChanges = {};
      const changed: string[] = [];
      if (patch.name !== undefined) {
        const name = cleanName(patch.name);
        if (name !== row.name) {
          changes.name = name;
          changed.push('name');
        }
      }
      if (patch.enabled !== undefined && (patch.enabled ? 1 : 0) !== row.enabled) {
        changes.enabled = patch.enabled ? 1 : 0;
        changed.push('enabled');
      }
      if (patch.settings !== undefined) {
        const settings = JSON.stringify(settingsOf(row.kind, patch.settings));
        if (settings !== row.settings) {
          changes.settings = settings;
          changed.push('settings');
        }
      }
      if (patch.secret !== undefined) {
        checkSecret(row.kind, patch.secret);
        changes.secret_sealed =
          patch.secret === null || patch.secret === '' ? null : key.seal(id, patch.secret);
        changed.push(patch.secret === null || patch.secret === '' ? 'secret_removed' : 'secret');
      }
      if (changed.length === 0) return toView(row);
      changes.updated_at = clock.now().toISOString();
      changes.updated_by = context.actor.user_id;
      const details: JsonObject = { name: changes.name ?? row.name, changed };
      if (changes.enabled !== undefined) details.enabled = changes.enabled === 1;
      try {
        await audit.transaction(context, async (trx, record) => {
          if (!(await store.updateConnector(trx, id, changes))) throw notFound('Connector');
          // Cursors of the old mapping mean nothing for the new one: passes start over.
          if (changes.settings !== undefined) await resetCursors(trx, id, changes.updated_at!);
          // What was tested is not what is configured any more.
          if (changes.settings !== undefined || changes.secret_sealed !== undefined)
            await trx
              .updateTable('erp_connectors')
              .set({ last_test_status: null, last_test_message: null, last_tested_at: null })
              .where('id', '=', id)
              .execute();
          record({
            type: 'CONFIG_CHANGE',
            action: 'integration_connector.update',
            resource: { type: 'erp_connector', id },
            details,
            severity: 'medium',
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict(`A connector named "${changes.name}" already exists`, 'CONNECTOR_NAME_TAKEN');
        throw error;
      }
      return toView(await load(id));
    },

    async remove(id, context) {
      const row = await load(id);
      await audit.transaction(context, async (trx, record) => {
        if (!(await store.deleteConnector(trx, id))) throw notFound('Connector');
        record({
          type: 'CONFIG_CHANGE',
          action: 'integration_connector.delete',
          resource: { type: 'erp_connector', id },
          details: { name: row.name, kind: row.kind },
          severity: 'medium',
        });
      });
    },

    async test(id, context) {
      const row = await load(id);
      const started = performance.now();
      let checks: EntityCheck[];
      let message: string;
      let secret: string | null = null;
      try {
        secret = secretOf(row);
        checks = await runChecks(row, secret);
        message = await summary(row, checks);
      } catch (error) {
        checks = [];
        message = error instanceof AppError ? error.message : safeMessage(error, [secret]);
      }
      const status: 'ok' | 'failed' =
        checks.length > 0 && checks.every((check) => check.status === 'ok') ? 'ok' : 'failed';
      message = safeMessage(message, [secret]);
      const testedAt = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        await store.recordTestResult(trx, id, { status, message, at: testedAt });
        record({
          type: 'CONFIG_CHANGE',
          action: 'integration_connector.test',
          resource: { type: 'erp_connector', id },
          details: { name: row.name, kind: row.kind, result: status },
          severity: 'info',
        });
      });
      return {
        status,
        message,
        tested_at: testedAt,
        duration_ms: Math.round(performance.now() - started),
        checks: checks.map((check) => ({ ...check, message: safeMessage(check.message, [secret]) })),
      };
    },

    async openSource(id, options = {}) {
      const row = await load(id);
      if (row.enabled !== 1) throw conflict(`Connector "${row.name}" is disabled`, 'CONNECTOR_DISABLED');
      return source(row, secretOf(row), options.headers ?? deps.headers);
    },

    async listEnabled() {
      const rows = await db
        .selectFrom('erp_connectors')
        .select(['id', 'name', 'kind', 'settings'])
        .where('enabled', '=', 1)
        .orderBy('name')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        kind: row.kind,
        settings: JSON.parse(row.settings) as ConnectorSettings,
      }));
    },
  };
}
