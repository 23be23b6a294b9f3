import { type TSchema, Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { COUNT_MODES, type LineStatus, SESSION_STATUSES } from '../counting.tables.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = nullable(Timestamp);

export const CountMode = stringEnum(
  COUNT_MODES,
  'standard | blind (counters never see book quantities or variances) | strict (every variance needs a reason and goes to review)',
);
export const SessionStatus = stringEnum(SESSION_STATUSES);

/** Exact decimals arrive as JSON numbers or decimal strings; the service checks scale and sign. */
const decimalInput = (description: string) =>
  Type.Unsafe<number | string>({ type: ['number', 'string'], maxLength: 40, description });

const SessionName = Type.String({
  minLength: 1,
  maxLength: 120,
  pattern: '\\S',
  description: '1 to 120 characters, not blank',
});
const Notes = Type.String({ maxLength: 2000, description: 'Up to 2,000 characters' });
const Version = Type.Integer({
  minimum: 1,
  description:
    'The version you last read: the change is refused (409 VERSION_CONFLICT) if the session changed since',
});

// Scope

export const ScopeInput = Type.Object(
  {
    location_ids: Type.Optional(
      Type.Array(Uuid, {
        maxItems: 1000,
        description: 'Location subtrees (each location and everything under it) of the warehouse; empty: all',
      }),
    ),
    categories: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }), {
        maxItems: 500,
        description: 'Item categories (exact); empty: all',
      }),
    ),
    item_ids: Type.Optional(Type.Array(Uuid, { maxItems: 10000, description: 'Items; empty: all' })),
  },
  {
    additionalProperties: false,
    description: 'What is counted; the axes combine (AND). Replaced as a whole.',
  },
);

const ScopeSchema = Type.Object(
  {
    location_ids: Type.Array(Type.String()),
    categories: Type.Array(Type.String()),
    item_ids: Type.Array(Type.String()),
  },
  { title: 'CountScope' },
);

// Tolerance

const ruleInputFields = {
  qty_abs: Type.Optional(decimalInput('Absolute quantity in base units, ≥ 0, up to 3 decimals')),
  qty_pct: Type.Optional(decimalInput('Percent of the book quantity, ≥ 0, up to 3 decimals')),
  value_abs: Type.Optional(decimalInput('Absolute value (variance × unit cost), ≥ 0, up to 4 decimals')),
  value_pct: Type.Optional(decimalInput('Percent of the book value, ≥ 0, up to 3 decimals')),
  auto_approve: Type.Optional(Type.Boolean({ description: 'Within tolerance → approved without review' })),
};
const RuleInput = Type.Object(ruleInputFields, { additionalProperties: false });

export const ToleranceInput = Type.Object(
  {
    ...ruleInputFields,
    by_abc: Type.Optional(
      Type.Object(
        { A: Type.Optional(RuleInput), B: Type.Optional(RuleInput), C: Type.Optional(RuleInput) },
        { additionalProperties: false },
      ),
    ),
    by_item_location: Type.Optional(
      Type.Array(
        Type.Object(
          { item_id: Uuid, location_id: Uuid, ...ruleInputFields },
          { additionalProperties: false },
        ),
        { maxItems: 5000 },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Session default, then by ABC class, then by item-location; each figure falls back separately to the ' +
      'next level. A figure set nowhere is no tolerance on that axis. Replaced as a whole.',
  },
);

const ruleFields = {
  qty_abs: Type.Optional(Type.Number()),
  qty_pct: Type.Optional(Type.Number()),
  value_abs: Type.Optional(Type.Number()),
  value_pct: Type.Optional(Type.Number()),
  auto_approve: Type.Optional(Type.Boolean()),
};
const Rule = Type.Object(ruleFields);

const ToleranceSchema = Type.Object(
  {
    ...ruleFields,
    auto_approve: Type.Boolean({ description: 'The session default (true unless set false)' }),
    by_abc: Type.Object({ A: Type.Optional(Rule), B: Type.Optional(Rule), C: Type.Optional(Rule) }),
    by_item_location: Type.Array(
      Type.Object({ item_id: Type.String(), location_id: Type.String(), ...ruleFields }),
    ),
  },
  { title: 'ToleranceProfile', description: 'Omitted for staff in a blind session' },
);

// Sessions

const sessionFields = {
  id: Type.String(),
  name: Type.String(),
  warehouse_id: Type.String(),
  mode: CountMode,
  status: SessionStatus,
  scope: ScopeSchema,
  tolerance: Type.Optional(ToleranceSchema),
  notes: nullable(Type.String()),
  created_by: Type.String({ description: 'User id' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: NullableTimestamp,
  submitted_at: NullableTimestamp,
  approved_at: NullableTimestamp,
  approved_by: nullable(Type.String({ description: 'User id' })),
  posted_at: NullableTimestamp,
  cancelled_at: NullableTimestamp,
  cancel_reason: nullable(Type.String()),
  version: Type.Integer({ description: 'Bumped by every change; send it back to guard an edit or a step' }),
};

export const CountSessionSchema = Type.Object(sessionFields, { title: 'CountSession' });
export const CountSessionPageSchema = pageSchema(CountSessionSchema, 'CountSessionPage');

const lineStatusCounts = Type.Object(
  {
    open: Type.Integer(),
    counted: Type.Integer(),
    auto_approved: Type.Integer(),
    recount: Type.Integer(),
    review: Type.Integer(),
    approved: Type.Integer(),
  } satisfies Record<LineStatus, TSchema>,
  { description: 'Omitted for staff in a blind session' },
);

export const CountSessionDetailSchema = Type.Object(
  {
    ...sessionFields,
    progress: Type.Object({
      snapshot_size: Type.Integer({ description: 'Item-locations (with lot) frozen at start' }),
      lines_total: Type.Integer(),
      lines_counted: Type.Integer({ description: 'Lines with a counted quantity in their current round' }),
      lines_by_status: Type.Optional(lineStatusCounts),
      assignments: Type.Integer({ description: 'Counter-location pairs' }),
      assigned_locations: Type.Integer(),
      counters: Type.Integer(),
      by_location: Type.Array(
        Type.Object({
          location_id: Uuid,
          location_code: Type.String(),
          location_name: Type.String(),
          lines_total: Type.Integer(),
          lines_counted: Type.Integer(),
        }),
        { description: 'Counted and total lines per location holding lines, by code; the first 500' },
      ),
      by_location_truncated: Type.Boolean({ description: 'More locations than by_location lists' }),
      variance: Type.Optional(
        Type.Object(
          {
            lines_with_variance: Type.Integer(),
            quantity_positive: Type.String(),
            quantity_negative: Type.String(),
            quantity_net: Type.String(),
            value_positive: Type.String(),
            value_negative: Type.String(),
            value_net: Type.String(),
          },
          {
            description:
              'Variance so far over the counted lines (exact decimal strings, gains and losses apart); omitted for staff in a blind session',
          },
        ),
      ),
    }),
  },
  { title: 'CountSessionDetail' },
);

export const SessionIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CreateSessionBody = Type.Object(
  {
    name: SessionName,
    warehouse_id: Uuid,
    mode: CountMode,
    scope: Type.Optional(ScopeInput),
    tolerance: Type.Optional(ToleranceInput),
    notes: Type.Optional(nullable(Notes)),
  },
  { additionalProperties: false },
);

export const UpdateSessionBody = Type.Object(
  {
    name: Type.Optional(SessionName),
    warehouse_id: Type.Optional(Uuid),
    mode: Type.Optional(CountMode),
    scope: Type.Optional(ScopeInput),
    tolerance: Type.Optional(ToleranceInput),
    notes: Type.Optional(nullable(Notes)),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListSessionsQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    status: Type.Optional(SessionStatus),
    warehouse_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

/** No body, `{}` or `{version}`. */
export const TransitionBody = nullable(
  Type.Object({ version: Type.Optional(Version) }, { additionalProperties: false }),
);

export const CancelBody = Type.Object(
  {
    reason: Type.String({
      minLength: 1,
      maxLength: 500,
      pattern: '\\S',
      description: 'Why; 1 to 500 characters',
    }),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);

// Assignments

export const AssignBody = Type.Object(
  {
    assignments: Type.Array(
      Type.Object(
        {
          location_id: Type.String({
            format: 'uuid',
            description: 'In scope; covers the location and its subtree',
          }),
          user_ids: Type.Array(Uuid, {
            minItems: 1,
            maxItems: 100,
            description: 'Active users with role staff or supervisor',
          }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);

const locationFields = {
  location_id: Type.String(),
  location_code: Type.String(),
  location_name: Type.String(),
  location_kind: Type.String(),
  path_codes: Type.Array(Type.String(), { description: 'Codes from the root down to the location' }),
};

export const AssignmentSchema = Type.Object(
  {
    session_id: Type.String(),
    ...locationFields,
    user_id: Type.String(),
    username: Type.String(),
    display_name: Type.String(),
    role: Type.String(),
    assigned_by: Type.String({ description: 'User id' }),
    assigned_at: Timestamp,
  },
  { title: 'CountAssignment' },
);

export const AssignmentPageSchema = pageSchema(AssignmentSchema, 'CountAssignmentPage');

export const AssignResultSchema = Type.Object(
  {
    added: Type.Integer({ description: 'Pairs newly assigned' }),
    unchanged: Type.Integer({ description: 'Pairs that were assigned already' }),
    items: Type.Array(AssignmentSchema, { description: 'Every pair of the request, as now assigned' }),
  },
  { title: 'CountAssignResult' },
);

export const UnassignParams = Type.Object(
  { id: Uuid, location_id: Uuid, user_id: Uuid },
  { additionalProperties: false },
);

export const ListAssignmentsQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    user_id: Type.Optional(Uuid),
    location_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

const ClaimStateSchema = Type.Object(
  {
    user_id: Type.String(),
    display_name: Type.String(),
    claimed_at: Timestamp,
    heartbeat_at: Timestamp,
    expires_at: Timestamp,
    mine: Type.Boolean({ description: 'Held by the caller' }),
  },
  { title: 'CountClaimState' },
);

export const MyAssignmentSchema = Type.Object(
  {
    session_id: Type.String(),
    session_name: Type.String(),
    session_mode: CountMode,
    session_status: SessionStatus,
    warehouse_id: Type.String(),
    ...locationFields,
    assigned_at: Timestamp,
    recount_lines: Type.Integer({
      description: 'Lines under the location waiting for a recount (the session is then in review)',
    }),
    claim: nullable(ClaimStateSchema),
  },
  { title: 'MyCountAssignment', description: 'claim: the live claim on the location, null when free' },
);

export const MyAssignmentPageSchema = pageSchema(MyAssignmentSchema, 'MyCountAssignmentPage');

export const MyAssignmentsQuery = Type.Object(
  { limit: LimitQuery, cursor: CursorQuery, session_id: Type.Optional(Uuid) },
  { additionalProperties: false },
);

// Claims

export const LocationIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const ClaimBody = Type.Object({ session_id: Uuid }, { additionalProperties: false });

export const ClaimSchema = Type.Object(
  {
    session_id: Type.String(),
    location_id: Type.String(),
    user_id: Type.String(),
    display_name: Type.String(),
    claimed_at: Timestamp,
    heartbeat_at: Timestamp,
    expires_at: Timestamp,
    ttl_seconds: Type.Integer({ description: 'Renew (claim again) well before expires_at' }),
  },
  { title: 'CountClaim' },
);

export const ClaimViewSchema = Type.Object(
  {
    session_id: Type.String(),
    ...locationFields,
    user_id: Type.String(),
    username: Type.String(),
    display_name: Type.String(),
    claimed_at: Timestamp,
    heartbeat_at: Timestamp,
    expires_at: Timestamp,
    expired: Type.Boolean(),
  },
  { title: 'CountClaimView' },
);

export const ClaimPageSchema = pageSchema(ClaimViewSchema, 'CountClaimPage');

export const ListClaimsQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    include_expired: Type.Optional(Type.Boolean({ description: 'Also claims that lapsed (default false)' })),
  },
  { additionalProperties: false },
);
