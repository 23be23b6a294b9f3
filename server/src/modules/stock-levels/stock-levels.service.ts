import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { fromScaled, QUANTITY_SCALE } from '../../platform/decimal.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext } from '../audit/events.ts';
import * as store from './stock-levels.store.ts';

export type StockSource = 'import' | 'erp' | 'manual';

export interface StockLevel {
  id: string;
  item_id: string;
  item_code: string;
  item_name: string;
  location_id: string;
  location_code: string;
  warehouse_id: string;
  lot: string | null;
  quantity: number;
  source: StockSource;
  as_of: string;
  updated_at: string;
}

/** One book quantity as the ERP sync (or another feed) reports it. */
export interface StockLevelInput {
  item_id: string;
  location_id: string;
  /** null or '' for items without lots. */
  lot?: string | null;
  /** Thousandths of the base unit (platform/decimal.ts); may be negative, as ERPs allow. */
  quantity_e3: number;
  source: StockSource;
  /** ISO-8601: when the source's figure was true. */
  as_of: string;
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  /** Same quantity and source as stored: nothing written. */
  unchanged: number;
  /** Older (as_of) than the stored figure, so not applied: a late delivery never overwrites a newer one. */
  stale: number;
}

export interface StockLevelsService {
  list(filter: {
    item_id?: string;
    location_id?: string;
    warehouse_id?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<StockLevel>>;
  /**
   * Applies a batch of book quantities in one transaction: all of it, or (on a bad row) none.
   * Recorded in the audit trail (one bulk entry with the counts) in the same transaction.
   */
  upsert(rows: readonly StockLevelInput[], context: AuditContext): Promise<UpsertResult>;
}

const SOURCES = new Set<string>(['import', 'erp', 'manual']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toStockLevel(row: store.StockLevelView): StockLevel {
  return {
    id: row.id,
    item_id: row.item_id,
    item_code: row.item_code,
    item_name: row.item_name,
    location_id: row.location_id,
    location_code: row.location_code,
    warehouse_id: row.warehouse_id,
    lot: row.lot === '' ? null : row.lot,
    quantity: fromScaled(Number(row.quantity_e3), QUANTITY_SCALE),
    source: row.source,
    as_of: row.as_of,
    updated_at: row.updated_at,
  };
}

function keyOf(row: store.StockKey): string {
  return `${row.item_id}\u0000${row.location_id}\u0000${row.lot}`;
}

function invalidRow(index: number, field: string, message: string) {
  const name = `rows.${index}.${field}`;
  return badRequest(`${name} ${message}`, [{ field: name, message }]);
}

interface Normalised extends store.StockKey {
  quantity_e3: number;
  source: StockSource;
  as_of: string;
}

function normalise(rows: readonly StockLevelInput[]): Normalised[] {
  const seen = new Map<string, number>();
  return rows.map((row, index) => {
    if (!UUID.test(row.item_id)) throw invalidRow(index, 'item_id', 'is not a uuid');
    if (!UUID.test(row.location_id)) throw invalidRow(index, 'location_id', 'is not a uuid');
    const lot = (row.lot ?? '').trim();
    if (lot.length > 64) throw invalidRow(index, 'lot', 'must be at most 64 characters');
    if (!Number.isSafeInteger(row.quantity_e3))
      throw invalidRow(index, 'quantity_e3', 'must be a safe integer');
    if (!SOURCES.has(row.source)) throw invalidRow(index, 'source', 'must be import, erp or manual');
    const asOf = new Date(row.as_of);
    if (typeof row.as_of !== 'string' || Number.isNaN(asOf.getTime()))
      throw invalidRow(index, 'as_of', 'must be an ISO-8601 timestamp');
    const out: Normalised = {
      item_id: row.item_id.toLowerCase(),
      location_id: row.location_id.toLowerCase(),
      lot,
      quantity_e3: row.quantity_e3,
      source: row.source,
      // One format on both dialects, so stored timestamps compare as text.
      as_of: asOf.toISOString(),
    };
    const key = keyOf(out);
    const first = seen.get(key);
    if (first !== undefined)
      throw invalidRow(
        index,
        'lot',
        `repeats rows.${first}: the same item, location and lot twice in one batch`,
      );
    seen.set(key, index);
    return out;
  });
}

export function createStockLevelsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}): StockLevelsService {
  const { db, clock, ids, audit } = deps;

  return {
    async list(filter) {
      const after = filter.cursor
        ? decodeCursor<[string]>(
            filter.cursor,
            (key) => key.length === 1 && typeof key[0] === 'string' && UUID.test(key[0]),
          )[0]
        : undefined;
      const rows = await store.listStockLevels(db, {
        ...(filter.item_id ? { itemId: filter.item_id } : {}),
        ...(filter.location_id ? { locationId: filter.location_id } : {}),
        ...(filter.warehouse_id ? { warehouseId: filter.warehouse_id } : {}),
        ...(after !== undefined ? { afterId: after } : {}),
        limit: filter.limit + 1,
      });
      return toPage(rows, filter.limit, toStockLevel, (row) => [row.id]);
    },

    async upsert(input, context) {
      const rows = normalise(input);
      const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, stale: 0 };
      if (rows.length === 0) return result;
      const now = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        const items = await store.existingIds(
          trx,
          'items',
          rows.map((row) => row.item_id),
        );
        const locations = await store.existingIds(
          trx,
          'locations',
          rows.map((row) => row.location_id),
        );
        rows.forEach((row, index) => {
          if (!items.has(row.item_id)) throw invalidRow(index, 'item_id', 'is not an item');
          if (!locations.has(row.location_id)) throw invalidRow(index, 'location_id', 'is not a location');
        });
        const stored = new Map((await store.findStockLevels(trx, rows)).map((row) => [keyOf(row), row]));
        const inserts: store.StockLevelRow[] = [];
        for (const row of rows) {
          const current = stored.get(keyOf(row));
          if (!current) {
            inserts.push({ id: ids.uuid(), ...row, updated_at: now });
            result.inserted += 1;
          } else if (row.as_of < current.as_of) {
            result.stale += 1;
          } else if (Number(current.quantity_e3) === row.quantity_e3 && current.source === row.source) {
            result.unchanged += 1;
          } else {
            await store.updateStockLevel(trx, current.id, {
              quantity_e3: row.quantity_e3,
              source: row.source,
              as_of: row.as_of,
              updated_at: now,
            });
            result.updated += 1;
          }
        }
        await store.insertStockLevels(trx, inserts);
        record({
          type: 'DATA_BULK_OPERATION',
          action: 'stock_level.upsert',
          resource: { type: 'stock_level', id: null },
          details: { rows: rows.length, ...result },
        });
      });
      return result;
    },
  };
}
