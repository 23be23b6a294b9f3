import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import type { Page, Role, User } from '../../api/types.ts';

export interface UserFilters {
  q: string;
  role: Role | '';
  active: 'true' | 'false' | '';
}

export interface NewUser {
  username: string;
  display_name: string;
  role: Role;
  password: string;
  pin?: string;
}

export interface UserChanges {
  display_name?: string;
  role?: Role;
  active?: boolean;
  /** A new PIN, or null to remove it. */
  pin?: string | null;
}

export const PAGE_SIZE = 25;

export const usersKeys = {
  all: ['users'] as const,
  /** Every list of users, whatever its filters. */
  lists: ['users', 'list'] as const,
  list: (filters: UserFilters) => ['users', 'list', filters] as const,
  detail: (id: string) => ['users', 'detail', id] as const,
};

export const listUsers = (filters: UserFilters, cursor: string | null) =>
  api<Page<User>>('/api/users', {
    query: { limit: PAGE_SIZE, cursor, q: filters.q.trim(), role: filters.role, active: filters.active },
  });

export const getUser = (id: string) => api<User>(`/api/users/${encodeURIComponent(id)}`);

export const createUser = (input: NewUser) => api<User>('/api/users', { method: 'POST', body: input });

export const updateUser = (id: string, changes: UserChanges) =>
  api<User>(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: changes });

export const resetPassword = (id: string, newPassword: string) =>
  api<void>(`/api/users/${encodeURIComponent(id)}/reset-password`, {
    method: 'POST',
    body: { new_password: newPassword },
  });

/** Switches a user's two-factor sign-in off (a lost phone); `reset` is false when it was not on. */
export const resetMfa = (id: string) =>
  api<{ reset: boolean }>(`/api/users/${encodeURIComponent(id)}/mfa`, { method: 'DELETE' });

/** Keeps a user the server just returned, and refreshes the lists, which may now filter them differently. */
export function storeUser(queryClient: QueryClient, user: User): void {
  queryClient.setQueryData(usersKeys.detail(user.id), user);
  void queryClient.invalidateQueries({ queryKey: usersKeys.lists });
}
