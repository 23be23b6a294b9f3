import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Location } from '../../../api/types.ts';
import { formatQuantity, parseDecimal } from '../../../ui/format.ts';
import {
  CheckboxField,
  ErrorAlert,
  FormFooter,
  SelectField,
  StatusNote,
  TextField,
} from '../../../ui/forms.tsx';
import { Filters, PagedTable, usePagedList } from '../../../ui/lists.tsx';
import { SearchPicker } from '../../../ui/SearchPicker.tsx';
import { useFlag } from '../../flags/use-flag.ts';
import {
  approveLine,
  approveLinesInBulk,
  type CountLine,
  type CountSessionDetail,
  closeRecounts,
  countingKeys,
  LINE_STATUSES,
  type LineFilters,
  type LineStatus,
  listLines,
  type ResolveKeep,
  rejectLine,
  resolveLine,
  searchLocations,
  type VarianceReason,
} from './api.ts';
import { Flags, LINE_STATUS_LABELS, LineStatusBadge, Signed, useVarianceReasons } from './parts.tsx';

/**
 * The lines that need a decision: book against counted (every round after a recount, both book
 * quantities when the book moved during the count), the variance, the risk flags; approve with a
 * reason, reject for a recount, resolve a book change; in bulk over a filter.
 */
export function ReviewQueue({ session, canRun }: { session: CountSessionDetail; canRun: boolean }) {
  const [status, setStatus] = useState<LineStatus | ''>(session.status === 'review' ? 'review' : '');
  const [location, setLocation] = useState<Location | null>(null);
  const [hasVariance, setHasVariance] = useState(false);
  const filters: LineFilters = { status, location_id: location?.id ?? '', has_variance: hasVariance };
  const reasons = useVarianceReasons();
  const list = usePagedList({
    queryKey: countingKeys.lines(session.id, filters),
    fetchPage: (cursor) => listLines(session.id, filters, cursor),
    keepPrevious: true,
  });
  const acting = canRun && session.status === 'review';

  if (session.status === 'draft') return <p className="empty">Lines exist once the session is started.</p>;

  return (
    <>
      {acting && <ReviewTools session={session} reasons={reasons.data?.items ?? []} />}
      {canRun && session.status === 'counting' && (
        <p className="note">Lines are decided after the count is submitted for review.</p>
      )}
      <section aria-labelledby="lines-heading">
        <h2 id="lines-heading">{status === 'review' ? 'Review queue' : 'Lines'}</h2>
        <Filters>
          <SelectField
            label="Line status"
            value={status}
            onChange={(event) => setStatus(event.target.value as LineStatus | '')}
          >
            <option value="">Every status</option>
            {LINE_STATUSES.map((value) => (
              <option key={value} value={value}>
                {LINE_STATUS_LABELS[value]}
              </option>
            ))}
          </SelectField>
          <SearchPicker<Location>
            label="Location"
            placeholder="Code or name"
            selected={location}
            onSelect={setLocation}
            queryKey={['counting', 'review-locations', session.warehouse_id]}
            search={(q) => searchLocations(session.warehouse_id, q)}
            keyOf={(value) => value.id}
            describe={(value) => value.path_codes.join(' › ')}
          />
          <CheckboxField
            label="Only lines with a variance"
            checked={hasVariance}
            onChange={(event) => setHasVariance(event.target.checked)}
          />
        </Filters>
        <ErrorAlert error={reasons.error} />
        {/* Nine columns and the decision form: tighter cells, and a scroll inside the card rather than a spill. */}
        <div className="review-lines">
          <PagedTable
            list={list}
            caption="Count lines"
            noun={['line', 'lines']}
            columns={
              <>
                <th scope="col">Item</th>
                <th scope="col">Location</th>
                <th scope="col">Status</th>
                <th scope="col">Flags</th>
                <th scope="col" className="num">
                  Book
                </th>
                <th scope="col" className="num">
                  Counted
                </th>
                <th scope="col" className="num">
                  Variance
                </th>
                <th scope="col" className="num">
                  Value
                </th>
                {acting && <th scope="col">Decision</th>}
              </>
            }
            row={(line) => (
              <LineRow key={line.id} line={line} acting={acting} reasons={reasons.data?.items ?? []} />
            )}
          />
        </div>
      </section>
    </>
  );
}

function BookCell({ line }: { line: CountLine }) {
  if (line.book_qty === undefined) return <span className="muted">—</span>;
  const now = line.current_book_qty;
  return (
    <>
      {formatQuantity(line.book_qty)}
      {now !== undefined && now !== null && (
        <span className="line-sub">
          now {formatQuantity(now)}
          <span className="visually-hidden"> (book changed during the count)</span>
        </span>
      )}
    </>
  );
}

function CountedCell({ line }: { line: CountLine }) {
  const rounds = line.rounds ?? [];
  if (rounds.length > 1) {
    return (
      <ul className="rounds" aria-label="Counted per round">
        {rounds.map((round) => (
          <li key={round.round}>
            <span className="muted">R{round.round}</span> {formatQuantity(round.counted_qty)}
          </li>
        ))}
        {line.counted_qty === null && (
          <li>
            <span className="muted">R{line.round}</span> <span className="muted">not yet</span>
          </li>
        )}
      </ul>
    );
  }
  return line.counted_qty === null ? (
    <span className="muted">—</span>
  ) : (
    <span>{formatQuantity(line.counted_qty)}</span>
  );
}

function LineRow({ line, acting, reasons }: { line: CountLine; acting: boolean; reasons: VarianceReason[] }) {
  return (
    <tr>
      <th scope="row" data-label="Item">
        <span className="mono strong">{line.item_code}</span> {line.item_name}
        {line.lot && <span className="line-sub">Lot {line.lot}</span>}
        {!line.expected && <span className="line-sub">Not expected here</span>}
      </th>
      <td data-label="Location" className="mono">
        {line.location_code}
      </td>
      <td data-label="Status">
        <LineStatusBadge status={line.status} />
      </td>
      <td data-label="Flags">
        <Flags flags={line.flags} />
      </td>
      <td data-label="Book" className="num">
        <BookCell line={line} />
      </td>
      <td data-label="Counted" className="num">
        <CountedCell line={line} />
      </td>
      <td data-label="Variance" className="num">
        <Signed value={line.variance_qty} />
      </td>
      <td data-label="Value" className="num">
        <Signed value={line.variance_value} money />
      </td>
      {acting && (
        <td data-label="Decision" className="line-actions">
          {line.status === 'review' ? (
            <LineDecision line={line} reasons={reasons} />
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      )}
    </tr>
  );
}

function useLineRefresh(sessionId: string) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: countingKeys.session(sessionId) });
    void queryClient.invalidateQueries({ queryKey: countingKeys.detail(sessionId) });
  };
}

function LineDecision({ line, reasons }: { line: CountLine; reasons: VarianceReason[] }) {
  const refresh = useLineRefresh(line.session_id);
  const [reason, setReason] = useState(line.reason_code ?? '');
  const needsReason = (line.variance_qty ?? 0) !== 0;
  const bookChanged = line.flags.includes('book_changed');
  const approve = useMutation({ mutationFn: () => approveLine(line.id, reason || null), onSuccess: refresh });
  const reject = useMutation({ mutationFn: () => rejectLine(line.id, ''), onSuccess: refresh });
  const resolve = useMutation({
    mutationFn: (keep: ResolveKeep) => resolveLine(line.id, keep, reason || null),
    onSuccess: refresh,
  });
  const busy = approve.isPending || reject.isPending || resolve.isPending;
  const name = `${line.item_code} at ${line.location_code}`;

  return (
    <div className="line-decision">
      <SelectField
        label="Reason"
        value={reason}
        aria-label={`Reason for ${name}`}
        onChange={(event) => {
          setReason(event.target.value);
          approve.reset();
        }}
      >
        <option value="">{needsReason ? 'Choose a reason…' : 'No reason needed'}</option>
        {reasons.map((entry) => (
          <option key={entry.code} value={entry.code}>
            {entry.label}
          </option>
        ))}
      </SelectField>
      <div className="form-actions">
        {bookChanged ? (
          <>
            <button
              type="button"
              className="button button-primary button-small"
              disabled={busy}
              aria-label={`Keep counted quantity for ${name}`}
              onClick={() => resolve.mutate('counted')}
            >
              Keep counted
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={busy}
              aria-label={`Keep difference for ${name}`}
              onClick={() => resolve.mutate('difference')}
            >
              Keep difference
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button button-primary button-small"
            disabled={busy || (needsReason && !reason)}
            aria-label={`Approve ${name}`}
            onClick={() => approve.mutate()}
          >
            Approve
          </button>
        )}
        <button
          type="button"
          className="button button-danger-outline button-small"
          disabled={busy}
          aria-label={`Reject ${name} (recount)`}
          onClick={() => reject.mutate()}
        >
          Recount
        </button>
      </div>
      <ErrorAlert error={approve.error ?? reject.error ?? resolve.error} />
    </div>
  );
}

/** Bulk approval over a filter, and closing the recounts. */
function ReviewTools({ session, reasons }: { session: CountSessionDetail; reasons: VarianceReason[] }) {
  const refresh = useLineRefresh(session.id);
  const [location, setLocation] = useState<Location | null>(null);
  const [maxVariance, setMaxVariance] = useState('');
  const [reason, setReason] = useState('');
  const [maxError, setMaxError] = useState<string | undefined>();
  const bulk = useMutation({
    mutationFn: (max: number | null) =>
      approveLinesInBulk(
        session.id,
        {
          status: 'review',
          ...(location ? { location_id: location.id } : {}),
          ...(max !== null ? { max_abs_variance: max } : {}),
        },
        reason || null,
      ),
    onSuccess: refresh,
  });
  const recounts = useMutation({ mutationFn: () => closeRecounts(session.id), onSuccess: refresh });
  // Bulk approval is a bulk operation: the feature flag says who may (admins, by default).
  const bulkAllowed = useFlag('bulk_operations');
  const recountLines = session.progress.lines_by_status?.recount ?? 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseDecimal(maxVariance, 3);
    if (parsed !== null && typeof parsed === 'object') {
      setMaxError(parsed.error);
      return;
    }
    setMaxError(undefined);
    bulk.mutate(parsed);
  }

  const result = bulk.data;
  const skipped = result
    ? [
        result.skipped_own_count && `${result.skipped_own_count} counted by you`,
        result.skipped_reason_required && `${result.skipped_reason_required} needing a reason`,
        result.skipped_not_counted && `${result.skipped_not_counted} not counted`,
      ].filter(Boolean)
    : [];

  return (
    <div className="review-tools">
      {bulkAllowed && (
        <form className="card" onSubmit={submit} aria-labelledby="bulk-heading">
          <h2 id="bulk-heading">Approve in bulk</h2>
          <p className="muted small">
            Approves every line in review that matches. Lines you counted yourself, and lines with a variance
            when no reason is chosen, are left for one-by-one review.
          </p>
          <div className="form-grid">
            <SearchPicker<Location>
              label="Only in location"
              placeholder="Code or name"
              selected={location}
              onSelect={setLocation}
              queryKey={['counting', 'bulk-locations', session.warehouse_id]}
              search={(q) => searchLocations(session.warehouse_id, q)}
              keyOf={(value) => value.id}
              describe={(value) => value.path_codes.join(' › ')}
            />
            <TextField
              label="Largest |variance| (units)"
              inputMode="decimal"
              value={maxVariance}
              error={maxError}
              onChange={(event) => setMaxVariance(event.target.value)}
            />
            <SelectField label="Reason" value={reason} onChange={(event) => setReason(event.target.value)}>
              <option value="">None (zero variances only)</option>
              {reasons.map((entry) => (
                <option key={entry.code} value={entry.code}>
                  {entry.label}
                </option>
              ))}
            </SelectField>
          </div>
          <FormFooter
            error={bulk.error}
            done={
              result &&
              `${result.approved} ${result.approved === 1 ? 'line' : 'lines'} approved${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}.`
            }
            pending={bulk.isPending}
            label="Approve matching lines"
            pendingLabel="Approving…"
            secondary
          />
        </form>
      )}
      <section className="card" aria-labelledby="recounts-heading">
        <h2 id="recounts-heading">Recounts</h2>
        <p className="muted small">
          {recountLines} {recountLines === 1 ? 'line is' : 'lines are'} waiting for a recount. Closing
          compares each counted recount with the round before: agreeing confirms it, disagreeing sends it to
          review.
        </p>
        <ErrorAlert error={recounts.error} />
        {recounts.data && (
          <StatusNote>
            {recounts.data.confirmed} confirmed, {recounts.data.disagreed} to review,{' '}
            {recounts.data.still_open} not recounted yet.
          </StatusNote>
        )}
        <div className="form-actions">
          <button
            type="button"
            className="button button-secondary"
            disabled={recounts.isPending}
            onClick={() => recounts.mutate()}
          >
            {recounts.isPending ? 'Closing…' : 'Close recounts'}
          </button>
        </div>
      </section>
    </div>
  );
}
