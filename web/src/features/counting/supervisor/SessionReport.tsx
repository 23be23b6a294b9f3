import { useQuery } from '@tanstack/react-query';
import { formatMoney, formatQuantity } from '../../../ui/format.ts';
import { ErrorAlert } from '../../../ui/forms.tsx';
import { ListFooter, usePagedList } from '../../../ui/lists.tsx';
import { useFlag } from '../../flags/use-flag.ts';
import {
  type CountSessionDetail,
  countingKeys,
  type ExportFormat,
  type ExportKind,
  exportUrl,
  getSessionReport,
  isMissingEndpoint,
  listAdjustments,
} from './api.ts';
import { VarianceByReasonChart } from './charts.tsx';
import { ANALYTICS_OFF } from './PeriodReports.tsx';
import { Count, LINE_STATUS_LABELS, Signed, useVarianceReasons } from './parts.tsx';
import { humanize, isRecord, num, pick, readSessionReport, text } from './report-shapes.ts';

const EXPORTS: { kind: ExportKind; format: ExportFormat; label: string }[] = [
  { kind: 'variance', format: 'csv', label: 'Variance report (CSV)' },
  { kind: 'variance', format: 'xlsx', label: 'Variance report (Excel)' },
  { kind: 'count_sheet', format: 'pdf', label: 'Count sheet (PDF)' },
  { kind: 'adjustments', format: 'csv', label: 'Adjustments (CSV)' },
];

/** The session's variance report: totals, value by reason (+/−) as a chart, top variances, exports. */
export function SessionReport({ session }: { session: CountSessionDetail }) {
  const reasons = useVarianceReasons();
  const analytics = useFlag('advanced_analytics');
  const report = useQuery({
    queryKey: countingKeys.report(session.id),
    queryFn: () => getSessionReport(session.id),
    enabled: session.status !== 'draft',
    retry: (count, error) => !isMissingEndpoint(error) && count < 2,
  });
  const labels = new Map((reasons.data?.items ?? []).map((reason) => [reason.code, reason.label]));
  const view = report.data === undefined ? null : readSessionReport(report.data, labels);

  return (
    <>
      <section className="card" aria-labelledby="exports-heading">
        <h2 id="exports-heading">Exports</h2>
        <ul className="export-links">
          {EXPORTS.map((entry) => (
            <li key={`${entry.kind}-${entry.format}`}>
              <a
                className="button button-secondary"
                href={exportUrl(session.id, entry.format, entry.kind)}
                download
              >
                {entry.label}
              </a>
            </li>
          ))}
        </ul>
        {session.mode === 'blind' && (
          <p className="muted small">This is a blind session: the count sheet shows no book quantities.</p>
        )}
      </section>

      <section
        className="card"
        aria-labelledby="variance-report-heading"
        aria-busy={report.isFetching || undefined}
      >
        <h2 id="variance-report-heading">Variance report</h2>
        {session.status === 'draft' && (
          <p className="muted">The report exists once the session is started.</p>
        )}
        {isMissingEndpoint(report.error) ? (
          <p className="note">This server does not offer the variance report yet.</p>
        ) : (
          <ErrorAlert error={report.error} />
        )}
        {report.isPending && session.status !== 'draft' && (
          <p className="muted" role="status">
            Loading the report…
          </p>
        )}
        {view && (
          <>
            <dl className="counts" aria-label="Variance totals">
              {totalFigures(view.totals).map((figure) => (
                <Count key={figure.label} label={figure.label} value={figure.value} />
              ))}
            </dl>
            <h3>Value variance by reason</h3>
            {analytics ? (
              <VarianceByReasonChart
                bars={view.reasons}
                title="Value variance by reason code, found and missing"
              />
            ) : (
              <p className="note">{ANALYTICS_OFF}</p>
            )}
            {view.reasons.length > 0 && (
              <table className="table compact-table" aria-label="Variance by reason">
                <thead>
                  <tr>
                    <th scope="col">Reason</th>
                    <th scope="col" className="num">
                      Lines
                    </th>
                    <th scope="col" className="num">
                      Found
                    </th>
                    <th scope="col" className="num">
                      Missing
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {view.reasons.map((bar) => (
                    <tr key={bar.code}>
                      <th scope="row">{bar.label}</th>
                      <td className="num">{bar.lines ?? '—'}</td>
                      <td className="num">
                        <Signed value={bar.positive} money />
                      </td>
                      <td className="num">
                        <Signed value={bar.negative} money />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {view.statuses.length > 0 && (
              <>
                <h3>Lines by status</h3>
                <dl className="counts" aria-label="Lines by status">
                  {view.statuses.map((entry) => (
                    <Count
                      key={entry.status}
                      label={
                        LINE_STATUS_LABELS[entry.status as keyof typeof LINE_STATUS_LABELS] ?? entry.status
                      }
                      value={entry.lines}
                    />
                  ))}
                </dl>
              </>
            )}
            {view.top.length > 0 && (
              <>
                <h3>Largest variances</h3>
                <table className="table compact-table" aria-label="Largest variances">
                  <thead>
                    <tr>
                      <th scope="col">Item</th>
                      <th scope="col">Location</th>
                      <th scope="col" className="num">
                        Variance
                      </th>
                      <th scope="col" className="num">
                        Value
                      </th>
                      <th scope="col">Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {view.top.map((row, index) => {
                      const reason = text(row, 'reason_code');
                      return (
                        <tr key={text(row, 'line_id', 'id') ?? index}>
                          <th scope="row">
                            <span className="mono">{text(row, 'item_code') ?? '?'}</span>{' '}
                            {text(row, 'item_name')}
                          </th>
                          <td className="mono">{text(row, 'location_code') ?? '—'}</td>
                          <td className="num">
                            <Signed value={pick(row, 'variance_qty')} />
                          </td>
                          <td className="num">
                            <Signed value={pick(row, 'variance_value')} money />
                          </td>
                          <td>{reason ? (labels.get(reason) ?? reason) : '—'}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </>
            )}
          </>
        )}
      </section>
      {(session.status === 'approved' || session.status === 'posted') && (
        <AdjustmentsSection session={session} />
      )}
    </>
  );
}

/** The headline figures, whichever the server gives, money and quantities formatted as such. */
function totalFigures(totals: Record<string, unknown>): { label: string; value: string }[] {
  const figures: { label: string; value: string }[] = [];
  for (const [key, raw] of Object.entries(totals)) {
    const value = num(raw);
    if (value === null) continue;
    const money = /value|cost|amount/.test(key);
    const signed = /positive|negative|net/.test(key) && !key.startsWith('lines');
    const shown = money ? formatMoney(Math.abs(value)) : formatQuantity(Math.abs(value));
    figures.push({
      label: humanize(key),
      value: signed && value !== 0 ? `${value > 0 ? '+' : '−'}${shown}` : shown,
    });
  }
  return figures;
}

/** The adjustments posting produces (or will), a page at a time. */
function AdjustmentsSection({ session }: { session: CountSessionDetail }) {
  const list = usePagedList({
    queryKey: countingKeys.adjustments(session.id),
    fetchPage: (cursor) => listAdjustments(session.id, cursor),
  });
  const missing = isMissingEndpoint(list.query.error);
  const columns = [
    'item_code',
    'location_code',
    'lot',
    'quantity',
    'value',
    'reason_code',
    'resolution',
    'erp_status',
  ].filter((key) => list.rows.some((row) => isRecord(row) && key in row));
  return (
    <section className="card" aria-labelledby="adjustments-heading">
      <h2 id="adjustments-heading">Adjustments</h2>
      {missing ? (
        <p className="note">This server does not list adjustments yet; use the adjustments export.</p>
      ) : (
        <ErrorAlert error={list.query.error} />
      )}
      {!missing && list.rows.length === 0 && !list.query.isPending && (
        <p className="muted">No adjustments: no approved line has a variance.</p>
      )}
      {list.rows.length > 0 && (
        <table className="table compact-table" aria-label="Adjustments">
          <thead>
            <tr>
              {columns.map((key) => (
                <th key={key} scope="col">
                  {humanize(key)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.rows.map((row, index) => (
              <tr key={text(row, 'id') ?? index}>
                {columns.map((key) => (
                  <td key={key} className={typeof row[key] === 'number' ? 'num' : undefined}>
                    {key === 'value' && typeof row[key] === 'number'
                      ? formatMoney(row[key] as number)
                      : formatCell(row[key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!missing && (
        <ListFooter count={list.rows.length} noun={['adjustment', 'adjustments']} query={list.query} />
      )}
    </section>
  );
}

export function formatCell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number') return formatQuantity(value);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
