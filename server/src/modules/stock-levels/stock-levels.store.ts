export interface StockLevelsTable {
  id: string;
  item_id: string;
  location_id: string;
  /** '' for items without lot tracking. */
  lot: string;
  /** Thousandths of the base unit (platform/decimal.ts). */
  quantity_e3: number;
  source: 'import' | 'erp' | 'manual';
  as_of: string;
  updated_at: string;
}
