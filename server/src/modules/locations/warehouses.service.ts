import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import { isUniqueViolation } from '../../platform/db/unique-violation.ts';
import { conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext, JsonObject, JsonValue } from '../audit/events.ts';
import * as store from './locations.store.ts';

export interface Warehouse {
  id: string;
  code: string;
  name: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}

/** Every change is recorded in the audit trail, in the same transaction, under `context`. */
export interface WarehousesService {
  create(input: { code: string; name: string }, context: AuditContext): Promise<Warehouse>;
  get(id: string): Promise<Warehouse>;
  list(filter: { active?: boolean; cursor?: string; limit: number }): Promise<Page<Warehouse>>;
  update(id: string, input: { name?: string; active?: boolean }, context: AuditContext): Promise<Warehouse>;
}

export function toWarehouse(row: store.WarehouseRow): Warehouse {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    active: row.active === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function createWarehousesService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}): WarehousesService {
  const { db, clock, ids, audit } = deps;

  async function load(id: string): Promise<store.WarehouseRow> {
    const row = await store.findWarehouseById(db, id);
    if (!row) throw notFound('Warehouse');
    return row;
  }

  return {
    async create(input, context) {
      const now = clock.now().toISOString();
      const row: store.WarehouseRow = {
        id: ids.uuid(),
        code: input.code,
        name: input.name.trim(),
        active: 1,
        created_at: now,
        updated_at: now,
      };
      try {
        await audit.transaction(context, async (trx, record) => {
          await store.insertWarehouse(trx, row);
          record({
            type: 'DATA_CREATE',
            action: 'warehouse.create',
            resource: { type: 'warehouse', id: row.id },
            details: { code: row.code, name: row.name },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict(`A warehouse with code ${input.code} already exists`, 'WAREHOUSE_CODE_TAKEN');
        throw error;
      }
      return toWarehouse(row);
    },

    async get(id) {
      return toWarehouse(await load(id));
    },

    async list(filter) {
      const after = filter.cursor
        ? decodeCursor<[string]>(filter.cursor, (key) => key.length === 1 && typeof key[0] === 'string')[0]
        : undefined;
      const rows = await store.listWarehouses(db, {
        ...(filter.active !== undefined ? { active: filter.active } : {}),
        ...(after !== undefined ? { afterCode: after } : {}),
        limit: filter.limit + 1,
      });
      return toPage(rows, filter.limit, toWarehouse, (row) => [row.code]);
    },

    async update(id, input, context) {
      const changes: store.WarehouseChanges = { updated_at: clock.now().toISOString() };
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.active !== undefined) changes.active = input.active ? 1 : 0;
      await audit.transaction(context, async (trx, record) => {
        const row = await store.findWarehouseById(trx, id);
        if (!row) throw notFound('Warehouse');
        await store.updateWarehouse(trx, id, changes);
        const changed: JsonObject = {};
        const note = (field: string, old: JsonValue, next: JsonValue) => {
          if (old !== next) changed[field] = { old, new: next };
        };
        if (changes.name !== undefined) note('name', row.name, changes.name);
        if (changes.active !== undefined) note('active', row.active === 1, changes.active === 1);
        record({
          type: 'DATA_UPDATE',
          action: 'warehouse.update',
          resource: { type: 'warehouse', id },
          details: { code: row.code, changes: changed },
        });
      });
      return toWarehouse(await load(id));
    },
  };
}
