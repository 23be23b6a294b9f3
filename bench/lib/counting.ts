import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../server/src/platform/db/schema.ts';
import { catalogueItem, insertCatalogue } from './catalogue.ts';
import type { Product } from './product.ts';
import { expectOk } from './session.ts';

/**
 * A counting floor for the counting benchmarks: one warehouse, `locations` root locations (bins)
 * and every catalogue item 0…items-1 stocked at every location, so items × locations
 * item-locations. Written into a migrated product database (the product stopped, or not yet
 * started) through Kysely, so on either dialect, as the product stores them.
 */
export interface Floor {
  warehouseId: string;
  locationIds: string[];
  items: number;
  /** items × locations. */
  stockLevels: number;
}

const BATCH = 500;

export async function seedFloor(
  db: Kysely<Database>,
  options: { items: number; locations: number; timestamp: string },
): Promise<Floor> {
  const { items, locations, timestamp } = options;
  await insertCatalogue(db, items, timestamp);
  const warehouseId = randomUUID();
  const locationIds = Array.from({ length: locations }, () => randomUUID());
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('warehouses')
      .values({
        id: warehouseId,
        code: 'WH-BENCH',
        name: 'Bench warehouse',
        active: 1,
        created_at: timestamp,
        updated_at: timestamp,
      })
      .execute();
    for (let start = 0; start < locations; start += BATCH) {
      await trx
        .insertInto('locations')
        .values(
          locationIds.slice(start, start + BATCH).map((id, i) => ({
            id,
            warehouse_id: warehouseId,
            parent_id: null,
            code: `BIN-${String(start + i).padStart(5, '0')}`,
            name: `Bin ${start + i}`,
            kind: 'bin',
            barcode: null,
            path: `/${id}/`,
            depth: 0,
            active: 1,
            created_at: timestamp,
            updated_at: timestamp,
          })),
        )
        .execute();
    }
    let batch: Database['stock_levels'][] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await trx.insertInto('stock_levels').values(batch).execute();
      batch = [];
    };
    for (const [l, locationId] of locationIds.entries()) {
      for (let index = 0; index < items; index += 1) {
        batch.push({
          id: randomUUID(),
          item_id: catalogueItem(index).id,
          location_id: locationId,
          lot: '',
          quantity_e3: ((index + l) % 50) * 1000 + 1000,
          source: 'import',
          as_of: timestamp,
          updated_at: timestamp,
        });
        if (batch.length === BATCH) await flush();
      }
    }
    await flush();
  });
  return { warehouseId, locationIds, items, stockLevels: items * locations };
}

/** A session as the API answers it (the fields read here). */
export interface SessionAnswer {
  id: string;
  status: string;
  version: number;
}

const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });

/** POST /api/count-sessions: a standard-mode draft over the whole warehouse. */
export async function createSession(
  product: Product,
  headers: Record<string, string>,
  warehouseId: string,
  name: string,
): Promise<SessionAnswer> {
  const answer = await fetch(`${product.url}/api/count-sessions`, {
    method: 'POST',
    headers: json(headers),
    body: JSON.stringify({ name, warehouse_id: warehouseId, mode: 'standard' }),
  });
  return JSON.parse(await expectOk(answer, 'POST /api/count-sessions', 201)) as SessionAnswer;
}

/** POST /api/count-sessions/:id/start; returns the session and the milliseconds the call took. */
export async function startSession(
  product: Product,
  headers: Record<string, string>,
  sessionId: string,
): Promise<{ session: SessionAnswer; ms: number }> {
  const started = performance.now();
  const answer = await fetch(`${product.url}/api/count-sessions/${sessionId}/start`, {
    method: 'POST',
    headers: json(headers),
    body: '{}',
  });
  const text = await expectOk(answer, `POST /api/count-sessions/${sessionId}/start`);
  const ms = performance.now() - started;
  const session = JSON.parse(text) as SessionAnswer;
  if (session.status !== 'counting') throw new Error(`the started session is ${session.status}`);
  return { session, ms };
}

/** The signed-in user's id (GET /api/auth/me). */
export async function userIdOf(product: Product, headers: Record<string, string>): Promise<string> {
  const me = JSON.parse(
    await expectOk(await fetch(`${product.url}/api/auth/me`, { headers }), 'GET /api/auth/me'),
  ) as { user?: { id?: unknown } };
  if (typeof me.user?.id !== 'string') throw new Error('GET /api/auth/me answered no user id');
  return me.user.id;
}

/** The scanned code of item `index` at location `l` of the floor, the n-th entry of a sequence. */
export function entryTarget(floor: Floor, n: number): { locationId: string; barcode: string } {
  // Consecutive entries spread over items and locations: n walks the item-locations in a stride.
  const pair = (n * 7919) % floor.stockLevels;
  return {
    locationId: floor.locationIds[pair % floor.locationIds.length] as string,
    barcode: catalogueItem(Math.floor(pair / floor.locationIds.length) % floor.items).ean13,
  };
}

export async function countRows(
  db: Kysely<Database>,
  table: 'count_entries' | 'count_snapshot' | 'count_lines',
  sessionId: string,
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
