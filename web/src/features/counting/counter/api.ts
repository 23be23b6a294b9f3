import { ApiError, api, CSRF_COOKIE, readCookie } from '../../../api/client.ts';
import type { Location, Page } from '../../../api/types.ts';
import type { ScannedItem } from '../offline/counter-db.ts';

/**
 * The counter's calls. Nothing here asks for book quantities or variances: a counter counts, and
 * in a blind session the server would refuse them anyway.
 */

export type CountMode = 'standard' | 'blind' | 'strict';
export type SessionStatus = 'draft' | 'counting' | 'review' | 'approved' | 'posted' | 'cancelled';

export interface MyAssignment {
  session_id: string;
  session_name: string;
  session_mode: CountMode;
  session_status: SessionStatus;
  warehouse_id: string;
  location_id: string;
  location_code: string;
  location_name: string;
  location_kind: string;
  path_codes: string[];
  assigned_at: string;
  /** Lines under the location waiting for a recount (the session is then in review); 0 while counting. */
  recount_lines: number;
  claim: {
    user_id: string;
    display_name: string;
    claimed_at: string;
    heartbeat_at: string;
    expires_at: string;
    mine: boolean;
  } | null;
}

/** The parts of a session the counter's screen uses. */
export interface CountSessionSummary {
  id: string;
  name: string;
  mode: CountMode;
  status: SessionStatus;
  warehouse_id: string;
}

export interface Claim {
  session_id: string;
  location_id: string;
  user_id: string;
  display_name: string;
  expires_at: string;
  ttl_seconds: number;
}

export interface CountEntry {
  id: string;
  client_id: string;
  session_id: string;
  location_id: string;
  item_id: string | null;
  item_code: string | null;
  item_name: string | null;
  barcode: string | null;
  lot: string | null;
  serial: string | null;
  quantity: number;
  entered_quantity: number;
  pack_qty: number;
  uom: string | null;
  counted_by: string;
  counted_at: string;
  voided: boolean;
}

/**
 * A line ordered for a recount, as the counter reads it: what to recount and where, never the book,
 * a variance or an earlier round (the server leaves them out for a counter). `status` is `open`
 * until some recount entry is in, then `counted`.
 */
export interface RecountLine {
  id: string;
  location_id: string;
  location_code: string;
  item_id: string;
  item_code: string;
  item_name: string;
  base_uom: string;
  lot: string | null;
  status: string;
}

export interface LocationCompletion {
  session_id: string;
  location_id: string;
  completed_at: string;
  zeroed_lines: number;
}

interface BarcodeLookup {
  item: {
    id: string;
    item_code: string;
    name: string;
    base_uom: string;
    tracking: 'none' | 'lot' | 'serial';
  };
  barcode: { barcode: string; pack_qty: number };
}

export const counterKeys = {
  assignments: ['counter', 'assignments'] as const,
  session: (id: string) => ['counter', 'session', id] as const,
  location: (id: string) => ['counter', 'location', id] as const,
  entries: (sessionId: string, locationId: string) => ['counter', 'entries', sessionId, locationId] as const,
  recountLines: (sessionId: string, locationId: string | null) =>
    ['counter', 'recount-lines', sessionId, locationId ?? '*'] as const,
};

export const listMyAssignments = () =>
  api<Page<MyAssignment>>('/api/my/assignments', { query: { limit: 200 } });

export const getSession = (id: string) =>
  api<CountSessionSummary>(`/api/count-sessions/${encodeURIComponent(id)}`);

export const getLocation = (id: string) => api<Location>(`/api/locations/${encodeURIComponent(id)}`);

/** The location a scanned label belongs to; null when no location has it. */
export async function lookupLocation(barcode: string): Promise<Location | null> {
  try {
    return await api<Location>('/api/locations/lookup', { query: { barcode } });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}

const LOOKUP_TIMEOUT_MS = 4000;

/**
 * The item a scanned code stands for, null when no item has it (or it is no valid barcode: the
 * server captures it as unknown all the same). Throws when the server cannot be asked, so the
 * caller falls back to the device's cache; a short timeout keeps a weak signal from stalling a scan.
 */
export async function lookupItem(barcode: string): Promise<ScannedItem | null> {
  try {
    const found = await api<BarcodeLookup>('/api/items/lookup', {
      query: { barcode },
      signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
    });
    return {
      item_id: found.item.id,
      item_code: found.item.item_code,
      name: found.item.name,
      base_uom: found.item.base_uom,
      pack_qty: found.barcode.pack_qty,
      tracking: found.item.tracking,
    };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}

const locationPath = (locationId: string) => `/api/locations/${encodeURIComponent(locationId)}`;

export const claimLocation = (sessionId: string, locationId: string) =>
  api<Claim>(`${locationPath(locationId)}/claim`, { method: 'POST', body: { session_id: sessionId } });

export const releaseLocation = (sessionId: string, locationId: string) =>
  api<void>(`${locationPath(locationId)}/release`, { method: 'POST', body: { session_id: sessionId } });

/**
 * Release while the page is going away (tab closed, reload): a keepalive request outlives the
 * page, which a normal fetch would not. sendBeacon cannot carry the CSRF header.
 */
export function releaseOnExit(sessionId: string, locationId: string): void {
  const csrf = readCookie(CSRF_COOKIE);
  void fetch(`${locationPath(locationId)}/release`, {
    method: 'POST',
    keepalive: true,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', ...(csrf ? { 'X-CSRF-Token': csrf } : {}) },
    body: JSON.stringify({ session_id: sessionId }),
  }).catch(() => {});
}

/** My live and voided entries at one location, newest first. */
export const listMyEntries = (sessionId: string, locationId: string) =>
  api<Page<CountEntry>>(`/api/count-sessions/${encodeURIComponent(sessionId)}/entries`, {
    query: { mine: true, location_id: locationId, include_voided: false, limit: 200 },
  });

const RECOUNT_FIELDS = [
  'id',
  'location_id',
  'location_code',
  'item_id',
  'item_code',
  'item_name',
  'base_uom',
  'lot',
  'status',
] as const;

/**
 * The lines waiting for a recount at one location (or, with null, under all my assignments of the
 * session). Only the fields a recount needs are kept: whatever else a line carries never reaches
 * the screen.
 */
export async function listRecountLines(sessionId: string, locationId: string | null): Promise<RecountLine[]> {
  const page = await api<Page<Record<string, unknown>>>(
    `/api/count-sessions/${encodeURIComponent(sessionId)}/lines`,
    { query: { status: 'recount', ...(locationId ? { location_id: locationId } : {}), limit: 200 } },
  );
  return page.items.map(
    (line) =>
      Object.fromEntries(
        RECOUNT_FIELDS.map((field) => [field, line[field] ?? null]),
      ) as unknown as RecountLine,
  );
}

export const completeLocation = (sessionId: string, locationId: string) =>
  api<LocationCompletion>(
    `/api/count-sessions/${encodeURIComponent(sessionId)}/locations/${encodeURIComponent(locationId)}/complete`,
    { method: 'POST' },
  );
