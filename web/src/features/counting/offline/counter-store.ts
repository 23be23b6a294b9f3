import { liveQuery } from 'dexie';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError, api } from '../../../api/client.ts';
import { CounterDb } from './counter-db.ts';
import { type FlushReport, Outbox, type SyncAnswer, type SyncEntry, type SyncTransport } from './outbox.ts';

/**
 * The browser side of the outbox: one database and one outbox for the tab, the HTTP transport,
 * and sending in the background — on start, whenever the browser says it is back online, and on
 * an interval (an `online` event is not always fired when Wi-Fi comes back between racks).
 */

const SEND_TIMEOUT_MS = 20_000;
export const SYNC_INTERVAL_MS = 15_000;

const httpTransport: SyncTransport = {
  syncBatch: (entries: SyncEntry[]) =>
    api<SyncAnswer>('/api/sync/batch', {
      method: 'POST',
      body: { entries },
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    }),
  async voidEntry(entryId, reason) {
    try {
      await api(`/api/count-entries/${encodeURIComponent(entryId)}/void`, {
        method: 'POST',
        body: { reason },
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      return { kind: 'done' };
    } catch (error) {
      // Already voided, or gone: what the undo wanted is the case.
      if (error instanceof ApiError && (error.status === 404 || error.code === 'ENTRY_ALREADY_VOIDED')) {
        return { kind: 'done' };
      }
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408) {
        return { kind: 'failed', message: error.message };
      }
      return { kind: 'retry', message: error instanceof Error ? error.message : 'Sending failed' };
    }
  },
};

let store: { db: CounterDb; outbox: Outbox } | null = null;

export function counterStore(): { db: CounterDb; outbox: Outbox } {
  if (!store) {
    const db = new CounterDb();
    store = { db, outbox: new Outbox(db, httpTransport) };
  }
  return store;
}

const DEVICE_KEY = 'sv-device-id';

/** This browser's id, sent with every entry so a supervisor can tell devices apart. */
export function deviceId(): string {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return 'unknown-device';
  }
}

// The state of background sending, for the screens.
interface SyncStatus {
  syncing: boolean;
  last: FlushReport | null;
}
let status: SyncStatus = { syncing: false, last: null };
const listeners = new Set<() => void>();
const setStatus = (next: SyncStatus) => {
  status = next;
  for (const listener of listeners) listener();
};

let syncingUser: string | null = null;
let stopBackground: (() => void) | null = null;
const afterSync = new Set<(report: FlushReport) => void>();

/** Sends now; resolves with what happened. Also what the "Sync now" button does. */
export async function syncNow(): Promise<FlushReport | null> {
  if (!syncingUser) return null;
  setStatus({ ...status, syncing: true });
  try {
    const report = await counterStore().outbox.flush(syncingUser);
    setStatus({ syncing: false, last: report });
    for (const listener of afterSync) listener(report);
    return report;
  } catch (error) {
    // IndexedDB itself failed (private mode, quota): report it like a failed send.
    const report: FlushReport = {
      sent: 0,
      accepted: 0,
      duplicate: 0,
      conflict: 0,
      voided: 0,
      error: error instanceof Error ? error.message : 'The outbox could not be read',
    };
    setStatus({ syncing: false, last: report });
    return report;
  }
}

/**
 * Starts sending this user's outbox in the background, for as long as the tab is open (a count
 * left half-synced keeps syncing while the counter looks at another page). Started again for
 * another user, it switches to them.
 */
export function startBackgroundSync(userId: string): void {
  if (syncingUser === userId && stopBackground) return;
  stopBackground?.();
  syncingUser = userId;
  const onOnline = () => void syncNow();
  window.addEventListener('online', onOnline);
  const timer = window.setInterval(() => {
    if (navigator.onLine !== false) void syncNow();
  }, SYNC_INTERVAL_MS);
  stopBackground = () => {
    window.removeEventListener('online', onOnline);
    window.clearInterval(timer);
  };
  void syncNow();
}

/** Stops background sending (signed out): the entries stay on the device for their owner. */
export function stopBackgroundSync(): void {
  stopBackground?.();
  stopBackground = null;
  syncingUser = null;
}

export function useSyncStatus(): SyncStatus {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => status,
  );
}

/** Calls `listener` after every sending run (e.g. to reload the server's list of entries). */
export function useAfterSync(listener: (report: FlushReport) => void): void {
  useEffect(() => {
    afterSync.add(listener);
    return () => {
      afterSync.delete(listener);
    };
  }, [listener]);
}

/**
 * A Dexie query that re-renders whenever what it read changes; undefined until first read. `key`
 * names what the query depends on: a new key starts a new query.
 */
export function useLiveQuery<T>(query: () => Promise<T>, key: string): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  const queryRef = useRef(query);
  queryRef.current = query;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for what the query reads
  useEffect(() => {
    const subscription = liveQuery(() => queryRef.current()).subscribe({
      next: (result) => setValue(result),
      error: () => setValue(undefined),
    });
    return () => subscription.unsubscribe();
  }, [key]);
  return value;
}

export function useOnline(): boolean {
  return useSyncExternalStore(
    (listener) => {
      window.addEventListener('online', listener);
      window.addEventListener('offline', listener);
      return () => {
        window.removeEventListener('online', listener);
        window.removeEventListener('offline', listener);
      };
    },
    () => navigator.onLine,
  );
}
