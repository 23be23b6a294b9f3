import { Dexie, type EntityTable } from 'dexie';

/**
 * What a counter's device keeps in IndexedDB, so a count survives lost Wi-Fi and a reload: the
 * outbox of entries not yet on the server, the voids (undos) not yet sent, the barcode lookups
 * already made (for scanning offline), and the locations finished on this device.
 */

/** What an item scan resolved to, kept for showing the entry while it waits to sync. */
export interface ScannedItem {
  item_id: string;
  item_code: string;
  name: string;
  base_uom: string;
  /** Base units one scan of this barcode stands for (a case of 12: 12). */
  pack_qty: number;
  tracking: 'none' | 'lot' | 'serial';
}

export type OutboxState = 'pending' | 'conflict';

export interface OutboxEntry {
  client_id: string;
  /** Whose entry this is: a shared handheld only ever sends its signed-in user's entries. */
  user_id: string;
  session_id: string;
  location_id: string;
  barcode: string | null;
  item_id: string | null;
  /** As typed: decimal text, in the unit of the scanned barcode (the server applies the pack size). */
  quantity: string;
  uom: string | null;
  lot: string | null;
  serial: string | null;
  device_id: string | null;
  counted_at: string;
  /** Milliseconds since the epoch with a tie-breaker: the order entries were made in. */
  queued_at: number;
  /** null: the barcode was not known (yet) on this device. */
  item: ScannedItem | null;
  state: OutboxState;
  /** Undo was asked while the entry was on its way: once the server answers, it is voided there. */
  undone: boolean;
  attempts: number;
  last_error: string | null;
  /** The server's conflict, kept on the entry for the counter to see. */
  reason: string | null;
  message: string | null;
  /** The conflicting entry was stored all the same (unknown item, duplicate serial). */
  captured: boolean;
  entry_id: string | null;
}

/** An undo of an entry the server holds, waiting to be sent as a void. */
export interface QueuedVoid {
  entry_id: string;
  user_id: string;
  client_id: string;
  session_id: string;
  location_id: string;
  reason: string;
  queued_at: number;
  attempts: number;
  last_error: string | null;
}

export interface CachedLookup {
  /** The code as scanned, trimmed. */
  barcode: string;
  /** null: the server knows no item with this barcode. */
  item: ScannedItem | null;
  fetched_at: number;
}

export interface FinishedLocation {
  /** `${user_id}:${session_id}:${location_id}` */
  key: string;
  finished_at: string;
}

export class CounterDb extends Dexie {
  outbox!: EntityTable<OutboxEntry, 'client_id'>;
  voids!: EntityTable<QueuedVoid, 'entry_id'>;
  lookups!: EntityTable<CachedLookup, 'barcode'>;
  finished!: EntityTable<FinishedLocation, 'key'>;

  constructor(name = 'stock-verify-counter', options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, options);
    this.version(1).stores({
      outbox: 'client_id, user_id, queued_at, [session_id+location_id]',
      voids: 'entry_id, user_id, queued_at',
      lookups: 'barcode',
      finished: 'key',
    });
  }
}

export const finishedKey = (userId: string, sessionId: string, locationId: string) =>
  `${userId}:${sessionId}:${locationId}`;
