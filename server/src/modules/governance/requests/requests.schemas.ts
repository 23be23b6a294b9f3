import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { DisplayName, Username } from '../../users/users.schemas.ts';
import { REQUEST_ACTIONS } from './requests.service.ts';
import { REQUEST_STATUSES, REQUEST_TYPES } from './requests.store.ts';

const Time = Type.String({ format: 'date-time' });
const RequestType = stringEnum(REQUEST_TYPES);
const Status = stringEnum(REQUEST_STATUSES);

const Corrections = Type.Object(
  { display_name: Type.Optional(DisplayName), username: Type.Optional(Username) },
  { additionalProperties: false, description: 'rectification only: the corrected values' },
);

export const CreateRequestBody = Type.Object(
  {
    request_type: RequestType,
    subject_id: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The data subject: a user id or a username',
    }),
    subject_email: Type.Optional(nullable(Type.String({ format: 'email', maxLength: 254 }))),
    details: Type.Optional(nullable(Type.String({ maxLength: 2000, description: 'Notes on the request' }))),
    corrections: Type.Optional(nullable(Corrections)),
  },
  { additionalProperties: false },
);

export const ProcessBody = Type.Object(
  {
    action: Type.Optional(
      stringEnum(
        REQUEST_ACTIONS,
        'verify (received → verified) | process (verified → processing → completed: does the work) | reject (needs reason) | extend (extend_days and reason). Default: the next step',
      ),
    ),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    extend_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  },
  { additionalProperties: false },
);

export const RequestIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(
      stringEnum(
        ['open', 'all', ...REQUEST_STATUSES] as const,
        'open (default: received, verified, processing) | all | one status',
      ),
    ),
    type: Type.Optional(RequestType),
    overdue: Type.Optional(Type.Boolean({ description: 'Only open requests past their due date' })),
    subject_user_id: Type.Optional(Type.String({ maxLength: 64 })),
    limit: LimitQuery,
    cursor: CursorQuery,
  },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      stringEnum(
        ['json', 'csv', 'zip'] as const,
        'json (default for access) | csv (one file, a line per value) | zip (default for portability: the JSON and a CSV per table)',
      ),
    ),
  },
  { additionalProperties: false },
);

export const DataRequestSchema = Type.Object(
  {
    id: Type.String(),
    request_type: RequestType,
    status: Status,
    subject_user_id: Type.String(),
    subject_username: nullable(Type.String()),
    subject_id: nullable(Type.String({ description: 'As given; null once the subject is erased' })),
    subject_email: nullable(Type.String()),
    details: nullable(Type.String()),
    corrections: nullable(Type.Object({}, { additionalProperties: true })),
    received_at: Time,
    due_at: Time,
    overdue: Type.Boolean(),
    extended_days: Type.Integer(),
    extension_reason: nullable(Type.String()),
    verified_at: nullable(Time),
    processing_at: nullable(Time),
    completed_at: nullable(Time),
    rejected_at: nullable(Time),
    rejection_reason: nullable(Type.String()),
    result: nullable(Type.Object({}, { additionalProperties: true })),
    export_available: Type.Boolean(),
    created_by: nullable(Type.String()),
    updated_at: Time,
  },
  { title: 'DataSubjectRequest' },
);

export const DataRequestPageSchema = pageSchema(DataRequestSchema, 'DataSubjectRequestPage');
