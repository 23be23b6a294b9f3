import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { isUniqueViolation } from '../../platform/db/unique-violation.ts';
import { fromScaled, MONEY_SCALE, QUANTITY_SCALE, toScaled } from '../../platform/decimal.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, encodeCursor, type Page } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext, JsonObject, JsonValue } from '../audit/events.ts';
import { type BarcodeKind, parseBarcode } from './barcodes.ts';
import * as store from './items.store.ts';

export type AbcClass = 'A' | 'B' | 'C';
export type Tracking = 'none' | 'lot' | 'serial';
type Decimal = number | string;

export interface ItemBarcode {
  barcode: string;
  pack_qty: number;
  kind: BarcodeKind;
}

export interface ItemSummary {
  id: string;
  item_code: string;
  name: string;
  category: string | null;
  sub_category: string | null;
  base_uom: string;
  unit_cost: number;
  mrp: number | null;
  abc_class: AbcClass | null;
  tracking: Tracking;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface Item extends ItemSummary {
  barcodes: ItemBarcode[];
}

export interface NewBarcodeInput {
  barcode: string;
  pack_qty?: Decimal;
  kind?: BarcodeKind;
}

export interface CreateItemInput {
  item_code: string;
  name: string;
  category?: string | null;
  sub_category?: string | null;
  base_uom: string;
  unit_cost: Decimal;
  mrp?: Decimal | null;
  abc_class?: AbcClass | null;
  tracking?: Tracking;
  active?: boolean;
  barcodes?: NewBarcodeInput[];
}

export type UpdateItemInput = Partial<Omit<CreateItemInput, 'item_code' | 'barcodes'>>;

export interface BarcodeLookup {
  item: ItemSummary;
  barcode: ItemBarcode;
}

/** Every change is recorded in the audit trail, in the same transaction, under `context`. */
export interface ItemsService {
  create(input: CreateItemInput, context: AuditContext): Promise<Item>;
  get(id: string): Promise<Item>;
  list(filter: {
    q?: string;
    category?: string;
    active?: boolean;
    cursor?: string;
    limit: number;
  }): Promise<Page<Item>>;
  update(id: string, input: UpdateItemInput, context: AuditContext): Promise<Item>;
  addBarcode(id: string, input: NewBarcodeInput, context: AuditContext): Promise<Item>;
  removeBarcode(id: string, barcode: string, context: AuditContext): Promise<void>;
  /** The counting hot path: a scanned code → its item and pack size. Inactive items are found too. */
  lookup(barcode: string): Promise<BarcodeLookup>;
  /**
   * Many scanned codes at once (an offline batch): one query per 500 codes, not one per code. The
   * map is keyed by the code as given; a code that is not a valid barcode or matches no item is
   * absent from it.
   */
  lookupMany(barcodes: readonly string[]): Promise<Map<string, BarcodeLookup>>;
  /** The items with these ids (without barcodes); unknown ids are absent from the map. */
  summaries(ids: readonly string[]): Promise<Map<string, ItemSummary>>;
}

/** The fields an update may change, as the audit entry lists them. */
const AUDITED_ITEM_FIELDS = [
  'name',
  'category',
  'sub_category',
  'base_uom',
  'unit_cost',
  'mrp',
  'abc_class',
  'tracking',
  'active',
] as const satisfies readonly (keyof ItemSummary)[];

function invalid(field: string, message: string): AppError {
  return badRequest(`${field} ${message}`, [{ field, message }]);
}

function money(value: Decimal, field: string): number {
  const scaled = toScaled(value, MONEY_SCALE);
  if (scaled === null)
    throw invalid(field, `must be a decimal number with at most ${MONEY_SCALE} decimal places`);
  if (scaled < 0) throw invalid(field, 'must not be negative');
  return scaled;
}

function packQty(value: Decimal | undefined, field: string): number {
  if (value === undefined) return 10 ** QUANTITY_SCALE;
  const scaled = toScaled(value, QUANTITY_SCALE);
  if (scaled === null)
    throw invalid(field, `must be a decimal number with at most ${QUANTITY_SCALE} decimal places`);
  if (scaled <= 0) throw invalid(field, 'must be more than 0');
  return scaled;
}

/** Trimmed; blank means none. */
function optionalText(value: string | null | undefined): string | null {
  const text = value?.trim();
  return text ? text : null;
}

/**
 * A barcode as stored: normalised, its kind decided by the code itself. `prefix` places its
 * fields in the request body for error messages ('' or 'barcodes.0.').
 */
function newBarcode(
  input: NewBarcodeInput,
  prefix: string,
): { barcode: string; kind: BarcodeKind; pack_qty_e3: number } {
  const parsed = parseBarcode(input.barcode);
  if (!parsed.ok) throw invalid(`${prefix}barcode`, parsed.reason);
  if (input.kind !== undefined && input.kind !== parsed.kind) {
    throw invalid(
      `${prefix}kind`,
      parsed.kind === 'gtin'
        ? 'is internal, but the barcode is a GTIN'
        : 'is gtin, but the barcode is not a GTIN',
    );
  }
  return {
    barcode: parsed.barcode,
    kind: parsed.kind,
    pack_qty_e3: packQty(input.pack_qty, `${prefix}pack_qty`),
  };
}

export function toItemSummary(row: store.ItemRow): ItemSummary {
  return {
    id: row.id,
    item_code: row.item_code,
    name: row.name,
    category: row.category,
    sub_category: row.sub_category,
    base_uom: row.base_uom,
    unit_cost: fromScaled(Number(row.unit_cost_e4), MONEY_SCALE),
    mrp: row.mrp_e4 === null ? null : fromScaled(Number(row.mrp_e4), MONEY_SCALE),
    abc_class: row.abc_class,
    tracking: row.tracking,
    active: row.active === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toBarcode(row: { barcode: string; pack_qty_e3: number; kind: BarcodeKind }): ItemBarcode {
  return {
    barcode: row.barcode,
    pack_qty: fromScaled(Number(row.pack_qty_e3), QUANTITY_SCALE),
    kind: row.kind,
  };
}

function barcodeTaken(barcode: string, field: string, owner?: { item_code: string }): AppError {
  const where = owner ? ` (item ${owner.item_code})` : '';
  return new AppError(409, 'BARCODE_TAKEN', `Barcode ${barcode} already belongs to an item${where}`, [
    { field, message: `${barcode} already belongs to an item${where}` },
  ]);
}

export function createItemsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}): ItemsService {
  const { db, clock, ids, audit } = deps;
  const findByBarcode = store.createBarcodeLookup(db);

  async function withBarcodes(rows: store.ItemRow[]): Promise<Item[]> {
    const barcodes = await store.barcodesOfItems(
      db,
      rows.map((row) => row.id),
    );
    const byItem = new Map<string, ItemBarcode[]>();
    for (const row of barcodes) {
      const list = byItem.get(row.item_id) ?? [];
      list.push(toBarcode(row));
      byItem.set(row.item_id, list);
    }
    return rows.map((row) => ({ ...toItemSummary(row), barcodes: byItem.get(row.id) ?? [] }));
  }

  async function load(id: string): Promise<store.ItemRow> {
    const row = await store.findItemById(db, id);
    if (!row) throw notFound('Item');
    return row;
  }

  async function get(id: string): Promise<Item> {
    const [item] = await withBarcodes([await load(id)]);
    return item!;
  }

  return {
    async create(input, context) {
      const unitCost = money(input.unit_cost, 'unit_cost');
      const mrp = input.mrp === undefined || input.mrp === null ? null : money(input.mrp, 'mrp');
      const barcodes = (input.barcodes ?? []).map((barcode, index) =>
        newBarcode(barcode, `barcodes.${index}.`),
      );
      barcodes.forEach((barcode, index) => {
        const first = barcodes.findIndex((other) => other.barcode === barcode.barcode);
        if (first !== index)
          throw invalid(`barcodes.${index}.barcode`, `is the same barcode as barcodes.${first}.barcode`);
      });
      const now = clock.now().toISOString();
      const row: store.ItemRow = {
        id: ids.uuid(),
        item_code: input.item_code,
        name: input.name.trim(),
        name_key: store.nameKey(input.name),
        category: optionalText(input.category),
        sub_category: optionalText(input.sub_category),
        base_uom: input.base_uom.trim(),
        unit_cost_e4: unitCost,
        mrp_e4: mrp,
        abc_class: input.abc_class ?? null,
        tracking: input.tracking ?? 'none',
        active: input.active === false ? 0 : 1,
        created_at: now,
        updated_at: now,
      };
      await audit.transaction(context, async (trx, record) => {
        try {
          await store.insertItem(trx, row);
        } catch (error) {
          if (isUniqueViolation(error))
            throw conflict(`An item with code ${input.item_code} already exists`, 'ITEM_CODE_TAKEN');
          throw error;
        }
        const owners = await store.barcodeOwners(
          trx,
          barcodes.map((barcode) => barcode.barcode),
        );
        const [owner] = owners;
        if (owner) {
          const index = barcodes.findIndex((barcode) => barcode.barcode === owner.barcode);
          throw barcodeTaken(owner.barcode, `barcodes.${index}.barcode`, owner);
        }
        try {
          await store.insertBarcodes(
            trx,
            barcodes.map((barcode) => ({ ...barcode, item_id: row.id, created_at: now })),
          );
        } catch (error) {
          // Another request added one of these barcodes since the check above.
          if (isUniqueViolation(error))
            throw barcodeTaken(barcodes.map((barcode) => barcode.barcode).join(', '), 'barcodes');
          throw error;
        }
        const { id, created_at, updated_at, ...fields } = toItemSummary(row);
        record({
          type: 'DATA_CREATE',
          action: 'item.create',
          resource: { type: 'item', id },
          details: { ...fields, barcodes: barcodes.map((barcode) => ({ ...toBarcode(barcode) })) },
        });
      });
      return get(row.id);
    },

    get,

    async list(filter) {
      const after = filter.cursor
        ? decodeCursor<[string]>(filter.cursor, (key) => key.length === 1 && typeof key[0] === 'string')[0]
        : undefined;
      const q = filter.q?.trim();
      const parsed = q ? parseBarcode(q) : undefined;
      const rows = await store.listItems(db, {
        ...(q ? { q } : {}),
        ...(parsed?.ok ? { barcode: parsed.barcode } : {}),
        ...(filter.category ? { category: filter.category } : {}),
        ...(filter.active !== undefined ? { active: filter.active } : {}),
        ...(after !== undefined ? { afterItemCode: after } : {}),
        limit: filter.limit + 1,
      });
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return {
        items: await withBarcodes(page),
        next_cursor: rows.length > filter.limit && last ? encodeCursor([last.item_code]) : null,
      };
    },

    async update(id, input, context) {
      const changes: store.ItemChanges = { updated_at: clock.now().toISOString() };
      if (input.name !== undefined) {
        changes.name = input.name.trim();
        changes.name_key = store.nameKey(input.name);
      }
      if (input.category !== undefined) changes.category = optionalText(input.category);
      if (input.sub_category !== undefined) changes.sub_category = optionalText(input.sub_category);
      if (input.base_uom !== undefined) changes.base_uom = input.base_uom.trim();
      if (input.unit_cost !== undefined) changes.unit_cost_e4 = money(input.unit_cost, 'unit_cost');
      if (input.mrp !== undefined) changes.mrp_e4 = input.mrp === null ? null : money(input.mrp, 'mrp');
      if (input.abc_class !== undefined) changes.abc_class = input.abc_class;
      if (input.tracking !== undefined) changes.tracking = input.tracking;
      if (input.active !== undefined) changes.active = input.active ? 1 : 0;
      await audit.transaction(context, async (trx, record) => {
        const row = await store.findItemById(trx, id);
        if (!row) throw notFound('Item');
        await store.updateItem(trx, id, changes);
        // Compared as the API shows them: decimals as numbers, active as a boolean.
        const before = toItemSummary(row);
        const after = toItemSummary({ ...row, ...changes });
        const changed: JsonObject = {};
        for (const field of AUDITED_ITEM_FIELDS) {
          const old: JsonValue = before[field];
          const next: JsonValue = after[field];
          if (old !== next) changed[field] = { old, new: next };
        }
        record({
          type: 'DATA_UPDATE',
          action: 'item.update',
          resource: { type: 'item', id },
          details: { item_code: row.item_code, changes: changed },
        });
      });
      return get(id);
    },

    async addBarcode(id, input, context) {
      const barcode = newBarcode(input, '');
      await audit.transaction(context, async (trx, record) => {
        const item = await store.findItemById(trx, id);
        if (!item) throw notFound('Item');
        const [owner] = await store.barcodeOwners(trx, [barcode.barcode]);
        if (owner) throw barcodeTaken(barcode.barcode, 'barcode', owner);
        try {
          await store.insertBarcodes(trx, [
            { ...barcode, item_id: id, created_at: clock.now().toISOString() },
          ]);
        } catch (error) {
          if (isUniqueViolation(error)) throw barcodeTaken(barcode.barcode, 'barcode');
          throw error;
        }
        record({
          type: 'DATA_UPDATE',
          action: 'item.barcode_add',
          resource: { type: 'item', id },
          details: { item_code: item.item_code, ...toBarcode(barcode) },
        });
      });
      return get(id);
    },

    async removeBarcode(id, raw, context) {
      const parsed = parseBarcode(raw);
      await audit.transaction(context, async (trx, record) => {
        const item = await store.findItemById(trx, id);
        if (!item) throw notFound('Item');
        const notThere = () => new AppError(404, 'NOT_FOUND', `Item ${item.item_code} has no barcode ${raw}`);
        if (!parsed.ok) throw notThere();
        const [stored] = (await store.barcodesOfItems(trx, [id])).filter(
          (row) => row.barcode === parsed.barcode,
        );
        if (!stored || !(await store.deleteBarcode(trx, id, parsed.barcode))) throw notThere();
        record({
          type: 'DATA_DELETE',
          action: 'item.barcode_remove',
          resource: { type: 'item', id },
          details: { item_code: item.item_code, ...toBarcode(stored) },
        });
      });
    },

    async lookup(raw) {
      const parsed = parseBarcode(raw);
      if (!parsed.ok) {
        throw new AppError(400, 'INVALID_BARCODE', `barcode ${parsed.reason}`, [
          { field: 'barcode', message: parsed.reason },
        ]);
      }
      const row = await findByBarcode(parsed.barcode);
      if (!row) throw new AppError(404, 'NOT_FOUND', `No item has barcode ${parsed.barcode}`);
      return {
        item: toItemSummary(row),
        barcode: toBarcode({ barcode: row.barcode, pack_qty_e3: row.pack_qty_e3, kind: row.barcode_kind }),
      };
    },

    async lookupMany(raws) {
      const normalised = new Map<string, string>();
      for (const raw of raws) {
        const parsed = parseBarcode(raw);
        if (parsed.ok) normalised.set(raw, parsed.barcode);
      }
      const rows = await store.findByBarcodes(db, [...new Set(normalised.values())]);
      const byBarcode = new Map(rows.map((row) => [row.barcode, row]));
      const out = new Map<string, BarcodeLookup>();
      for (const [raw, barcode] of normalised) {
        const row = byBarcode.get(barcode);
        if (!row) continue;
        out.set(raw, {
          item: toItemSummary(row),
          barcode: toBarcode({ barcode: row.barcode, pack_qty_e3: row.pack_qty_e3, kind: row.barcode_kind }),
        });
      }
      return out;
    },

    async summaries(ids) {
      const rows = await store.findItemsByIds(db, [...new Set(ids)]);
      return new Map(rows.map((row) => [row.id, toItemSummary(row)]));
    },
  };
}
