import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { outgoingHeaders } from '../../../platform/http/outgoing-headers.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { JobContext } from '../../../platform/jobs/job-runner.ts';
import { parseBarcode } from '../../items/barcodes.ts';
import type { CircuitBreakers } from '../circuit-breakers/registry.ts';
import type { ConnectorSettings } from '../connectors/connector-settings.ts';
import type { Connectors, EnabledConnector } from '../connectors/connectors.service.ts';
import type {
  ErpSource,
  RejectedRow,
  SourceEntity,
  SourceItem,
  SourcePage,
  SourceStockLevel,
} from '../connectors/erp-source.ts';
import { safeMessage } from '../connectors/erp-source.ts';
import type { HeaderSource } from '../connectors/http-source.ts';
import * as store from './sync.store.ts';
import { writeItems } from './write-items.ts';
import { writeStockLevels } from './write-stock-levels.ts';

/**
 * ERP syncs (issue 8): book quantities and items in from every enabled source connector.
 *
 * A pass reads one entity of one connector a page at a time, from the cursor stored with the
 * last page it wrote, and writes each page together with the next cursor in one transaction —
 * so a pass stopped anywhere (shutdown, crash, lost lease, ERP gone) resumes after the last
 * committed page, and no row is read in twice. The cursor update is fenced with the job lease's
 * token: a holder whose lease was taken over cannot write a page after the new holder.
 *
 * Every read goes through the connector's circuit breaker (`erp:<connector name>`) with a short
 * timeout: a slow or dead ERP fails the pass fast, the breaker opens after its threshold, and
 * while it is open no call reaches the ERP at all (the pass stops at once, its cursor kept).
 *
 * Modes (each its own job and its own cursor):
 * - `changes` (ERP_SYNC_STOCK_LEVELS_MINUTES): every stock level is read and only those whose
 *   figure differs from ours are written. A moved figure is what a running count's book-change
 *   detection compares its snapshot with, at submit and again at approve.
 * - `new_items` (ERP_SYNC_ITEMS_MINUTES): items whose code we do not know yet.
 * - `full` (nightly, ERP_SYNC_FULL_AT): items brought up to date (names, costs, barcodes), then
 *   every stock level.
 * - a live lookup of one barcode in the ERP when a scan finds no item (`refreshBarcode`).
 */

export interface SyncCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface EntitySyncStatus {
  entity: SourceEntity;
  mode: store.SyncMode;
  in_progress: boolean;
  started_at: string | null;
  /** The pass under way so far, or null. */
  pass_counts: SyncCounts | null;
  last_completed_at: string | null;
  last_counts: SyncCounts | null;
  last_error: string | null;
  /** The first rows the pass under way (or the last one) could not take, with why. */
  rejects: RejectedRow[];
}

export interface ConnectorSyncStatus {
  connector_id: string;
  connector_name: string;
  kind: EnabledConnector['kind'];
  enabled: boolean;
  entities: EntitySyncStatus[];
}

export interface PassContext {
  signal: AbortSignal;
  /** The job lease's fencing token (a larger one takes a pass over). */
  fencingToken: number;
  headers?: HeaderSource;
  /** Rows read so far in this call. */
  progress?: (rowsRead: number) => void | Promise<void>;
}

export interface ErpSync {
  /** One pass of one entity of one connector, from its stored cursor to the end of the source. */
  pass(
    connectorId: string,
    entity: SourceEntity,
    mode: store.SyncMode,
    context: PassContext,
  ): Promise<SyncCounts>;
  /** A job's body: the passes of `mode` for every enabled connector that supplies them. */
  runMode(mode: store.SyncMode, job: JobContext): Promise<{ rows: number }>;
  /**
   * Looks a barcode we do not know up in the ERP (each enabled connector that can), adds the item
   * with its barcodes, and says whether it did. Never throws: an ERP that is down or slow (the
   * breaker, a short timeout) just means "not found" for the scan.
   */
  refreshBarcode(raw: string, headers?: HeaderSource): Promise<boolean>;
  status(): Promise<ConnectorSyncStatus[]>;
}

export interface ErpSyncOptions {
  /** Rows per page read from the ERP and written in one transaction. */
  pageSize?: number;
  /** Timeout of one page read (through the breaker). */
  pageTimeoutMs?: number;
  /** Timeout of a live barcode lookup. */
  lookupTimeoutMs?: number;
}

const DEFAULT_PAGE_SIZE = 1000;
const DEFAULT_PAGE_TIMEOUT_MS = 15_000;
const DEFAULT_LOOKUP_TIMEOUT_MS = 2_000;
const KEPT_REJECTS = 20;
const MISS_TTL_MS = 60_000;
const MAX_MISSES = 10_000;
const ZERO: SyncCounts = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };

export const breakerName = (connector: { name: string }) => `erp:${connector.name}`;

const ENTITIES_OF: Record<store.SyncMode, readonly SourceEntity[]> = {
  changes: ['stock_levels'],
  new_items: ['items'],
  // Items first: the stock levels of a new item then find it.
  full: ['items', 'stock_levels'],
};

function add(a: SyncCounts, b: SyncCounts): SyncCounts {
  return {
    read: a.read + b.read,
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    rejected: a.rejected + b.rejected,
  };
}

/** The forms a scanned code may be stored in by an ERP: a GTIN with and without leading zeros. */
export function barcodeCandidates(raw: string): string[] {
  const parsed = parseBarcode(raw);
  if (!parsed.ok) return [];
  if (parsed.kind !== 'gtin') return [parsed.barcode];
  const out = new Set<string>([parsed.barcode, raw.trim()]);
  for (const length of [13, 12, 8]) {
    const cut = parsed.barcode.length - length;
    if (cut >= 0 && /^0*$/.test(parsed.barcode.slice(0, cut))) out.add(parsed.barcode.slice(cut));
  }
  return [...out];
}

/** A job's own trace context for its outgoing calls: the run id as request id. */
export function jobHeaders(runId: string): HeaderSource {
  const traceId = randomBytes(16).toString('hex');
  return () =>
    outgoingHeaders({ request_id: runId, trace_id: traceId, correlation_id: runId, trace_flags: '01' });
}

export function createErpSync(
  deps: {
    db: Kysely<Database>;
    clock: Clock;
    ids: IdGenerator;
    logger: Pick<Logger, 'info' | 'warn'>;
    connectors: Connectors;
    breakers: CircuitBreakers;
  },
  options: ErpSyncOptions = {},
): ErpSync {
  const { db, clock, ids, logger, connectors, breakers } = deps;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const pageTimeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const lookupTimeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  const now = () => clock.now().toISOString();
  const newId = () => ids.uuid();

  function defaultWarehouse(settings: ConnectorSettings): string | null {
    return 'warehouse_code' in settings && typeof settings.warehouse_code === 'string'
      ? settings.warehouse_code
      : null;
  }

  async function pass(
    connector: EnabledConnector,
    source: ErpSource,
    entity: SourceEntity,
    mode: store.SyncMode,
    context: PassContext,
  ): Promise<SyncCounts> {
    const key: store.StateKey = { connector_id: connector.id, entity, mode };
    await store.ensureState(db, key, now());
    const state = await store.findState(db, key);
    const resuming = state?.in_progress === 1 && state.cursor !== null;
    let cursor = resuming ? state.cursor : null;
    let total: SyncCounts =
      resuming && state.pass_counts ? (JSON.parse(state.pass_counts) as SyncCounts) : ZERO;
    let rejects: RejectedRow[] =
      resuming && state.rejects ? (JSON.parse(state.rejects) as RejectedRow[]) : [];
    const startedAt = resuming && state.started_at ? state.started_at : now();
    if (
      !(await store.advanceState(db, key, context.fencingToken, {
        in_progress: 1,
        started_at: startedAt,
        cursor,
        last_error: null,
        updated_at: now(),
      }))
    )
      throw new Error('another holder took this sync over');
    let readHere = 0;
    try {
      for (;;) {
        context.signal.throwIfAborted();
        const page: SourcePage<SourceItem | SourceStockLevel> = await breakers.withCircuitBreaker<
          SourcePage<SourceItem | SourceStockLevel>
        >(
          breakerName(connector),
          ({ signal }) =>
            entity === 'items'
              ? source.readItems(cursor, pageSize, signal)
              : source.readStockLevels(cursor, pageSize, signal),
          { timeoutMs: pageTimeoutMs, signal: context.signal },
        );
        const at = now();
        const counts = await db.transaction().execute(async (trx) => {
          const written =
            entity === 'items'
              ? await writeItems(trx, page.rows as never, { onlyNew: mode === 'new_items', now: at, newId })
              : await writeStockLevels(trx, page.rows as never, {
                  defaultWarehouse: defaultWarehouse(connector.settings),
                  now: at,
                  newId,
                });
          const refused = [...page.rejected, ...written.rejected];
          const pageCounts: SyncCounts = {
            read: page.rows.length + page.rejected.length,
            inserted: written.inserted,
            updated: written.updated,
            unchanged: written.unchanged,
            rejected: refused.length,
          };
          const nextTotal = add(total, pageCounts);
          const nextRejects = [...rejects, ...refused].slice(0, KEPT_REJECTS);
          const done = page.next_cursor === null;
          const moved = await store.advanceState(trx, key, context.fencingToken, {
            cursor: page.next_cursor,
            in_progress: done ? 0 : 1,
            pass_counts: done ? null : JSON.stringify(nextTotal),
            rejects: JSON.stringify(nextRejects),
            ...(done ? { last_completed_at: at, last_counts: JSON.stringify(nextTotal) } : {}),
            updated_at: at,
          });
          // Rolls the page back: a newer holder carries on from its own cursor.
          if (!moved) throw new Error('another holder took this sync over');
          total = nextTotal;
          rejects = nextRejects;
          return pageCounts;
        });
        readHere += counts.read;
        await context.progress?.(readHere);
        if (page.next_cursor === null) return total;
        cursor = page.next_cursor;
      }
    } catch (error) {
      const message = safeMessage(error, []);
      await store
        .advanceState(db, key, context.fencingToken, { last_error: message, updated_at: now() })
        .catch(() => undefined);
      throw error;
    }
  }

  async function supplying(entity: SourceEntity): Promise<EnabledConnector[]> {
    const all = await connectors.listEnabled();
    return all.filter((connector) => entitiesOf(connector).includes(entity));
  }

  function entitiesOf(connector: EnabledConnector): SourceEntity[] {
    const settings = connector.settings as { items?: unknown; stock_levels?: unknown; kind?: string };
    if (connector.kind === 'file_drop') return [settings.kind as SourceEntity];
    const out: SourceEntity[] = [];
    if (settings.items) out.push('items');
    if (settings.stock_levels) out.push('stock_levels');
    return out;
  }

  async function refresh(candidates: string[], headers: HeaderSource | undefined): Promise<boolean> {
    for (const connector of await supplying('items')) {
      let source: ErpSource | null = null;
      try {
        source = await connectors.openSource(connector.id, headers ? { headers } : {});
        const lookup = source.findItemByBarcode?.bind(source);
        if (!lookup) continue;
        const item = await breakers.withCircuitBreaker(
          breakerName(connector),
          ({ signal }) => lookup(candidates, signal),
          { timeoutMs: lookupTimeoutMs },
        );
        if (!item) continue;
        const at = now();
        const written = await db
          .transaction()
          .execute((trx) => writeItems(trx, [item], { onlyNew: false, now: at, newId }));
        if (written.rejected.length > 0) {
          logger.warn(
            { connector: connector.name, item_code: item.item_code, reason: written.rejected[0]!.reason },
            'erp barcode refresh: item not taken',
          );
          continue;
        }
        logger.info(
          { connector: connector.name, item_code: item.item_code },
          'erp barcode refresh: item added',
        );
        return true;
      } catch (error) {
        logger.warn(
          { connector: connector.name, error: safeMessage(error, []) },
          'erp barcode refresh failed',
        );
      } finally {
        await source?.close().catch(() => undefined);
      }
    }
    return false;
  }
  const recentMisses = new Map<string, number>();

  return {
    async pass(connectorId, entity, mode, context) {
      const connector = (await connectors.listEnabled()).find((each) => each.id === connectorId);
      if (!connector) throw new Error(`connector ${connectorId} is not enabled`);
      const source = await connectors.openSource(
        connectorId,
        context.headers ? { headers: context.headers } : {},
      );
      try {
        return await pass(connector, source, entity, mode, context);
      } finally {
        await source.close();
      }
    },

    async runMode(mode, job) {
      const headers = jobHeaders(job.runId);
      let rows = 0;
      const failures: string[] = [];
      for (const entity of ENTITIES_OF[mode]) {
        for (const connector of await supplying(entity)) {
          if (job.signal.aborted) break;
          let source: ErpSource | null = null;
          try {
            source = await connectors.openSource(connector.id, { headers });
            const before = rows;
            const counts = await pass(connector, source, entity, mode, {
              signal: job.signal,
              fencingToken: job.fencingToken,
              headers,
              progress: (read) => job.progress(before + read),
            });
            rows += counts.inserted + counts.updated;
            logger.info({ connector: connector.name, entity, mode, ...counts }, 'erp sync pass completed');
          } catch (error) {
            const message = safeMessage(error, []);
            failures.push(`${connector.name} (${entity}): ${message}`);
            logger.warn({ connector: connector.name, entity, mode, error: message }, 'erp sync pass failed');
          } finally {
            await source?.close().catch(() => undefined);
          }
        }
      }
      job.signal.throwIfAborted();
      if (failures.length > 0) throw new Error(failures.join('; '));
      return { rows };
    },

    async refreshBarcode(raw, headers) {
      const candidates = barcodeCandidates(raw);
      if (candidates.length === 0) return false;
      // A code the ERP did not know a moment ago is not asked for again at every scan of it.
      const key = candidates[0]!;
      const missedAt = recentMisses.get(key);
      if (missedAt !== undefined && clock.now().getTime() - missedAt < MISS_TTL_MS) return false;
      const found = await refresh(candidates, headers);
      if (found) recentMisses.delete(key);
      else {
        recentMisses.set(key, clock.now().getTime());
        if (recentMisses.size > MAX_MISSES) recentMisses.delete(recentMisses.keys().next().value!);
      }
      return found;
    },

    async status() {
      const [all, states] = await Promise.all([
        db
          .selectFrom('erp_connectors')
          .select(['id', 'name', 'kind', 'enabled', 'settings'])
          .orderBy('name')
          .execute(),
        store.listStates(db),
      ]);
      return all.map((row) => {
        const connector: EnabledConnector = {
          id: row.id,
          name: row.name,
          kind: row.kind,
          settings: JSON.parse(row.settings) as ConnectorSettings,
        };
        const entities = entitiesOf(connector);
        const modes: [SourceEntity, store.SyncMode][] = [];
        for (const mode of store.SYNC_MODES)
          for (const entity of ENTITIES_OF[mode]) if (entities.includes(entity)) modes.push([entity, mode]);
        return {
          connector_id: row.id,
          connector_name: row.name,
          kind: row.kind,
          enabled: row.enabled === 1,
          entities: modes.map(([entity, mode]) => {
            const state = states.find(
              (each) => each.connector_id === row.id && each.entity === entity && each.mode === mode,
            );
            return {
              entity,
              mode,
              in_progress: state?.in_progress === 1,
              started_at: state?.started_at ?? null,
              pass_counts: state?.pass_counts ? (JSON.parse(state.pass_counts) as SyncCounts) : null,
              last_completed_at: state?.last_completed_at ?? null,
              last_counts: state?.last_counts ? (JSON.parse(state.last_counts) as SyncCounts) : null,
              last_error: state?.last_error ?? null,
              rejects: state?.rejects ? (JSON.parse(state.rejects) as RejectedRow[]) : [],
            };
          }),
        };
      });
    },
  };
}
