import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { LINE_RESOLUTIONS, LINE_STATUSES } from '../counting.tables.ts';
import { CONFLICT_REASONS } from './entry-input.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });

/** Exact decimals arrive as JSON numbers or decimal strings; the service checks scale and sign. */
const Quantity = Type.Unsafe<number | string>({
  type: ['number', 'string'],
  maxLength: 40,
  description:
    'How many were counted, e.g. 12, 2.5 or "2.5": not negative, at most 3 decimal places. In the unit of ' +
    'the scanned barcode: a pack barcode multiplies it by its pack size',
});

const entryFields = {
  client_id: Type.String({
    format: 'uuid',
    description: 'UUID the device generates for this observation: a retry with the same id is accepted once',
  }),
  location_id: Uuid,
  barcode: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 80,
      description: 'The scanned code (give this or item_id). A code matching no item is captured as unknown',
    }),
  ),
  item_id: Type.Optional(
    Type.String({ format: 'uuid', description: 'The item, when chosen rather than scanned' }),
  ),
  quantity: Quantity,
  uom: Type.Optional(
    nullable(Type.String({ maxLength: 16, description: 'Unit the counter used (informative)' })),
  ),
  lot: Type.Optional(
    nullable(
      Type.String({ maxLength: 64, description: 'Required for lot-tracked items; ignored otherwise' }),
    ),
  ),
  serial: Type.Optional(
    nullable(
      Type.String({
        maxLength: 100,
        description: 'Required for serial-tracked items (quantity 1); ignored otherwise',
      }),
    ),
  ),
  device_id: Type.Optional(nullable(Type.String({ maxLength: 100 }))),
  counted_at: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'When the device counted it (offline entries arrive later); default: now. At most 5 minutes ahead',
    }),
  ),
};

export const SubmitEntryBody = Type.Object(entryFields, {
  additionalProperties: false,
  title: 'NewCountEntry',
});

export const CountEntrySchema = Type.Object(
  {
    id: Type.String(),
    client_id: Type.String(),
    session_id: Type.String(),
    location_id: Type.String(),
    item_id: nullable(Type.String()),
    item_code: nullable(Type.String()),
    item_name: nullable(Type.String()),
    barcode: nullable(Type.String()),
    lot: nullable(Type.String()),
    serial: nullable(Type.String()),
    quantity: Type.Number({ description: 'In the base unit: entered_quantity × pack_qty' }),
    entered_quantity: Type.Number(),
    pack_qty: Type.Number(),
    uom: nullable(Type.String()),
    round: Type.Integer({ description: '1 = the count, 2+ = recounts' }),
    counted_by: Type.String(),
    device_id: nullable(Type.String()),
    counted_at: Timestamp,
    received_at: Timestamp,
    voided: Type.Boolean(),
    voided_at: nullable(Timestamp),
    voided_by: nullable(Type.String()),
    void_reason: nullable(Type.String()),
  },
  { title: 'CountEntry' },
);

export const SubmitResultSchema = Type.Object(
  {
    result: stringEnum(
      ['accepted', 'duplicate', 'unknown_item'] as const,
      'accepted: stored | duplicate: this client_id was stored before with the same content, nothing changed | ' +
        'unknown_item: the barcode matches no item; the entry is captured for follow-up',
    ),
    entry: CountEntrySchema,
    warnings: Type.Optional(
      Type.Array(stringEnum(['duplicate_serial'] as const), {
        description:
          'duplicate_serial: this serial is already counted in the session; both lines are flagged',
      }),
    ),
    captured: Type.Optional(Type.Boolean()),
  },
  { title: 'CountEntryResult' },
);

export const SessionIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const EntryIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const LocationCompleteParams = Type.Object(
  { id: Uuid, location_id: Uuid },
  { additionalProperties: false },
);

export const ListEntriesQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    mine: Type.Optional(Type.Boolean({ description: 'Only my entries (always so for staff)' })),
    location_id: Type.Optional(Uuid),
    include_voided: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const CountEntryPageSchema = pageSchema(CountEntrySchema, 'CountEntryPage');

export const VoidEntryBody = Type.Object(
  {
    reason: Type.String({
      minLength: 1,
      maxLength: 500,
      pattern: '\\S',
      description: 'Why the entry is wrong: 1 to 500 characters, not blank',
    }),
  },
  { additionalProperties: false },
);

/**
 * Each element is checked on its own, so one malformed entry is reported in its result instead
 * of failing the batch: the schema documents the shape without constraining it.
 */
const SyncEntryDoc = Type.Unsafe<unknown>({
  title: 'SyncEntry',
  description:
    'A NewCountEntry plus session_id. Checked entry by entry: a malformed one gets a conflict ' +
    '(invalid_entry or invalid_quantity) in its result, the others are still taken',
  // Descriptions only, no types: a wrong type is that entry's conflict, not the batch's 400.
  properties: {
    session_id: { description: 'UUID of the count session' },
    ...Object.fromEntries(
      Object.keys(entryFields).map((key) => [key, { description: 'As in NewCountEntry' }]),
    ),
  },
});

export const SyncBatchBody = Type.Object(
  { entries: Type.Array(SyncEntryDoc, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);

export const SyncResultSchema = Type.Object(
  {
    index: Type.Integer({ description: 'Position of the entry in the batch' }),
    client_id: nullable(Type.String()),
    result: stringEnum(['accepted', 'duplicate', 'conflict'] as const),
    reason: Type.Optional(stringEnum(CONFLICT_REASONS)),
    message: Type.Optional(Type.String()),
    captured: Type.Optional(
      Type.Boolean({
        description: 'true: the entry is stored despite the conflict (unknown_item, duplicate_serial)',
      }),
    ),
    entry_id: Type.Optional(Type.String()),
  },
  { title: 'SyncResult' },
);

export const SyncAnswerSchema = Type.Object(
  {
    results: Type.Array(SyncResultSchema, { description: 'One per entry sent, in the same order' }),
    accepted: Type.Integer(),
    duplicate: Type.Integer(),
    conflict: Type.Integer(),
  },
  { title: 'SyncBatchResult' },
);

export const UnknownItemSchema = Type.Object(
  {
    barcode: Type.String(),
    location_id: Type.String(),
    location_code: Type.String(),
    entry_count: Type.Integer(),
    quantity: Type.Number(),
    counters: Type.Integer({ description: 'How many different users counted it' }),
    first_counted_at: Timestamp,
    last_counted_at: Timestamp,
  },
  { title: 'UnknownItem' },
);
export const UnknownItemPageSchema = pageSchema(UnknownItemSchema, 'UnknownItemPage');
export const UnknownItemsQuery = Type.Object(
  { limit: LimitQuery, cursor: CursorQuery },
  { additionalProperties: false },
);

const LineStatus = stringEnum(LINE_STATUSES);

export const CountLineSchema = Type.Object(
  {
    id: Type.String(),
    session_id: Type.String(),
    location_id: Type.String(),
    location_code: Type.String(),
    item_id: Type.String(),
    item_code: Type.String(),
    item_name: Type.String(),
    base_uom: Type.String(),
    lot: nullable(Type.String()),
    expected: Type.Boolean({ description: 'In the snapshot; false: found but not expected' }),
    round: Type.Integer(),
    counted_qty: nullable(Type.Number({ description: 'Sum of the live entries of the current round' })),
    entry_count: Type.Integer(),
    status: LineStatus,
    flags: Type.Array(Type.String()),
    updated_at: Timestamp,
    rounds: Type.Optional(
      Type.Array(
        Type.Object({ round: Type.Integer(), counted_qty: Type.Number(), entry_count: Type.Integer() }),
      ),
    ),
    book_qty: Type.Optional(Type.Number({ description: 'Omitted for counters in a blind session' })),
    unit_cost: Type.Optional(Type.Number()),
    variance_qty: Type.Optional(nullable(Type.Number({ description: 'counted − book; null until counted' }))),
    variance_value: Type.Optional(nullable(Type.Number({ description: 'variance_qty × unit_cost' }))),
    current_book_qty: Type.Optional(
      nullable(Type.Number({ description: 'The book when it moved after the snapshot (flag book_changed)' })),
    ),
    reason_code: Type.Optional(nullable(Type.String())),
    resolution: Type.Optional(nullable(stringEnum(LINE_RESOLUTIONS))),
    adjustment_qty: Type.Optional(
      nullable(Type.Number({ description: 'Set by a resolution; otherwise the adjustment is variance_qty' })),
    ),
    decided_by: Type.Optional(nullable(Type.String())),
    decided_at: Type.Optional(nullable(Timestamp)),
  },
  { title: 'CountLine' },
);
export const CountLinePageSchema = pageSchema(CountLineSchema, 'CountLinePage');

export const ListLinesQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    location_id: Type.Optional(Uuid),
    status: Type.Optional(LineStatus),
    has_variance: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const LocationCompletionSchema = Type.Object(
  {
    session_id: Type.String(),
    location_id: Type.String(),
    completed_at: Timestamp,
    zeroed_lines: Type.Integer({ description: 'Expected lines nobody had counted, now counted as zero' }),
  },
  { title: 'LocationCompletion' },
);
