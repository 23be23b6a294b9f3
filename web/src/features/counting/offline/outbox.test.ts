import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { CounterDb } from './counter-db.ts';
import { resolveBarcode } from './lookups.ts';
import {
  type NewEntry,
  Outbox,
  type SyncAnswer,
  type SyncEntry,
  type SyncTransport,
  type VoidOutcome,
} from './outbox.ts';

/**
 * The outbox on an in-memory IndexedDB (fake-indexeddb), with a scripted server: what survives a
 * reload, what a failed send leaves behind, and what each per-entry result does to the outbox.
 */

const USER = 'user-1';
const opened: CounterDb[] = [];
let dbCounter = 0;

function openDb(name: string): CounterDb {
  const db = new CounterDb(name, { indexedDB, IDBKeyRange });
  opened.push(db);
  return db;
}

// Every test has its own database name, so closing is enough: nothing is shared between tests.
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

type Reply = (entries: SyncEntry[]) => SyncAnswer | Promise<SyncAnswer>;

/** A server that answers each batch with the next scripted reply, or accepts everything when none is left. */
function fakeServer(...replies: Reply[]) {
  const batches: SyncEntry[][] = [];
  const voids: string[] = [];
  const voidOutcomes: VoidOutcome[] = [];
  const transport: SyncTransport = {
    async syncBatch(entries) {
      batches.push(entries);
      const reply = replies.shift();
      if (reply) return reply(entries);
      return accept(entries);
    },
    async voidEntry(entryId) {
      const outcome = voidOutcomes.shift() ?? { kind: 'done' };
      if (outcome.kind === 'done') voids.push(entryId);
      return outcome;
    },
  };
  return { transport, batches, voids, voidOutcomes };
}

const accept: Reply = (entries) => ({
  results: entries.map((entry, index) => ({
    index,
    client_id: entry.client_id,
    result: 'accepted' as const,
    entry_id: `server-${entry.client_id}`,
  })),
});
const offline: Reply = () => {
  throw new Error('Cannot reach the server. Check the connection and try again.');
};

function newEntry(fields: Partial<NewEntry> = {}): NewEntry {
  return {
    user_id: USER,
    session_id: 'session-1',
    location_id: 'location-1',
    barcode: '4006381333931',
    quantity: '1',
    item: null,
    ...fields,
  };
}

describe('offline outbox', () => {
  it('keeps queued entries across a reload (a new database instance) and sends them after it', async () => {
    const name = `outbox-reload-${++dbCounter}`;
    const before = new Outbox(openDb(name), fakeServer(offline).transport);
    const first = await before.add(newEntry({ quantity: '2' }));
    const second = await before.add(newEntry({ barcode: 'CASE-12', quantity: '1.5' }));
    expect((await before.flush(USER)).error).toMatch(/Cannot reach the server/);
    expect(await before.pendingCount(USER)).toBe(2);
    before.db.close();

    const server = fakeServer();
    const after = new Outbox(openDb(name), server.transport);
    const stored = await after.db.outbox.orderBy('queued_at').toArray();
    expect(stored.map((entry) => [entry.client_id, entry.quantity, entry.attempts])).toEqual([
      [first.client_id, '2', 1],
      [second.client_id, '1.5', 1],
    ]);
    expect(await after.pendingCount(USER)).toBe(2);

    const report = await after.flush(USER);
    expect(report).toMatchObject({ sent: 2, accepted: 2, error: null });
    expect(server.batches).toHaveLength(1);
    expect(server.batches[0]?.map((entry) => entry.client_id)).toEqual([first.client_id, second.client_id]);
    expect(await after.pendingCount(USER)).toBe(0);
  });

  it('replays a batch whose send failed, with the same client ids, and then clears it', async () => {
    const server = fakeServer(offline);
    const outbox = new Outbox(openDb(`outbox-replay-${++dbCounter}`), server.transport);
    await outbox.add(newEntry());
    await outbox.add(newEntry({ quantity: '3' }));

    const failed = await outbox.flush(USER);
    expect(failed.sent).toBe(0);
    expect(failed.error).not.toBeNull();
    const waiting = await outbox.db.outbox.toArray();
    expect(waiting.map((entry) => entry.last_error)).toEqual([failed.error, failed.error]);

    const replayed = await outbox.flush(USER);
    expect(replayed).toMatchObject({ sent: 2, accepted: 2, error: null });
    expect(server.batches.map((batch) => batch.map((entry) => entry.client_id))).toEqual([
      server.batches[0]?.map((entry) => entry.client_id),
      server.batches[0]?.map((entry) => entry.client_id),
    ]);
    expect(await outbox.db.outbox.count()).toBe(0);
  });

  it('keeps a conflict on its entry with the reason, and does not send it again', async () => {
    const server = fakeServer((entries) => ({
      results: entries.map((entry, index) =>
        index === 0
          ? {
              index,
              client_id: entry.client_id,
              result: 'conflict' as const,
              reason: 'not_assigned',
              message: 'You are not assigned to this location',
            }
          : { index, client_id: entry.client_id, result: 'accepted' as const, entry_id: 'e-2' },
      ),
    }));
    const outbox = new Outbox(openDb(`outbox-conflict-${++dbCounter}`), server.transport);
    const refused = await outbox.add(newEntry());
    await outbox.add(newEntry({ quantity: '4' }));

    const report = await outbox.flush(USER);
    expect(report).toMatchObject({ sent: 2, accepted: 1, conflict: 1 });
    const kept = await outbox.db.outbox.toArray();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      client_id: refused.client_id,
      state: 'conflict',
      reason: 'not_assigned',
      message: 'You are not assigned to this location',
      captured: false,
    });
    // Shown, but no longer waiting to sync, and never sent again.
    expect(await outbox.pendingCount(USER)).toBe(0);
    await outbox.flush(USER);
    expect(server.batches).toHaveLength(1);

    await outbox.dismiss(refused.client_id);
    expect(await outbox.db.outbox.count()).toBe(0);
  });

  it('clears an entry the server answers as a duplicate (it was stored by an earlier, lost reply)', async () => {
    const server = fakeServer((entries) => ({
      results: entries.map((entry, index) => ({
        index,
        client_id: entry.client_id,
        result: 'duplicate' as const,
        entry_id: 'stored-before',
      })),
    }));
    const outbox = new Outbox(openDb(`outbox-duplicate-${++dbCounter}`), server.transport);
    await outbox.add(newEntry());
    expect(await outbox.flush(USER)).toMatchObject({ duplicate: 1, conflict: 0, error: null });
    expect(await outbox.db.outbox.count()).toBe(0);
    expect(await outbox.pendingCount(USER)).toBe(0);
  });

  it('undo: a pending entry is removed, a captured conflict and a synced entry are voided', async () => {
    const server = fakeServer((entries) => ({
      results: entries.map((entry, index) => ({
        index,
        client_id: entry.client_id,
        result: 'conflict' as const,
        reason: 'unknown_item',
        captured: true,
        entry_id: 'captured-1',
      })),
    }));
    const outbox = new Outbox(openDb(`outbox-undo-${++dbCounter}`), server.transport);
    const unknown = await outbox.add(newEntry({ barcode: 'MYSTERY' }));
    await outbox.flush(USER);
    expect((await outbox.db.outbox.get(unknown.client_id))?.reason).toBe('unknown_item');

    const never = await outbox.add(newEntry());
    await outbox.undo(never.client_id);
    expect(await outbox.db.outbox.get(never.client_id)).toBeUndefined();

    await outbox.undo(unknown.client_id);
    await outbox.voidSynced({
      id: 'synced-7',
      client_id: 'c-7',
      session_id: 'session-1',
      location_id: 'location-1',
      user_id: USER,
    });
    expect(await outbox.pendingCount(USER)).toBe(2);
    server.voidOutcomes.push({ kind: 'retry', message: 'offline' });
    expect((await outbox.flush(USER)).error).toBe('offline');
    expect(await outbox.pendingCount(USER)).toBe(2);
    expect(await outbox.flush(USER)).toMatchObject({ voided: 2, error: null });
    expect(server.voids).toEqual(['captured-1', 'synced-7']);
    expect(server.batches).toHaveLength(1);
    expect(await outbox.pendingCount(USER)).toBe(0);
  });

  it('undo while the entry is on its way: voided once the server has it', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = fakeServer(async (entries) => {
      await gate;
      return accept(entries);
    });
    const outbox = new Outbox(openDb(`outbox-inflight-${++dbCounter}`), server.transport);
    const entry = await outbox.add(newEntry());
    const sending = outbox.flush(USER);
    await expect.poll(() => server.batches.length).toBe(1);
    await outbox.undo(entry.client_id);
    expect((await outbox.db.outbox.get(entry.client_id))?.undone).toBe(true);
    release();
    await sending;
    await outbox.flush(USER);
    expect(server.voids).toEqual([`server-${entry.client_id}`]);
    expect(await outbox.db.outbox.count()).toBe(0);
  });

  it('sends only the signed-in user’s entries from a shared device', async () => {
    const server = fakeServer();
    const outbox = new Outbox(openDb(`outbox-users-${++dbCounter}`), server.transport);
    await outbox.add(newEntry());
    await outbox.add(newEntry({ user_id: 'someone-else' }));
    await outbox.flush(USER);
    expect(server.batches.flat()).toHaveLength(1);
    expect(await outbox.pendingCount('someone-else')).toBe(1);
  });

  it('looks barcodes up on the server, and offline in what the device learned before', async () => {
    const db = openDb(`lookups-${++dbCounter}`);
    const widget = {
      item_id: 'i-1',
      item_code: 'WID-1',
      name: 'Widget',
      base_uom: 'EA',
      pack_qty: 12,
      tracking: 'none' as const,
    };
    expect(await resolveBarcode(db, 'CASE', async () => widget)).toEqual({ item: widget, source: 'server' });
    expect(await resolveBarcode(db, 'NOPE', async () => null)).toEqual({ item: null, source: 'server' });
    const down = async () => {
      throw new Error('offline');
    };
    expect(await resolveBarcode(db, 'CASE', down)).toEqual({ item: widget, source: 'cache' });
    expect(await resolveBarcode(db, 'NOPE', down)).toEqual({ item: null, source: 'cache' });
    expect(await resolveBarcode(db, 'NEVER-SEEN', down)).toEqual({ item: null, source: 'none' });
  });
});
