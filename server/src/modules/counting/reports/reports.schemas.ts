import { type TSchema, Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { LINE_STATUSES, type LineStatus, SESSION_STATUSES } from '../counting.tables.ts';
import { EXPORT_FORMATS, EXPORT_KIND_NAMES } from './exports/export-kinds.ts';

const Uuid = Type.String({ format: 'uuid' });
const Quantity = Type.String({ description: 'Exact decimal, base units' });
const Money = Type.String({ description: 'Exact decimal, currency' });
const Rate = nullable(
  Type.String({ description: 'A fraction as a decimal string (0.75 = 75 %); null when there is no basis' }),
);

export const SessionIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

const VarianceTotalsSchema = Type.Object(
  {
    lines_with_variance: Type.Integer(),
    quantity_positive: Quantity,
    quantity_negative: Quantity,
    quantity_net: Quantity,
    value_positive: Money,
    value_negative: Money,
    value_net: Money,
  },
  {
    description:
      'Counted lines whose count differs from the book: gains (+) and losses (−) summed apart, and their net',
  },
);

const lineStatusCounts = Type.Object(
  Object.fromEntries(LINE_STATUSES.map((status) => [status, Type.Integer()])) as unknown as Record<
    LineStatus,
    TSchema
  >,
);

export const SessionReportSchema = Type.Object(
  {
    session: Type.Object({
      id: Uuid,
      name: Type.String(),
      warehouse_id: Uuid,
      mode: Type.String(),
      status: stringEnum(SESSION_STATUSES),
    }),
    lines: Type.Object({
      total: Type.Integer(),
      counted: Type.Integer({ description: 'Lines with a count in their current round' }),
      with_variance: Type.Integer(),
    }),
    variance: VarianceTotalsSchema,
    book_value: Type.String({ description: 'Σ book quantity × unit cost of the snapshot' }),
    by_reason: Type.Array(
      Type.Object({
        reason_code: nullable(Type.String({ description: 'null: no reason given (auto-approved)' })),
        lines: Type.Integer(),
        quantity_net: Quantity,
        value_net: Money,
      }),
    ),
    by_status: lineStatusCounts,
    top_variances: Type.Array(
      Type.Object({
        line_id: Uuid,
        location_id: Uuid,
        location_code: Type.String(),
        item_id: Uuid,
        item_code: Type.String(),
        item_name: Type.String(),
        lot: nullable(Type.String()),
        status: stringEnum(LINE_STATUSES),
        book_qty: Quantity,
        counted_qty: Quantity,
        variance_qty: Quantity,
        unit_cost: Money,
        variance_value: Money,
        reason_code: nullable(Type.String()),
      }),
      { description: 'The 20 largest variances by absolute value' },
    ),
    generated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'CountSessionReport' },
);

export const ExportQuery = Type.Object(
  {
    kind: stringEnum(
      EXPORT_KIND_NAMES,
      'variance: every line with book, count and variance (csv, xlsx; not for staff) | count_sheet: a printable sheet per location (pdf, csv)',
    ),
    format: stringEnum(EXPORT_FORMATS),
  },
  { additionalProperties: false },
);

const DateParam = Type.String({ format: 'date', description: 'YYYY-MM-DD (UTC day)' });

export const PeriodQuery = Type.Object(
  {
    from: Type.Optional({ ...DateParam, description: 'First day included; default: 29 days before `to`' }),
    to: Type.Optional({ ...DateParam, description: 'Last day included; default: today' }),
    warehouse_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const AccuracyQuery = Type.Object(
  {
    ...PeriodQuery.properties,
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 200,
        default: 20,
        description: 'Rows of by_location and by_item (worst first)',
      }),
    ),
  },
  { additionalProperties: false },
);

const PeriodSchema = Type.Object({
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date' }),
  warehouse_id: nullable(Uuid),
});

const accuracyGroup = {
  lines_counted: Type.Integer(),
  lines_hit: Type.Integer(),
  hit_rate: Rate,
};

export const ACCURACY_DEFINITIONS =
  'Inventory record accuracy (IRA) over the count sessions approved in the period (approved_at within ' +
  '`from`..`to`, UTC days, both included; posted sessions count too). A line is a *hit* when its first ' +
  "count (the total of its earliest counted round, before any recount) was within the session's " +
  'tolerance for that line — the per item-location rule, else the ABC class rule, else the session default, ' +
  'each figure resolved separately, a tolerance with no figure meaning an exact match — as at submit. ' +
  '`hit_rate` = hits / counted lines, overall, by location and by item (worst first: lowest rate, then ' +
  'most misses). `value_accuracy` weighs by money instead: 1 − Σ |final variance value| / Σ book value, ' +
  'where the final variance is the approved count against the snapshot book.';

export const AccuracyReportSchema = Type.Object(
  {
    period: PeriodSchema,
    sessions: Type.Integer({ description: 'Sessions approved (or since posted) in the period' }),
    lines_counted: Type.Integer({ description: 'Lines of those sessions that were counted' }),
    lines_hit: Type.Integer({ description: 'Counted lines whose first count was within tolerance' }),
    hit_rate: { ...Rate, description: 'lines_hit / lines_counted' },
    book_value: Money,
    absolute_variance_value: Type.String({ description: 'Σ |final variance × unit cost|' }),
    value_accuracy: {
      ...Rate,
      description: '1 − absolute_variance_value / book_value (negative when the variances exceed the book)',
    },
    locations: Type.Integer({ description: 'Locations counted (by_location lists the worst `limit`)' }),
    by_location: Type.Array(
      Type.Object({
        location_id: Uuid,
        location_code: Type.String(),
        location_name: Type.String(),
        ...accuracyGroup,
      }),
    ),
    items: Type.Integer({ description: 'Items counted (by_item lists the worst `limit`)' }),
    by_item: Type.Array(
      Type.Object({
        item_id: Uuid,
        item_code: Type.String(),
        item_name: Type.String(),
        ...accuracyGroup,
        absolute_variance_value: Money,
      }),
    ),
  },
  {
    title: 'AccuracyReport',
    description: ACCURACY_DEFINITIONS,
  },
);

const shrinkageGroup = {
  shrinkage_lines: Type.Integer(),
  shrinkage_value: Money,
  gain_lines: Type.Integer(),
  gain_value: Money,
};

const Side = Type.Object({
  lines: Type.Integer(),
  quantity: Type.String({ description: 'Σ |variance|, base units' }),
  value: Type.String({ description: 'Σ |variance value|, a positive amount' }),
});

export const SHRINKAGE_DEFINITIONS =
  'The value of approved variances in the sessions approved in the period (as for accuracy): shrinkage is ' +
  'Σ |value| of the negative ones, gains of the positive ones, by reason code and by item category; ' +
  'largest shrinkage first. Values are variance × the unit cost frozen in the snapshot.';

export const ShrinkageReportSchema = Type.Object(
  {
    period: PeriodSchema,
    sessions: Type.Integer(),
    shrinkage: { ...Side, description: 'Approved negative variances (stock lost)' },
    gains: { ...Side, description: 'Approved positive variances (stock found), shown apart' },
    net_value: Type.String({ description: 'gains.value − shrinkage.value' }),
    by_reason: Type.Array(Type.Object({ reason_code: nullable(Type.String()), ...shrinkageGroup })),
    by_category: Type.Array(Type.Object({ category: nullable(Type.String()), ...shrinkageGroup })),
  },
  {
    title: 'ShrinkageReport',
    description: SHRINKAGE_DEFINITIONS,
  },
);

export const PRODUCTIVITY_DEFINITIONS =
  'Counter productivity over the live entries counted (device time) in the period, in any session of the ' +
  'warehouse; most lines counted first.';

export const ProductivityReportSchema = Type.Object(
  {
    period: PeriodSchema,
    counters: Type.Array(
      Type.Object({
        user_id: Type.String(),
        username: Type.String(),
        display_name: Type.String(),
        sessions: Type.Integer(),
        entries: Type.Integer({ description: 'Live (not voided) entries' }),
        lines_counted: Type.Integer({
          description: 'Distinct lines (item × location × lot of a session) counted',
        }),
        lines_sent_to_recount: Type.Integer({
          description: 'Of those, lines sent to a recount after the counter counted them',
        }),
        recount_rate: { ...Rate, description: 'lines_sent_to_recount / lines_counted' },
        active_seconds: Type.Integer({
          description: 'Per session, first to last entry of the counter; summed over sessions',
        }),
        lines_per_hour: {
          ...Rate,
          description: 'lines_counted / active hours, two decimals; null without active time',
        },
      }),
    ),
  },
  {
    title: 'ProductivityReport',
    description: PRODUCTIVITY_DEFINITIONS,
  },
);
