import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import type { AbcClass, Item, Page, Tracking } from '../../api/types.ts';

export interface ItemFilters {
  q: string;
  category: string;
  active: 'true' | 'false' | '';
}

/** What the item form sends; item_code only on create. */
export interface ItemInput {
  item_code?: string;
  name?: string;
  category?: string | null;
  sub_category?: string | null;
  base_uom?: string;
  unit_cost?: number;
  mrp?: number | null;
  abc_class?: AbcClass | null;
  tracking?: Tracking;
  active?: boolean;
  barcodes?: { barcode: string; pack_qty?: number }[];
}

export const PAGE_SIZE = 25;

export const itemsKeys = {
  /** Every list of items, whatever its filters. */
  lists: ['items', 'list'] as const,
  list: (filters: ItemFilters) => ['items', 'list', filters] as const,
  detail: (id: string) => ['items', 'detail', id] as const,
};

export const listItems = (filters: ItemFilters, cursor: string | null, limit = PAGE_SIZE) =>
  api<Page<Item>>('/api/items', {
    query: { limit, cursor, q: filters.q.trim(), category: filters.category.trim(), active: filters.active },
  });

const itemPath = (id: string) => `/api/items/${encodeURIComponent(id)}`;

export const getItem = (id: string) => api<Item>(itemPath(id));

export const createItem = (input: ItemInput) => api<Item>('/api/items', { method: 'POST', body: input });

export const updateItem = (id: string, changes: ItemInput) =>
  api<Item>(itemPath(id), { method: 'PATCH', body: changes });

export const addBarcode = (id: string, barcode: string, packQty: number | null) =>
  api<unknown>(`${itemPath(id)}/barcodes`, {
    method: 'POST',
    body: packQty === null ? { barcode } : { barcode, pack_qty: packQty },
  });

export const removeBarcode = (id: string, barcode: string) =>
  api<void>(`${itemPath(id)}/barcodes/${encodeURIComponent(barcode)}`, { method: 'DELETE' });

/** Keeps an item the server just returned, and refreshes the lists, which may now show it differently. */
export function storeItem(queryClient: QueryClient, item: Item): void {
  queryClient.setQueryData(itemsKeys.detail(item.id), item);
  void queryClient.invalidateQueries({ queryKey: itemsKeys.lists });
}
