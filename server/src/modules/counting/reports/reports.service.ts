import type { Readable } from 'node:stream';
import { valueE4 } from '../../../platform/decimal.ts';
import type { Role } from '../../../platform/http/access.ts';
import { AppError, badRequest, forbidden, notFound } from '../../../platform/http/errors.ts';
import type { AuditContext } from '../../audit/events.ts';
import { LINE_STATUSES, type LineStatus, type SessionStatus } from '../counting.tables.ts';
import type { CountingDeps } from '../counting-deps.ts';
import { withinTolerance } from '../review/variance-rules.ts';
import { assignedPaths, findSession } from '../sessions/session-access.ts';
import { parseStoredTolerance, toleranceFor } from '../sessions/tolerance.ts';
import {
  CONTENT_TYPES,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  type ExportKindName,
  exportFileName,
  linesOf,
} from './exports/export-kinds.ts';
import { money, qty, ratio, VarianceTotals, type VarianceTotalsView } from './figures.ts';
import * as store from './reports.store.ts';

export interface Viewer {
  id: string;
  role: Role;
}

const PAGE = 1000;
const TOP_VARIANCES = 20;
const REPORT_STATUSES: readonly SessionStatus[] = ['review', 'approved', 'posted'];
/** The lines of an approved session whose variance stands. */
const APPROVED_LINES: readonly LineStatus[] = ['approved', 'auto_approved'];
const MAX_SPAN_DAYS = 366;
const DEFAULT_SPAN_DAYS = 30;
const DAY_MS = 86_400_000;

// Session variance report.

export interface VarianceLineView {
  line_id: string;
  location_id: string;
  location_code: string;
  item_id: string;
  item_code: string;
  item_name: string;
  lot: string | null;
  status: LineStatus;
  book_qty: string;
  counted_qty: string;
  variance_qty: string;
  unit_cost: string;
  variance_value: string;
  reason_code: string | null;
}

export interface SessionReport {
  session: { id: string; name: string; warehouse_id: string; mode: string; status: SessionStatus };
  lines: { total: number; counted: number; with_variance: number };
  variance: VarianceTotalsView;
  book_value: string;
  by_reason: { reason_code: string | null; lines: number; quantity_net: string; value_net: string }[];
  by_status: Record<LineStatus, number>;
  top_variances: VarianceLineView[];
  generated_at: string;
}

// Period reports.

export interface PeriodQuery {
  from?: string;
  to?: string;
  warehouse_id?: string;
}

export interface Period {
  from: string;
  to: string;
  warehouse_id: string | null;
}

interface AccuracyGroup {
  lines_counted: number;
  lines_hit: number;
  hit_rate: string | null;
}

export interface AccuracyReport {
  period: Period;
  sessions: number;
  lines_counted: number;
  lines_hit: number;
  hit_rate: string | null;
  book_value: string;
  absolute_variance_value: string;
  value_accuracy: string | null;
  locations: number;
  by_location: (AccuracyGroup & { location_id: string; location_code: string; location_name: string })[];
  items: number;
  by_item: (AccuracyGroup & {
    item_id: string;
    item_code: string;
    item_name: string;
    absolute_variance_value: string;
  })[];
}

interface ShrinkageGroup {
  shrinkage_lines: number;
  shrinkage_value: string;
  gain_lines: number;
  gain_value: string;
}

export interface ShrinkageReport {
  period: Period;
  sessions: number;
  shrinkage: { lines: number; quantity: string; value: string };
  gains: { lines: number; quantity: string; value: string };
  net_value: string;
  by_reason: (ShrinkageGroup & { reason_code: string | null })[];
  by_category: (ShrinkageGroup & { category: string | null })[];
}

export interface CounterProductivity {
  user_id: string;
  username: string;
  display_name: string;
  sessions: number;
  entries: number;
  lines_counted: number;
  lines_sent_to_recount: number;
  recount_rate: string | null;
  active_seconds: number;
  lines_per_hour: string | null;
}

export interface ProductivityReport {
  period: Period;
  counters: CounterProductivity[];
}

export interface ExportFile {
  filename: string;
  content_type: string;
  body: Readable;
}

export interface CountReports {
  /** Variance summary of a session in review, approved or posted (409 REPORT_NOT_READY before). */
  sessionReport(id: string): Promise<SessionReport>;
  /** Checks everything first (400, 403, 404, 409), records the export, then streams the file. */
  exportSession(
    id: string,
    query: { kind: ExportKindName; format: ExportFormat },
    viewer: Viewer,
    context: AuditContext,
  ): Promise<ExportFile>;
  accuracy(query: PeriodQuery & { limit?: number }): Promise<AccuracyReport>;
  shrinkage(query: PeriodQuery): Promise<ShrinkageReport>;
  productivity(query: PeriodQuery): Promise<ProductivityReport>;
}

function invalid(field: string, message: string): AppError {
  return badRequest(`${field} ${message}`, [{ field, message }]);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseDate(value: string, field: string): number {
  const time = DATE.test(value) ? Date.parse(`${value}T00:00:00.000Z`) : Number.NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value)
    throw invalid(field, 'must be a date, YYYY-MM-DD');
  return time;
}

/**
 * The period of a report: whole UTC days from `from` to `to`, both included; by default the 30
 * days up to today. Answers the bounds as ISO timestamps, `to` exclusive (the next midnight).
 */
export function parsePeriod(query: PeriodQuery, now: Date): store.PeriodFilter & { period: Period } {
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  const to = query.to === undefined ? today : parseDate(query.to, 'to');
  const from =
    query.from === undefined ? to - (DEFAULT_SPAN_DAYS - 1) * DAY_MS : parseDate(query.from, 'from');
  if (from > to) throw invalid('from', 'must not be after to');
  if ((to - from) / DAY_MS + 1 > MAX_SPAN_DAYS)
    throw invalid('to', `must be at most ${MAX_SPAN_DAYS} days after from (both included)`);
  const day = (time: number) => new Date(time).toISOString().slice(0, 10);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to + DAY_MS).toISOString(),
    ...(query.warehouse_id ? { warehouseId: query.warehouse_id } : {}),
    period: { from: day(from), to: day(to), warehouse_id: query.warehouse_id ?? null },
  };
}

/** Worst first: lowest hit rate, then most misses, then the given tie-break. */
function worstFirst<T extends { lines_counted: number; lines_hit: number }>(
  tieBreak: (a: T, b: T) => number,
): (a: T, b: T) => number {
  return (a, b) =>
    a.lines_hit * b.lines_counted - b.lines_hit * a.lines_counted ||
    b.lines_counted - b.lines_hit - (a.lines_counted - a.lines_hit) ||
    tieBreak(a, b);
}

export function createCountReports(deps: CountingDeps): CountReports {
  const { db, clock, audit } = deps;

  /** Pages through the sessions of a period, calling `each` for every one. */
  async function forEachSession(
    filter: store.PeriodFilter,
    each: (session: store.PeriodSession) => Promise<void>,
  ): Promise<number> {
    let sessions = 0;
    let after: string | null = null;
    for (;;) {
      const page = await store.approvedSessionsPage(db, filter, after, PAGE);
      for (const session of page) {
        sessions += 1;
        await each(session);
      }
      if (page.length < PAGE) return sessions;
      after = page[page.length - 1]!.id;
    }
  }

  return {
    async sessionReport(id) {
      const session = await findSession(db, id);
      if (!session) throw notFound('Count session');
      if (!REPORT_STATUSES.includes(session.status)) {
        throw new AppError(
          409,
          'REPORT_NOT_READY',
          `The variance report is ready once the session is submitted; it is ${session.status}`,
        );
      }
      const byStatus = Object.fromEntries(LINE_STATUSES.map((status) => [status, 0])) as Record<
        LineStatus,
        number
      >;
      let total = 0;
      for (const [status, n] of await store.linesByStatus(db, id)) {
        total += n;
        if (status in byStatus) byStatus[status as LineStatus] = n;
      }
      const totals = new VarianceTotals();
      const reasons = new Map<string | null, { lines: number; qty: number; value: number }>();
      let counted = 0;
      let bookValue = 0;
      // The largest |value| first; a short list kept sorted as the lines stream past.
      let top: { abs: number; view: VarianceLineView }[] = [];
      for await (const line of linesOf(db, id)) {
        bookValue += valueE4(line.book_qty_e3, line.unit_cost_e4);
        if (line.counted_qty_e3 === null) continue;
        counted += 1;
        const varianceE3 = line.counted_qty_e3 - line.book_qty_e3;
        if (varianceE3 === 0) continue;
        const value = totals.add(varianceE3, line.unit_cost_e4);
        const reason = reasons.get(line.reason_code) ?? { lines: 0, qty: 0, value: 0 };
        reason.lines += 1;
        reason.qty += varianceE3;
        reason.value += value;
        reasons.set(line.reason_code, reason);
        const abs = Math.abs(value);
        if (top.length < TOP_VARIANCES || abs > top[top.length - 1]!.abs) {
          top.push({
            abs,
            view: {
              line_id: line.id,
              location_id: line.location_id,
              location_code: line.location_code,
              item_id: line.item_id,
              item_code: line.item_code,
              item_name: line.item_name,
              lot: line.lot === '' ? null : line.lot,
              status: line.status,
              book_qty: qty(line.book_qty_e3),
              counted_qty: qty(line.counted_qty_e3),
              variance_qty: qty(varianceE3),
              unit_cost: money(line.unit_cost_e4),
              variance_value: money(value),
              reason_code: line.reason_code,
            },
          });
          top.sort((a, b) => b.abs - a.abs);
          top = top.slice(0, TOP_VARIANCES);
        }
      }
      return {
        session: {
          id: session.id,
          name: session.name,
          warehouse_id: session.warehouse_id,
          mode: session.mode,
          status: session.status,
        },
        lines: { total, counted, with_variance: totals.lines },
        variance: totals.view(),
        book_value: money(bookValue),
        by_reason: [...reasons.entries()]
          .sort((a, b) => Math.abs(b[1].value) - Math.abs(a[1].value))
          .map(([reason_code, figures]) => ({
            reason_code,
            lines: figures.lines,
            quantity_net: qty(figures.qty),
            value_net: money(figures.value),
          })),
        by_status: byStatus,
        top_variances: top.map((entry) => entry.view),
        generated_at: clock.now().toISOString(),
      };
    },

    async exportSession(id, query, viewer, context) {
      const kind: ExportKind = EXPORT_KINDS[query.kind];
      if (!kind.formats.includes(query.format)) {
        throw invalid(
          'format',
          `${query.format} is not available for kind ${query.kind}: use ${kind.formats.join(' or ')}`,
        );
      }
      if (!kind.roles.includes(viewer.role))
        throw forbidden(`The ${query.kind} export is not available to the ${viewer.role} role`);
      const session = await findSession(db, id);
      if (!session) throw notFound('Count session');
      // A counter sees only the sessions they are assigned in (as GET /api/count-sessions/:id).
      if (viewer.role === 'staff' && (await assignedPaths(db, id, viewer.id)).length === 0)
        throw notFound('Count session');
      if (!kind.statuses.includes(session.status)) {
        throw new AppError(
          409,
          kind.notReadyCode,
          `The ${query.kind} export is available when the session is ${kind.statuses.join(', ')}; it is ${session.status}`,
        );
      }
      await audit.record(context, {
        type: 'DATA_EXPORT',
        action: 'count_session.export',
        resource: { type: 'count_session', id },
        details: { name: session.name, kind: query.kind, format: query.format },
      });
      const body = await kind.write({
        db,
        session,
        viewer,
        format: query.format,
        now: clock.now().toISOString(),
      });
      return {
        filename: exportFileName(session.name, kind.label, query.format),
        content_type: CONTENT_TYPES[query.format],
        body,
      };
    },

    async accuracy(query) {
      const filter = parsePeriod(query, clock.now());
      const limit = query.limit ?? 20;
      const overall = { counted: 0, hit: 0, bookValue: 0, absValue: 0 };
      type LocationAcc = {
        location_id: string;
        location_code: string;
        location_name: string;
        lines_counted: number;
        lines_hit: number;
      };
      type ItemAcc = {
        item_id: string;
        item_code: string;
        item_name: string;
        lines_counted: number;
        lines_hit: number;
        abs: number;
      };
      // One entry per location and per item counted in the period: bounded by the master data.
      const locations = new Map<string, LocationAcc>();
      const items = new Map<string, ItemAcc>();
      const sessions = await forEachSession(filter, async (session) => {
        const profile = parseStoredTolerance(session.tolerance);
        let after: string | null = null;
        for (;;) {
          const page = await store.accuracyLinesPage(db, session.id, after, PAGE);
          for (const line of page) {
            const first = line.first_qty_e3 ?? line.counted_qty_e3;
            if (first === null) continue;
            const hit = withinTolerance(toleranceFor(profile, line), {
              item_id: line.item_id,
              location_id: line.location_id,
              abc_class: line.abc_class,
              tracking: 'none',
              book_qty_e3: line.book_qty_e3,
              counted_qty_e3: first,
              unit_cost_e4: line.unit_cost_e4,
              current_unit_cost_e4: line.unit_cost_e4,
              entries_without_serial: 0,
              same_counter_twice: false,
              duplicate_serial: false,
              book_changed: false,
            });
            const final = line.counted_qty_e3 ?? first;
            const abs = Math.abs(valueE4(final - line.book_qty_e3, line.unit_cost_e4));
            overall.counted += 1;
            if (hit) overall.hit += 1;
            overall.bookValue += valueE4(line.book_qty_e3, line.unit_cost_e4);
            overall.absValue += abs;
            const location = locations.get(line.location_id) ?? {
              location_id: line.location_id,
              location_code: line.location_code,
              location_name: line.location_name,
              lines_counted: 0,
              lines_hit: 0,
            };
            location.lines_counted += 1;
            if (hit) location.lines_hit += 1;
            locations.set(line.location_id, location);
            const item = items.get(line.item_id) ?? {
              item_id: line.item_id,
              item_code: line.item_code,
              item_name: line.item_name,
              lines_counted: 0,
              lines_hit: 0,
              abs: 0,
            };
            item.lines_counted += 1;
            if (hit) item.lines_hit += 1;
            item.abs += abs;
            items.set(line.item_id, item);
          }
          if (page.length < PAGE) break;
          after = page[page.length - 1]!.id;
        }
      });
      const rate = (group: { lines_counted: number; lines_hit: number }) =>
        ratio(group.lines_hit, group.lines_counted);
      return {
        period: filter.period,
        sessions,
        lines_counted: overall.counted,
        lines_hit: overall.hit,
        hit_rate: ratio(overall.hit, overall.counted),
        book_value: money(overall.bookValue),
        absolute_variance_value: money(overall.absValue),
        value_accuracy: ratio(overall.bookValue - overall.absValue, overall.bookValue),
        locations: locations.size,
        by_location: [...locations.values()]
          .sort(worstFirst((a, b) => a.location_code.localeCompare(b.location_code)))
          .slice(0, limit)
          .map((location) => ({ ...location, hit_rate: rate(location) })),
        items: items.size,
        by_item: [...items.values()]
          .sort(worstFirst((a, b) => b.abs - a.abs || a.item_code.localeCompare(b.item_code)))
          .slice(0, limit)
          .map(({ abs, ...item }) => ({
            ...item,
            hit_rate: rate(item),
            absolute_variance_value: money(abs),
          })),
      };
    },

    async shrinkage(query) {
      const filter = parsePeriod(query, clock.now());
      const loss = { lines: 0, qty: 0, value: 0 };
      const gain = { lines: 0, qty: 0, value: 0 };
      type Acc = { lossLines: number; loss: number; gainLines: number; gain: number };
      const byReason = new Map<string | null, Acc>();
      const byCategory = new Map<string | null, Acc>();
      const bump = (map: Map<string | null, Acc>, key: string | null, isLoss: boolean, value: number) => {
        const acc = map.get(key) ?? { lossLines: 0, loss: 0, gainLines: 0, gain: 0 };
        if (isLoss) {
          acc.lossLines += 1;
          acc.loss += value;
        } else {
          acc.gainLines += 1;
          acc.gain += value;
        }
        map.set(key, acc);
      };
      const sessions = await forEachSession(filter, async (session) => {
        let after: string | null = null;
        for (;;) {
          const page = await store.varianceLinesPage(db, session.id, {
            afterId: after,
            limit: PAGE,
            statuses: APPROVED_LINES,
          });
          for (const line of page) {
            const varianceE3 = line.counted_qty_e3 - line.book_qty_e3;
            const value = Math.abs(valueE4(varianceE3, line.unit_cost_e4));
            const isLoss = varianceE3 < 0;
            const side = isLoss ? loss : gain;
            side.lines += 1;
            side.qty += Math.abs(varianceE3);
            side.value += value;
            bump(byReason, line.reason_code, isLoss, value);
            bump(byCategory, line.category, isLoss, value);
          }
          if (page.length < PAGE) break;
          after = page[page.length - 1]!.id;
        }
      });
      const group = (acc: Acc): ShrinkageGroup => ({
        shrinkage_lines: acc.lossLines,
        shrinkage_value: money(acc.loss),
        gain_lines: acc.gainLines,
        gain_value: money(acc.gain),
      });
      const order = (a: [unknown, Acc], b: [unknown, Acc]) => b[1].loss - a[1].loss || b[1].gain - a[1].gain;
      return {
        period: filter.period,
        sessions,
        shrinkage: { lines: loss.lines, quantity: qty(loss.qty), value: money(loss.value) },
        gains: { lines: gain.lines, quantity: qty(gain.qty), value: money(gain.value) },
        net_value: money(gain.value - loss.value),
        by_reason: [...byReason.entries()]
          .sort(order)
          .map(([reason_code, acc]) => ({ reason_code, ...group(acc) })),
        by_category: [...byCategory.entries()]
          .sort(order)
          .map(([category, acc]) => ({ category, ...group(acc) })),
      };
    },

    async productivity(query) {
      const filter = parsePeriod(query, clock.now());
      const counters: CounterProductivity[] = [];
      let after: string | null = null;
      for (;;) {
        const userIds = await store.countersPage(db, filter, after, 500);
        if (userIds.length === 0) break;
        const [activity, lines, users] = await Promise.all([
          store.counterSessionActivity(db, filter, userIds),
          store.counterLines(db, filter, userIds),
          store.findUsers(db, userIds),
        ]);
        const linesOf = new Map(lines.map((row) => [row.counted_by, row]));
        for (const userId of userIds) {
          let entries = 0;
          let sessions = 0;
          let activeMs = 0;
          for (const row of activity) {
            if (row.counted_by !== userId) continue;
            sessions += 1;
            entries += row.entries;
            activeMs += Date.parse(row.last_at) - Date.parse(row.first_at);
          }
          const counted = linesOf.get(userId);
          const user = users.get(userId);
          const linesCounted = counted?.lines ?? 0;
          counters.push({
            user_id: userId,
            username: user?.username ?? '',
            display_name: user?.display_name ?? '',
            sessions,
            entries,
            lines_counted: linesCounted,
            lines_sent_to_recount: counted?.recounted ?? 0,
            recount_rate: ratio(counted?.recounted ?? 0, linesCounted),
            active_seconds: Math.round(activeMs / 1000),
            lines_per_hour: ratio(linesCounted * 3_600_000, activeMs, 2),
          });
        }
        if (userIds.length < 500) break;
        after = userIds[userIds.length - 1]!;
      }
      counters.sort((a, b) => b.lines_counted - a.lines_counted || a.username.localeCompare(b.username));
      return { period: filter.period, counters };
    },
  };
}
