import type { HttpSettings } from './connector-settings.ts';
import {
  decodeSourceCursor,
  type ErpSource,
  encodeSourceCursor,
  isReason,
  mapBarcode,
  mapItem,
  mapStockLevel,
  type RejectedRow,
  type SourceBarcode,
  type SourceEntity,
  SourceError,
  type SourceItem,
  type SourcePage,
  type SourceStockLevel,
  safeMessage,
} from './erp-source.ts';

/**
 * A REST ERP as a source: GET `<base_url><path>?page=N&page_size=S` (or `?cursor=<token>`), JSON
 * answers, rows found at `rows_field` and mapped field by field (dotted paths reach nested
 * fields). The cursor holds the next page number or token and the page size it was asked with,
 * so a resumed read asks for exactly the page that follows. The bearer token, when set, goes in
 * the Authorization header only — never in the URL, so it cannot end up in an access log.
 */

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 50 * 1024 * 1024;

/** Headers each outgoing request carries besides ours (request/trace ids of the caller). */
export type HeaderSource = () => Record<string, string>;

function at(value: unknown, dotted: string): unknown {
  if (dotted === '') return value;
  let current = value;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

interface PageCursor {
  e: SourceEntity;
  s: number;
  p?: number;
  t?: string;
}

export function createHttpSource(
  settings: HttpSettings,
  secret: string | null,
  options: { headers?: HeaderSource } = {},
): ErpSource {
  const paging = {
    mode: settings.paging?.mode ?? 'page',
    page_param: settings.paging?.page_param ?? 'page',
    first_page: settings.paging?.first_page ?? 1,
    size_param: settings.paging?.size_param ?? 'page_size',
    token_param: settings.paging?.token_param ?? 'cursor',
    next_token_field: settings.paging?.next_token_field ?? 'next_cursor',
  };
  const base = settings.base_url.replace(/\/+$/, '');
  const timeoutMs = settings.timeout_ms ?? DEFAULT_TIMEOUT_MS;

  async function fetchPage(
    entity: SourceEntity,
    mapping: { path: string; rows_field?: string | undefined },
    cursor: string | null,
    limit: number,
    signal: AbortSignal,
    filter: Record<string, string> = {},
  ): Promise<{ rows: unknown[]; next: string | null; where: string }> {
    if (!Number.isInteger(limit) || limit < 1) throw new SourceError('limit must be a positive whole number');
    const position: PageCursor = cursor
      ? decodeSourceCursor<PageCursor>(
          cursor,
          (value) =>
            value.e === entity &&
            Number.isInteger(value.s) &&
            (Number.isInteger(value.p) || typeof value.t === 'string'),
        )
      : paging.mode === 'page'
        ? { e: entity, s: Math.min(limit, settings.page_size ?? DEFAULT_PAGE_SIZE), p: paging.first_page }
        : { e: entity, s: Math.min(limit, settings.page_size ?? DEFAULT_PAGE_SIZE) };
    const url = new URL(`${base}${mapping.path}`);
    url.searchParams.set(paging.size_param, String(position.s));
    if (paging.mode === 'page') url.searchParams.set(paging.page_param, String(position.p));
    else if (position.t !== undefined) url.searchParams.set(paging.token_param, position.t);
    for (const [name, value] of Object.entries(filter)) url.searchParams.set(name, value);
    const where = paging.mode === 'page' ? `page ${position.p}` : 'page';
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers?.() };
    if (secret !== null) headers.authorization = `Bearer ${secret}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        redirect: 'error',
      });
    } catch (error) {
      if (signal.aborted) {
        const timedOut = (signal.reason as { name?: string })?.name === 'TimeoutError';
        throw new SourceError(`The call was ${timedOut ? 'timed out' : 'cancelled'}`, { cause: error });
      }
      const cause = (error as { cause?: { code?: string } }).cause;
      const name = (error as { name?: string }).name;
      const message =
        name === 'TimeoutError'
          ? `No answer from ${url.host} within ${timeoutMs} ms`
          : cause?.code === 'ECONNREFUSED'
            ? `Connection refused by ${url.host}`
            : cause?.code === 'ENOTFOUND'
              ? `Host ${url.hostname} not found`
              : `Request to ${url.host} failed: ${safeMessage(cause ?? error, [secret])}`;
      throw new SourceError(message, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const hint = response.status === 401 || response.status === 403 ? ' (check the token)' : '';
      throw new SourceError(`${url.host}${mapping.path} answered HTTP ${response.status}${hint}`);
    }
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > MAX_BODY_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw new SourceError(`${mapping.path} answered more than ${MAX_BODY_BYTES} bytes: lower page_size`);
    }
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch (error) {
      if (signal.aborted) throw new SourceError('The call was cancelled', { cause: error });
      throw new SourceError(`${mapping.path} did not answer JSON`);
    }
    const rows = at(body, mapping.rows_field ?? '');
    if (!Array.isArray(rows))
      throw new SourceError(
        `${mapping.path}: no array of rows at "${mapping.rows_field ?? ''}"${mapping.rows_field ? '' : ' (the answer itself)'}`,
      );
    let next: string | null = null;
    if (paging.mode === 'page') {
      if (rows.length >= position.s)
        next = encodeSourceCursor({ e: entity, s: position.s, p: (position.p ?? 0) + 1 });
    } else {
      const token = at(body, paging.next_token_field);
      if (typeof token === 'string' && token !== '')
        next = encodeSourceCursor({ e: entity, s: position.s, t: token });
      else if (typeof token === 'number')
        next = encodeSourceCursor({ e: entity, s: position.s, t: String(token) });
    }
    return { rows, next, where };
  }

  function mapItemRows(rows: unknown[], where: string): Omit<SourcePage<SourceItem>, 'next_cursor'> {
    const f = settings.items!.fields;
    const items: SourceItem[] = [];
    const rejected: RejectedRow[] = [];
    rows.forEach((row, index) => {
      const place = `${where}, row ${index + 1}`;
      let barcodes: SourceBarcode[] | null = null;
      if (f.barcodes) {
        barcodes = [];
        const list = at(row, f.barcodes);
        const entries = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
        for (const entry of entries) {
          const code = f.barcode_code ? at(entry, f.barcode_code) : entry;
          const pack = f.barcode_pack_qty ? at(entry, f.barcode_pack_qty) : null;
          const mapped = mapBarcode(code, pack);
          if (mapped === null) continue;
          if (isReason(mapped)) {
            rejected.push({ at: place, reason: mapped.reason });
            return;
          }
          barcodes.push(mapped);
        }
      }
      const item = mapItem(
        {
          item_code: at(row, f.item_code),
          name: at(row, f.name),
          base_uom: f.base_uom ? at(row, f.base_uom) : null,
          category: f.category ? at(row, f.category) : null,
          unit_cost: f.unit_cost ? at(row, f.unit_cost) : null,
        },
        barcodes,
      );
      if (isReason(item)) rejected.push({ at: place, reason: item.reason });
      else items.push(item);
    });
    return { rows: items, rejected };
  }

  const entities: SourceEntity[] = [];
  if (settings.items) entities.push('items');
  if (settings.stock_levels) entities.push('stock_levels');

  return {
    kind: 'http',
    entities,

    async readItems(cursor, limit, signal): Promise<SourcePage<SourceItem>> {
      const mapping = settings.items;
      if (!mapping) throw new SourceError('This connector maps no items');
      const { rows, next, where } = await fetchPage('items', mapping, cursor, limit, signal);
      return { ...mapItemRows(rows, where), next_cursor: next };
    },

    ...(settings.items?.lookup_param && settings.items.fields.barcodes
      ? {
          async findItemByBarcode(candidates: readonly string[], signal: AbortSignal) {
            const mapping = settings.items!;
            for (const candidate of candidates) {
              const { rows, where } = await fetchPage('items', mapping, null, 50, signal, {
                [mapping.lookup_param!]: candidate,
              });
              const mapped = mapItemRows(rows, where);
              // The ERP may filter loosely: only an item that has the code counts.
              const found = mapped.rows.find((item) =>
                item.barcodes?.some((barcode) => candidates.includes(barcode.barcode)),
              );
              if (found) return found;
            }
            return null;
          },
        }
      : {}),

    async readStockLevels(cursor, limit, signal): Promise<SourcePage<SourceStockLevel>> {
      const mapping = settings.stock_levels;
      if (!mapping) throw new SourceError('This connector maps no stock levels');
      const f = mapping.fields;
      const { rows, next, where } = await fetchPage('stock_levels', mapping, cursor, limit, signal);
      const levels: SourceStockLevel[] = [];
      const rejected: RejectedRow[] = [];
      rows.forEach((row, index) => {
        const level = mapStockLevel({
          item_code: at(row, f.item_code),
          warehouse_code: f.warehouse_code ? at(row, f.warehouse_code) : null,
          location_code: at(row, f.location_code),
          lot: f.lot ? at(row, f.lot) : null,
          quantity: at(row, f.quantity),
        });
        if (isReason(level)) rejected.push({ at: `${where}, row ${index + 1}`, reason: level.reason });
        else levels.push(level);
      });
      return { rows: levels, rejected, next_cursor: next };
    },

    async close() {},
  };
}
