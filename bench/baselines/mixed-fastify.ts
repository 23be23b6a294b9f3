import { createHash, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { openDb } from '../../server/src/platform/db/database.ts';

/**
 * The baseline of `mixed-load`: the same routes and the same request mix, answered by Fastify 5
 * (no plugins, no hooks, logger off) doing only the database work each request cannot do without,
 * on the same database through the product's own driver set-up (openDb: SQLite in WAL, or a
 * PostgreSQL pool). No authentication, session or role check, no validation schema, no rate
 * limit or IP filter, no audit entry, no metrics, no log line:
 *
 * - lookup: one SELECT of the item joined with its barcode (404 when unknown);
 * - entry: in one transaction, the item's id by barcode, the INSERT of the entry (idempotent on
 *   client_id) and the UPDATE of its line's counted quantity; 201;
 * - heartbeat: one UPDATE of the claim's heartbeat and expiry;
 * - progress, sessions, session, lines: one SELECT each (a page of 50, or one row);
 * - approve / reject: one UPDATE of the line's status.
 *
 * Env: PORT, HOST, BASELINE_SQLITE_FILE or BASELINE_PG_URL (+ BASELINE_PG_SCHEMA), BASELINE_USER_ID
 * (who the entries are counted by: the bench has no session to tell).
 */

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`mixed-fastify: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('PORT'));
const host = process.env.HOST ?? '127.0.0.1';
const userId = required('BASELINE_USER_ID');
const pgUrl = process.env.BASELINE_PG_URL;
const handle = pgUrl
  ? openDb({ databaseUrl: pgUrl, pgSchema: required('BASELINE_PG_SCHEMA') })
  : openDb({ databaseUrl: null, sqliteFile: required('BASELINE_SQLITE_FILE') });
const { db } = handle;

const app = Fastify({ logger: false });
const gtin = (code: string) => code.padStart(14, '0');

app.get('/ready', async () => ({ ok: true }));

app.get<{ Querystring: { barcode?: string } }>('/api/items/lookup', async (request, reply) => {
  const row = await db
    .selectFrom('item_barcodes as b')
    .innerJoin('items as i', 'i.id', 'b.item_id')
    .selectAll('i')
    .select(['b.barcode', 'b.pack_qty_e3', 'b.kind'])
    .where('b.barcode', '=', gtin(String(request.query.barcode ?? '')))
    .executeTakeFirst();
  if (!row) return reply.status(404).send({ error: { code: 'NOT_FOUND' } });
  return { item: row, barcode: { barcode: row.barcode, pack_qty: row.pack_qty_e3 / 1000, kind: row.kind } };
});

interface EntryBody {
  client_id: string;
  location_id: string;
  barcode: string;
  quantity: number;
  device_id?: string;
}

app.post<{ Params: { id: string }; Body: EntryBody }>(
  '/api/count-sessions/:id/entries',
  async (request, reply) => {
    const body = request.body;
    const now = new Date().toISOString();
    const id = randomUUID();
    await db.transaction().execute(async (trx) => {
      const item = await trx
        .selectFrom('item_barcodes')
        .select('item_id')
        .where('barcode', '=', gtin(body.barcode))
        .executeTakeFirst();
      const quantity = Math.round(Number(body.quantity) * 1000);
      await trx
        .insertInto('count_entries')
        .values({
          id,
          client_id: body.client_id,
          content_hash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
          session_id: request.params.id,
          location_id: body.location_id,
          item_id: item?.item_id ?? null,
          barcode: body.barcode,
          lot: '',
          serial: null,
          quantity_e3: quantity,
          entered_qty_e3: quantity,
          pack_qty_e3: 1000,
          uom: null,
          round: 1,
          counted_by: userId,
          device_id: body.device_id ?? null,
          counted_at: now,
          received_at: now,
          voided_at: null,
          voided_by: null,
          void_reason: null,
        })
        .onConflict((conflict) => conflict.column('client_id').doNothing())
        .execute();
      if (item) {
        await trx
          .updateTable('count_lines')
          .set((eb) => ({
            counted_qty_e3: eb(eb.fn.coalesce('counted_qty_e3', eb.lit(0)), '+', quantity),
            entry_count: eb('entry_count', '+', 1),
            updated_at: now,
          }))
          .where('session_id', '=', request.params.id)
          .where('location_id', '=', body.location_id)
          .where('item_id', '=', item.item_id)
          .execute();
      }
    });
    return reply.status(201).send({ result: 'accepted', entry: { id, client_id: body.client_id } });
  },
);

app.post<{ Params: { id: string }; Body: { session_id: string } }>(
  '/api/locations/:id/claim',
  async (request) => {
    const now = new Date();
    await db
      .updateTable('count_claims')
      .set({ heartbeat_at: now.toISOString(), expires_at: new Date(now.getTime() + 300_000).toISOString() })
      .where('session_id', '=', request.body.session_id)
      .where('location_id', '=', request.params.id)
      .execute();
    return { location_id: request.params.id, session_id: request.body.session_id };
  },
);

app.get<{ Querystring: { session_id: string } }>('/api/my/assignments', async (request) => ({
  items: await db
    .selectFrom('count_assignments')
    .selectAll()
    .where('session_id', '=', request.query.session_id)
    .where('user_id', '=', userId)
    .limit(50)
    .execute(),
  next_cursor: null,
}));

app.get<{ Querystring: { status?: string } }>('/api/count-sessions', async (request) => ({
  items: await db
    .selectFrom('count_sessions')
    .selectAll()
    .where('status', '=', (request.query.status ?? 'counting') as 'counting')
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute(),
  next_cursor: null,
}));

app.get<{ Params: { id: string } }>('/api/count-sessions/:id', async (request) =>
  db.selectFrom('count_sessions').selectAll().where('id', '=', request.params.id).executeTakeFirst(),
);

app.get<{ Params: { id: string }; Querystring: { status?: string; limit?: string; has_variance?: string } }>(
  '/api/count-sessions/:id/lines',
  async (request) => {
    let query = db
      .selectFrom('count_lines')
      .selectAll()
      .where('session_id', '=', request.params.id)
      .orderBy('id')
      .limit(Number(request.query.limit ?? 50));
    if (request.query.status) query = query.where('status', '=', request.query.status as 'review');
    if (request.query.has_variance === 'true') query = query.where('counted_qty_e3', 'is not', null);
    return { items: await query.execute(), next_cursor: null };
  },
);

for (const [step, status] of [
  ['approve', 'approved'],
  ['reject', 'recount'],
] as const) {
  app.post<{ Params: { id: string } }>(`/api/count-lines/:id/${step}`, async (request) => {
    await db
      .updateTable('count_lines')
      .set({ status, decided_by: userId, decided_at: new Date().toISOString() })
      .where('id', '=', request.params.id)
      .execute();
    return { id: request.params.id, status };
  });
}

const shutdown = async () => {
  await app.close();
  await handle.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

await app.listen({ port, host });
