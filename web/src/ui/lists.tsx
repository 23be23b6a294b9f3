import {
  type InfiniteData,
  keepPreviousData,
  type QueryKey,
  type UseInfiniteQueryResult,
  useInfiniteQuery,
} from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Page } from '../api/types.ts';
import { Link } from '../router.tsx';
import { ErrorAlert, SelectField } from './forms.tsx';

export type PagedQuery<T> = UseInfiniteQueryResult<InfiniteData<Page<T>>>;

/**
 * A list the server hands out a page at a time (by cursor): the query, and every row loaded so far.
 * `keepPrevious` keeps the old rows on screen while a new filter loads.
 */
export function usePagedList<T>(options: {
  queryKey: QueryKey;
  fetchPage: (cursor: string | null) => Promise<Page<T>>;
  keepPrevious?: boolean;
  enabled?: boolean;
  /** How often to reload, given the rows loaded so far; false for never. */
  refetchInterval?: (rows: T[]) => number | false;
}): { query: PagedQuery<T>; rows: T[] } {
  const { queryKey, fetchPage, keepPrevious = false, enabled, refetchInterval } = options;
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    ...(keepPrevious ? { placeholderData: keepPreviousData } : {}),
    ...(enabled === undefined ? {} : { enabled }),
    ...(refetchInterval
      ? {
          refetchInterval: (state: { state: { data: InfiniteData<Page<T>> | undefined } }) =>
            refetchInterval(rowsOf(state.state.data)),
        }
      : {}),
  });
  return { query, rows: rowsOf(query.data) };
}

function rowsOf<T>(data: InfiniteData<Page<T>> | undefined): T[] {
  return data?.pages.flatMap((page) => page.items) ?? [];
}

/** Loads the next page of a list; shown only while the server has more. */
export function LoadMoreButton<T>({ query, className }: { query: PagedQuery<T>; className?: string }) {
  if (!query.hasNextPage) return null;
  return (
    <button
      type="button"
      className={className ? `button button-secondary ${className}` : 'button button-secondary'}
      onClick={() => query.fetchNextPage()}
      disabled={query.isFetchingNextPage}
    >
      {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
    </button>
  );
}

/** Below a paged list: how many are shown, and "Load more" while the server has more. */
export function ListFooter<T>(props: {
  count: number;
  noun: [singular: string, plural: string];
  query: PagedQuery<T>;
}) {
  const { count, noun, query } = props;
  return (
    <div className="list-footer">
      {count > 0 && (
        <p className="muted small">
          Showing {count} {count === 1 ? noun[0] : noun[1]}
          {query.hasNextPage ? '' : ' (all)'}
        </p>
      )}
      <LoadMoreButton query={query} />
    </div>
  );
}

/**
 * A filtered, paged list as a table: the error, "Loading…" or "No … match these filters.", the rows,
 * then the footer with "Load more". The table is marked busy while new rows load.
 */
export function PagedTable<T>(props: {
  list: { query: PagedQuery<T>; rows: T[] };
  /** The table's accessible name. */
  caption: string;
  noun: [singular: string, plural: string];
  /** The header cells. */
  columns: ReactNode;
  row: (row: T) => ReactNode;
}) {
  const { list, caption, noun, columns, row } = props;
  const { query, rows } = list;
  return (
    <>
      <ErrorAlert error={query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading {noun[1]}…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty" role="status">
          No {noun[1]} match these filters.
        </p>
      ) : (
        <table className="table data-table" aria-busy={query.isFetching || undefined}>
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>{columns}</tr>
          </thead>
          <tbody>{rows.map(row)}</tbody>
        </table>
      )}
      <ListFooter count={rows.length} noun={noun} query={query} />
    </>
  );
}

/** "Active" or "Inactive", as a status chip. */
export function ActiveStatus({ active }: { active: boolean }) {
  return (
    <span className={active ? 'status status-active' : 'status status-inactive'}>
      {active ? 'Active' : 'Inactive'}
    </span>
  );
}

/** A table row whose first cell links to the record; the record open beside the list is marked. */
export function LinkedRow(props: {
  to: string;
  selected: boolean;
  /** The first column's name (the cell's label on phones). */
  label: string;
  linkClassName?: string;
  title: ReactNode;
  children: ReactNode;
}) {
  const { to, selected, label, linkClassName, title, children } = props;
  return (
    <tr className={selected ? 'is-selected' : undefined}>
      <th scope="row" data-label={label}>
        <Link
          to={to}
          className={linkClassName ? `row-link ${linkClassName}` : 'row-link'}
          aria-current={selected ? 'true' : undefined}
        >
          {title}
        </Link>
      </th>
      {children}
    </tr>
  );
}

export type ActiveFilterValue = '' | 'true' | 'false';

/** The filter on active/inactive records. */
export function ActiveFilter(props: {
  value: ActiveFilterValue;
  onChange: (value: ActiveFilterValue) => void;
}) {
  return (
    <SelectField
      label="Status"
      value={props.value}
      onChange={(event) => props.onChange(event.target.value as ActiveFilterValue)}
    >
      <option value="">Active and inactive</option>
      <option value="true">Active</option>
      <option value="false">Inactive</option>
    </SelectField>
  );
}

/** The filters above a list: a search landmark whose fields apply as they change (no submit). */
export function Filters({ children }: { children: ReactNode }) {
  return (
    <search>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        {children}
      </form>
    </search>
  );
}

/** The list beside a record's panel, named by a heading only screen readers see. */
export function ListPane(props: { headingId: string; heading: string; children: ReactNode }) {
  const { headingId, heading, children } = props;
  return (
    <section className="list-pane" aria-labelledby={headingId}>
      <h2 id={headingId} className="visually-hidden">
        {heading}
      </h2>
      {children}
    </section>
  );
}
