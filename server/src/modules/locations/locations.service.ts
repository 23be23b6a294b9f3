import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { isUniqueViolation, uniqueViolationTarget } from '../../platform/db/unique-violation.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, encodeCursor, type Page } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext, JsonObject, JsonValue } from '../audit/events.ts';
import { parseBarcode } from '../items/barcodes.ts';
import * as store from './locations.store.ts';

/**
 * Levels a tree may have. The materialised path grows by 37 characters a level, and an index
 * entry must stay well below PostgreSQL's B-tree limit (about 2,700 bytes): 64 levels is 2,369.
 */
export const MAX_LOCATION_LEVELS = 64;

export interface Location {
  id: string;
  warehouse_id: string;
  parent_id: string | null;
  code: string;
  name: string;
  kind: string;
  barcode: string | null;
  depth: number;
  path_codes: string[];
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface CreateLocationInput {
  warehouse_id: string;
  parent_id?: string | null;
  code: string;
  name?: string;
  kind: string;
  barcode?: string | null;
}

export interface UpdateLocationInput {
  name?: string;
  kind?: string;
  barcode?: string | null;
  active?: boolean;
  parent_id?: string | null;
}

export interface LocationListFilter {
  warehouse_id?: string;
  parent_id?: string;
  under?: string;
  depth?: number;
  q?: string;
  active?: boolean;
  sort?: store.LocationSort;
  cursor?: string;
  limit: number;
}

/** Every change is recorded in the audit trail, in the same transaction, under `context`. */
export interface LocationsService {
  create(input: CreateLocationInput, context: AuditContext): Promise<Location>;
  get(id: string): Promise<Location>;
  list(filter: LocationListFilter): Promise<Page<Location>>;
  /** Resolves a scanned location label. */
  lookup(barcode: string): Promise<Location>;
  /** Changes fields, deactivates or reactivates, or moves the location with its subtree (parent_id). */
  update(id: string, input: UpdateLocationInput, context: AuditContext): Promise<Location>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids from the root down to the location itself. */
function pathIds(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function normalisedLabel(raw: string, field = 'barcode'): string {
  const parsed = parseBarcode(raw);
  if (!parsed.ok) throw badRequest(`${field} ${parsed.reason}`, [{ field, message: parsed.reason }]);
  return parsed.barcode;
}

function trimmedKind(kind: string): string {
  return kind.trim();
}

function takenError(error: unknown, barcode: string | null | undefined, code?: string): AppError | undefined {
  if (!isUniqueViolation(error)) return undefined;
  if (uniqueViolationTarget(error).includes('barcode'))
    return conflict(`Another location already has barcode ${barcode}`, 'LOCATION_BARCODE_TAKEN');
  return conflict(`This warehouse already has a location with code ${code}`, 'LOCATION_CODE_TAKEN');
}

export function createLocationsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}): LocationsService {
  const { db, clock, ids, audit } = deps;

  async function toLocations(rows: store.LocationRow[]): Promise<Location[]> {
    const ancestorIds = rows.flatMap((row) => pathIds(row.path).slice(0, -1));
    const codes =
      ancestorIds.length > 0 ? await store.codesByIds(db, ancestorIds) : new Map<string, string>();
    return rows.map((row) => ({
      id: row.id,
      warehouse_id: row.warehouse_id,
      parent_id: row.parent_id,
      code: row.code,
      name: row.name,
      kind: row.kind,
      barcode: row.barcode,
      depth: Number(row.depth),
      path_codes: [
        ...pathIds(row.path)
          .slice(0, -1)
          .map((id) => codes.get(id) ?? '?'),
        row.code,
      ],
      active: row.active === 1,
      created_at: row.created_at,
      updated_at: row.updated_at,
    }));
  }

  async function toLocation(row: store.LocationRow): Promise<Location> {
    const [location] = await toLocations([row]);
    return location!;
  }

  async function load(id: string): Promise<store.LocationRow> {
    const row = await store.findLocationById(db, id);
    if (!row) throw notFound('Location');
    return row;
  }

  function tooDeep(field: string): AppError {
    return badRequest(`${field}: a location tree may have at most ${MAX_LOCATION_LEVELS} levels`, [
      { field, message: `would make the tree deeper than ${MAX_LOCATION_LEVELS} levels` },
    ]);
  }

  return {
    async create(input, context) {
      const barcode = input.barcode ? normalisedLabel(input.barcode) : null;
      const now = clock.now().toISOString();
      const id = ids.uuid();
      const row = await audit.transaction(context, async (trx, record) => {
        // Held until commit: a concurrent move cannot change the parent's path under us.
        if (!(await store.lockWarehouseTree(trx, input.warehouse_id))) throw notFound('Warehouse');
        const warehouse = await store.findWarehouseById(trx, input.warehouse_id);
        let parent: store.LocationRow | undefined;
        if (input.parent_id) {
          parent = await store.findLocationById(trx, input.parent_id);
          if (!parent) throw notFound('Parent location');
          if (parent.warehouse_id !== input.warehouse_id) {
            throw badRequest('parent_id is a location of another warehouse', [
              { field: 'parent_id', message: 'is in another warehouse' },
            ]);
          }
          if (Number(parent.depth) + 1 >= MAX_LOCATION_LEVELS) throw tooDeep('parent_id');
        }
        if (await store.findLocationByCode(trx, input.warehouse_id, input.code)) {
          throw conflict(
            `This warehouse already has a location with code ${input.code}`,
            'LOCATION_CODE_TAKEN',
          );
        }
        if (barcode && (await store.findLocationByBarcode(trx, barcode))) {
          throw conflict(`Another location already has barcode ${barcode}`, 'LOCATION_BARCODE_TAKEN');
        }
        const row: store.LocationRow = {
          id,
          warehouse_id: input.warehouse_id,
          parent_id: parent ? parent.id : null,
          code: input.code,
          name: (input.name ?? '').trim(),
          kind: trimmedKind(input.kind),
          barcode,
          path: `${parent ? parent.path : '/'}${id}/`,
          depth: parent ? Number(parent.depth) + 1 : 0,
          active: 1,
          created_at: now,
          updated_at: now,
        };
        try {
          await store.insertLocation(trx, row);
        } catch (error) {
          throw takenError(error, barcode, input.code) ?? error;
        }
        record({
          type: 'DATA_CREATE',
          action: 'location.create',
          resource: { type: 'location', id },
          details: {
            warehouse_id: row.warehouse_id,
            warehouse_code: warehouse?.code ?? null,
            code: row.code,
            name: row.name,
            kind: row.kind,
            barcode: row.barcode,
            parent_id: row.parent_id,
            parent_code: parent ? parent.code : null,
          },
        });
        return row;
      });
      return toLocation(row);
    },

    async get(id) {
      return toLocation(await load(id));
    },

    async list(filter) {
      const sort = filter.sort ?? 'path';
      let after: store.LocationListFilter['after'];
      if (filter.cursor) {
        after =
          sort === 'path'
            ? decodeCursor<[string]>(
                filter.cursor,
                (key) => key.length === 1 && typeof key[0] === 'string' && UUID.test(key[0]),
              )
            : decodeCursor<[string, string]>(
                filter.cursor,
                (key) => key.length === 2 && key.every((part) => typeof part === 'string'),
              );
      }
      let underPath: string | undefined;
      if (filter.under) underPath = (await load(filter.under)).path;
      const rows = await store.listLocations(db, {
        ...(filter.warehouse_id ? { warehouseId: filter.warehouse_id } : {}),
        ...(filter.parent_id ? { parentId: filter.parent_id } : {}),
        ...(underPath ? { underPath } : {}),
        ...(filter.depth !== undefined ? { depth: filter.depth } : {}),
        ...(filter.q ? { codePrefix: filter.q } : {}),
        ...(filter.active !== undefined ? { active: filter.active } : {}),
        ...(after ? { after } : {}),
        sort,
        limit: filter.limit + 1,
      });
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return {
        items: await toLocations(page),
        next_cursor:
          rows.length > filter.limit && last
            ? encodeCursor(sort === 'path' ? [last.id] : [last.code, last.id])
            : null,
      };
    },

    async lookup(raw) {
      const parsed = parseBarcode(raw);
      if (!parsed.ok) {
        throw new AppError(400, 'INVALID_BARCODE', `barcode ${parsed.reason}`, [
          { field: 'barcode', message: parsed.reason },
        ]);
      }
      const row = await store.findLocationByBarcode(db, parsed.barcode);
      if (!row) throw new AppError(404, 'NOT_FOUND', `No location has barcode ${parsed.barcode}`);
      return toLocation(row);
    },

    async update(id, input, context) {
      const barcode =
        input.barcode === undefined
          ? undefined
          : input.barcode === null
            ? null
            : normalisedLabel(input.barcode);
      const current = await load(id);
      const moving = input.parent_id !== undefined && input.parent_id !== current.parent_id;
      const now = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        if (moving) await store.lockWarehouseTree(trx, current.warehouse_id);
        // Read again (under the lock when moving: another move may have changed our path meanwhile).
        const row = await store.findLocationById(trx, id);
        if (!row) throw notFound('Location');
        const changed: JsonObject = {};
        const note = (field: string, old: JsonValue, next: JsonValue) => {
          if (old !== next) changed[field] = { old, new: next };
        };
        let moved = 0;
        if (moving) {
          let parent: store.LocationRow | undefined;
          if (input.parent_id) {
            parent = await store.findLocationById(trx, input.parent_id);
            if (!parent) throw notFound('Parent location');
            if (parent.warehouse_id !== row.warehouse_id) {
              throw badRequest('parent_id is a location of another warehouse', [
                {
                  field: 'parent_id',
                  message: 'is in another warehouse: a location cannot change warehouse',
                },
              ]);
            }
            if (parent.path.startsWith(row.path)) {
              throw badRequest('parent_id is this location or one of its descendants', [
                {
                  field: 'parent_id',
                  message: 'is this location or below it: a location cannot move under itself',
                },
              ]);
            }
          }
          const newDepth = parent ? Number(parent.depth) + 1 : 0;
          const delta = newDepth - Number(row.depth);
          if ((await store.maxDepthUnder(trx, row.path)) + delta >= MAX_LOCATION_LEVELS)
            throw tooDeep('parent_id');
          moved = await store.moveSubtree(trx, {
            id,
            parentId: parent ? parent.id : null,
            oldPath: row.path,
            newPath: `${parent ? parent.path : '/'}${id}/`,
            depthDelta: delta,
            at: now,
          });
          const codes = await store.codesByIds(trx, row.parent_id ? [row.parent_id] : []);
          note('parent_id', row.parent_id, parent ? parent.id : null);
          note(
            'parent_code',
            row.parent_id ? (codes.get(row.parent_id) ?? null) : null,
            parent?.code ?? null,
          );
        }
        const changes: store.LocationChanges = { updated_at: now };
        if (input.name !== undefined) changes.name = input.name.trim();
        if (input.kind !== undefined) changes.kind = trimmedKind(input.kind);
        if (input.active !== undefined) changes.active = input.active ? 1 : 0;
        if (barcode !== undefined && barcode !== row.barcode) {
          if (barcode !== null) {
            const owner = await store.findLocationByBarcode(trx, barcode);
            if (owner && owner.id !== id)
              throw conflict(`Another location already has barcode ${barcode}`, 'LOCATION_BARCODE_TAKEN');
          }
          changes.barcode = barcode;
        }
        try {
          await store.updateLocation(trx, id, changes);
        } catch (error) {
          throw takenError(error, barcode) ?? error;
        }
        if (changes.name !== undefined) note('name', row.name, changes.name);
        if (changes.kind !== undefined) note('kind', row.kind, changes.kind);
        if (changes.barcode !== undefined) note('barcode', row.barcode, changes.barcode);
        if (changes.active !== undefined) note('active', row.active === 1, changes.active === 1);
        const warehouse = await store.findWarehouseById(trx, row.warehouse_id);
        record({
          type: 'DATA_UPDATE',
          action: 'location.update',
          resource: { type: 'location', id },
          details: {
            warehouse_id: row.warehouse_id,
            warehouse_code: warehouse?.code ?? null,
            code: row.code,
            changes: changed,
            // The location and every descendant whose path changed with it.
            ...(moving ? { locations_moved: moved } : {}),
          },
        });
      });
      return toLocation(await load(id));
    },
  };
}
