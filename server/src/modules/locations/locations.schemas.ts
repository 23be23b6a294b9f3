import { Type } from 'typebox';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';
import { Uuid } from './warehouses.schemas.ts';

export const LocationCode = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: '^[A-Za-z0-9._-]+$',
  description: '1 to 32 letters, digits or . _ - (unique within the warehouse)',
});
const LocationName = Type.String({ maxLength: 120, description: 'Up to 120 characters; empty for none' });
const LocationKind = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: '\\S',
  description: '1 to 32 characters, not blank: zone, aisle, rack, bin, …',
});
const LocationBarcode = Type.String({
  minLength: 1,
  maxLength: 80,
  description: 'The label barcode: a GTIN or up to 64 letters, digits and - . _ / (spaces are ignored)',
});

export const LocationSchema = Type.Object(
  {
    id: Type.String(),
    warehouse_id: Type.String(),
    parent_id: Type.Union([Type.String(), Type.Null()]),
    code: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    barcode: Type.Union([Type.String(), Type.Null()]),
    depth: Type.Integer({ description: '0 for a root (a zone, say), parent depth + 1 below' }),
    path_codes: Type.Array(Type.String(), { description: 'Codes from the root down to this location' }),
    active: Type.Boolean(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Location' },
);

export const LocationPageSchema = pageSchema(LocationSchema, 'LocationPage');

export const LocationIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CreateLocationBody = Type.Object(
  {
    warehouse_id: Uuid,
    parent_id: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Omit or null for a root' })),
    code: LocationCode,
    name: Type.Optional(LocationName),
    kind: LocationKind,
    barcode: Type.Optional(Type.Union([LocationBarcode, Type.Null()])),
  },
  { additionalProperties: false },
);

export const UpdateLocationBody = Type.Object(
  {
    name: Type.Optional(LocationName),
    kind: Type.Optional(LocationKind),
    barcode: Type.Optional(
      Type.Union([LocationBarcode, Type.Null()], {
        description: 'A new label barcode, or null to remove it',
      }),
    ),
    active: Type.Optional(Type.Boolean()),
    parent_id: Type.Optional(
      Type.Union([Uuid, Type.Null()], {
        description:
          'Moves the location with its whole subtree under this parent (same warehouse); null: to the root',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListLocationsQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    warehouse_id: Type.Optional(Uuid),
    parent_id: Type.Optional(
      Type.String({ format: 'uuid', description: 'Direct children of this location' }),
    ),
    under: Type.Optional(
      Type.String({ format: 'uuid', description: 'This location and its whole subtree, at any depth' }),
    ),
    depth: Type.Optional(Type.Integer({ minimum: 0, maximum: 63, description: '0 for the roots' })),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'Start of the code, any case' }),
    ),
    active: Type.Optional(Type.Boolean()),
    sort: Type.Optional(
      Type.Union([Type.Literal('path'), Type.Literal('code')], {
        description:
          'path (default): tree order, each location right after its parent, siblings in creation order; code: by code',
      }),
    ),
  },
  { additionalProperties: false },
);

export const LocationLookupQuery = Type.Object(
  { barcode: Type.String({ minLength: 1, maxLength: 80, description: 'The scanned label' }) },
  { additionalProperties: false },
);
