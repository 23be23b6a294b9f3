import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { fromScaled, QUANTITY_SCALE } from '../../../platform/decimal.ts';
import type { Role } from '../../../platform/http/access.ts';
import { AppError, badRequest, notFound } from '../../../platform/http/errors.ts';
import type { AuditContext } from '../../audit/events.ts';
import type { CountLineRow, LineResolution, LineStatus } from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import { lockSession } from '../entries/entries.store.ts';
import { lineKeyOf } from '../entries/lines.store.ts';
import { BOOK_CHANGED } from '../posting/posting.service.ts';
import { parseStoredTolerance, toleranceFor } from '../sessions/tolerance.ts';
import * as store from './review.store.ts';
import { NOT_COUNTED } from './submit-decision.ts';
import { withinTolerance } from './variance-rules.ts';

/**
 * Review of a submitted session (product.md section 3, step 6; issue 6 items 9 and 11).
 *
 * - approve: a line in review (or counted, when the profile does not auto-approve) becomes
 *   approved; a non-zero variance needs a reason code; nobody approves a line they have a live
 *   entry on (403 OWN_COUNT); a line never counted cannot be approved (409 LINE_NOT_COUNTED:
 *   reject it for a recount).
 * - reject = recount: the line moves to the next round, its current count cleared (the earlier
 *   rounds stay in count_line_rounds); the session stays in review and only such lines take
 *   entries, from a counter who has no live entry on the line in an earlier round (409
 *   SAME_COUNTER), blind: staff never see the earlier rounds nor the book of a recount line.
 * - close recounts: each recount line that has been counted is compared with the round before:
 *   the same quantity confirms the count (flag recount_confirmed; auto-approved when within
 *   tolerance and the profile allows it, else review); a different one goes to review with the
 *   flag recount_disagrees, both rounds showing in the line's `rounds`. Recount lines not counted
 *   yet stay in recount (and keep the session from being approved). A line whose book changed
 *   always goes to review: a recount does not settle a book change.
 * - resolve: settles a line flagged book_changed (its book moved after the snapshot) in review:
 *   keep `counted` — the counted quantity is the truth, adjustment = counted − current book; keep
 *   `difference` — the difference against the snapshot still applies, adjustment = counted −
 *   snapshot book. Same rules as approve (reason code for a non-zero adjustment, never one's own
 *   count); the line becomes approved with its resolution and adjustment. Such a line is not
 *   approved plainly (409 LINE_BOOK_CHANGED): which book it is adjusted against must be chosen.
 */

export const VARIANCE_REASONS = [
  { code: 'damaged', label: 'Damaged' },
  { code: 'expired', label: 'Expired' },
  { code: 'theft', label: 'Theft or loss' },
  { code: 'misplaced', label: 'Misplaced (found elsewhere)' },
  { code: 'data_entry_error', label: 'Data entry error' },
  { code: 'supplier_shortage', label: 'Supplier shortage' },
  { code: 'unrecorded_movement', label: 'Unrecorded receipt or issue' },
  { code: 'counting_error', label: 'Earlier counting error' },
  { code: 'other', label: 'Other' },
] as const;
export const VARIANCE_REASON_CODES = VARIANCE_REASONS.map((reason) => reason.code);

export interface Reviewer {
  id: string;
  role: Role;
}

export interface LineDecisionView {
  id: string;
  session_id: string;
  status: LineStatus;
  round: number;
  reason_code: string | null;
  decided_by: string | null;
  decided_at: string | null;
  flags: string[];
  /** The snapshot's book. */
  book_qty: number;
  /** The book found when it moved after the snapshot; null while it has not. */
  current_book_qty: number | null;
  counted_qty: number | null;
  resolution: LineResolution | null;
  /** The adjustment a resolution decided; null without one (posting uses counted − book). */
  adjustment_qty: number | null;
}

export interface ResolveInput {
  keep: LineResolution;
  reason_code?: string;
}

export interface BulkApproveFilter {
  status?: 'review' | 'counted';
  location_id?: string;
  /** Only lines whose |variance| is at most this (base units). */
  max_abs_variance?: number;
}

export interface BulkApproveResult {
  approved: number;
  skipped_own_count: number;
  skipped_reason_required: number;
  skipped_not_counted: number;
  /** Lines whose book changed: each is resolved on its own. */
  skipped_book_changed: number;
}

export interface CountReview {
  approve(
    lineId: string,
    input: { reason_code?: string },
    reviewer: Reviewer,
    context: AuditContext,
  ): Promise<LineDecisionView>;
  reject(
    lineId: string,
    input: { note?: string },
    reviewer: Reviewer,
    context: AuditContext,
  ): Promise<LineDecisionView>;
  approveBulk(
    sessionId: string,
    input: { filter?: BulkApproveFilter; reason_code?: string },
    reviewer: Reviewer,
    context: AuditContext,
  ): Promise<BulkApproveResult>;
  closeRecounts(
    sessionId: string,
    context: AuditContext,
  ): Promise<{ confirmed: number; disagreed: number; still_open: number }>;
  resolve(
    lineId: string,
    input: ResolveInput,
    reviewer: Reviewer,
    context: AuditContext,
  ): Promise<LineDecisionView>;
}

const REVIEWABLE: readonly LineStatus[] = ['review', 'counted'];
const REJECTABLE: readonly LineStatus[] = ['review', 'counted', 'auto_approved'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notInReview = (status: string) =>
  new AppError(
    409,
    'SESSION_NOT_IN_REVIEW',
    `The session is ${status}: lines are reviewed only while it is in review`,
  );
const ownCount = () =>
  new AppError(
    403,
    'OWN_COUNT',
    'You counted this line: someone else must approve it (segregation of duties)',
  );

const qty = (e3: number | null) => (e3 === null ? null : fromScaled(Number(e3), QUANTITY_SCALE));

const hasBookChanged = (line: Pick<CountLineRow, 'flags'>) =>
  (JSON.parse(line.flags) as string[]).includes(BOOK_CHANGED);

const reasonRequired = (what: string) =>
  new AppError(400, 'REASON_REQUIRED', `A reason code is required to approve a non-zero ${what}`, [
    { field: 'reason_code', message: `is required when the ${what} is not zero` },
  ]);

function view(line: CountLineRow): LineDecisionView {
  return {
    id: line.id,
    session_id: line.session_id,
    status: line.status,
    round: Number(line.round),
    reason_code: line.reason_code,
    decided_by: line.decided_by,
    decided_at: line.decided_at,
    flags: JSON.parse(line.flags) as string[],
    book_qty: qty(line.book_qty_e3)!,
    current_book_qty: qty(line.current_book_qty_e3),
    counted_qty: qty(line.counted_qty_e3),
    resolution: line.resolution,
    adjustment_qty: qty(line.adjustment_qty_e3),
  };
}

/**
 * The line, read again once its session is locked (so no step of the session runs meanwhile), and
 * only while the session is in review.
 */
async function lineUnderLockedReview(trx: Kysely<Database>, lineId: string): Promise<CountLineRow> {
  const found = await store.findLine(trx, lineId);
  if (!found) throw notFound('Count line');
  const session = await lockSession(trx, found.session_id);
  if (!session) throw notFound('Count session');
  if (session.status !== 'review') throw notInReview(session.status);
  return (await store.findLine(trx, lineId))!;
}

const varianceOf = (line: CountLineRow) => Number(line.counted_qty_e3 ?? 0) - Number(line.book_qty_e3);

export function createCountReview(deps: Pick<CountingDeps, 'db' | 'clock' | 'audit'>): CountReview {
  const { clock, audit } = deps;

  return {
    async approve(lineId, input, reviewer, context) {
      if (!UUID.test(lineId)) throw notFound('Count line');
      return audit.transaction(context, async (trx, record) => {
        const line = await lineUnderLockedReview(trx, lineId);
        if (!REVIEWABLE.includes(line.status)) {
          throw new AppError(
            409,
            'LINE_NOT_IN_REVIEW',
            `The line is ${line.status}: only lines in review are approved`,
          );
        }
        if (line.counted_qty_e3 === null) {
          throw new AppError(
            409,
            'LINE_NOT_COUNTED',
            'Nobody counted this line: reject it to order a recount',
          );
        }
        if (hasBookChanged(line)) {
          throw new AppError(
            409,
            'LINE_BOOK_CHANGED',
            'The book of this line changed during the count: resolve it (keep counted or keep difference) instead',
          );
        }
        if (await store.countedLine(trx, line, reviewer.id)) throw ownCount();
        const variance = varianceOf(line);
        if (variance !== 0 && !input.reason_code) throw reasonRequired('variance');
        const now = clock.now().toISOString();
        const change = {
          status: 'approved' as const,
          reason_code: input.reason_code ?? null,
          decided_by: reviewer.id,
          decided_at: now,
        };
        await store.decideLine(trx, line.id, change, now);
        record({
          type: 'DATA_UPDATE',
          action: 'count_line.approve',
          resource: { type: 'count_line', id: line.id },
          details: {
            session_id: line.session_id,
            from: line.status,
            variance_qty_e3: variance,
            reason_code: change.reason_code,
          },
        });
        return view({ ...line, ...change, updated_at: now });
      });
    },

    async reject(lineId, input, reviewer, context) {
      if (!UUID.test(lineId)) throw notFound('Count line');
      return audit.transaction(context, async (trx, record) => {
        const line = await lineUnderLockedReview(trx, lineId);
        if (!REJECTABLE.includes(line.status)) {
          throw new AppError(
            409,
            'LINE_NOT_IN_REVIEW',
            `The line is ${line.status}: it cannot be sent to a recount`,
          );
        }
        const now = clock.now().toISOString();
        const flags = (JSON.parse(line.flags) as string[]).filter(
          (flag) => flag !== 'recount_confirmed' && flag !== 'recount_disagrees',
        );
        const change = {
          status: 'recount' as const,
          round: Number(line.round) + 1,
          counted_qty_e3: null,
          entry_count: 0,
          reason_code: null,
          decided_by: reviewer.id,
          decided_at: now,
          flags: JSON.stringify(flags),
        };
        await store.decideLine(trx, line.id, change, now);
        record({
          type: 'DATA_UPDATE',
          action: 'count_line.reject',
          resource: { type: 'count_line', id: line.id },
          details: {
            session_id: line.session_id,
            from: line.status,
            round: change.round,
            note: input.note?.trim() ?? null,
          },
        });
        return view({ ...line, ...change, updated_at: now });
      });
    },

    async approveBulk(sessionId, input, reviewer, context) {
      if (!UUID.test(sessionId)) throw notFound('Count session');
      const filter = input.filter ?? {};
      let maxE3: number | undefined;
      if (filter.max_abs_variance !== undefined) {
        if (!(filter.max_abs_variance >= 0)) {
          throw badRequest('filter.max_abs_variance must not be negative', [
            { field: 'filter.max_abs_variance', message: 'must not be negative' },
          ]);
        }
        maxE3 = Math.round(filter.max_abs_variance * 1000);
      }
      return audit.transaction(context, async (trx, record) => {
        const session = await lockSession(trx, sessionId);
        if (!session) throw notFound('Count session');
        if (session.status !== 'review') throw notInReview(session.status);
        const mine = new Set((await store.linesCountedBy(trx, sessionId, reviewer.id)).map(lineKeyOf));
        const statuses = filter.status ? [filter.status] : REVIEWABLE;
        const result: BulkApproveResult = {
          approved: 0,
          skipped_own_count: 0,
          skipped_reason_required: 0,
          skipped_not_counted: 0,
          skipped_book_changed: 0,
        };
        const now = clock.now().toISOString();
        const ids: string[] = [];
        let after: string | null = null;
        for (;;) {
          const page = await store.candidateLines(trx, sessionId, statuses, filter.location_id, after, 1000);
          if (page.length === 0) break;
          after = page[page.length - 1]!.id;
          for (const line of page) {
            const variance = varianceOf(line);
            if (maxE3 !== undefined && Math.abs(variance) > maxE3) continue;
            if (line.counted_qty_e3 === null) result.skipped_not_counted += 1;
            else if (hasBookChanged(line)) result.skipped_book_changed += 1;
            else if (mine.has(lineKeyOf(line))) result.skipped_own_count += 1;
            else if (variance !== 0 && !input.reason_code) result.skipped_reason_required += 1;
            else ids.push(line.id);
          }
          if (page.length < 1000) break;
        }
        await store.approveLines(trx, ids, {
          reason_code: input.reason_code ?? null,
          decided_by: reviewer.id,
          decided_at: now,
        });
        result.approved = ids.length;
        record({
          type: 'DATA_UPDATE',
          action: 'count_lines.approve_bulk',
          resource: { type: 'count_session', id: sessionId },
          details: {
            filter: { ...filter },
            reason_code: input.reason_code ?? null,
            ...result,
          },
        });
        return result;
      });
    },

    async closeRecounts(sessionId, context) {
      if (!UUID.test(sessionId)) throw notFound('Count session');
      return audit.transaction(context, async (trx, record) => {
        const session = await lockSession(trx, sessionId);
        if (!session) throw notFound('Count session');
        if (session.status !== 'review') throw notInReview(session.status);
        const profile = parseStoredTolerance(session.tolerance);
        const now = clock.now().toISOString();
        const out = { confirmed: 0, disagreed: 0, still_open: 0 };
        let after: string | null = null;
        for (;;) {
          const page = await store.decisionPage(trx, sessionId, ['recount'], after, 1000);
          if (page.length === 0) break;
          after = page[page.length - 1]!.id;
          for (const line of page) {
            if (line.counted_qty_e3 === null) {
              out.still_open += 1;
              continue;
            }
            const previous = await store.roundTotal(trx, line.id, Number(line.round) - 1);
            const counted = Number(line.counted_qty_e3);
            const flags = (JSON.parse(line.flags) as string[]).filter((flag) => flag !== NOT_COUNTED);
            let status: LineStatus = 'review';
            if (previous !== null && previous === counted) {
              out.confirmed += 1;
              flags.push('recount_confirmed');
              const tolerance = toleranceFor(profile, line);
              const facts = {
                item_id: line.item_id,
                location_id: line.location_id,
                abc_class: line.abc_class,
                tracking: line.tracking,
                book_qty_e3: Number(line.book_qty_e3),
                counted_qty_e3: counted,
                unit_cost_e4: Number(line.unit_cost_e4),
                current_unit_cost_e4: Number(line.current_unit_cost_e4),
                entries_without_serial: 0,
                same_counter_twice: false,
                duplicate_serial: false,
                book_changed: flags.includes(BOOK_CHANGED),
              };
              if (
                session.mode !== 'strict' &&
                !flags.includes(BOOK_CHANGED) &&
                tolerance.auto_approve &&
                withinTolerance(tolerance, facts)
              ) {
                status = 'auto_approved';
              }
            } else {
              out.disagreed += 1;
              flags.push('recount_disagrees');
            }
            await store.decideLine(trx, line.id, { status, flags: JSON.stringify([...new Set(flags)]) }, now);
          }
          if (page.length < 1000) break;
        }
        record({
          type: 'DATA_UPDATE',
          action: 'count_session.close_recounts',
          resource: { type: 'count_session', id: sessionId },
          details: out,
        });
        return out;
      });
    },

    async resolve(lineId, input, reviewer, context) {
      if (!UUID.test(lineId)) throw notFound('Count line');
      return audit.transaction(context, async (trx, record) => {
        const line = await lineUnderLockedReview(trx, lineId);
        if (line.status !== 'review' || !hasBookChanged(line)) {
          throw new AppError(
            409,
            'LINE_NOT_BOOK_CHANGED',
            line.status !== 'review'
              ? `The line is ${line.status}: only a line in review whose book changed is resolved`
              : 'The book of this line did not change during the count: approve or reject it instead',
          );
        }
        if (line.counted_qty_e3 === null) {
          throw new AppError(
            409,
            'LINE_NOT_COUNTED',
            'Nobody counted this line: reject it to order a recount',
          );
        }
        if (await store.countedLine(trx, line, reviewer.id)) throw ownCount();
        const counted = Number(line.counted_qty_e3);
        const snapshotBook = Number(line.book_qty_e3);
        // Flagged lines always carry the book found; the snapshot's is the fallback of a line
        // flagged by hand.
        const currentBook =
          line.current_book_qty_e3 === null ? snapshotBook : Number(line.current_book_qty_e3);
        const adjustment = input.keep === 'counted' ? counted - currentBook : counted - snapshotBook;
        if (adjustment !== 0 && !input.reason_code) throw reasonRequired('adjustment');
        const now = clock.now().toISOString();
        const change = {
          status: 'approved' as const,
          resolution: input.keep,
          adjustment_qty_e3: adjustment,
          reason_code: input.reason_code ?? null,
          decided_by: reviewer.id,
          decided_at: now,
        };
        await store.decideLine(trx, line.id, change, now);
        record({
          type: 'DATA_UPDATE',
          action: 'count_line.resolve',
          resource: { type: 'count_line', id: line.id },
          details: {
            session_id: line.session_id,
            keep: input.keep,
            book_qty_e3: snapshotBook,
            current_book_qty_e3: currentBook,
            counted_qty_e3: counted,
            adjustment_qty_e3: adjustment,
            reason_code: change.reason_code,
          },
        });
        return view({ ...line, ...change, updated_at: now });
      });
    },
  };
}
