export interface ItemsTable {
  id: string;
  item_code: string;
  name: string;
  /** Lower-cased name, for case-insensitive search on both dialects. */
  name_key: string;
  category: string | null;
  sub_category: string | null;
  base_uom: string;
  /** Ten-thousandths of the currency (platform/decimal.ts). */
  unit_cost_e4: number;
  mrp_e4: number | null;
  abc_class: 'A' | 'B' | 'C' | null;
  tracking: 'none' | 'lot' | 'serial';
  active: number;
  created_at: string;
  updated_at: string;
}

export interface ItemBarcodesTable {
  barcode: string;
  item_id: string;
  /** Thousandths of a base unit that one scan of this code stands for. */
  pack_qty_e3: number;
  kind: 'gtin' | 'internal';
  created_at: string;
}
