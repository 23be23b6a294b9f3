import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Item, Location } from '../../api/types.ts';
import { formatDateTime, formatQuantity } from '../../ui/format.ts';
import { ErrorAlert, SelectField } from '../../ui/forms.tsx';
import { ListFooter } from '../../ui/lists.tsx';
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
  const levels = useInfiniteQuery({
    queryKey: ['stock-levels', 'list', filters],
    queryFn: ({ pageParam }) => listStockLevels(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });
  const rows = levels.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Page title="Stock levels">
      <search>
        <form className="filters" onSubmit={(event) => event.preventDefault()}>
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
        </form>
      </search>

      <ErrorAlert error={levels.error} />
      {levels.isPending ? (
        <p className="muted" role="status">
          Loading stock levels…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty" role="status">
          No stock levels match these filters.
        </p>
      ) : (
        <table className="table data-table" aria-busy={levels.isFetching || undefined}>
          <caption className="visually-hidden">Stock levels</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Name</th>
              <th scope="col">Location</th>
              <th scope="col">Lot</th>
              <th scope="col" className="num">
                Quantity
              </th>
              <th scope="col">As of</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
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
            ))}
          </tbody>
        </table>
      )}
      <ListFooter
        count={rows.length}
        noun={['stock level', 'stock levels']}
        hasMore={levels.hasNextPage}
        loadingMore={levels.isFetchingNextPage}
        onLoadMore={() => levels.fetchNextPage()}
      />
    </Page>
  );
}
