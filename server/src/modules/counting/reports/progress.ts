import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { VarianceTotals, type VarianceTotalsView } from './figures.ts';
import * as store from './reports.store.ts';

/**
 * The live figures a supervisor watches on a counting session (issue 6 point 14), added to the
 * session's `progress` by the sessions service: counted/total lines per location, and the
 * variance of the lines counted so far. Polled, so both are bounded: at most
 * MAX_PROGRESS_LOCATIONS locations, and the variance pages through only the lines that differ.
 */

export const MAX_PROGRESS_LOCATIONS = 500;
const PAGE = 1000;

export interface LiveProgress {
  by_location: store.LocationProgress[];
  by_location_truncated: boolean;
  /** Omitted when the viewer may not see the book (staff in a blind session). */
  variance?: VarianceTotalsView;
}

export async function liveProgress(
  db: Kysely<Database>,
  sessionId: string,
  options: { seesBook: boolean },
): Promise<LiveProgress> {
  const locations = await store.progressByLocation(db, sessionId, MAX_PROGRESS_LOCATIONS + 1);
  const progress: LiveProgress = {
    by_location: locations.slice(0, MAX_PROGRESS_LOCATIONS),
    by_location_truncated: locations.length > MAX_PROGRESS_LOCATIONS,
  };
  if (options.seesBook) {
    const totals = new VarianceTotals();
    let after: string | null = null;
    for (;;) {
      const page = await store.varianceLinesPage(db, sessionId, { afterId: after, limit: PAGE });
      for (const line of page) totals.add(line.counted_qty_e3 - line.book_qty_e3, line.unit_cost_e4);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
    progress.variance = totals.view();
  }
  return progress;
}
