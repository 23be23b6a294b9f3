import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { fromScaled, MONEY_SCALE, QUANTITY_SCALE, valueE4 } from '../../../platform/decimal.ts';
import type { Role } from '../../../platform/http/access.ts';
import { AppError, badRequest, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { AuditContext } from '../../audit/events.ts';
import type { CountEntryRow, LineResolution, LineStatus } from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import {
  assignedPaths,
  findSession,
  isAssigned,
  locationInScope,
  seesBook,
} from '../sessions/session-access.ts';
import * as entriesStore from './entries.store.ts';
import * as store from './lines.store.ts';

/**
 * Count lines: item × location × lot of a session, the sum of their entries against the frozen
 * book. Maintained incrementally in each entry's transaction (entries add, voids subtract), so
 * the totals never need a recount of the entries and do not depend on arrival order.
 */

/** Risk flags that say nothing about the book: the only ones a blind counter is shown. */
const FLAGS_VISIBLE_TO_BLIND = new Set(['duplicate_serial']);

export interface CountLineRound {
  round: number;
  counted_qty: number;
  entry_count: number;
}

export interface CountLine {
  id: string;
  session_id: string;
  location_id: string;
  location_code: string;
  item_id: string;
  item_code: string;
  item_name: string;
  base_uom: string;
  lot: string | null;
  /** In the snapshot (false: found but not expected). */
  expected: boolean;
  round: number;
  /** Sum of the live entries of the current round; null until counted. */
  counted_qty: number | null;
  entry_count: number;
  status: LineStatus;
  flags: string[];
  updated_at: string;
  // Omitted (not null) for a viewer who may not see the book: a staff user in a blind session.
  rounds?: CountLineRound[];
  book_qty?: number;
  unit_cost?: number;
  variance_qty?: number | null;
  variance_value?: number | null;
  /** The book when it moved after the snapshot (flag book_changed); null otherwise. */
  current_book_qty?: number | null;
  /** The review's decision: reason code, how a book change was settled, the adjustment it set. */
  reason_code?: string | null;
  resolution?: LineResolution | null;
  adjustment_qty?: number | null;
  decided_by?: string | null;
  decided_at?: string | null;
}

export interface LocationCompletion {
  session_id: string;
  location_id: string;
  completed_at: string;
  /** Expected lines nobody had counted, now counted as zero. */
  zeroed_lines: number;
}

export interface Viewer {
  id: string;
  role: Role;
}

export interface LineListOptions {
  location_id?: string;
  status?: LineStatus;
  has_variance?: boolean;
  cursor?: string;
  limit: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const qty = (e3: number) => fromScaled(Number(e3), QUANTITY_SCALE);

export function toCountLine(
  row: store.LineView,
  rounds: CountLineRound[],
  showBook: boolean,
  viewerIsStaff = false,
): CountLine {
  const counted = row.counted_qty_e3 === null ? null : Number(row.counted_qty_e3);
  const flags = JSON.parse(row.flags) as string[];
  const line: CountLine = {
    id: row.id,
    session_id: row.session_id,
    location_id: row.location_id,
    location_code: row.location_code,
    item_id: row.item_id,
    item_code: row.item_code,
    item_name: row.item_name,
    base_uom: row.base_uom,
    lot: row.lot === '' ? null : row.lot,
    expected: Number(row.expected) === 1,
    round: Number(row.round),
    counted_qty: counted === null ? null : qty(counted),
    entry_count: Number(row.entry_count),
    status: row.status,
    flags,
    updated_at: row.updated_at,
  };
  if (!showBook || (viewerIsStaff && Number(row.round) > 1)) {
    // A recount is blind for counters whatever the mode: no earlier round, book or variance.
    // A status past "counted" (review, recount, auto-approved) or a variance flag would tell a
    // blind counter whether the count matched the book: they see only counted or not yet.
    line.status = counted === null ? 'open' : 'counted';
    line.flags = flags.filter((flag) => FLAGS_VISIBLE_TO_BLIND.has(flag));
    return line;
  }
  const book = Number(row.book_qty_e3);
  const unitCost = Number(row.unit_cost_e4);
  const variance = counted === null ? null : counted - book;
  return {
    ...line,
    rounds,
    book_qty: qty(book),
    unit_cost: fromScaled(unitCost, MONEY_SCALE),
    variance_qty: variance === null ? null : qty(variance),
    variance_value: variance === null ? null : fromScaled(valueE4(variance, unitCost), MONEY_SCALE),
    current_book_qty: row.current_book_qty_e3 === null ? null : qty(Number(row.current_book_qty_e3)),
    reason_code: row.reason_code,
    resolution: row.resolution,
    adjustment_qty: row.adjustment_qty_e3 === null ? null : qty(Number(row.adjustment_qty_e3)),
    decided_by: row.decided_by,
    decided_at: row.decided_at,
  };
}

/**
 * Takes a voided entry out of its line: the round's total always, the line's current total when
 * the entry belongs to the current round. A line left with no live entry falls back to "not
 * counted" — or to a confirmed zero when its location was counted entirely — so a line's state
 * depends only on which entries are live, never on the order things happened in.
 */
export async function removeFromLine(
  trx: Kysely<Database>,
  entry: CountEntryRow,
  now: string,
): Promise<void> {
  if (entry.item_id === null) return;
  const line = await store.findLineByKey(trx, entry.session_id, {
    location_id: entry.location_id,
    item_id: entry.item_id,
    lot: entry.lot,
  });
  if (!line) return;
  const quantity = Number(entry.quantity_e3);
  const current = Number(entry.round) === Number(line.round);
  let completed: boolean | undefined;
  const isCompleted = async () => {
    completed ??= await entriesStore.isLocationCompleted(trx, entry.session_id, entry.location_id);
    return completed;
  };

  const round = await store.findRound(trx, line.id, Number(entry.round));
  if (round) {
    const remaining = Number(round.entry_count) - 1;
    if (remaining <= 0 && !(await isCompleted())) {
      await store.deleteRound(trx, line.id, Number(entry.round));
    } else {
      await store.setRound(trx, {
        line_id: line.id,
        round: Number(entry.round),
        counted_qty_e3: remaining <= 0 ? 0 : Number(round.counted_qty_e3) - quantity,
        entry_count: Math.max(remaining, 0),
      });
    }
  }
  if (!current) return;
  const entryCount = Math.max(Number(line.entry_count) - 1, 0);
  const counted =
    entryCount === 0 ? ((await isCompleted()) ? 0 : null) : Number(line.counted_qty_e3 ?? 0) - quantity;
  const status: LineStatus =
    line.status === 'open' || line.status === 'counted'
      ? counted === null
        ? 'open'
        : 'counted'
      : line.status;
  await store.updateLine(trx, line.id, {
    counted_qty_e3: counted,
    entry_count: entryCount,
    status,
    updated_at: now,
  });
}

/**
 * Sets or clears `duplicate_serial` on the lines touched by these (item, serial) pairs (and on
 * `alsoLines`): a line carries it while one of its live serials is live elsewhere in the session
 * too, in the same round — anywhere, this location or another.
 */
export async function refreshSerialFlags(
  trx: Kysely<Database>,
  sessionId: string,
  pairs: readonly { item_id: string; serial: string }[],
  now: string,
  alsoLines: readonly store.LineKey[] = [],
): Promise<void> {
  if (pairs.length === 0 && alsoLines.length === 0) return;
  const touched = pairs.length > 0 ? await entriesStore.liveSerialEntries(trx, sessionId, pairs) : [];
  const keys = new Map<string, store.LineKey>();
  for (const key of [...touched, ...alsoLines]) {
    keys.set(store.lineKeyOf(key), { location_id: key.location_id, item_id: key.item_id, lot: key.lot });
  }
  if (keys.size === 0) return;
  const onLines = await entriesStore.liveSerialEntriesOfLines(trx, sessionId, [...keys.values()]);
  const allPairs = new Map(onLines.map((entry) => [`${entry.item_id}\u0000${entry.serial}`, entry]));
  const everywhere = await entriesStore.liveSerialEntries(trx, sessionId, [...allPairs.values()]);
  const groupSize = new Map<string, number>();
  const group = (entry: entriesStore.SerialEntry) =>
    `${entry.item_id}\u0000${entry.serial}\u0000${entry.round}`;
  for (const entry of everywhere) groupSize.set(group(entry), (groupSize.get(group(entry)) ?? 0) + 1);
  const duplicated = new Set(
    onLines.filter((entry) => (groupSize.get(group(entry)) ?? 0) >= 2).map((entry) => store.lineKeyOf(entry)),
  );
  for (const line of await store.findLinesByKeys(trx, sessionId, [...keys.values()])) {
    const flags = JSON.parse(line.flags) as string[];
    const has = flags.includes('duplicate_serial');
    const want = duplicated.has(store.lineKeyOf(line));
    if (has === want) continue;
    const next = want ? [...flags, 'duplicate_serial'] : flags.filter((flag) => flag !== 'duplicate_serial');
    await store.setFlags(trx, line.id, JSON.stringify(next), now);
  }
}

export interface CountLines {
  list(sessionId: string, options: LineListOptions, viewer: Viewer): Promise<Page<CountLine>>;
  completeLocation(
    sessionId: string,
    locationId: string,
    viewer: Viewer,
    context: AuditContext,
  ): Promise<LocationCompletion>;
}

export function sessionNotCounting(status: string): AppError {
  return new AppError(
    409,
    'SESSION_NOT_COUNTING',
    `The session is ${status}: entries are taken only while it is counting`,
  );
}

export const notAssigned = (what = 'this location') =>
  new AppError(403, 'NOT_ASSIGNED', `You are not assigned to count ${what} in this session`);

export const locationNotInScope = () =>
  new AppError(409, 'LOCATION_NOT_IN_SCOPE', 'The location is not part of this count session');

export function createCountLines(deps: Pick<CountingDeps, 'db' | 'clock' | 'audit'>): CountLines {
  const { db, clock, audit } = deps;

  return {
    async list(sessionId, options, viewer) {
      const session = await findSession(db, sessionId);
      if (!session) throw notFound('Count session');
      const showBook = seesBook(session, viewer.role);
      let locationPaths: string[] | undefined;
      if (viewer.role === 'staff') {
        // Counters see the lines of the locations they are assigned to (with their subtrees), nothing else.
        locationPaths = await assignedPaths(db, sessionId, viewer.id);
        if (locationPaths.length === 0) throw notAssigned('anything');
        if (
          options.location_id !== undefined &&
          !(await isAssigned(db, sessionId, options.location_id, viewer.id))
        ) {
          throw notAssigned();
        }
      }
      let counted: boolean | undefined;
      let status = options.status;
      if (!showBook) {
        if (options.has_variance !== undefined) {
          throw new AppError(
            403,
            'BLIND_MODE',
            'This is a blind count: variances are not shown to counters, nor filtered on',
          );
        }
        // `recount` lists what a recount asks to be counted again (the counter's own list, shown
        // as open or counted like the rest); the statuses that tell a count from the book do not.
        if (status !== undefined && status !== 'recount') {
          if (status !== 'open' && status !== 'counted') {
            throw badRequest('status can only be open, counted or recount in a blind count', [
              { field: 'status', message: 'must be open, counted or recount' },
            ]);
          }
          counted = status === 'counted';
          status = undefined;
        }
      }
      const after = options.cursor
        ? decodeCursor<[string, string, string]>(
            options.cursor,
            (key) =>
              key.length === 3 &&
              typeof key[0] === 'string' &&
              typeof key[1] === 'string' &&
              typeof key[2] === 'string',
          )
        : undefined;
      const rows = await store.listLines(db, {
        sessionId,
        ...(locationPaths !== undefined ? { locationPaths } : {}),
        ...(options.location_id !== undefined ? { locationId: options.location_id } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(counted !== undefined ? { counted } : {}),
        ...(options.has_variance !== undefined ? { hasVariance: options.has_variance } : {}),
        ...(after !== undefined ? { after } : {}),
        limit: options.limit + 1,
      });
      const page = rows.slice(0, options.limit);
      const rounds = new Map<string, CountLineRound[]>();
      if (showBook) {
        for (const round of await store.roundsOf(
          db,
          page.map((row) => row.id),
        )) {
          const list = rounds.get(round.line_id) ?? [];
          list.push({
            round: Number(round.round),
            counted_qty: qty(Number(round.counted_qty_e3)),
            entry_count: Number(round.entry_count),
          });
          rounds.set(round.line_id, list);
        }
      }
      return toPage(
        rows,
        options.limit,
        (row) => toCountLine(row, rounds.get(row.id) ?? [], showBook, viewer.role === 'staff'),
        (row) => [row.location_id, row.item_id, row.lot],
      );
    },

    async completeLocation(sessionId, locationId, viewer, context) {
      if (!UUID.test(locationId)) throw notFound('Location');
      const now = clock.now().toISOString();
      return audit.transaction(context, async (trx, record) => {
        const session = await entriesStore.lockSession(trx, sessionId);
        if (!session) throw notFound('Count session');
        if (session.status !== 'counting') throw sessionNotCounting(session.status);
        if (!(await locationInScope(trx, session, locationId))) throw locationNotInScope();
        if (viewer.role === 'staff' && !(await isAssigned(trx, sessionId, locationId, viewer.id))) {
          throw notAssigned();
        }
        const open = await store.openLinesAt(trx, sessionId, locationId);
        await store.zeroLines(
          trx,
          open.map((line) => line.id),
          now,
        );
        await store.ensureRounds(
          trx,
          open.map((line) => ({ line_id: line.id, round: Number(line.round) })),
        );
        await entriesStore.upsertCompletion(trx, {
          session_id: sessionId,
          location_id: locationId,
          completed_by: viewer.id,
          completed_at: now,
        });
        record({
          type: 'DATA_UPDATE',
          action: 'count_location.complete',
          resource: { type: 'count_session', id: sessionId },
          details: { location_id: locationId, zeroed_lines: open.length },
        });
        return {
          session_id: sessionId,
          location_id: locationId,
          completed_at: now,
          zeroed_lines: open.length,
        };
      });
    },
  };
}
