import { useQuery } from '@tanstack/react-query';
import type { Role } from '../../../api/types.ts';
import { formatMoney, formatQuantity } from '../../../ui/format.ts';
import {
  type CountMode,
  countingKeys,
  type LineStatus,
  listVarianceReasons,
  listWarehouses,
  type SessionStatus,
} from './api.ts';

/** Admins and supervisors run counts; auditors read everything and change nothing. */
export const canRunCounts = (role: Role): boolean => role === 'admin' || role === 'supervisor';

export const STATUS_LABELS: Record<SessionStatus, string> = {
  draft: 'Draft',
  counting: 'Counting',
  review: 'In review',
  approved: 'Approved',
  posted: 'Posted',
  cancelled: 'Cancelled',
};

export const MODE_LABELS: Record<CountMode, string> = {
  standard: 'Standard',
  blind: 'Blind',
  strict: 'Strict',
};

export const MODE_HINTS: Record<CountMode, string> = {
  standard: 'Counters see book quantities.',
  blind: 'Counters never see book quantities or variances.',
  strict: 'Every variance goes to review and needs a reason.',
};

export const LINE_STATUS_LABELS: Record<LineStatus, string> = {
  open: 'Not counted',
  counted: 'Counted',
  auto_approved: 'Auto-approved',
  recount: 'Recount',
  review: 'In review',
  approved: 'Approved',
};

/**
 * Every flag the server sets on a line: the risk flags (server review/variance-rules.ts
 * RISK_FLAGS), book_changed (posting), not_counted (submit) and the recount's verdict (review).
 */
export const FLAG_LABELS: Record<string, string> = {
  large_variance: 'Large variance',
  high_value: 'High value',
  price_changed: 'Price changed',
  serial_missing: 'Serial missing',
  duplicate_count: 'Counted twice by one user',
  duplicate_serial: 'Serial counted twice',
  book_changed: 'Book changed during the count',
  not_counted: 'Not counted',
  recount_confirmed: 'Recount confirmed',
  recount_disagrees: 'Recount disagrees',
};

/** A flag code the list above does not know yet, readably: "some_new_flag" → "Some new flag". */
export function flagLabel(flag: string): string {
  const known = FLAG_LABELS[flag];
  if (known) return known;
  const words = flag.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function SessionStatusBadge({ status }: { status: SessionStatus }) {
  return <span className={`badge session-${status}`}>{STATUS_LABELS[status]}</span>;
}

export function LineStatusBadge({ status }: { status: LineStatus }) {
  return <span className={`badge line-${status}`}>{LINE_STATUS_LABELS[status] ?? status}</span>;
}

export function Flags({ flags }: { flags: string[] }) {
  if (flags.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="counting-flags">
      {flags.map((flag) => (
        <li key={flag} className="badge counting-flag">
          {flagLabel(flag)}
        </li>
      ))}
    </ul>
  );
}

/** A signed quantity or value: "+2", "−3", coloured by direction. */
export function Signed({ value, money = false }: { value: number | null | undefined; money?: boolean }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  const shown = money ? formatMoney(Math.abs(value)) : formatQuantity(Math.abs(value));
  if (value === 0) return <span>{shown}</span>;
  return (
    <span className={value > 0 ? 'variance-plus' : 'variance-minus'}>
      {value > 0 ? '+' : '−'}
      {shown}
    </span>
  );
}

export function useVarianceReasons() {
  return useQuery({ queryKey: countingKeys.reasons, queryFn: listVarianceReasons, staleTime: 60 * 60_000 });
}

export function useWarehouses() {
  return useQuery({ queryKey: countingKeys.warehouses, queryFn: listWarehouses, staleTime: 5 * 60_000 });
}

/** A warehouse by its code and name, once known. */
export function WarehouseName({ id }: { id: string }) {
  const warehouses = useWarehouses();
  const warehouse = warehouses.data?.items.find((entry) => entry.id === id);
  return <>{warehouse ? `${warehouse.code} · ${warehouse.name}` : '…'}</>;
}

/** A figure in a `.counts` list. */
export function Count(props: { label: string; value: string | number; bad?: boolean }) {
  return (
    <div className={props.bad ? 'count count-bad' : 'count'}>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}
