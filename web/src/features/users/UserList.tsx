import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ROLE_LABELS, ROLES, type Role } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert, SelectField, TextField } from '../../ui/forms.tsx';
import { useDebounced } from '../../ui/hooks.ts';
import { ListFooter } from '../../ui/lists.tsx';
import { listUsers, type UserFilters, usersKeys } from './api.ts';

export function UserList({ selectedId }: { selectedId: string | null }) {
  const [search, setSearch] = useState('');
  const [role, setRole] = useState<UserFilters['role']>('');
  const [active, setActive] = useState<UserFilters['active']>('');
  const q = useDebounced(search.trim(), 250);
  const filters: UserFilters = { q, role, active };

  const users = useInfiniteQuery({
    queryKey: usersKeys.list(filters),
    queryFn: ({ pageParam }) => listUsers(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });

  const items = users.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section className="list-pane" aria-labelledby="user-list-heading">
      <h2 id="user-list-heading" className="visually-hidden">
        All users
      </h2>
      <search>
        <form className="filters" onSubmit={(event) => event.preventDefault()}>
          <TextField
            label="Search username"
            type="search"
            placeholder="Starts with…"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            maxLength={64}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <SelectField
            label="Role"
            value={role}
            onChange={(event) => setRole(event.target.value as Role | '')}
          >
            <option value="">All roles</option>
            {ROLES.map((value) => (
              <option key={value} value={value}>
                {ROLE_LABELS[value]}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Status"
            value={active}
            onChange={(event) => setActive(event.target.value as UserFilters['active'])}
          >
            <option value="">Active and inactive</option>
            <option value="true">Active</option>
            <option value="false">Inactive</option>
          </SelectField>
        </form>
      </search>

      <ErrorAlert error={users.error} />
      {users.isPending ? (
        <p className="muted" role="status">
          Loading users…
        </p>
      ) : items.length === 0 ? (
        <p className="empty" role="status">
          No users match these filters.
        </p>
      ) : (
        <table className="table data-table" aria-busy={users.isFetching || undefined}>
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">PIN</th>
            </tr>
          </thead>
          <tbody>
            {items.map((user) => {
              const selected = user.id === selectedId;
              return (
                <tr key={user.id} className={selected ? 'is-selected' : undefined}>
                  <th scope="row" data-label="Username">
                    <Link
                      to={`/users/${user.id}`}
                      className="row-link"
                      aria-current={selected ? 'true' : undefined}
                    >
                      {user.username}
                    </Link>
                  </th>
                  <td data-label="Name">{user.display_name}</td>
                  <td data-label="Role">
                    <span className={`badge badge-${user.role}`}>{ROLE_LABELS[user.role]}</span>
                  </td>
                  <td data-label="Status">
                    <span className={user.active ? 'status status-active' : 'status status-inactive'}>
                      {user.active ? 'Active' : 'Inactive'}
                    </span>
                  </td>
                  <td data-label="PIN">{user.has_pin ? 'Yes' : 'No'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ListFooter
        count={items.length}
        noun={['user', 'users']}
        hasMore={users.hasNextPage}
        loadingMore={users.isFetchingNextPage}
        onLoadMore={() => users.fetchNextPage()}
      />
    </section>
  );
}
