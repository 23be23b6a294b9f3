import { Type } from 'typebox';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';

export const Uuid = Type.String({ format: 'uuid' });

/** Exact decimals arrive as JSON numbers or decimal strings; the service checks scale and sign. */
const decimalInput = (description: string) =>
  Type.Unsafe<number | string>({ type: ['number', 'string'], maxLength: 40, description });

export const Money = decimalInput(
  'A decimal amount, e.g. 12.5 or "12.5": not negative, at most 4 decimal places',
);
export const PackQty = decimalInput(
  'Base units one scan stands for, e.g. 12 or "0.5": more than 0, at most 3 decimal places',
);

export const ItemCode = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9._/-]+$',
  description: '1 to 64 letters, digits or . _ / -',
});
const ItemName = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  description: '1 to 200 characters, not blank',
});
const Category = Type.String({ minLength: 1, maxLength: 100, description: 'Up to 100 characters' });
const BaseUom = Type.String({
  minLength: 1,
  maxLength: 16,
  pattern: '\\S',
  description: '1 to 16 characters, not blank: EA, KG, M, …',
});
export const AbcClass = Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')], {
  description: 'A | B | C',
});
export const Tracking = Type.Union([Type.Literal('none'), Type.Literal('lot'), Type.Literal('serial')], {
  description: 'none | lot | serial',
});
export const BarcodeKind = Type.Union([Type.Literal('gtin'), Type.Literal('internal')], {
  description: 'gtin | internal (decided by the barcode itself)',
});
export const BarcodeText = Type.String({
  minLength: 1,
  maxLength: 80,
  description: 'A GTIN (EAN-8, UPC-A, EAN-13, GTIN-14) or up to 64 letters, digits and - . _ /',
});

export const BarcodeSchema = Type.Object(
  {
    barcode: Type.String({ description: 'Normalised: GTINs as 14 digits' }),
    pack_qty: Type.Number({ description: 'Base units one scan stands for' }),
    kind: BarcodeKind,
  },
  { title: 'ItemBarcode' },
);

const itemFields = {
  id: Type.String(),
  item_code: Type.String(),
  name: Type.String(),
  category: Type.Union([Type.String(), Type.Null()]),
  sub_category: Type.Union([Type.String(), Type.Null()]),
  base_uom: Type.String(),
  unit_cost: Type.Number(),
  mrp: Type.Union([Type.Number(), Type.Null()]),
  abc_class: Type.Union([AbcClass, Type.Null()]),
  tracking: Tracking,
  active: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
};

/** An item without its barcodes: what a scan resolves to. */
export const ItemSummarySchema = Type.Object(itemFields, { title: 'ItemSummary' });

export const ItemSchema = Type.Object(
  { ...itemFields, barcodes: Type.Array(BarcodeSchema) },
  { title: 'Item' },
);

export const ItemPageSchema = pageSchema(ItemSchema, 'ItemPage');

export const BarcodeLookupSchema = Type.Object(
  { item: ItemSummarySchema, barcode: BarcodeSchema },
  { title: 'BarcodeLookup' },
);

export const ItemIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const ItemBarcodeParams = Type.Object(
  { id: Uuid, barcode: Type.String({ minLength: 1, maxLength: 80 }) },
  { additionalProperties: false },
);

export const NewBarcodeBody = Type.Object(
  {
    barcode: BarcodeText,
    pack_qty: Type.Optional(PackQty),
    kind: Type.Optional(BarcodeKind),
  },
  { additionalProperties: false },
);

export const CreateItemBody = Type.Object(
  {
    item_code: ItemCode,
    name: ItemName,
    category: Type.Optional(Type.Union([Category, Type.Null()])),
    sub_category: Type.Optional(Type.Union([Category, Type.Null()])),
    base_uom: BaseUom,
    unit_cost: Money,
    mrp: Type.Optional(Type.Union([Money, Type.Null()])),
    abc_class: Type.Optional(Type.Union([AbcClass, Type.Null()])),
    tracking: Type.Optional(Tracking),
    active: Type.Optional(Type.Boolean()),
    barcodes: Type.Optional(Type.Array(NewBarcodeBody, { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const UpdateItemBody = Type.Object(
  {
    name: Type.Optional(ItemName),
    category: Type.Optional(Type.Union([Category, Type.Null()])),
    sub_category: Type.Optional(Type.Union([Category, Type.Null()])),
    base_uom: Type.Optional(BaseUom),
    unit_cost: Type.Optional(Money),
    mrp: Type.Optional(Type.Union([Money, Type.Null()])),
    abc_class: Type.Optional(Type.Union([AbcClass, Type.Null()])),
    tracking: Type.Optional(Tracking),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListItemsQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Start of the item code or part of the name (any case), or an exact barcode',
      }),
    ),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const BarcodeLookupQuery = Type.Object(
  { barcode: Type.String({ minLength: 1, maxLength: 80, description: 'The scanned or typed code' }) },
  { additionalProperties: false },
);
