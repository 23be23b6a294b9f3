import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import {
  fromScaled,
  MONEY_SCALE,
  QUANTITY_SCALE,
  toDecimalString,
  valueE4,
} from '../../../platform/decimal.ts';
import { AppError, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { AuditContext, JsonObject } from '../../audit/events.ts';
import type {
  CountAdjustmentsTable,
  CountSessionRow,
  ErpOutboxTable,
  LineResolution,
  LineStatus,
  OutboxStatus,
} from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import { lockSession } from '../entries/entries.store.ts';
import { findSession } from '../sessions/session-access.ts';
import * as store from './posting.store.ts';

/**
 * Book changes during the count and posting (product.md section 3, steps 5 and 7).
 *
 * The book of a line is the stock level of its item-location-lot (a missing row is 0). When it no
 * longer equals the book the line was counted against — the snapshot's, or the last change already
 * seen — the line gets the flag `book_changed` and the book found (`current_book_qty_e3`). That is
 * looked for at submit, and again when the session is approved, so that a movement arriving
 * during review is not missed. A flagged line is settled by POST /api/count-lines/:id/resolve.
 *
 * Posting writes one adjustment per approved or auto-approved line whose adjustment is not zero
 * (a resolution's, else counted − snapshot book) and one ERP outbox message for each, inside the
 * transaction that moves the session to `posted`. The ERP is the book: stock_levels are not
 * touched; the ERP applies the adjustments it receives from the outbox.
 */

export const BOOK_CHANGED = 'book_changed';

/** An outbox topic: what the ERP integration routes on. */
export const STOCK_ADJUSTMENT_TOPIC = 'stock_adjustment';

const PAGE = 1000;

/** Lines whose decision a moved book undoes at approve: they go back to review. */
const DECIDED_STATUSES: readonly LineStatus[] = ['approved', 'auto_approved', 'counted', 'review'];

/**
 * Flags every line of the session whose book moved. At submit (`reopen` false) only undecided
 * lines are looked at and their status is left to the submit decision, which sends a
 * book_changed line to review. At approve (`reopen` true) decided lines are, and each one found
 * goes back to review with its decision (resolution, reason) undone. Returns how many were flagged.
 */
export async function flagMovedBook(
  trx: Kysely<Database>,
  sessionId: string,
  now: string,
  reopen: boolean,
): Promise<number> {
  const statuses: readonly LineStatus[] = reopen ? DECIDED_STATUSES : ['open', 'counted'];
  let flagged = 0;
  let after: string | null = null;
  for (;;) {
    const page = await store.movedBookPage(trx, sessionId, statuses, after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    for (const line of page) {
      const flags = [...new Set([...(JSON.parse(line.flags) as string[]), BOOK_CHANGED])];
      await store.markBookChanged(
        trx,
        { id: line.id, flags: JSON.stringify(flags), current_book_qty_e3: line.stock_qty_e3 },
        reopen,
        now,
      );
      flagged += 1;
    }
    if (page.length < PAGE) break;
  }
  return flagged;
}

export function bookChanged(lines: number | null): AppError {
  const what =
    lines === null
      ? 'The book changed while the session was being approved: approve again to see the lines it concerns'
      : `The book changed since the count for ${lines} ${lines === 1 ? 'line' : 'lines'}: ${lines === 1 ? 'it is' : 'they are'} back in review with the flag book_changed; resolve ${lines === 1 ? 'it' : 'them'} (keep counted or keep difference), then approve again`;
  return new AppError(409, 'BOOK_CHANGED', what);
}

/**
 * Before a session is approved, in a transaction of its own so that the flags stay when the
 * approval is refused: lines whose book moved go back to review, and the approval answers 409
 * BOOK_CHANGED naming how many. Nothing is written (nor audited) when nothing moved.
 */
export async function flagBookBeforeApprove(
  deps: Pick<CountingDeps, 'audit' | 'clock'>,
  sessionId: string,
  context: AuditContext,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  const flagged = await deps.audit.transaction(context, async (trx, record) => {
    const session = await lockSession(trx, sessionId);
    // Any other state: the approval itself answers (illegal transition, not found).
    if (session?.status !== 'review') return 0;
    const lines = await flagMovedBook(trx, sessionId, now, true);
    if (lines > 0) {
      record({
        type: 'DATA_UPDATE',
        action: 'count_lines.book_changed',
        resource: { type: 'count_session', id: sessionId },
        details: { session_name: session.name, lines, found_at: 'approve' },
      });
    }
    return lines;
  });
  if (flagged > 0) throw bookChanged(flagged);
}

/**
 * Inside the approval's transaction: refuses it when a decided line's book moved after the check
 * above (a movement in between). Rolled back with the approval; the next attempt flags the lines.
 */
export async function refuseMovedBook(trx: Kysely<Database>, sessionId: string): Promise<void> {
  const moved = await store.movedBookPage(trx, sessionId, DECIDED_STATUSES, null, 1);
  if (moved.length > 0) throw bookChanged(null);
}

/**
 * POST: writes the session's adjustments and their outbox messages, in the transaction that moves
 * it to posted (run only by the one step that won the version-checked status change). Returns the
 * figures of the post's audit entry: how many adjustments, their net value, gains and losses.
 */
export async function writeAdjustments(
  trx: Kysely<Database>,
  session: CountSessionRow,
  deps: { ids: IdGenerator; now: string },
): Promise<JsonObject> {
  const { ids, now } = deps;
  const warehouse = await store.warehouseCode(trx, session.warehouse_id);
  let adjustments = 0;
  let messages = 0;
  let gain = 0;
  let loss = 0;
  let after: string | null = null;
  for (;;) {
    const page = await store.adjustableLinesPage(trx, session.id, after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const rows: CountAdjustmentsTable[] = [];
    const outbox: ErpOutboxTable[] = [];
    for (const line of page) {
      const value = valueE4(line.adjustment_qty_e3, line.unit_cost_e4);
      if (value >= 0) gain += value;
      else loss += value;
      const adjustment: CountAdjustmentsTable = {
        id: ids.uuid(),
        line_id: line.id,
        session_id: session.id,
        item_id: line.item_id,
        location_id: line.location_id,
        lot: line.lot,
        qty_e3: line.adjustment_qty_e3,
        unit_cost_e4: line.unit_cost_e4,
        value_e4: value,
        reason_code: line.reason_code,
        resolution: line.resolution,
        created_at: now,
      };
      rows.push(adjustment);
      // What an ERP needs to book it, in its own terms (codes, decimal strings), with no lookup.
      const payload = {
        adjustment_id: adjustment.id,
        count_line_id: line.id,
        session_id: session.id,
        session_name: session.name,
        warehouse_code: warehouse,
        item_code: line.item_code,
        location_code: line.location_code,
        lot: line.lot === '' ? null : line.lot,
        quantity: toDecimalString(line.adjustment_qty_e3, QUANTITY_SCALE),
        uom: line.base_uom,
        unit_cost: toDecimalString(line.unit_cost_e4, MONEY_SCALE),
        value: toDecimalString(value, MONEY_SCALE),
        reason_code: line.reason_code,
        resolution: line.resolution,
        posted_at: now,
      };
      outbox.push({
        id: ids.uuid(),
        topic: STOCK_ADJUSTMENT_TOPIC,
        idempotency_key: store.adjustmentKey(line.id),
        payload: JSON.stringify(payload),
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        delivered_at: null,
        last_error: null,
      });
    }
    adjustments += await store.insertAdjustments(trx, rows);
    messages += await store.insertOutbox(trx, outbox);
    if (page.length < PAGE) break;
  }
  return {
    adjustments,
    outbox_messages: messages,
    total_value: toDecimalString(gain + loss, MONEY_SCALE),
    gain_value: toDecimalString(gain, MONEY_SCALE),
    loss_value: toDecimalString(loss, MONEY_SCALE),
  };
}

export interface CountAdjustment {
  id: string;
  line_id: string;
  session_id: string;
  item_id: string;
  item_code: string;
  item_name: string;
  base_uom: string;
  location_id: string;
  location_code: string;
  lot: string | null;
  /** Signed, in the base unit: positive adds to the book. */
  quantity: number;
  unit_cost: number;
  value: number;
  reason_code: string | null;
  resolution: LineResolution | null;
  created_at: string;
  /** Delivery state of its ERP message. */
  erp_status: OutboxStatus | null;
}

export interface CountPosting {
  listAdjustments(
    sessionId: string,
    page: { cursor?: string; limit: number },
  ): Promise<Page<CountAdjustment>>;
}

export function createCountPosting(deps: Pick<CountingDeps, 'db'>): CountPosting {
  const { db } = deps;
  return {
    async listAdjustments(sessionId, page) {
      if (!(await findSession(db, sessionId))) throw notFound('Count session');
      const after = page.cursor
        ? decodeCursor<[string]>(page.cursor, (key) => key.length === 1 && typeof key[0] === 'string')
        : undefined;
      const rows = await store.listAdjustments(db, {
        sessionId,
        ...(after ? { afterId: after[0] } : {}),
        limit: page.limit + 1,
      });
      return toPage(
        rows,
        page.limit,
        (row): CountAdjustment => ({
          id: row.id,
          line_id: row.line_id,
          session_id: row.session_id,
          item_id: row.item_id,
          item_code: row.item_code,
          item_name: row.item_name,
          base_uom: row.base_uom,
          location_id: row.location_id,
          location_code: row.location_code,
          lot: row.lot === '' ? null : row.lot,
          quantity: fromScaled(Number(row.qty_e3), QUANTITY_SCALE),
          unit_cost: fromScaled(Number(row.unit_cost_e4), MONEY_SCALE),
          value: fromScaled(Number(row.value_e4), MONEY_SCALE),
          reason_code: row.reason_code,
          resolution: row.resolution,
          created_at: row.created_at,
          erp_status: row.erp_status,
        }),
        (row) => [row.id],
      );
    },
  };
}
