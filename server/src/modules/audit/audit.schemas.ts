import { Type } from 'typebox';
import { nullable, stringEnum } from '../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';
import { ALL_EVENT_TYPES, AUDIT_CATEGORIES, OUTCOMES, SEVERITIES } from './events.ts';

const DateParam = Type.String({
  minLength: 10,
  maxLength: 40,
  description: 'YYYY-MM-DD (UTC midnight) or an ISO-8601 time',
});
const Base64 = Type.String({ description: 'base64' });
const Json = Type.Object({}, { additionalProperties: true });

export const AuditEntrySchema = Type.Object(
  {
    seq: Type.Integer({ description: 'Gap-free position in the log, from 1; leaf seq-1 of the Merkle tree' }),
    event_id: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    category: stringEnum<string>(AUDIT_CATEGORIES, AUDIT_CATEGORIES.join(' | ')),
    event_type: Type.String({ description: ALL_EVENT_TYPES.join(', ') }),
    severity: stringEnum<string>(SEVERITIES, SEVERITIES.join(' | ')),
    outcome: stringEnum<string>(OUTCOMES, OUTCOMES.join(' | ')),
    action: Type.String({ description: '<resource>.<verb>, e.g. item.update' }),
    actor: Type.Object({
      user_id: nullable(Type.String()),
      username: nullable(Type.String({ description: 'Null when unknown or erased' })),
      role: nullable(Type.String()),
      ip_address: nullable(Type.String({ description: 'Null when unknown or erased' })),
    }),
    resource: nullable(Type.Object({ type: Type.String(), id: nullable(Type.String()) })),
    details: Json,
    personal: Type.Record(Type.String(), nullable(Json), {
      description: 'Personal data by data subject; null where the subject was erased (GDPR)',
    }),
    request_id: nullable(Type.String()),
    trace_id: nullable(Type.String()),
    hash_algorithm: Type.String(),
    hash: Type.String({
      description: '<algorithm>:<hex> over the RFC 8785 canonical JSON of every other field',
    }),
    previous_hash: Type.String(),
  },
  { title: 'AuditEntry' },
);

export const AuditPageSchema = pageSchema(AuditEntrySchema, 'AuditEntryPage');

export const AuditLogsQuery = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    start_date: Type.Optional(DateParam),
    end_date: Type.Optional(DateParam),
    event_type: Type.Optional(stringEnum<string>(ALL_EVENT_TYPES, 'Event type')),
    category: Type.Optional(stringEnum<string>(AUDIT_CATEGORIES, 'Category')),
    resource_type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    resource_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    severity: Type.Optional(stringEnum<string>(SEVERITIES, 'Severity')),
    outcome: Type.Optional(stringEnum<string>(OUTCOMES, 'Outcome')),
    cursor: CursorQuery,
    limit: LimitQuery,
  },
  { additionalProperties: false },
);

export const CheckpointSchema = Type.Object(
  {
    tree_size: Type.Integer(),
    root_hash: Base64,
    timestamp: Type.String({ format: 'date-time' }),
    origin: Type.String(),
    key_id: Type.String({ description: 'First 8 bytes of SHA-256 over the public key (SPKI DER), hex' }),
    signature: Type.String({ description: 'Ed25519 signature over `note`, base64' }),
    note: Type.String({ description: 'The exact signed text' }),
  },
  { title: 'AuditCheckpoint' },
);

export const CheckpointPageSchema = pageSchema(CheckpointSchema, 'AuditCheckpointPage');

export const EntryWithProofSchema = Type.Object(
  {
    entry: AuditEntrySchema,
    proof: nullable(
      Type.Object({
        checkpoint: CheckpointSchema,
        leaf_index: Type.Integer(),
        leaf_hash: Base64,
        audit_path: Type.Array(Base64),
        verified: Type.Boolean({ description: 'The path leads from the leaf to the signed root' }),
      }),
    ),
  },
  { title: 'AuditEntryWithProof' },
);

export const IntegrityReportSchema = Type.Object(
  {
    valid: Type.Boolean(),
    checked: Type.Integer({ description: 'Entries recomputed and linked' }),
    first_seq: nullable(Type.Integer()),
    last_seq: nullable(Type.Integer()),
    checkpoints_checked: Type.Integer({ description: 'Signed roots recomputed from the entries' }),
    first_bad: nullable(
      Type.Object({
        seq: nullable(Type.Integer()),
        event_id: nullable(Type.String()),
        kind: Type.String({
          description:
            'content_altered | entry_missing | entry_inserted | entries_reordered | chain_broken | truncated | ' +
            'checkpoint_mismatch | checkpoint_signature_invalid | checkpoint_missing',
        }),
        message: Type.String(),
      }),
    ),
    verified_at: Type.String({ format: 'date-time' }),
  },
  { title: 'AuditIntegrityReport' },
);

export const VerifyQuery = Type.Object(
  { start_date: Type.Optional(DateParam) },
  { additionalProperties: false },
);

const Counts = Type.Record(Type.String(), Type.Integer());

export const ComplianceReportSchema = Type.Object(
  {
    period: Type.Object({
      days: Type.Integer(),
      from: Type.String({ format: 'date-time' }),
      to: Type.String({ format: 'date-time' }),
    }),
    totals: Type.Object({
      entries: Type.Integer(),
      by_category: Counts,
      by_event_type: Counts,
      by_outcome: Counts,
      by_severity: Counts,
    }),
    failed_sign_ins: Type.Integer(),
    denied_accesses: Type.Integer(),
    configuration_changes: Type.Array(AuditEntrySchema),
    integrity: IntegrityReportSchema,
    latest_checkpoint: nullable(CheckpointSchema),
    generated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'AuditComplianceReport' },
);

export const ComplianceQuery = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660, default: 30 })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
  },
  { additionalProperties: false },
);

export const PublicKeySchema = Type.Object(
  {
    key_id: Type.String(),
    algorithm: Type.Literal('Ed25519'),
    public_key_pem: Type.String({ description: 'SPKI PEM' }),
  },
  { title: 'AuditPublicKey' },
);

export const InclusionQuery = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'The entry (leaf seq-1)' }),
    tree_size: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest checkpoint' })),
  },
  { additionalProperties: false },
);

export const InclusionProofSchema = Type.Object(
  {
    seq: Type.Integer(),
    leaf_index: Type.Integer(),
    tree_size: Type.Integer(),
    leaf_hash: Base64,
    audit_path: Type.Array(Base64),
    root_hash: Base64,
    checkpoint: nullable(CheckpointSchema),
  },
  { title: 'AuditInclusionProof' },
);

export const ConsistencyQuery = Type.Object(
  {
    first: Type.Integer({ minimum: 1, description: 'Size of the older tree (an older checkpoint)' }),
    second: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Size of the newer tree; default: latest' }),
    ),
  },
  { additionalProperties: false },
);

export const ConsistencyProofSchema = Type.Object(
  {
    first: Type.Integer(),
    second: Type.Integer(),
    first_root: Base64,
    second_root: Base64,
    proof: Type.Array(Base64),
  },
  { title: 'AuditConsistencyProof' },
);

export const EventIdParams = Type.Object({ event_id: Type.String({ minLength: 1, maxLength: 100 }) });

export const CheckpointsQuery = Type.Object(
  { cursor: CursorQuery, limit: LimitQuery },
  { additionalProperties: false },
);
