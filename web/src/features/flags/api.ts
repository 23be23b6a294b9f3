import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import type { Role } from '../../api/types.ts';

const BASE = '/api/enterprise/features';

export type FlagState = 'enabled' | 'disabled';

export interface FeatureFlag {
  key: string;
  name: string;
  description: string;
  state: FlagState;
  /** 0–100, or null: no gradual rollout. */
  percentage: number | null;
  allowed_users: string[];
  allowed_roles: Role[];
  /** A default flag the product gates on: it can be disabled, not deleted. */
  built_in: boolean;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

export interface FlagList {
  evaluation_enabled: boolean;
  cache_ttl_seconds: number;
  items: FeatureFlag[];
}

export interface FlagInput {
  name?: string;
  description?: string;
  state?: FlagState;
  percentage?: number | null;
  allowed_users?: string[];
  allowed_roles?: Role[];
}

export const flagsKeys = {
  all: ['flags'] as const,
  list: ['flags', 'list'] as const,
  /** The signed-in user's enabled flags: per user, so another sign-in asks again. */
  enabled: (userId: string) => ['flags', 'enabled', userId] as const,
};

/** The server's key rule, checked before sending so the field can say so at once. */
export const KEY_PATTERN = /^[a-z][a-z0-9_.-]{1,63}$/;

export const listFlags = () => api<FlagList>(BASE);
export const getEnabledFlags = () => api<{ flags: string[] }>(`${BASE}/enabled`);
export const createFlag = (input: FlagInput & { key: string }) =>
  api<FeatureFlag>(BASE, { method: 'POST', body: input });
export const updateFlag = (key: string, changes: FlagInput) =>
  api<FeatureFlag>(`${BASE}/${encodeURIComponent(key)}`, { method: 'PATCH', body: changes });
export const setFlagState = (key: string, state: FlagState) =>
  api<FeatureFlag>(`${BASE}/${encodeURIComponent(key)}/${state === 'enabled' ? 'enable' : 'disable'}`, {
    method: 'POST',
  });
export const deleteFlag = (key: string) =>
  api<void>(`${BASE}/${encodeURIComponent(key)}`, { method: 'DELETE' });

/** After a change: the list, and what the admin's own screens show or hide. */
export function refreshFlags(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: flagsKeys.all });
}
