import type { CounterDb, OutboxEntry, QueuedVoid, ScannedItem } from './counter-db.ts';

/**
 * The offline outbox: every entry is written to IndexedDB first and only then sent, in batches,
 * through POST /api/sync/batch. The server is idempotent on client_id, so sending an entry twice
 * (a reply lost on the way back, two tabs) is harmless; what must never happen is an entry lost.
 *
 * - accepted / duplicate: the server holds it, it leaves the outbox;
 * - conflict: it stays, marked with the server's reason, until the counter undoes or dismisses it
 *   (a conflict is never retried by itself: the same entry would get the same answer);
 * - the request failed (offline, 5xx, timeout): everything stays pending for the next attempt.
 */

/** One entry as /api/sync/batch takes it. */
export interface SyncEntry {
  client_id: string;
  session_id: string;
  location_id: string;
  barcode?: string;
  item_id?: string;
  quantity: string;
  uom?: string | null;
  lot?: string | null;
  serial?: string | null;
  device_id?: string | null;
  counted_at: string;
}

export interface SyncResult {
  index: number;
  client_id: string | null;
  result: 'accepted' | 'duplicate' | 'conflict';
  reason?: string;
  message?: string;
  captured?: boolean;
  entry_id?: string;
}

export interface SyncAnswer {
  results: SyncResult[];
}

/** What became of a void: done (or nothing left to void), try again later, or refused for good. */
export type VoidOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; message: string }
  | { kind: 'failed'; message: string };

/** The network side, injected so the outbox can be tested without a server. */
export interface SyncTransport {
  /** Throws when the batch as a whole did not get through (offline, 5xx, timeout). */
  syncBatch(entries: SyncEntry[]): Promise<SyncAnswer>;
  voidEntry(entryId: string, reason: string): Promise<VoidOutcome>;
}

export interface NewEntry {
  user_id: string;
  session_id: string;
  location_id: string;
  barcode: string | null;
  item_id?: string | null;
  quantity: string;
  uom?: string | null;
  lot?: string | null;
  serial?: string | null;
  device_id?: string | null;
  item: ScannedItem | null;
}

export interface FlushReport {
  sent: number;
  accepted: number;
  duplicate: number;
  conflict: number;
  voided: number;
  /** Why the last attempt stopped short, or null when everything went through. */
  error: string | null;
}

export const UNDO_REASON = 'undo';
/** Well under the server's 1,000: a batch on a weak connection should not take long to land. */
export const BATCH_SIZE = 100;

export function toSyncEntry(entry: OutboxEntry): SyncEntry {
  const wire: SyncEntry = {
    client_id: entry.client_id,
    session_id: entry.session_id,
    location_id: entry.location_id,
    quantity: entry.quantity,
    counted_at: entry.counted_at,
  };
  if (entry.barcode) wire.barcode = entry.barcode;
  if (entry.item_id) wire.item_id = entry.item_id;
  if (entry.uom) wire.uom = entry.uom;
  if (entry.lot) wire.lot = entry.lot;
  if (entry.serial) wire.serial = entry.serial;
  if (entry.device_id) wire.device_id = entry.device_id;
  return wire;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class Outbox {
  /** Entries in the request being sent now: an undo of one of them must wait for its answer. */
  private readonly inFlight = new Set<string>();
  private running: Promise<FlushReport> | null = null;
  private lastQueuedAt = 0;

  constructor(
    readonly db: CounterDb,
    private readonly transport: SyncTransport,
    private readonly newId: () => string = () => crypto.randomUUID(),
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Writes the entry to the outbox; sending is up to flush(). */
  async add(input: NewEntry): Promise<OutboxEntry> {
    // Strictly increasing, so two scans in the same millisecond keep their order.
    const queuedAt = Math.max(this.now(), this.lastQueuedAt + 1);
    this.lastQueuedAt = queuedAt;
    const entry: OutboxEntry = {
      client_id: this.newId(),
      user_id: input.user_id,
      session_id: input.session_id,
      location_id: input.location_id,
      barcode: input.barcode,
      item_id: input.item_id ?? null,
      quantity: input.quantity,
      uom: input.uom ?? null,
      lot: input.lot ?? null,
      serial: input.serial ?? null,
      device_id: input.device_id ?? null,
      counted_at: new Date(queuedAt).toISOString(),
      queued_at: queuedAt,
      item: input.item,
      state: 'pending',
      undone: false,
      attempts: 0,
      last_error: null,
      reason: null,
      message: null,
      captured: false,
      entry_id: null,
    };
    await this.db.outbox.add(entry);
    return entry;
  }

  /**
   * Takes back an entry of the outbox: never sent, it is simply removed; on its way right now, it
   * is voided once the server has it; a conflict the server stored anyway is voided there too.
   */
  async undo(clientId: string): Promise<void> {
    const { outbox, voids } = this.db;
    await this.db.transaction('rw', outbox, voids, async () => {
      const entry = await outbox.get(clientId);
      if (!entry) return;
      if (this.inFlight.has(clientId)) {
        await outbox.update(clientId, { undone: true });
        return;
      }
      if (entry.state === 'conflict' && entry.captured && entry.entry_id) {
        await voids.put(this.voidOf(entry, entry.entry_id));
      }
      await outbox.delete(clientId);
    });
  }

  /** Forgets a conflict's note and leaves the entry as the server keeps it (stored or not). */
  async dismiss(clientId: string): Promise<void> {
    await this.db.outbox.delete(clientId);
  }

  /** Undoes an entry the server already holds: a void, queued like the entries. */
  async voidSynced(entry: {
    id: string;
    client_id: string;
    session_id: string;
    location_id: string;
    user_id: string;
  }): Promise<void> {
    await this.db.voids.put({
      entry_id: entry.id,
      user_id: entry.user_id,
      client_id: entry.client_id,
      session_id: entry.session_id,
      location_id: entry.location_id,
      reason: UNDO_REASON,
      queued_at: this.now(),
      attempts: 0,
      last_error: null,
    });
  }

  /** Entries and voids of this user not yet on the server (conflicts are not counted: they wait for the counter). */
  async pendingCount(userId: string): Promise<number> {
    const entries = await this.db.outbox
      .where('user_id')
      .equals(userId)
      .filter((entry) => entry.state === 'pending' && !entry.undone)
      .count();
    const voids = await this.db.voids.where('user_id').equals(userId).count();
    return entries + voids;
  }

  /**
   * Sends this user's pending entries, then their voids. One run at a time: a call while a run is
   * going joins it, so an `online` event, the interval and a button press never send twice at once.
   */
  flush(userId: string): Promise<FlushReport> {
    if (!this.running) {
      this.running = this.run(userId).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async run(userId: string): Promise<FlushReport> {
    const report: FlushReport = { sent: 0, accepted: 0, duplicate: 0, conflict: 0, voided: 0, error: null };
    for (;;) {
      const batch = await this.nextBatch(userId);
      if (batch.length === 0) break;
      for (const entry of batch) this.inFlight.add(entry.client_id);
      let answer: SyncAnswer;
      try {
        answer = await this.transport.syncBatch(batch.map(toSyncEntry));
      } catch (error) {
        report.error = errorText(error);
        await this.noteFailure(batch, report.error);
        return report;
      } finally {
        for (const entry of batch) this.inFlight.delete(entry.client_id);
      }
      report.sent += batch.length;
      await this.settle(batch, answer, report);
      if (batch.length < BATCH_SIZE) break;
    }
    await this.sendVoids(userId, report);
    return report;
  }

  private async nextBatch(userId: string): Promise<OutboxEntry[]> {
    const mine = await this.db.outbox
      .where('user_id')
      .equals(userId)
      .filter((entry) => entry.state === 'pending')
      .sortBy('queued_at');
    // Undone while waiting and never sent: nothing to tell the server.
    const dropped = mine.filter((entry) => entry.undone).map((entry) => entry.client_id);
    if (dropped.length > 0) await this.db.outbox.bulkDelete(dropped);
    return mine.filter((entry) => !entry.undone).slice(0, BATCH_SIZE);
  }

  private async noteFailure(batch: OutboxEntry[], message: string): Promise<void> {
    await this.db.transaction('rw', this.db.outbox, async () => {
      for (const sent of batch) {
        const entry = await this.db.outbox.get(sent.client_id);
        if (entry) {
          await this.db.outbox.update(sent.client_id, {
            attempts: entry.attempts + 1,
            last_error: message,
          });
        }
      }
    });
  }

  private async settle(batch: OutboxEntry[], answer: SyncAnswer, report: FlushReport): Promise<void> {
    const { outbox, voids } = this.db;
    await this.db.transaction('rw', outbox, voids, async () => {
      for (const result of answer.results) {
        const sent = batch[result.index];
        // A result that does not line up with what was sent is ignored: the entry stays and goes again.
        if (!sent || (result.client_id !== null && result.client_id !== sent.client_id)) continue;
        const entry = await outbox.get(sent.client_id);
        if (!entry) continue;
        const storedId = result.entry_id ?? null;
        if (result.result === 'accepted' || result.result === 'duplicate') {
          report[result.result] += 1;
          if (entry.undone && storedId) await voids.put(this.voidOf(entry, storedId));
          await outbox.delete(entry.client_id);
          continue;
        }
        report.conflict += 1;
        if (entry.undone) {
          if (result.captured && storedId) await voids.put(this.voidOf(entry, storedId));
          await outbox.delete(entry.client_id);
          continue;
        }
        await outbox.update(entry.client_id, {
          state: 'conflict',
          reason: result.reason ?? 'conflict',
          message: result.message ?? null,
          captured: result.captured === true,
          entry_id: storedId,
          last_error: null,
        });
      }
    });
  }

  private async sendVoids(userId: string, report: FlushReport): Promise<void> {
    const queued = await this.db.voids.where('user_id').equals(userId).sortBy('queued_at');
    for (const queuedVoid of queued) {
      let outcome: VoidOutcome;
      try {
        outcome = await this.transport.voidEntry(queuedVoid.entry_id, queuedVoid.reason);
      } catch (error) {
        outcome = { kind: 'retry', message: errorText(error) };
      }
      if (outcome.kind === 'retry') {
        report.error = outcome.message;
        await this.db.voids.update(queuedVoid.entry_id, {
          attempts: queuedVoid.attempts + 1,
          last_error: outcome.message,
        });
        return;
      }
      if (outcome.kind === 'done') report.voided += 1;
      else report.error = outcome.message;
      await this.db.voids.delete(queuedVoid.entry_id);
    }
  }

  private voidOf(entry: OutboxEntry, entryId: string): QueuedVoid {
    return {
      entry_id: entryId,
      user_id: entry.user_id,
      client_id: entry.client_id,
      session_id: entry.session_id,
      location_id: entry.location_id,
      reason: UNDO_REASON,
      queued_at: this.now(),
      attempts: 0,
      last_error: null,
    };
  }
}
