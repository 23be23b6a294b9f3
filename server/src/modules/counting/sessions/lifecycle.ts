import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { systemIds } from '../../../platform/ids.ts';
import type { AuditContext, JsonObject } from '../../audit/events.ts';
import type { CountSessionRow, SessionStatus } from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import {
  flagBookBeforeApprove,
  writeAdjustments as postAdjustments,
  refuseMovedBook,
} from '../posting/posting.service.ts';
import { decideSubmittedLines } from '../review/submit-decision.ts';

/**
 * The session state machine of product.md section 3:
 *
 *   draft ──start──▶ counting ──submit──▶ review ──approve──▶ approved ──post──▶ posted
 *     └────────────── cancel (any state before posted) ──────────────▶ cancelled
 */
export const TRANSITIONS = {
  start: { from: ['draft'], to: 'counting' },
  submit: { from: ['counting'], to: 'review' },
  approve: { from: ['review'], to: 'approved' },
  post: { from: ['approved'], to: 'posted' },
  cancel: { from: ['draft', 'counting', 'review', 'approved'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly SessionStatus[]; to: SessionStatus }>;

export type LifecycleAction = keyof typeof TRANSITIONS;
export const LIFECYCLE_ACTIONS = Object.keys(TRANSITIONS) as LifecycleAction[];

/** Line statuses that keep a session from being approved. */
export const PENDING_LINE_STATUSES = ['open', 'counted', 'recount', 'review'] as const;

export function canTransition(action: LifecycleAction, status: SessionStatus): boolean {
  return (TRANSITIONS[action].from as readonly SessionStatus[]).includes(status);
}

export function illegalTransition(action: LifecycleAction, status: SessionStatus): AppError {
  const from = TRANSITIONS[action].from;
  const allowed = from.length === 1 ? `only from ${from[0]}` : `from ${from.join(', ')}`;
  return new AppError(
    409,
    'ILLEGAL_TRANSITION',
    `Cannot ${action} a session that is ${status}: ${action} is allowed ${allowed}`,
  );
}

/**
 * Hooks of the later counting work, each run inside the transition's transaction (use only
 * `trx`). What they return is added to the transition's audit entry.
 */

/**
 * SUBMIT — decide each line's status: variances against the snapshot, the tolerance profile
 * (tolerance.ts toleranceFor), auto-approve / recount / review, risk flags (issue 6, items 8–9).
 * Implemented in review/submit-decision.ts.
 */
export async function decideLineStatuses(
  trx: Kysely<Database>,
  session: CountSessionRow,
): Promise<JsonObject> {
  return decideSubmittedLines(trx, session, session.updated_at);
}

/**
 * APPROVE, before its transaction — lines whose book moved since they were decided go back to
 * review with the flag book_changed, committed, and the approval is refused with 409
 * BOOK_CHANGED naming how many (posting/posting.service.ts flagBookBeforeApprove).
 */
export async function checkBookBeforeApprove(
  deps: Pick<CountingDeps, 'audit' | 'clock'>,
  sessionId: string,
  context: AuditContext,
): Promise<void> {
  await flagBookBeforeApprove(deps, sessionId, context);
}

/**
 * APPROVE, inside its transaction — a book that moved between the check above and this
 * transaction refuses the approval (409 BOOK_CHANGED); nothing of it is kept.
 */
export async function refuseBookChangedAtApprove(
  trx: Kysely<Database>,
  session: CountSessionRow,
): Promise<void> {
  await refuseMovedBook(trx, session.id);
}

/**
 * POST — write the adjustments of approved variances and their ERP outbox messages, exactly once
 * (issue 6, item 12): only the step that won the version-checked change to `posted` gets here, in
 * that change's transaction; the UNIQUE line and idempotency keys are the backstop. Ids come from
 * the system generator: the hook has no deps of its own, and nothing tests an id's value.
 */
export async function writeAdjustments(trx: Kysely<Database>, session: CountSessionRow): Promise<JsonObject> {
  return postAdjustments(trx, session, { ids: systemIds, now: session.posted_at ?? session.updated_at });
}
