import { useState } from 'react';
import { formatMoney } from '../../ui/format.ts';
import { SearchField } from '../../ui/forms.tsx';
import { useSearchText } from '../../ui/hooks.ts';
import {
  ActiveFilter,
  ActiveStatus,
  Filters,
  LinkedRow,
  ListPane,
  PagedTable,
  usePagedList,
} from '../../ui/lists.tsx';
import { type ItemFilters, itemsKeys, listItems } from './api.ts';

export function ItemList({ selectedId }: { selectedId: string | null }) {
  const [search, setSearch, q] = useSearchText();
  const [category, setCategory, categoryQ] = useSearchText();
  const [active, setActive] = useState<ItemFilters['active']>('');
  const filters: ItemFilters = { q, category: categoryQ, active };

  const list = usePagedList({
    queryKey: itemsKeys.list(filters),
    fetchPage: (cursor) => listItems(filters, cursor),
    keepPrevious: true,
  });

  return (
    <ListPane headingId="item-list-heading" heading="All items">
      <Filters>
        <SearchField
          label="Search items"
          placeholder="Code, name or barcode"
          autoCapitalize="none"
          maxLength={100}
          value={search}
          onChange={setSearch}
        />
        <SearchField label="Category" maxLength={100} value={category} onChange={setCategory} />
        <ActiveFilter value={active} onChange={setActive} />
      </Filters>

      <PagedTable
        list={list}
        caption="Items"
        noun={['item', 'items']}
        columns={
          <>
            <th scope="col">Code</th>
            <th scope="col">Name</th>
            <th scope="col">Category</th>
            <th scope="col">Unit</th>
            <th scope="col" className="num">
              Unit cost
            </th>
            <th scope="col">Status</th>
          </>
        }
        row={(item) => (
          <LinkedRow
            key={item.id}
            to={`/items/${item.id}`}
            selected={item.id === selectedId}
            label="Code"
            linkClassName="mono"
            title={item.item_code}
          >
            <td data-label="Name">{item.name}</td>
            <td data-label="Category">{item.category ?? '—'}</td>
            <td data-label="Unit">{item.base_uom}</td>
            <td data-label="Unit cost" className="num">
              {formatMoney(item.unit_cost)}
            </td>
            <td data-label="Status">
              <ActiveStatus active={item.active} />
            </td>
          </LinkedRow>
        )}
      />
    </ListPane>
  );
}
