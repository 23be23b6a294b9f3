import { Type } from 'typebox';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';

export const Uuid = Type.String({ format: 'uuid' });

export const WarehouseCode = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: '^[A-Za-z0-9._-]+$',
  description: '1 to 32 letters, digits or . _ -',
});
export const WarehouseName = Type.String({
  minLength: 1,
  maxLength: 120,
  pattern: '\\S',
  description: '1 to 120 characters, not blank',
});

export const WarehouseSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    active: Type.Boolean(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Warehouse' },
);

export const WarehousePageSchema = pageSchema(WarehouseSchema, 'WarehousePage');

export const WarehouseIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CreateWarehouseBody = Type.Object(
  { code: WarehouseCode, name: WarehouseName },
  { additionalProperties: false },
);

export const UpdateWarehouseBody = Type.Object(
  { name: Type.Optional(WarehouseName), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

export const ListWarehousesQuery = Type.Object(
  { limit: LimitQuery, cursor: CursorQuery, active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
