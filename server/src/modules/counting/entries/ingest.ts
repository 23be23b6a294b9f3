import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { MONEY_SCALE, toScaled } from '../../../platform/decimal.ts';
import type { Role } from '../../../platform/http/access.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { BarcodeLookup, ItemSummary } from '../../items/items.service.ts';
import type { CountEntryRow, CountLineRow, CountSessionRow } from '../counting.tables.ts';
import { isAssigned, locationInScope } from '../sessions/session-access.ts';
import * as entriesStore from './entries.store.ts';
import type { ConflictReason, ParsedEntry, ParseResult } from './entry-input.ts';
import { toBaseQuantityE3 } from './entry-input.ts';
import { refreshSerialFlags } from './lines.service.ts';
import * as linesStore from './lines.store.ts';

/**
 * Takes a list of parsed entries (one online POST, or an offline batch) into the database in the
 * caller's transaction: the one path every entry goes through, so online and offline answers
 * agree. Lookups are batched (sessions, client_ids, lines, serials: a query or two each, whatever
 * the batch size); the lines are then updated with one upsert per chunk.
 *
 * Each entry is judged in this order, the first failing rule giving its answer:
 *  1. well-formed (invalid_entry, invalid_quantity);
 *  2. client_id already known: the same content is a duplicate, other content client_id_conflict
 *     — before any state check, so a replay after the session moved on still says duplicate;
 *  3. the session exists (session_not_found) and is counting (session_not_counting);
 *  4. the location is in the session's scope (location_not_in_scope);
 *  5. a staff user is assigned to the location (not_assigned);
 *  6. the item: an unknown item_id is item_not_found; a barcode that matches no item is captured
 *     as an entry without item (unknown_item, kept for follow-up);
 *  7. tracking: a lot for lot-tracked items (lot_required), a serial and exactly one unit for
 *     serial-tracked ones (serial_required, invalid_quantity); a pack scan must convert exactly;
 *  8. accepted — and, when the same serial of the item is already live in the session in the same
 *     round, flagged duplicate_serial (the entry is kept; both lines get the flag).
 */

export interface IngestActor {
  id: string;
  role: Role;
}

export interface Resolved {
  /** By the entry's normalised barcode. */
  barcodes: Map<string, BarcodeLookup>;
  /** By item id. */
  items: Map<string, ItemSummary>;
}

export type Outcome =
  | {
      kind: 'accepted';
      entry: CountEntryRow;
      /** null: an unknown barcode, captured. */
      item: ItemSummary | null;
      duplicateSerial: boolean;
    }
  | { kind: 'duplicate'; entry: CountEntryRow }
  | {
      kind: 'conflict';
      reason: ConflictReason;
      message: string;
      field?: string;
      client_id: string | null;
    };

const REASON_MESSAGES: Partial<Record<ConflictReason, string>> = {
  client_id_conflict: 'This client_id was already used for an entry with different content',
  session_not_found: 'No such count session',
  location_not_in_scope: 'The location is not part of this count session',
  not_assigned: 'You are not assigned to count this location in this session',
  item_not_found: 'No item has this item_id',
  lot_required: 'The item is lot-tracked: give the lot',
  serial_required: 'The item is serial-tracked: give the serial number',
  same_counter: 'A recount is done by a different counter: you counted this line in an earlier round',
};

function conflict(
  entry: { client_id: string | null },
  reason: ConflictReason,
  message?: string,
  field?: string,
) {
  return {
    kind: 'conflict' as const,
    reason,
    message: message ?? REASON_MESSAGES[reason] ?? reason,
    client_id: entry.client_id,
    ...(field !== undefined ? { field } : {}),
  };
}

interface LineDelta {
  base: CountLineRow;
  isNew: boolean;
  quantity_e3: number;
  entries: number;
}

function itemOf(entry: ParsedEntry, resolved: Resolved): ItemSummary | undefined {
  if (entry.item_id !== null) return resolved.items.get(entry.item_id);
  return entry.barcode === null ? undefined : resolved.barcodes.get(entry.barcode)?.item;
}

function lineKeyFor(entry: ParsedEntry, item: ItemSummary): linesStore.LineKey {
  return { location_id: entry.location_id, item_id: item.id, lot: item.tracking === 'lot' ? entry.lot : '' };
}

interface Batch {
  /** Locked, by id; a session that does not exist is absent. */
  sessions: Map<string, CountSessionRow>;
  /** Entries already stored under the batch's client_ids. */
  known: Map<string, CountEntryRow>;
  /** Per session: the lines the batch may add to, by line key (unexpected ones join as made). */
  lines: Map<string, Map<string, CountLineRow>>;
  /** Per session: live entries per (item, serial, round), to tell a serial counted twice. */
  serials: Map<string, Map<string, number>>;
}

const serialKey = (itemId: string, serial: string, round: number) => `${itemId}\u0000${serial}\u0000${round}`;

/** Locks the sessions and fetches, in a few queries per session, all the batch may need. */
async function loadBatch(
  trx: Kysely<Database>,
  valid: readonly ParsedEntry[],
  resolved: Resolved,
): Promise<Batch> {
  const sessions = new Map<string, CountSessionRow>();
  // In a fixed order: two batches naming the same sessions cannot deadlock.
  for (const id of [...new Set(valid.map((entry) => entry.session_id))].sort()) {
    const row = await entriesStore.lockSession(trx, id);
    if (row) sessions.set(id, row);
  }
  const known = new Map(
    (
      await entriesStore.findEntriesByClientIds(
        trx,
        valid.map((entry) => entry.client_id),
      )
    ).map((row) => [row.client_id, row]),
  );
  const lines = new Map<string, Map<string, CountLineRow>>();
  const serials = new Map<string, Map<string, number>>();
  for (const [sessionId, session] of sessions) {
    // In review, only lines ordered for a recount take entries (checked per entry).
    if (session.status !== 'counting' && session.status !== 'review') continue;
    const keys: linesStore.LineKey[] = [];
    const pairs: { item_id: string; serial: string }[] = [];
    for (const entry of valid) {
      if (entry.session_id !== sessionId || known.has(entry.client_id)) continue;
      const item = itemOf(entry, resolved);
      if (!item) continue;
      keys.push(lineKeyFor(entry, item));
      if (item.tracking === 'serial' && entry.serial !== null) {
        pairs.push({ item_id: item.id, serial: entry.serial });
      }
    }
    const counts = new Map<string, number>();
    if (pairs.length > 0) {
      for (const live of await entriesStore.liveSerialEntries(trx, sessionId, pairs)) {
        const key = serialKey(live.item_id, live.serial, Number(live.round));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    serials.set(sessionId, counts);
    const found = await linesStore.findLinesByKeys(trx, sessionId, keys);
    lines.set(sessionId, new Map(found.map((row) => [linesStore.lineKeyOf(row), row])));
  }
  return { sessions, known, lines, serials };
}

/** What the accepted entries of a batch write, gathered first and written together. */
interface Pending {
  entries: CountEntryRow[];
  /** By session and line key. */
  deltas: Map<string, LineDelta>;
  /** Per session: serials accepted, whose lines' duplicate flags are refreshed. */
  serialPairs: Map<string, { item_id: string; serial: string }[]>;
}

async function writePending(trx: Kysely<Database>, pending: Pending, now: string): Promise<void> {
  if (pending.entries.length === 0) return;
  await entriesStore.insertEntries(trx, pending.entries);
  const lineRows: CountLineRow[] = [];
  const rounds: linesStore.RoundDelta[] = [];
  for (const delta of pending.deltas.values()) {
    lineRows.push({
      ...delta.base,
      counted_qty_e3: delta.quantity_e3,
      entry_count: delta.entries,
      status: delta.isNew ? 'counted' : delta.base.status,
      updated_at: now,
    });
    rounds.push({
      line_id: delta.base.id,
      round: Number(delta.base.round),
      counted_qty_e3: delta.quantity_e3,
      entry_count: delta.entries,
    });
  }
  await linesStore.addToLines(trx, lineRows);
  await linesStore.addToRounds(trx, rounds);
  for (const [sessionId, pairs] of pending.serialPairs) await refreshSerialFlags(trx, sessionId, pairs, now);
}

export async function ingestEntries(
  trx: Kysely<Database>,
  parsed: readonly ParseResult[],
  resolved: Resolved,
  actor: IngestActor,
  deps: { ids: IdGenerator; now: Date },
): Promise<Outcome[]> {
  const received = deps.now.toISOString();
  const valid = parsed.flatMap((result) => (result.ok ? [result.entry] : []));
  const batch = await loadBatch(trx, valid, resolved);
  const pending: Pending = { entries: [], deltas: new Map(), serialPairs: new Map() };
  const inScope = new Map<string, boolean>();
  const assigned = new Map<string, boolean>();

  function newEntry(
    entry: ParsedEntry,
    fields: Pick<CountEntryRow, 'item_id' | 'lot' | 'serial' | 'quantity_e3' | 'pack_qty_e3' | 'round'>,
  ): CountEntryRow {
    const row: CountEntryRow = {
      id: deps.ids.uuid(),
      client_id: entry.client_id,
      content_hash: entry.content_hash,
      session_id: entry.session_id,
      location_id: entry.location_id,
      barcode: entry.barcode,
      entered_qty_e3: entry.entered_qty_e3,
      uom: entry.uom,
      counted_by: actor.id,
      device_id: entry.device_id,
      counted_at: entry.counted_at ?? received,
      received_at: received,
      voided_at: null,
      voided_by: null,
      void_reason: null,
      ...fields,
    };
    pending.entries.push(row);
    return row;
  }

  /** The line an entry of this item adds to: the snapshot's, or a new unexpected one. */
  function deltaFor(sessionId: string, key: linesStore.LineKey, item: ItemSummary): LineDelta {
    const lineKey = linesStore.lineKeyOf(key);
    const deltaKey = `${sessionId}\u0000${lineKey}`;
    let delta = pending.deltas.get(deltaKey);
    if (delta) return delta;
    const existing = batch.lines.get(sessionId)!.get(lineKey);
    const base: CountLineRow = existing ?? {
      // Found but not expected: book zero, valued at the item's cost.
      id: deps.ids.uuid(),
      session_id: sessionId,
      ...key,
      expected: 0,
      book_qty_e3: 0,
      unit_cost_e4: toScaled(item.unit_cost, MONEY_SCALE)!,
      round: 1,
      counted_qty_e3: null,
      entry_count: 0,
      status: 'open',
      flags: '[]',
      reason_code: null,
      decided_by: null,
      decided_at: null,
      updated_at: received,
      current_book_qty_e3: null,
      resolution: null,
      adjustment_qty_e3: null,
    };
    if (!existing) batch.lines.get(sessionId)!.set(lineKey, base);
    delta = { base, isNew: !existing, quantity_e3: 0, entries: 0 };
    pending.deltas.set(deltaKey, delta);
    return delta;
  }

  /** Rules 2 to 8 of the list above, for one well-formed entry. */
  async function judge(entry: ParsedEntry): Promise<Outcome> {
    const prior = batch.known.get(entry.client_id);
    if (prior) {
      return prior.content_hash === entry.content_hash
        ? { kind: 'duplicate', entry: prior }
        : conflict(entry, 'client_id_conflict');
    }
    const session = batch.sessions.get(entry.session_id);
    if (!session) return conflict(entry, 'session_not_found');
    const recounting = session.status === 'review';
    if (!recounting && session.status !== 'counting') {
      return conflict(
        entry,
        'session_not_counting',
        `The session is ${session.status}: entries are taken only while it is counting`,
      );
    }
    const place = `${entry.session_id}\u0000${entry.location_id}`;
    let scoped = inScope.get(place);
    if (scoped === undefined) {
      scoped = await locationInScope(trx, session, entry.location_id);
      inScope.set(place, scoped);
    }
    if (!scoped) return conflict(entry, 'location_not_in_scope');
    if (actor.role === 'staff') {
      let mine = assigned.get(place);
      if (mine === undefined) {
        mine = await isAssigned(trx, entry.session_id, entry.location_id, actor.id);
        assigned.set(place, mine);
      }
      if (!mine) return conflict(entry, 'not_assigned');
    }

    const item = itemOf(entry, resolved);
    if (!item) {
      if (recounting) {
        return conflict(
          entry,
          'session_not_counting',
          'The session is review: only recount lines take entries',
        );
      }
      if (entry.item_id !== null) return conflict(entry, 'item_not_found', undefined, 'item_id');
      // An unknown barcode: captured as counted (no pack size is known), adding to no line.
      const row = newEntry(entry, {
        item_id: null,
        lot: entry.lot,
        serial: entry.serial,
        quantity_e3: entry.entered_qty_e3,
        pack_qty_e3: 1000,
        round: 1,
      });
      return { kind: 'accepted', entry: row, item: null, duplicateSerial: false };
    }
    if (item.tracking === 'lot' && entry.lot === '') return conflict(entry, 'lot_required', undefined, 'lot');
    if (item.tracking === 'serial' && entry.serial === null) {
      return conflict(entry, 'serial_required', undefined, 'serial');
    }
    const packE3 =
      entry.barcode !== null ? toScaled(resolved.barcodes.get(entry.barcode)!.barcode.pack_qty, 3)! : 1000;
    const quantityE3 = toBaseQuantityE3(entry.entered_qty_e3, packE3);
    if (quantityE3 === null) {
      return conflict(
        entry,
        'invalid_quantity',
        `quantity × pack size (${packE3 / 1000}) is not a whole number of thousandths of the base unit`,
        'quantity',
      );
    }
    if (item.tracking === 'serial' && quantityE3 !== 1000) {
      return conflict(
        entry,
        'invalid_quantity',
        'A serial-tracked item is counted one unit per entry (quantity 1, no pack barcode)',
        'quantity',
      );
    }

    const key = lineKeyFor(entry, item);
    if (recounting) {
      // A session in review takes entries only for lines ordered for a recount (review/review.service.ts).
      const line = batch.lines.get(entry.session_id)!.get(linesStore.lineKeyOf(key));
      if (line?.status !== 'recount') {
        return conflict(
          entry,
          'session_not_counting',
          'The session is review: entries are taken only for lines ordered for a recount',
        );
      }
      if (await entriesStore.countedBefore(trx, line, actor.id)) return conflict(entry, 'same_counter');
    }
    const delta = deltaFor(entry.session_id, key, item);
    // The entry belongs to the line's current round (recounts move a line to the next round).
    const round = Number(delta.base.round);
    const serial = item.tracking === 'serial' ? entry.serial : null;
    const row = newEntry(entry, {
      item_id: item.id,
      lot: key.lot,
      serial,
      quantity_e3: quantityE3,
      pack_qty_e3: packE3,
      round,
    });
    delta.quantity_e3 += quantityE3;
    delta.entries += 1;

    let duplicateSerial = false;
    if (serial !== null) {
      const counts = batch.serials.get(entry.session_id)!;
      const group = serialKey(item.id, serial, round);
      duplicateSerial = (counts.get(group) ?? 0) > 0;
      counts.set(group, (counts.get(group) ?? 0) + 1);
      const pairs = pending.serialPairs.get(entry.session_id) ?? [];
      pairs.push({ item_id: item.id, serial });
      pending.serialPairs.set(entry.session_id, pairs);
    }
    return { kind: 'accepted', entry: row, item, duplicateSerial };
  }

  // Rule 1, and a client_id repeated within the batch (answered like a replay), then the rest.
  const seen = new Map<string, { hash: string; outcome: Outcome }>();
  const outcomes: Outcome[] = [];
  for (const result of parsed) {
    if (!result.ok) {
      outcomes.push(conflict(result, result.reason, `${result.field} ${result.message}`, result.field));
      continue;
    }
    const entry = result.entry;
    const before = seen.get(entry.client_id);
    if (before) {
      const first = before.outcome;
      const stored = first.kind === 'accepted' || first.kind === 'duplicate';
      if (before.hash === entry.content_hash) {
        outcomes.push(stored ? { kind: 'duplicate', entry: first.entry } : first);
        continue;
      }
      if (stored) {
        outcomes.push(conflict(entry, 'client_id_conflict'));
        continue;
      }
    }
    const outcome = await judge(entry);
    seen.set(entry.client_id, { hash: entry.content_hash, outcome });
    outcomes.push(outcome);
  }

  await writePending(trx, pending, received);
  return outcomes;
}
