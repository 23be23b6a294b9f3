import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CursorQuery, LimitQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { CONNECTOR_KINDS } from './erp-source.ts';

export const ConnectorKindSchema = stringEnum(CONNECTOR_KINDS);

/**
 * Settings are checked per kind by the service (connector-settings.ts), so that an error names
 * the exact field (settings.items.query); the schema here documents the three shapes.
 */
const SettingsBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'Per kind, without the secret: SqlConnectorSettings, HttpConnectorSettings or FileDropConnectorSettings (see the README, ERP connectors)',
  },
);

const Secret = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: 'Database password or bearer token: write-only, sealed at rest, never returned',
});

export const ConnectorIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const CreateConnectorBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: ConnectorKindSchema,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    settings: SettingsBody,
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);

export const UpdateConnectorBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    enabled: Type.Optional(Type.Boolean()),
    settings: Type.Optional(SettingsBody),
    secret: Type.Optional(
      Type.Union([Secret, Type.Null()], { description: 'A new secret; null removes it; absent keeps it' }),
    ),
  },
  { additionalProperties: false },
);

export const ListConnectorsQuery = Type.Object(
  { limit: LimitQuery, cursor: CursorQuery },
  { additionalProperties: false },
);

const Row = Type.Object({}, { additionalProperties: true });

export const ConnectorSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: ConnectorKindSchema,
    role: Type.String({ description: 'source (delivery targets come later)' }),
    enabled: Type.Boolean(),
    settings: Row,
    has_secret: Type.Boolean({ description: 'A secret is stored (it is never returned)' }),
    created_at: Type.String({ format: 'date-time' }),
    created_by: nullable(Type.String()),
    updated_at: Type.String({ format: 'date-time' }),
    updated_by: nullable(Type.String()),
    last_test: nullable(
      Type.Object({
        status: stringEnum(['ok', 'failed'] as const),
        message: Type.String(),
        tested_at: Type.String({ format: 'date-time' }),
      }),
    ),
  },
  { title: 'ErpConnector' },
);

export const ConnectorPageSchema = pageSchema(ConnectorSchema, 'ErpConnectorPage');

export const TestReportSchema = Type.Object(
  {
    status: stringEnum(['ok', 'failed'] as const),
    message: Type.String({ description: 'Safe to show: never the secret or a connection string' }),
    tested_at: Type.String({ format: 'date-time' }),
    duration_ms: Type.Integer(),
    checks: Type.Array(
      Type.Object({
        entity: stringEnum(['items', 'stock_levels'] as const),
        status: stringEnum(['ok', 'failed'] as const),
        rows: Type.Integer(),
        message: Type.String(),
        sample: nullable(Row),
      }),
    ),
  },
  { title: 'ErpConnectorTest' },
);
