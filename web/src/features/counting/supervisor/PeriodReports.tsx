import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatMoney, formatQuantity } from '../../../ui/format.ts';
import { ErrorAlert, SelectField, TextField } from '../../../ui/forms.tsx';
import { useFlag } from '../../flags/use-flag.ts';
import {
  countingKeys,
  getPeriodReport,
  isMissingEndpoint,
  type PeriodFilter,
  type PeriodReportKind,
} from './api.ts';
import { RateChart } from './charts.tsx';
import { Count, useWarehouses } from './parts.tsx';
import { humanize, isRecord, num, type Row, readRates, rowsOf } from './report-shapes.ts';
import { formatCell } from './SessionReport.tsx';

const dayText = (date: Date) => date.toISOString().slice(0, 10);

function lastDays(days: number): PeriodFilter {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  return { from: dayText(from), to: dayText(to), warehouse_id: '' };
}

/** Reports over a period: inventory record accuracy (by location, as a chart), shrinkage, productivity. */
export function PeriodReports() {
  const warehouses = useWarehouses();
  const [period, setPeriod] = useState<PeriodFilter>(() => lastDays(30));
  const edit = (fields: Partial<PeriodFilter>) => setPeriod((current) => ({ ...current, ...fields }));
  const analytics = useFlag('advanced_analytics');

  return (
    <>
      <form
        className="filters period-filters"
        onSubmit={(event) => event.preventDefault()}
        aria-label="Period"
      >
        <TextField
          label="From"
          type="date"
          value={period.from}
          onChange={(event) => edit({ from: event.target.value })}
        />
        <TextField
          label="To"
          type="date"
          value={period.to}
          onChange={(event) => edit({ to: event.target.value })}
        />
        <SelectField
          label="Warehouse"
          value={period.warehouse_id}
          onChange={(event) => edit({ warehouse_id: event.target.value })}
        >
          <option value="">Every warehouse</option>
          {warehouses.data?.items.map((warehouse) => (
            <option key={warehouse.id} value={warehouse.id}>
              {warehouse.code} · {warehouse.name}
            </option>
          ))}
        </SelectField>
      </form>
      <ReportCard kind="accuracy" title="Inventory record accuracy" period={period} charts={analytics} />
      {analytics ? (
        <>
          <ReportCard kind="shrinkage" title="Shrinkage" period={period} charts />
          <ReportCard kind="productivity" title="Counter productivity" period={period} charts />
        </>
      ) : (
        <p className="note">{ANALYTICS_OFF}</p>
      )}
    </>
  );
}

/** Shown where the advanced_analytics feature flag hides reports and charts. */
export const ANALYTICS_OFF =
  'Shrinkage, productivity and the charts are advanced analytics, which is off for you: an admin can turn it on under Feature flags.';

function ReportCard(props: { kind: PeriodReportKind; title: string; period: PeriodFilter; charts: boolean }) {
  const { kind, title, period, charts } = props;
  const report = useQuery({
    queryKey: countingKeys.periodReport(kind, period),
    queryFn: () => getPeriodReport(kind, period),
    placeholderData: keepPreviousData,
    retry: (count, error) => !isMissingEndpoint(error) && count < 2,
  });
  const headingId = `${kind}-heading`;
  const data = report.data;
  return (
    <section className="card" aria-labelledby={headingId} aria-busy={report.isFetching || undefined}>
      <h2 id={headingId}>{title}</h2>
      {isMissingEndpoint(report.error) ? (
        <p className="note">This server does not offer this report yet.</p>
      ) : (
        <ErrorAlert error={report.error} />
      )}
      {report.isPending && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      {data !== undefined && <ReportBody kind={kind} data={data} charts={charts} />}
    </section>
  );
}

function ReportBody({ kind, data, charts }: { kind: PeriodReportKind; data: unknown; charts: boolean }) {
  const report: Row = Array.isArray(data) ? { items: data } : isRecord(data) ? data : {};
  const headline = isRecord(report.totals)
    ? report.totals
    : isRecord(report.overall)
      ? report.overall
      : report;
  // Figures at the top level, and one level down (shrinkage: {lines, value} → "Shrinkage value").
  const figures = Object.entries(headline).flatMap(([key, raw]) => {
    if (key === 'period') return [];
    if (isRecord(raw)) {
      return Object.entries(raw).flatMap(([sub, inner]) => {
        const value = num(inner);
        return value === null ? [] : [{ key: `${key}_${sub}`, value }];
      });
    }
    const value = num(raw);
    return value === null ? [] : [{ key, value }];
  });
  const tables = Object.entries(report).filter(([, value]) => Array.isArray(value));
  const byLocation = rowsOf(report.by_location, 'location_code');

  return (
    <>
      {figures.length > 0 && (
        <dl className="counts" aria-label={`${humanize(kind)} figures`}>
          {figures.map(({ key, value }) => (
            <Count key={key} label={humanize(key)} value={formatFigure(key, value)} />
          ))}
        </dl>
      )}
      {charts && kind === 'accuracy' && byLocation.length > 0 && (
        <>
          <h3>Hit rate by location</h3>
          <RateChart
            bars={readRates(byLocation, ['location_code', 'location_name', 'location_id'])}
            title="Hit rate within tolerance by location"
          />
        </>
      )}
      {tables.map(([key, value]) => {
        const rows = rowsOf(value, 'key');
        if (rows.length === 0) return null;
        return <ReportTable key={key} name={humanize(key === 'items' ? kind : key)} rows={rows} />;
      })}
      {figures.length === 0 && tables.length === 0 && <p className="muted">Nothing in this period.</p>}
    </>
  );
}

function formatFigure(key: string, value: number): string {
  if (/rate|pct|percent|accuracy/.test(key))
    return value <= 1 && !/pct|percent/.test(key) ? `${(value * 100).toFixed(1)} %` : `${value.toFixed(1)} %`;
  if (/value|cost|amount|shrinkage/.test(key)) return formatMoney(value);
  return formatQuantity(value);
}

/** Any list the report gives, as a table with a column per field. */
function ReportTable({ name, rows }: { name: string; rows: Row[] }) {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter(
    (key) => !/(^|_)id$/.test(key) || key === 'key',
  );
  return (
    <>
      <h3>{name}</h3>
      <div className="table-scroll">
        <table className="table compact-table" aria-label={name}>
          <thead>
            <tr>
              {columns.map((key) => (
                <th key={key} scope="col">
                  {key === 'key' ? '' : humanize(key)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: report rows have no id of their own
              <tr key={index}>
                {columns.map((key) => {
                  const value = /code|name|lot|barcode|username/.test(key) ? null : num(row[key]);
                  return (
                    <td key={key} className={value !== null ? 'num' : undefined}>
                      {value !== null ? formatFigure(key, value) : formatCell(row[key])}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
