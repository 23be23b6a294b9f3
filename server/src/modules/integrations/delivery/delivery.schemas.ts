import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { OUTBOX_STATUSES } from '../../counting/counting.tables.ts';

const Kind = stringEnum(['webhook', 'sql'] as const);
const Time = Type.String({ format: 'date-time' });

/** Checked per kind by the service (delivery-settings.ts), so an error names the exact field. */
const SettingsBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'webhook: {url, timeout_ms?}; sql: {dialect: postgres|mysql, host, port, database, user, ssl?, table, timeout_ms?}',
  },
);

export const PutTargetBody = Type.Object(
  {
    kind: Kind,
    settings: SettingsBody,
    secret: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()], {
        description:
          'webhook: the HMAC signing key (required, at least 16 characters); sql: the database password. ' +
          'Write-only, sealed at rest, never returned; absent keeps the stored one (same kind), null removes it',
      }),
    ),
  },
  { additionalProperties: false },
);

export const TargetSchema = Type.Object(
  {
    kind: Kind,
    settings: Type.Object({}, { additionalProperties: true }),
    has_secret: Type.Boolean({ description: 'A signing key or password is stored (it is never returned)' }),
    created_at: Time,
    created_by: nullable(Type.String()),
    updated_at: Time,
    updated_by: nullable(Type.String()),
    last_test: nullable(
      Type.Object({ status: stringEnum(['ok', 'failed'] as const), message: Type.String(), tested_at: Time }),
    ),
  },
  { title: 'ErpDeliveryTarget' },
);

export const TargetTestSchema = Type.Object(
  {
    status: stringEnum(['ok', 'failed'] as const),
    message: Type.String({ description: 'Safe to show: never the secret' }),
    tested_at: Time,
    duration_ms: Type.Integer(),
  },
  { title: 'ErpDeliveryTargetTest' },
);

const Status = stringEnum(OUTBOX_STATUSES);

export const OutboxQuery = Type.Object(
  { status: Type.Optional(Status), limit: LimitQuery, cursor: CursorQuery },
  { additionalProperties: false },
);

export const OutboxIdParams = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export const OutboxMessageSchema = Type.Object(
  {
    id: Type.String(),
    topic: Type.String(),
    idempotency_key: Type.String(),
    status: Status,
    attempts: Type.Integer(),
    next_attempt_at: Time,
    last_attempt_at: nullable(Time),
    delivered_at: nullable(Time),
    last_error: nullable(Type.String()),
    created_at: Time,
    session_id: nullable(Type.String()),
    payload: Type.Object({}, { additionalProperties: true }),
  },
  { title: 'ErpOutboxMessage' },
);

export const OutboxPageSchema = pageSchema(OutboxMessageSchema, 'ErpOutboxPage');

export const SessionIdParams = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export const SessionDeliverySchema = Type.Object(
  {
    session_id: Type.String(),
    total: Type.Integer({ description: 'ERP messages of the session (one per adjustment)' }),
    pending: Type.Integer(),
    delivered: Type.Integer(),
    failed: Type.Integer(),
    last_attempt_at: nullable(Time),
    last_error: nullable(Type.String({ description: 'of the last attempted message not delivered' })),
    next_attempt_at: nullable(Time),
  },
  { title: 'CountSessionDelivery' },
);
