import { Type } from 'typebox';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';

const Uuid = Type.String({ format: 'uuid' });

export const StockLevelSchema = Type.Object(
  {
    id: Type.String(),
    item_id: Type.String(),
    item_code: Type.String(),
    item_name: Type.String(),
    location_id: Type.String(),
    location_code: Type.String(),
    warehouse_id: Type.String(),
    lot: Type.Union([Type.String(), Type.Null()], { description: 'null for items without lots' }),
    quantity: Type.Number({ description: 'Book quantity in the base unit' }),
    source: Type.Union([Type.Literal('import'), Type.Literal('erp'), Type.Literal('manual')]),
    as_of: Type.String({ format: 'date-time', description: 'When the source reported this quantity' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'StockLevel' },
);

export const StockLevelPageSchema = pageSchema(StockLevelSchema, 'StockLevelPage');

export const ListStockLevelsQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    item_id: Type.Optional(Uuid),
    location_id: Type.Optional(Uuid),
    warehouse_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
