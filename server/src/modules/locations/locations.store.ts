export interface WarehousesTable {
  id: string;
  code: string;
  name: string;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface LocationsTable {
  id: string;
  warehouse_id: string;
  parent_id: string | null;
  code: string;
  name: string;
  kind: string;
  barcode: string | null;
  /** '/<root id>/…/<own id>/': a subtree is one prefix match. */
  path: string;
  depth: number;
  active: number;
  created_at: string;
  updated_at: string;
}
