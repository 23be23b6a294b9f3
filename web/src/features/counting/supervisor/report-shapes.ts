/**
 * The report endpoints answer summaries whose exact fields may grow; the screens read them
 * through these small readers, so a figure the server leaves out is shown as missing instead
 * of breaking the page. Decimals may arrive as numbers or as decimal strings.
 */

export type Row = Record<string, unknown>;

export const isRecord = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return null;
}

/** The first of `keys` that holds a number. */
export function pick(row: unknown, ...keys: string[]): number | null {
  if (!isRecord(row)) return null;
  for (const key of keys) {
    const value = num(row[key]);
    if (value !== null) return value;
  }
  return null;
}

export function text(row: unknown, ...keys: string[]): string | null {
  if (!isRecord(row)) return null;
  for (const key of keys) {
    const value = row[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/** A list given as an array of rows, or as an object keyed by name (`{damaged: {...}}`). */
export function rowsOf(value: unknown, keyName: string): Row[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  if (isRecord(value)) {
    return Object.entries(value).map(([key, entry]) =>
      isRecord(entry) ? { [keyName]: key, ...entry } : { [keyName]: key, value: entry },
    );
  }
  return [];
}

export interface ReasonBar {
  code: string;
  label: string;
  /** Value found over the book (≥ 0). */
  positive: number;
  /** Value missing against the book (≤ 0). */
  negative: number;
  lines: number | null;
}

export interface SessionReportView {
  totals: Row;
  reasons: ReasonBar[];
  statuses: { status: string; lines: number }[];
  top: Row[];
}

export function readSessionReport(data: unknown, labels: Map<string, string>): SessionReportView {
  const report = isRecord(data) ? data : {};
  const lines = isRecord(report.lines) ? report.lines : {};
  const totals: Row = isRecord(report.totals)
    ? report.totals
    : {
        lines_total: lines.total,
        lines_counted: lines.counted,
        ...(isRecord(report.variance) ? report.variance : {}),
        book_value: report.book_value,
      };
  const reasons = rowsOf(report.by_reason ?? report.reasons, 'reason_code').map((row) => {
    const code = text(row, 'reason_code', 'code', 'reason') ?? 'none';
    const positive = pick(row, 'positive_value', 'gain_value', 'plus_value') ?? 0;
    const negative = pick(row, 'negative_value', 'loss_value', 'minus_value') ?? 0;
    const net = pick(row, 'value_net', 'variance_value', 'net_value', 'value');
    // Only a net figure: it is all on one side.
    const split = positive === 0 && negative === 0 && net !== null;
    return {
      code,
      label: text(row, 'label') ?? labels.get(code) ?? (code === 'none' ? 'No reason' : code),
      positive: split ? Math.max(net, 0) : Math.abs(positive),
      negative: split ? Math.min(net, 0) : -Math.abs(negative),
      lines: pick(row, 'lines', 'line_count', 'count'),
    };
  });
  const statuses = rowsOf(report.by_status, 'status').map((row) => ({
    status: text(row, 'status') ?? '?',
    lines: pick(row, 'lines', 'count', 'value') ?? 0,
  }));
  const top = rowsOf(report.top_variances ?? report.top, 'line_id');
  return { totals, reasons, statuses, top };
}

export interface RateBar {
  /** Unique among the bars. */
  key: string;
  label: string;
  /** 0 to 100. */
  rate: number;
  detail: string;
}

/** Hit rates arrive as fractions (0.95) or percentages (95): named *_pct, or any above 1, are percent. */
export function readRates(rows: Row[], labelKeys: string[]): RateBar[] {
  const raw = rows.map((row) => ({
    row,
    pct: pick(row, 'hit_rate_pct', 'accuracy_pct'),
    rate: pick(row, 'hit_rate', 'accuracy', 'rate'),
  }));
  const fractions = raw.every((entry) => entry.rate === null || entry.rate <= 1);
  return raw.map(({ row, pct, rate }) => {
    const value = pct ?? (rate === null ? 0 : fractions ? rate * 100 : rate);
    const lines = pick(row, 'lines', 'lines_counted', 'total');
    const hits = pick(row, 'hits', 'lines_hit', 'within_tolerance');
    const label = text(row, ...labelKeys) ?? '?';
    return {
      key: text(row, 'location_id', 'item_id') ?? label,
      label,
      rate: Math.max(0, Math.min(100, value)),
      detail:
        hits !== null && lines !== null
          ? `${hits} of ${lines} lines`
          : lines !== null
            ? `${lines} lines`
            : '',
    };
  });
}

const LABELS: Record<string, string> = {
  lines_total: 'Lines',
  lines_counted: 'Lines counted',
  lines_with_variance: 'Lines with variance',
  quantity_positive: 'Quantity found (+)',
  quantity_negative: 'Quantity missing (−)',
  quantity_net: 'Net quantity',
  value_positive: 'Value found (+)',
  value_negative: 'Value missing (−)',
  value_net: 'Net value',
  book_value: 'Book value',
  lines_hit: 'Lines within tolerance',
  hit_rate: 'Hit rate',
  value_accuracy: 'Value accuracy',
  absolute_variance_value: 'Absolute variance value',
  net_value: 'Net value',
  lines_sent_to_recount: 'Sent to recount',
};

/** snake_case field → "Snake case" for a heading, or the field's own label. */
export function humanize(key: string): string {
  const known = LABELS[key];
  if (known) return known;
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
