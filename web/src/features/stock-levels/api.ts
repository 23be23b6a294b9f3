import { api } from '../../api/client.ts';
import type { Page, StockLevel } from '../../api/types.ts';

export interface StockFilters {
  warehouse_id: string;
  item_id: string;
  location_id: string;
}

export const PAGE_SIZE = 50;

export const listStockLevels = (filters: StockFilters, cursor: string | null) =>
  api<Page<StockLevel>>('/api/stock-levels', { query: { ...filters, limit: PAGE_SIZE, cursor } });
