import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from '../../router.tsx';
import { formatMoney } from '../../ui/format.ts';
import { ErrorAlert, SelectField, TextField } from '../../ui/forms.tsx';
import { useDebounced } from '../../ui/hooks.ts';
import { ListFooter } from '../../ui/lists.tsx';
import { type ItemFilters, itemsKeys, listItems } from './api.ts';

export function ItemList({ selectedId }: { selectedId: string | null }) {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [active, setActive] = useState<ItemFilters['active']>('');
  const filters: ItemFilters = {
    q: useDebounced(search.trim(), 250),
    category: useDebounced(category.trim(), 250),
    active,
  };

  const items = useInfiniteQuery({
    queryKey: itemsKeys.list(filters),
    queryFn: ({ pageParam }) => listItems(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });
  const rows = items.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section className="list-pane" aria-labelledby="item-list-heading">
      <h2 id="item-list-heading" className="visually-hidden">
        All items
      </h2>
      <search>
        <form className="filters" onSubmit={(event) => event.preventDefault()}>
          <TextField
            label="Search items"
            type="search"
            placeholder="Code, name or barcode"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            maxLength={100}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <TextField
            label="Category"
            type="search"
            autoCorrect="off"
            spellCheck={false}
            maxLength={100}
            value={category}
            onChange={(event) => setCategory(event.target.value)}
          />
          <SelectField
            label="Status"
            value={active}
            onChange={(event) => setActive(event.target.value as ItemFilters['active'])}
          >
            <option value="">Active and inactive</option>
            <option value="true">Active</option>
            <option value="false">Inactive</option>
          </SelectField>
        </form>
      </search>

      <ErrorAlert error={items.error} />
      {items.isPending ? (
        <p className="muted" role="status">
          Loading items…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty" role="status">
          No items match these filters.
        </p>
      ) : (
        <table className="table data-table" aria-busy={items.isFetching || undefined}>
          <caption className="visually-hidden">Items</caption>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Name</th>
              <th scope="col">Category</th>
              <th scope="col">Unit</th>
              <th scope="col" className="num">
                Unit cost
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((item) => {
              const selected = item.id === selectedId;
              return (
                <tr key={item.id} className={selected ? 'is-selected' : undefined}>
                  <th scope="row" data-label="Code">
                    <Link
                      to={`/items/${item.id}`}
                      className="row-link mono"
                      aria-current={selected ? 'true' : undefined}
                    >
                      {item.item_code}
                    </Link>
                  </th>
                  <td data-label="Name">{item.name}</td>
                  <td data-label="Category">{item.category ?? '—'}</td>
                  <td data-label="Unit">{item.base_uom}</td>
                  <td data-label="Unit cost" className="num">
                    {formatMoney(item.unit_cost)}
                  </td>
                  <td data-label="Status">
                    <span className={item.active ? 'status status-active' : 'status status-inactive'}>
                      {item.active ? 'Active' : 'Inactive'}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ListFooter
        count={rows.length}
        noun={['item', 'items']}
        hasMore={items.hasNextPage}
        loadingMore={items.isFetchingNextPage}
        onLoadMore={() => items.fetchNextPage()}
      />
    </section>
  );
}
