import type { CounterDb, ScannedItem } from './counter-db.ts';

/**
 * Barcode lookups for scanning: the server when it answers, otherwise what this device learned
 * before. An unknown code is not an error — the entry is recorded all the same and the server
 * captures it as an unknown item.
 */

export type LookupSource = 'server' | 'cache' | 'none';

export interface ResolvedBarcode {
  item: ScannedItem | null;
  /** Where the answer came from: `none` means offline and never seen on this device. */
  source: LookupSource;
}

/**
 * `fetchItem` answers the item, null for a code the server does not know, and throws when the
 * server could not be asked (offline, timeout, 5xx).
 */
export async function resolveBarcode(
  db: CounterDb,
  barcode: string,
  fetchItem: (barcode: string) => Promise<ScannedItem | null>,
  now: () => number = () => Date.now(),
): Promise<ResolvedBarcode> {
  try {
    const item = await fetchItem(barcode);
    await db.lookups.put({ barcode, item, fetched_at: now() });
    return { item, source: 'server' };
  } catch {
    const cached = await db.lookups.get(barcode);
    return cached ? { item: cached.item, source: 'cache' } : { item: null, source: 'none' };
  }
}
