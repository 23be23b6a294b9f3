import { isUniqueViolation } from '../../../platform/db/unique-violation.ts';
import { fromScaled, QUANTITY_SCALE, toDecimalString } from '../../../platform/decimal.ts';
import { AppError, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { AuditContext, AuditEvent } from '../../audit/events.ts';
import type { CountEntryRow } from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import { findSession } from '../sessions/session-access.ts';
import * as store from './entries.store.ts';
import { type ConflictReason, type ParseResult, parseEntry } from './entry-input.ts';
import { createGroupCommit } from './group-commit.ts';
import { type IngestActor, ingestEntries, type Outcome, type Resolved } from './ingest.ts';
import {
  type CountLine,
  type CountLines,
  createCountLines,
  type LineListOptions,
  type LocationCompletion,
  refreshSerialFlags,
  removeFromLine,
  sessionNotCounting,
} from './lines.service.ts';

/**
 * Count entries — online one at a time or in offline batches — their voids, and the lines they
 * add up to (lines.service.ts). Every entry takes the same path (ingest.ts), so the online answer
 * and the batch answer for the same entry always agree.
 */

export interface CountEntry {
  id: string;
  client_id: string;
  session_id: string;
  location_id: string;
  item_id: string | null;
  item_code: string | null;
  item_name: string | null;
  barcode: string | null;
  lot: string | null;
  serial: string | null;
  /** In the base unit: entered_quantity × pack_qty. */
  quantity: number;
  entered_quantity: number;
  pack_qty: number;
  uom: string | null;
  round: number;
  counted_by: string;
  device_id: string | null;
  counted_at: string;
  received_at: string;
  voided: boolean;
  voided_at: string | null;
  voided_by: string | null;
  void_reason: string | null;
}

export type EntryWarning = 'duplicate_serial';

export interface SubmitResult {
  /**
   * accepted: a new entry; duplicate: this client_id was already taken with the same content
   * (nothing changed); unknown_item: the barcode matches no item — captured for follow-up.
   */
  result: 'accepted' | 'duplicate' | 'unknown_item';
  entry: CountEntry;
  warnings?: EntryWarning[];
  captured?: boolean;
}

export interface SyncResult {
  /** Position in the batch. */
  index: number;
  client_id: string | null;
  result: 'accepted' | 'duplicate' | 'conflict';
  reason?: ConflictReason;
  message?: string;
  /** The entry is stored although it is reported as a conflict (unknown_item, duplicate_serial). */
  captured?: boolean;
  entry_id?: string;
}

export interface SyncAnswer {
  results: SyncResult[];
  accepted: number;
  duplicate: number;
  conflict: number;
}

export interface UnknownItem {
  barcode: string;
  location_id: string;
  location_code: string;
  entry_count: number;
  /** Sum of the quantities counted (no pack size is known for an unknown code). */
  quantity: number;
  counters: number;
  first_counted_at: string;
  last_counted_at: string;
}

export interface EntryListOptions {
  mine?: boolean;
  location_id?: string;
  include_voided?: boolean;
  cursor?: string;
  limit: number;
}

export interface CountEntries {
  /** One entry, idempotent on client_id. Staff only where assigned. */
  submit(sessionId: string, body: unknown, actor: IngestActor, context: AuditContext): Promise<SubmitResult>;
  /** An offline batch: one result per entry, in order; nothing dropped silently. */
  sync(entries: readonly unknown[], actor: IngestActor, context: AuditContext): Promise<SyncAnswer>;
  void(entryId: string, reason: string, actor: IngestActor, context: AuditContext): Promise<CountEntry>;
  listEntries(sessionId: string, options: EntryListOptions, actor: IngestActor): Promise<Page<CountEntry>>;
  unknownItems(sessionId: string, options: { cursor?: string; limit: number }): Promise<Page<UnknownItem>>;
  listLines(sessionId: string, options: LineListOptions, actor: IngestActor): Promise<Page<CountLine>>;
  completeLocation(
    sessionId: string,
    locationId: string,
    actor: IngestActor,
    context: AuditContext,
  ): Promise<LocationCompletion>;
}

const qty = (e3: number) => fromScaled(Number(e3), QUANTITY_SCALE);

export function toCountEntry(
  row: CountEntryRow,
  item: { item_code: string | null; item_name: string | null },
): CountEntry {
  return {
    id: row.id,
    client_id: row.client_id,
    session_id: row.session_id,
    location_id: row.location_id,
    item_id: row.item_id,
    item_code: item.item_code,
    item_name: item.item_name,
    barcode: row.barcode,
    lot: row.lot === '' ? null : row.lot,
    serial: row.serial,
    quantity: qty(row.quantity_e3),
    entered_quantity: qty(row.entered_qty_e3),
    pack_qty: qty(row.pack_qty_e3),
    uom: row.uom,
    round: Number(row.round),
    counted_by: row.counted_by,
    device_id: row.device_id,
    counted_at: row.counted_at,
    received_at: row.received_at,
    voided: row.voided_at !== null,
    voided_at: row.voided_at,
    voided_by: row.voided_by,
    void_reason: row.void_reason,
  };
}

/** The HTTP answer of each reason for the online POST (the batch reports them per entry). */
const REASON_ERRORS: Record<
  Exclude<ConflictReason, 'unknown_item' | 'duplicate_serial'>,
  [number, string]
> = {
  invalid_entry: [400, 'VALIDATION_ERROR'],
  invalid_quantity: [400, 'INVALID_QUANTITY'],
  client_id_conflict: [409, 'CLIENT_ID_CONFLICT'],
  session_not_found: [404, 'NOT_FOUND'],
  session_not_counting: [409, 'SESSION_NOT_COUNTING'],
  location_not_in_scope: [409, 'LOCATION_NOT_IN_SCOPE'],
  not_assigned: [403, 'NOT_ASSIGNED'],
  item_not_found: [400, 'ITEM_NOT_FOUND'],
  lot_required: [400, 'LOT_REQUIRED'],
  serial_required: [400, 'SERIAL_REQUIRED'],
  same_counter: [409, 'SAME_COUNTER'],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createCountEntries(deps: CountingDeps): CountEntries {
  const { db, clock, ids, audit, items } = deps;
  const lines: CountLines = createCountLines(deps);

  /** Barcodes and items of the well-formed entries, resolved before the transaction opens. */
  async function resolve(parsed: readonly ParseResult[]): Promise<Resolved> {
    const barcodes = new Set<string>();
    const itemIds = new Set<string>();
    for (const result of parsed) {
      if (!result.ok) continue;
      if (result.entry.barcode !== null) barcodes.add(result.entry.barcode);
      if (result.entry.item_id !== null) itemIds.add(result.entry.item_id);
    }
    return {
      barcodes: barcodes.size > 0 ? await items.lookupMany([...barcodes]) : new Map(),
      items: itemIds.size > 0 ? await items.summaries([...itemIds]) : new Map(),
    };
  }

  /**
   * Runs the ingest in one audited transaction. A unique violation means another request stored
   * one of these client_ids in the meantime: the second try sees it and answers duplicate/conflict.
   */
  async function ingest(
    parsed: readonly ParseResult[],
    actor: IngestActor,
    context: AuditContext,
    audited: (outcomes: Outcome[]) => AuditEvent | null,
  ): Promise<Outcome[]> {
    const resolved = await resolve(parsed);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await audit.transaction(context, async (trx, record) => {
          const outcomes = await ingestEntries(trx, parsed, resolved, actor, { ids, now: clock.now() });
          const event = audited(outcomes);
          if (event) record(event);
          return outcomes;
        });
      } catch (error) {
        if (attempt === 0 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  /** The audit entry of one accepted online entry. */
  function entryCreated(outcome: Outcome | undefined): AuditEvent | null {
    if (outcome?.kind !== 'accepted') return null;
    const { entry } = outcome;
    return {
      type: 'DATA_CREATE',
      action: 'count_entry.create',
      resource: { type: 'count_entry', id: entry.id },
      details: {
        session_id: entry.session_id,
        location_id: entry.location_id,
        item_id: entry.item_id,
        quantity: toDecimalString(entry.quantity_e3, QUANTITY_SCALE),
        round: entry.round,
        unknown_item: outcome.item === null,
        duplicate_serial: outcome.duplicateSerial,
      },
    };
  }

  interface SingleEntry {
    parsed: ParseResult;
    actor: IngestActor;
    context: AuditContext;
  }

  /**
   * Online entries of one session that arrive together share a transaction (group-commit.ts).
   * Each counter's entries go through the ingest together, as an offline batch of theirs would,
   * and each entry is audited under its own request.
   */
  const singles = createGroupCommit<SingleEntry, Outcome>({
    maxGroup: 128,
    runAlone: async ({ parsed, actor, context }) =>
      (await ingest([parsed], actor, context, ([only]) => entryCreated(only)))[0]!,
    async runGroup(jobs) {
      const resolved = await resolve(jobs.map((job) => job.parsed));
      return audit.sharedTransaction(async (trx, record) => {
        const outcomes: Outcome[] = new Array(jobs.length);
        const byActor = new Map<string, number[]>();
        jobs.forEach((job, index) => {
          byActor.set(job.actor.id, [...(byActor.get(job.actor.id) ?? []), index]);
        });
        for (const indexes of byActor.values()) {
          const actor = jobs[indexes[0]!]!.actor;
          const answered = await ingestEntries(
            trx,
            indexes.map((index) => jobs[index]!.parsed),
            resolved,
            actor,
            { ids, now: clock.now() },
          );
          indexes.forEach((index, position) => {
            outcomes[index] = answered[position]!;
          });
        }
        jobs.forEach((job, index) => {
          const event = entryCreated(outcomes[index]);
          if (event) record(job.context, event);
        });
        return outcomes;
      });
    },
  });

  function itemNames(outcome: Outcome): { item_code: string | null; item_name: string | null } {
    if (outcome.kind === 'accepted' && outcome.item) {
      return { item_code: outcome.item.item_code, item_name: outcome.item.name };
    }
    return { item_code: null, item_name: null };
  }

  async function view(id: string): Promise<CountEntry> {
    const [row] = await store.findEntryViews(db, [id]);
    if (!row) throw notFound('Count entry');
    return toCountEntry(row, row);
  }

  return {
    async submit(sessionId, body, actor, context) {
      const parsed = parseEntry(body, { sessionId, userId: actor.id, now: clock.now() });
      const outcome = await singles.submit(sessionId, { parsed, actor, context });
      if (outcome.kind === 'conflict') {
        const [status, code] = REASON_ERRORS[outcome.reason as keyof typeof REASON_ERRORS];
        throw new AppError(
          status,
          code,
          outcome.message,
          outcome.field !== undefined ? [{ field: outcome.field, message: outcome.message }] : undefined,
        );
      }
      if (outcome.kind === 'duplicate') return { result: 'duplicate', entry: await view(outcome.entry.id) };
      const entry = toCountEntry(outcome.entry, itemNames(outcome));
      if (outcome.item === null) return { result: 'unknown_item', entry, captured: true };
      return {
        result: 'accepted',
        entry,
        ...(outcome.duplicateSerial ? { warnings: ['duplicate_serial' as const] } : {}),
      };
    },

    async sync(raw, actor, context) {
      const now = clock.now();
      const parsed = raw.map((entry) => parseEntry(entry, { userId: actor.id, now }));
      const outcomes = await ingest(parsed, actor, context, (all) => {
        const stored = all.filter((outcome) => outcome.kind === 'accepted');
        // A replayed batch changes nothing, the audit trail included.
        if (stored.length === 0) return null;
        const sessions = [...new Set(stored.map((outcome) => outcome.entry.session_id))].sort();
        const reasons: Record<string, number> = {};
        for (const outcome of all) {
          if (outcome.kind === 'conflict') reasons[outcome.reason] = (reasons[outcome.reason] ?? 0) + 1;
        }
        return {
          type: 'DATA_BULK_OPERATION',
          action: 'count_entry.sync',
          resource: { type: 'count_session', id: sessions.length === 1 ? sessions[0]! : null },
          details: {
            session_ids: sessions,
            entries: all.length,
            accepted: stored.length,
            unknown_items: stored.filter((outcome) => outcome.item === null).length,
            duplicate_serials: stored.filter((outcome) => outcome.duplicateSerial).length,
            duplicate: all.filter((outcome) => outcome.kind === 'duplicate').length,
            rejected: reasons,
          },
        };
      });
      const results = outcomes.map((outcome, index): SyncResult => {
        if (outcome.kind === 'duplicate') {
          return {
            index,
            client_id: outcome.entry.client_id,
            result: 'duplicate',
            entry_id: outcome.entry.id,
          };
        }
        if (outcome.kind === 'conflict') {
          return {
            index,
            client_id: outcome.client_id,
            result: 'conflict',
            reason: outcome.reason,
            message: outcome.message,
            captured: false,
          };
        }
        const base = { index, client_id: outcome.entry.client_id, entry_id: outcome.entry.id };
        if (outcome.item === null) {
          return {
            ...base,
            result: 'conflict',
            reason: 'unknown_item',
            message: `Barcode ${outcome.entry.barcode} matches no item: the entry is kept for follow-up`,
            captured: true,
          };
        }
        if (outcome.duplicateSerial) {
          return {
            ...base,
            result: 'conflict',
            reason: 'duplicate_serial',
            message: `Serial ${outcome.entry.serial} was already counted in this session: the entry is kept and flagged`,
            captured: true,
          };
        }
        return { ...base, result: 'accepted' };
      });
      return {
        results,
        accepted: results.filter((result) => result.result === 'accepted').length,
        duplicate: results.filter((result) => result.result === 'duplicate').length,
        conflict: results.filter((result) => result.result === 'conflict').length,
      };
    },

    async void(entryId, reason, actor, context) {
      if (!UUID.test(entryId)) throw notFound('Count entry');
      const now = clock.now().toISOString();
      await audit.transaction(context, async (trx, record) => {
        const entry = await store.findEntry(trx, entryId);
        if (!entry) throw notFound('Count entry');
        const session = await store.lockSession(trx, entry.session_id);
        if (!session) throw notFound('Count session');
        // Counters void their own entries (the "undo" of the scan screen); supervisors any.
        if (actor.role === 'staff' && entry.counted_by !== actor.id) {
          throw new AppError(
            403,
            'NOT_ENTRY_OWNER',
            'Only the counter who made an entry (or a supervisor) may void it',
          );
        }
        if (session.status !== 'counting') throw sessionNotCounting(session.status);
        if (
          !(await store.markVoided(trx, entryId, {
            voided_at: now,
            voided_by: actor.id,
            void_reason: reason,
          }))
        ) {
          throw new AppError(409, 'ENTRY_ALREADY_VOIDED', 'This entry is already voided');
        }
        await removeFromLine(trx, entry, now);
        if (entry.item_id !== null && entry.serial !== null) {
          await refreshSerialFlags(
            trx,
            entry.session_id,
            [{ item_id: entry.item_id, serial: entry.serial }],
            now,
            [{ location_id: entry.location_id, item_id: entry.item_id, lot: entry.lot }],
          );
        }
        record({
          type: 'DATA_UPDATE',
          action: 'count_entry.void',
          resource: { type: 'count_entry', id: entryId },
          details: {
            session_id: entry.session_id,
            location_id: entry.location_id,
            item_id: entry.item_id,
            quantity: toDecimalString(Number(entry.quantity_e3), QUANTITY_SCALE),
            round: Number(entry.round),
          },
        });
      });
      return view(entryId);
    },

    async listEntries(sessionId, options, actor) {
      const session = await findSession(db, sessionId);
      if (!session) throw notFound('Count session');
      const before = options.cursor
        ? decodeCursor<[string, string]>(
            options.cursor,
            (key) => key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string',
          )
        : undefined;
      // A counter sees their own entries only; anyone may ask for just their own with mine=true.
      const mine = actor.role === 'staff' || options.mine === true;
      const rows = await store.listEntries(db, {
        sessionId,
        ...(mine ? { countedBy: actor.id } : {}),
        ...(options.location_id !== undefined ? { locationId: options.location_id } : {}),
        includeVoided: options.include_voided !== false,
        ...(before !== undefined ? { before } : {}),
        limit: options.limit + 1,
      });
      return toPage(
        rows,
        options.limit,
        (row) => toCountEntry(row, row),
        (row) => [row.received_at, row.id],
      );
    },

    async unknownItems(sessionId, options) {
      const session = await findSession(db, sessionId);
      if (!session) throw notFound('Count session');
      const after = options.cursor
        ? decodeCursor<[string, string]>(
            options.cursor,
            (key) => key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string',
          )
        : undefined;
      const rows = await store.listUnknownItems(db, {
        sessionId,
        ...(after !== undefined ? { after } : {}),
        limit: options.limit + 1,
      });
      return toPage(
        rows,
        options.limit,
        (row) => ({
          barcode: row.barcode,
          location_id: row.location_id,
          location_code: row.location_code,
          entry_count: Number(row.entry_count),
          quantity: qty(Number(row.quantity_e3)),
          counters: Number(row.counters),
          first_counted_at: row.first_counted_at,
          last_counted_at: row.last_counted_at,
        }),
        (row) => [row.barcode, row.location_id],
      );
    },

    listLines: (sessionId, options, actor) => lines.list(sessionId, options, actor),
    completeLocation: (sessionId, locationId, actor, context) =>
      lines.completeLocation(sessionId, locationId, actor, context),
  };
}
