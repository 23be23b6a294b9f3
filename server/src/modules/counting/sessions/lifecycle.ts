import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/errors.ts';
import type { JsonObject } from '../../audit/events.ts';
import type { CountSessionRow, SessionStatus } from '../counting.tables.ts';
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
 * POST — write the adjustments of approved variances to the ERP outbox, exactly once (issue 6,
 * item 12). The status change to `posted` in the same transaction is what makes it once.
 */
export async function writeAdjustments(
  _trx: Kysely<Database>,
  _session: CountSessionRow,
): Promise<JsonObject> {
  return {};
}
