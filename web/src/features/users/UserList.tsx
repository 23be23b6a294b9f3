import { useState } from 'react';
import type { Role } from '../../api/types.ts';
import { SearchField, SelectField } from '../../ui/forms.tsx';
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
import { listUsers, type UserFilters, usersKeys } from './api.ts';
import { RoleBadge, RoleOptions } from './roles.tsx';

export function UserList({ selectedId }: { selectedId: string | null }) {
  const [search, setSearch, q] = useSearchText();
  const [role, setRole] = useState<UserFilters['role']>('');
  const [active, setActive] = useState<UserFilters['active']>('');
  const filters: UserFilters = { q, role, active };

  const list = usePagedList({
    queryKey: usersKeys.list(filters),
    fetchPage: (cursor) => listUsers(filters, cursor),
    keepPrevious: true,
  });

  return (
    <ListPane headingId="user-list-heading" heading="All users">
      <Filters>
        <SearchField
          label="Search username"
          placeholder="Starts with…"
          autoCapitalize="none"
          maxLength={64}
          value={search}
          onChange={setSearch}
        />
        <SelectField label="Role" value={role} onChange={(event) => setRole(event.target.value as Role | '')}>
          <option value="">All roles</option>
          <RoleOptions />
        </SelectField>
        <ActiveFilter value={active} onChange={setActive} />
      </Filters>

      <PagedTable
        list={list}
        caption="Users"
        noun={['user', 'users']}
        columns={
          <>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">PIN</th>
          </>
        }
        row={(user) => (
          <LinkedRow
            key={user.id}
            to={`/users/${user.id}`}
            selected={user.id === selectedId}
            label="Username"
            title={user.username}
          >
            <td data-label="Name">{user.display_name}</td>
            <td data-label="Role">
              <RoleBadge role={user.role} />
            </td>
            <td data-label="Status">
              <ActiveStatus active={user.active} />
            </td>
            <td data-label="PIN">{user.has_pin ? 'Yes' : 'No'}</td>
          </LinkedRow>
        )}
      />
    </ListPane>
  );
}
