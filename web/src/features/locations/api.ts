import { api } from '../../api/client.ts';
import type { Location, Page, Warehouse } from '../../api/types.ts';

export interface NewLocation {
  warehouse_id: string;
  parent_id?: string;
  code: string;
  name?: string;
  kind: string;
  barcode?: string;
}

export interface LocationChanges {
  name?: string;
  kind?: string;
  /** A new barcode, or null to remove it. */
  barcode?: string | null;
  active?: boolean;
}

/** Kinds offered in the form; any other word is accepted too. Each suggests the next for a child. */
export const LOCATION_KINDS = ['zone', 'aisle', 'rack', 'shelf', 'bin'] as const;

export const locationsKeys = {
  warehouses: ['warehouses'] as const,
  children: (warehouseId: string, parentId: string | null) =>
    ['locations', 'children', warehouseId, parentId ?? 'root'] as const,
  detail: (id: string) => ['locations', 'detail', id] as const,
  search: (warehouseId: string | null) => ['locations', 'search', warehouseId] as const,
};

export const listWarehouses = () => api<Page<Warehouse>>('/api/warehouses', { query: { limit: 200 } });

export const createWarehouse = (input: { code: string; name: string }) =>
  api<Warehouse>('/api/warehouses', { method: 'POST', body: input });

const CHILDREN_PAGE = 100;

/** One level of the tree: the top-level locations of a warehouse, or the children of one location. */
export const listChildren = (warehouseId: string, parentId: string | null, cursor: string | null) =>
  api<Page<Location>>('/api/locations', {
    query: {
      warehouse_id: warehouseId,
      // The roots are the locations at depth 0.
      ...(parentId ? { parent_id: parentId } : { depth: 0 }),
      limit: CHILDREN_PAGE,
      cursor,
    },
  });

export const searchLocations = (warehouseId: string | null, q: string) =>
  api<Page<Location>>('/api/locations', { query: { warehouse_id: warehouseId, q, limit: 10 } });

const locationPath = (id: string) => `/api/locations/${encodeURIComponent(id)}`;

export const getLocation = (id: string) => api<Location>(locationPath(id));

export const createLocation = (input: NewLocation) =>
  api<Location>('/api/locations', { method: 'POST', body: input });

export const updateLocation = (id: string, changes: LocationChanges) =>
  api<Location>(locationPath(id), { method: 'PATCH', body: changes });

/** Every address of this page carries the warehouse: /locations[/{id}|/new]?warehouse=…[&parent=…] */
export function locationsUrl(warehouseId: string, sub = '', parentId?: string): string {
  const params = new URLSearchParams({ warehouse: warehouseId });
  if (parentId) params.set('parent', parentId);
  return `/locations${sub ? `/${encodeURIComponent(sub)}` : ''}?${params}`;
}
