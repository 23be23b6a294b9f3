import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { JsonObject } from '../../audit/events.ts';
import type { CountSessionRow, LineStatus } from '../counting.tables.ts';
import { lineKeyOf } from '../entries/lines.store.ts';
import { flagMovedBook } from '../posting/posting.service.ts';
import { parseStoredTolerance, toleranceFor } from '../sessions/tolerance.ts';
import * as store from './review.store.ts';
import { decide, type LineFacts, riskFlags } from './variance-rules.ts';

/** Flag of a line nobody counted by submit: it goes to review, it is never zeroed silently. */
export const NOT_COUNTED = 'not_counted';

const PAGE = 1000;

/**
 * SUBMIT: decides every undecided line (open or counted) of the session, set-wise.
 *
 * - A counted line: risk flags from its facts (variance-rules.ts riskFlags: the item's tracking,
 *   its unit cost now against the snapshot's, live entries without serial, a counter with more than
 *   one live entry on the line in its round, and the duplicate_serial flag the entries left), then
 *   `decide()` with the line's tolerance (tolerance.ts toleranceFor with the item's ABC class) and
 *   recountFirst = true: within tolerance → auto_approved (or counted when the profile does not
 *   auto-approve: a reviewer approves it), outside on round 1 → recount, else review.
 * - A line whose book moved since the snapshot (its stock level now, 0 without a row, differs
 *   from the snapshot's book) gets the flag `book_changed` and the book found, and goes to review
 *   whatever the tolerance says (posting/posting.service.ts flagMovedBook; variance-rules decide).
 * - A line never counted (counted_qty null): it is NOT zeroed — only "count entire location" says a
 *   location was empty — so it goes to review with the flag `not_counted`; the reviewer orders a
 *   recount (reject) or approves the full shortage with a reason.
 *
 * Lines are read in pages joined with their items, decided in memory and written back with one
 * UPDATE per chunk of lines sharing status and flags; entry facts come from one grouped query.
 * Returns the number of lines per resulting status, for the submit's audit entry.
 */
export async function decideSubmittedLines(
  trx: Kysely<Database>,
  session: CountSessionRow,
  now: string,
): Promise<JsonObject> {
  const profile = parseStoredTolerance(session.tolerance);
  // First the book: a line whose stock level moved after the snapshot carries book_changed (and
  // the book found) into the decision below, which sends it to review whatever the tolerance.
  const bookChanged = await flagMovedBook(trx, session.id, now, false);
  const anomalies = new Map<string, { twice: boolean; noSerial: number }>();
  for (const row of await store.entryAnomalies(trx, session.id)) {
    const key = `${lineKeyOf(row)}\u0000${row.round}`;
    const fact = anomalies.get(key) ?? { twice: false, noSerial: 0 };
    if (row.visits > 1) fact.twice = true;
    fact.noSerial += row.no_serial;
    anomalies.set(key, fact);
  }
  const counts: Record<string, number> = {};
  let after: string | null = null;
  for (;;) {
    const page = await store.decisionPage(trx, session.id, ['open', 'counted'], after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const groups = new Map<string, { status: LineStatus; flags: string; ids: string[] }>();
    for (const line of page) {
      const existing = JSON.parse(line.flags) as string[];
      let status: LineStatus;
      let flags: string[];
      if (line.counted_qty_e3 === null) {
        status = 'review';
        flags = [...new Set([...existing, NOT_COUNTED])];
      } else {
        const fact = anomalies.get(`${lineKeyOf(line)}\u0000${Number(line.round)}`);
        const facts: LineFacts = {
          item_id: line.item_id,
          location_id: line.location_id,
          abc_class: line.abc_class,
          tracking: line.tracking,
          book_qty_e3: Number(line.book_qty_e3),
          counted_qty_e3: Number(line.counted_qty_e3),
          unit_cost_e4: Number(line.unit_cost_e4),
          current_unit_cost_e4: Number(line.current_unit_cost_e4),
          entries_without_serial: line.tracking === 'serial' ? (fact?.noSerial ?? 0) : 0,
          same_counter_twice: fact?.twice ?? false,
          duplicate_serial: existing.includes('duplicate_serial'),
          book_changed: existing.includes('book_changed'),
        };
        const risk = riskFlags(facts);
        const tolerance = toleranceFor(profile, line);
        status = decide(facts, {
          mode: session.mode,
          round: Number(line.round),
          tolerance,
          recountFirst: true,
          flags: risk,
        }).status;
        flags = [...new Set([...existing, ...risk])];
      }
      counts[status] = (counts[status] ?? 0) + 1;
      const json = JSON.stringify(flags);
      const groupKey = `${status}\u0000${json}`;
      const group = groups.get(groupKey) ?? { status, flags: json, ids: [] };
      group.ids.push(line.id);
      groups.set(groupKey, group);
    }
    await store.setDecisions(trx, groups, now);
    if (page.length < PAGE) break;
  }
  return { line_decisions: counts, book_changed: bookChanged };
}
