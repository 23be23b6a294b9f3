import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Item, Location } from '../../api/types.ts';
import { formatDateTime, formatQuantity } from '../../ui/format.ts';
import { SelectField } from '../../ui/forms.tsx';
import { Filters, PagedTable, usePagedList } from '../../ui/lists.tsx';
import { Page } from '../../ui/Page.tsx';
import { SearchPicker } from '../../ui/SearchPicker.tsx';
import { listItems } from '../items/api.ts';
import { listWarehouses, locationsKeys, searchLocations } from '../locations/api.ts';
import { listStockLevels, type StockFilters } from './api.ts';

const searchItems = async (q: string) => (await listItems({ q, category: '', active: '' }, null, 8)).items;

/** Book quantities, narrowed by warehouse, item and location. */
export function StockLevelsPage() {
  const [warehouseId, setWarehouseId] = useState('');
  const [item, setItem] = useState<Item | null>(null);
  const [location, setLocation] = useState<Location | null>(null);
  const warehouses = useQuery({ queryKey: locationsKeys.warehouses, queryFn: listWarehouses });
  const warehouseCode = new Map((warehouses.data?.items ?? []).map((entry) => [entry.id, entry.code]));

  const filters: StockFilters = {
    warehouse_id: warehouseId,
    item_id: item?.id ?? '',
    location_id: location?.id ?? '',
  };
  const list = usePagedList({
    queryKey: ['stock-levels', 'list', filters],
    fetchPage: (cursor) => listStockLevels(filters, cursor),
    keepPrevious: true,
  });

  return (
    <Page title="Stock levels">
      <Filters>
        <SelectField
          label="Warehouse"
          value={warehouseId}
          onChange={(event) => {
            setWarehouseId(event.target.value);
            setLocation(null);
          }}
        >
          <option value="">All warehouses</option>
          {(warehouses.data?.items ?? []).map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.code} — {entry.name}
            </option>
          ))}
        </SelectField>
        <SearchPicker
          label="Item"
          placeholder="Code, name or barcode"
          selected={item}
          onSelect={setItem}
          queryKey={['items', 'pick']}
          search={searchItems}
          keyOf={(value) => value.id}
          describe={(value) => `${value.item_code} — ${value.name}`}
        />
        <SearchPicker
          label="Location"
          placeholder="Start of the location code"
          maxLength={32}
          selected={location}
          onSelect={setLocation}
          queryKey={locationsKeys.search(warehouseId || null)}
          search={async (q) => (await searchLocations(warehouseId || null, q)).items}
          keyOf={(value) => value.id}
          describe={(value) => `${value.path_codes.join(' › ')} (${value.kind})`}
        />
      </Filters>

      <PagedTable
        list={list}
        caption="Stock levels"
        noun={['stock level', 'stock levels']}
        columns={
          <>
            <th scope="col">Item</th>
            <th scope="col">Name</th>
            <th scope="col">Location</th>
            <th scope="col">Lot</th>
            <th scope="col" className="num">
              Quantity
            </th>
            <th scope="col">As of</th>
          </>
        }
        row={(row) => (
          <tr key={row.id}>
            <th scope="row" data-label="Item" className="mono">
              {row.item_code}
            </th>
            <td data-label="Name">{row.item_name}</td>
            <td data-label="Location" className="mono">
              {warehouseCode.get(row.warehouse_id) ?? ''} {row.location_code}
            </td>
            <td data-label="Lot">{row.lot || '—'}</td>
            <td data-label="Quantity" className="num strong">
              {formatQuantity(row.quantity)}
            </td>
            <td data-label="As of">{formatDateTime(row.as_of)}</td>
          </tr>
        )}
      />
    </Page>
  );
}
