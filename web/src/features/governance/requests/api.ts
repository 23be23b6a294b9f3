import { api } from '../../../api/client.ts';
import type { Page } from '../../../api/types.ts';

const BASE = '/api/enterprise/governance/data-requests';

export const REQUEST_TYPES = ['access', 'portability', 'rectification', 'erasure'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const REQUEST_STATUSES = ['received', 'verified', 'processing', 'completed', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export type StatusFilter = 'open' | 'all' | RequestStatus;

export const TYPE_LABELS: Record<RequestType, string> = {
  access: 'Access',
  portability: 'Portability',
  rectification: 'Rectification',
  erasure: 'Erasure',
};

export const STATUS_LABELS: Record<RequestStatus, string> = {
  received: 'Received',
  verified: 'Verified',
  processing: 'Processing',
  completed: 'Completed',
  rejected: 'Rejected',
};

export interface Corrections {
  display_name?: string;
  username?: string;
}

export interface DataRequest {
  id: string;
  request_type: RequestType;
  status: RequestStatus;
  subject_user_id: string;
  subject_username: string | null;
  subject_id: string | null;
  subject_email: string | null;
  details: string | null;
  corrections: Corrections | null;
  received_at: string;
  due_at: string;
  overdue: boolean;
  extended_days: number;
  extension_reason: string | null;
  verified_at: string | null;
  processing_at: string | null;
  completed_at: string | null;
  rejected_at: string | null;
  rejection_reason: string | null;
  result: Record<string, unknown> | null;
  export_available: boolean;
  created_by: string | null;
  updated_at: string;
}

export interface NewRequest {
  request_type: RequestType;
  subject_id: string;
  subject_email?: string;
  details?: string;
  corrections?: Corrections;
}

export type RequestAction = 'verify' | 'process' | 'reject' | 'extend';

export const requestsKeys = {
  all: ['data-requests'] as const,
  list: (status: StatusFilter, type: RequestType | '', overdue: boolean) =>
    ['data-requests', 'list', status, type, overdue] as const,
  one: (id: string) => ['data-requests', 'one', id] as const,
};

export const listRequests = (
  filter: { status: StatusFilter; type: RequestType | ''; overdue: boolean },
  cursor: string | null,
) =>
  api<Page<DataRequest>>(BASE, {
    query: {
      status: filter.status,
      type: filter.type,
      overdue: filter.overdue ? 'true' : undefined,
      cursor,
      limit: 50,
    },
  });

export const getRequest = (id: string) => api<DataRequest>(`${BASE}/${encodeURIComponent(id)}`);

export const createRequest = (input: NewRequest) => api<DataRequest>(BASE, { method: 'POST', body: input });

export const processRequest = (
  id: string,
  body: { action: RequestAction; reason?: string; extend_days?: number },
) => api<DataRequest>(`${BASE}/${encodeURIComponent(id)}/process`, { method: 'POST', body });

/** A plain link: the browser downloads the attachment with the session cookie. */
export const exportUrl = (id: string, format: 'json' | 'csv' | 'zip') =>
  `${BASE}/${encodeURIComponent(id)}/export?format=${format}`;
