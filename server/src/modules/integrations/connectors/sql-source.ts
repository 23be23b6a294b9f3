import type { SqlSettings } from './connector-settings.ts';
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
  textOf,
} from './erp-source.ts';
import { openSqlPeer } from './sql-peer.ts';

/**
 * An ERP database as a source: PostgreSQL (`pg`) or MySQL/MariaDB (`mysql2`). Each mapping is a
 * table or one SELECT; the connector wraps it as `SELECT * FROM (<query>) AS sv_src WHERE
 * (<key>) > (<cursor>) ORDER BY <key> LIMIT n`, so a page costs an index range scan on the ERP
 * side when the key is indexed, and the cursor is the key of the last row handed out.
 *
 * Every query runs in a READ ONLY transaction on a connection from a pool of two (sql-peer.ts:
 * an aborted call is cancelled in the ERP, a dropped connection never takes the process down).
 */

type Row = Record<string, unknown>;

const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

function describeError(error: unknown, settings: SqlSettings, secret: string | null): string {
  if (error instanceof SourceError) return error.message;
  const { code, errno } = (error ?? {}) as { code?: string; errno?: number };
  const where = `${settings.host}:${settings.port}`;
  if (code === '28P01' || code === '28000' || errno === 1045 || code === 'ER_ACCESS_DENIED_ERROR')
    return `Authentication failed for user "${settings.user}" on ${where}`;
  if (code === '3D000' || errno === 1049) return `Database "${settings.database}" does not exist on ${where}`;
  if (code === 'ECONNREFUSED') return `Connection refused by ${where}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Host ${settings.host} not found`;
  if (code === 'ETIMEDOUT' || /timeout/i.test((error as Error)?.message ?? ''))
    return `No answer from ${where} in time`;
  return safeMessage(error, [secret]);
}

interface EntityMapping {
  query?: string | undefined;
  table?: string | undefined;
  columns: Record<string, string | undefined>;
}

export function createSqlSource(settings: SqlSettings, secret: string | null): ErpSource {
  const postgres = settings.dialect === 'postgres';
  const peer = openSqlPeer(settings, secret, {
    poolSize: 2,
    applicationName: 'stock-verify-connector',
    statementTimeoutMs: settings.query_timeout_ms ?? DEFAULT_QUERY_TIMEOUT_MS,
  });
  const begin = postgres ? 'BEGIN READ ONLY' : 'START TRANSACTION READ ONLY';
  const quote = (name: string) => (postgres ? `"${name}"` : `\`${name}\``);
  const param = (index: number) => (postgres ? `$${index}` : '?');

  function from(mapping: EntityMapping): string {
    if (mapping.table !== undefined) return mapping.table.split('.').map(quote).join('.');
    // The newlines keep a trailing `-- comment` of the query from swallowing the parenthesis.
    return `(\n${mapping.query}\n)`;
  }

  function keysetSql(
    mapping: EntityMapping,
    keys: readonly string[],
    after: unknown[] | null,
    limit: number,
  ) {
    const columns = keys.map(quote);
    let where = '';
    let params: unknown[] = [];
    if (after) {
      if (keys.length === 1) {
        where = ` WHERE ${columns[0]} > ${param(1)}`;
        params = after;
      } else {
        // The leading bound lets the ERP use an index range: MariaDB does not for a row
        // comparison alone, and every page would scan the key from its start (quadratic).
        const tuple = after.map((_, i) => param(i + 2));
        where = ` WHERE ${columns[0]} >= ${param(1)} AND (${columns.join(', ')}) > (${tuple.join(', ')})`;
        params = [after[0], ...after];
      }
    }
    return {
      sql: `SELECT * FROM ${from(mapping)} AS sv_src${where} ORDER BY ${columns.join(', ')} LIMIT ${limit + 1}`,
      params,
    };
  }

  async function run(sql: string, params: unknown[], signal: AbortSignal): Promise<Row[]> {
    try {
      return await peer.withConnection(signal, async (connection) => {
        await connection.query(begin, []);
        try {
          return (await connection.query(sql, params)).rows;
        } finally {
          await connection.query('ROLLBACK', []).catch(() => undefined);
        }
      });
    } catch (error) {
      throw new SourceError(describeError(error, settings, secret), { cause: error });
    }
  }

  function requireColumns(entity: string, row: Row | undefined, columns: readonly (string | undefined)[]) {
    if (!row) return;
    for (const column of columns) {
      if (column !== undefined && !(column in row)) {
        const have = Object.keys(row).slice(0, 20).join(', ');
        throw new SourceError(`${entity}: column "${column}" is not in the result (it has: ${have})`);
      }
    }
  }

  /** A key value as it goes into a cursor and back into the next query. */
  function keyValue(value: unknown): string | number | null {
    if (typeof value === 'number') return value;
    return textOf(value);
  }

  async function readPage(
    entity: SourceEntity,
    mapping: EntityMapping,
    keys: readonly string[],
    cursor: string | null,
    limit: number,
    signal: AbortSignal,
  ): Promise<{ rows: Row[]; next: string | null }> {
    if (!Number.isInteger(limit) || limit < 1) throw new SourceError('limit must be a positive whole number');
    const after = cursor
      ? decodeSourceCursor<{ e: string; k: unknown[] }>(
          cursor,
          (value) =>
            value.e === entity && Array.isArray(value.k) && (value.k as unknown[]).length === keys.length,
        ).k
      : null;
    const query = keysetSql(mapping, keys, after, limit);
    const rows = await run(query.sql, query.params, signal);
    requireColumns(entity, rows[0], [...Object.values(mapping.columns), ...keys]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const next =
      rows.length > limit && last
        ? encodeSourceCursor({ e: entity, k: keys.map((key) => keyValue(last[key])) })
        : null;
    return { rows: page, next };
  }

  /** Items from their rows, with their barcodes (one more query for the page) when mapped. */
  async function mapItemRows(
    rows: Row[],
    signal: AbortSignal,
  ): Promise<Omit<SourcePage<SourceItem>, 'next_cursor'>> {
    const c = settings.items!.columns;
    let barcodes: Map<string, (SourceBarcode | { reason: string })[]> | null = null;
    if (settings.barcodes) {
      barcodes = new Map();
      const codes = rows
        .map((row) => row[c.item_code])
        .filter((value) => value !== null && value !== undefined);
      if (codes.length > 0) {
        const b = settings.barcodes.columns;
        const sql =
          `SELECT * FROM ${from(settings.barcodes)} AS sv_src WHERE ${quote(b.item_code)} IN ` +
          `(${codes.map((_, i) => param(i + 1)).join(', ')})`;
        const found = await run(sql, codes.map(keyValue), signal);
        requireColumns('barcodes', found[0], [b.item_code, b.barcode, b.pack_qty]);
        for (const row of found) {
          const mapped = mapBarcode(row[b.barcode], b.pack_qty ? row[b.pack_qty] : null);
          if (mapped === null) continue;
          const owner = textOf(row[b.item_code]) ?? '';
          barcodes.set(owner, [...(barcodes.get(owner) ?? []), mapped]);
        }
      }
    }
    const items: SourceItem[] = [];
    const rejected: RejectedRow[] = [];
    for (const row of rows) {
      const at = `item_code ${textOf(row[c.item_code]) ?? '(none)'}`;
      const own = barcodes?.get(textOf(row[c.item_code]) ?? '') ?? [];
      const bad = own.find(isReason);
      if (bad) {
        rejected.push({ at, reason: bad.reason });
        continue;
      }
      const item = mapItem(
        {
          item_code: row[c.item_code],
          name: row[c.name],
          base_uom: c.base_uom ? row[c.base_uom] : null,
          category: c.category ? row[c.category] : null,
          unit_cost: c.unit_cost ? row[c.unit_cost] : null,
        },
        barcodes ? (own as SourceBarcode[]) : null,
      );
      if (isReason(item)) rejected.push({ at, reason: item.reason });
      else items.push(item);
    }
    return { rows: items, rejected };
  }

  const entities: SourceEntity[] = [];
  if (settings.items) entities.push('items');
  if (settings.stock_levels) entities.push('stock_levels');

  return {
    kind: 'sql',
    entities,

    async readItems(cursor, limit, signal): Promise<SourcePage<SourceItem>> {
      const mapping = settings.items;
      if (!mapping) throw new SourceError('This connector maps no items');
      const { rows, next } = await readPage(
        'items',
        mapping,
        [mapping.columns.item_code],
        cursor,
        limit,
        signal,
      );
      return { ...(await mapItemRows(rows, signal)), next_cursor: next };
    },

    ...(settings.items && settings.barcodes
      ? {
          async findItemByBarcode(candidates: readonly string[], signal: AbortSignal) {
            const items = settings.items!;
            const b = settings.barcodes!.columns;
            if (candidates.length === 0) return null;
            const owners = await run(
              `SELECT * FROM ${from(settings.barcodes!)} AS sv_src WHERE ${quote(b.barcode)} IN ` +
                `(${candidates.map((_, i) => param(i + 1)).join(', ')})`,
              [...candidates],
              signal,
            );
            requireColumns('barcodes', owners[0], [b.item_code, b.barcode]);
            const code = owners.map((row) => row[b.item_code]).find((value) => textOf(value));
            if (code === undefined) return null;
            const rows = await run(
              `SELECT * FROM ${from(items)} AS sv_src WHERE ${quote(items.columns.item_code)} = ${param(1)}`,
              [keyValue(code)],
              signal,
            );
            requireColumns('items', rows[0], Object.values(items.columns));
            const mapped = await mapItemRows(rows.slice(0, 1), signal);
            if (mapped.rows[0]) return mapped.rows[0];
            const refused = mapped.rejected[0];
            if (refused) throw new SourceError(`${refused.at}: ${refused.reason}`);
            return null;
          },
        }
      : {}),

    async readStockLevels(cursor, limit, signal): Promise<SourcePage<SourceStockLevel>> {
      const mapping = settings.stock_levels;
      if (!mapping) throw new SourceError('This connector maps no stock levels');
      const c = mapping.columns;
      const keys =
        mapping.key_columns ??
        [c.item_code, c.warehouse_code, c.location_code, c.lot].filter(
          (column): column is string => column !== undefined,
        );
      const { rows, next } = await readPage('stock_levels', mapping, keys, cursor, limit, signal);
      const levels: SourceStockLevel[] = [];
      const rejected: RejectedRow[] = [];
      for (const row of rows) {
        const level = mapStockLevel({
          item_code: row[c.item_code],
          warehouse_code: c.warehouse_code ? row[c.warehouse_code] : null,
          location_code: row[c.location_code],
          lot: c.lot ? row[c.lot] : null,
          quantity: row[c.quantity],
        });
        if (isReason(level))
          rejected.push({
            at: keys.map((key) => `${key} ${textOf(row[key]) ?? '(none)'}`).join(', '),
            reason: level.reason,
          });
        else levels.push(level);
      }
      return { rows: levels, rejected, next_cursor: next };
    },

    close: () => peer.close(),
  };
}
