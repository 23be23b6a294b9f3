import { randomUUID } from 'node:crypto';
import { safeMessage } from '../connectors/erp-source.ts';
import { openSqlPeer, type SqlPeer, type SqlPeerConnection } from '../connectors/sql-peer.ts';
import type { OutboxRow } from './delivery.store.ts';
import { type DeliveryAck, type DeliveryChannel, DeliveryError, messageBody } from './delivery-channel.ts';
import type { SqlTargetSettings } from './delivery-settings.ts';

/**
 * Delivery into a staging table of the ERP's database (PostgreSQL, or MySQL/MariaDB), which the
 * ERP imports from. One row per message:
 *
 *   idempotency_key (UNIQUE or PRIMARY KEY), topic, session_id, item_code, location_code, lot,
 *   quantity (decimal text: DECIMAL or text column), unit_cost, reason_code, payload (JSON text),
 *   created_at (when the adjustment was posted)
 *
 * The insert adds nothing when the key is there already — PostgreSQL `INSERT … ON CONFLICT
 * (idempotency_key) DO NOTHING`; MySQL a plain INSERT whose duplicate-key error (1062) is the
 * answer "already there". Not INSERT IGNORE, which would also turn a wrong value or a NULL into a
 * warning and store a mangled row; not ON DUPLICATE KEY UPDATE, which needs the UPDATE grant a
 * staging account should not have (INSERT and SELECT are enough). So an attempt whose commit went
 * through but whose answer was lost is followed by a retry that inserts nothing: the row is there
 * once. When nothing was inserted, the key is looked up: found, the message is delivered; not
 * found, the conflict was on another unique key of the table, and the message fails.
 *
 * Values are parameters, never spliced; the table name is checked (delivery-settings.ts) and quoted.
 * A statement cut short (timeout, shutdown) is cancelled in the database and its connection dropped.
 */

export const STAGING_COLUMNS = [
  'idempotency_key',
  'topic',
  'session_id',
  'item_code',
  'location_code',
  'lot',
  'quantity',
  'unit_cost',
  'reason_code',
  'payload',
  'created_at',
] as const;

interface Driver {
  quote(name: string): string;
  param(index: number): string;
  /** The insert: it skips a key present already (postgres), or fails with isDuplicateKey (mysql). */
  insertSql(table: string, columns: string, params: string): string;
  isDuplicateKey(error: unknown): boolean;
  /** The current schema (postgres) or database (mysql), for information_schema. */
  currentSchema: string;
  /** When created_at goes in as text: ISO for PostgreSQL, `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for MySQL DATETIME. */
  timestamp(iso: string): string;
}

/** What differs between the two dialects of a staging table; the connections are sql-peer.ts's. */
const DRIVERS: Record<SqlTargetSettings['dialect'], Driver> = {
  postgres: {
    quote: (name) => `"${name}"`,
    param: (index) => `$${index}`,
    insertSql: (table, columns, params) =>
      `INSERT INTO ${table} (${columns}) VALUES (${params}) ON CONFLICT ("idempotency_key") DO NOTHING`,
    // ON CONFLICT names the key: a conflict on any other unique key is still an error.
    isDuplicateKey: () => false,
    currentSchema: 'current_schema()',
    timestamp: (iso) => iso,
  },
  mysql: {
    quote: (name) => `\`${name}\``,
    param: () => '?',
    insertSql: (table, columns, params) => `INSERT INTO ${table} (${columns}) VALUES (${params})`,
    // Which key it was is not said reliably across versions: the lookup after it tells.
    isDuplicateKey: (error) => (error as { errno?: number })?.errno === 1062,
    currentSchema: 'database()',
    timestamp: (iso) => iso.replace('T', ' ').replace(/Z$/, ''),
  },
};

/** The SQLSTATE of a driver error: pg's `code`, mysql2's `sqlState`. */
function sqlStateOf(error: unknown): string | undefined {
  const { code, sqlState } = (error ?? {}) as { code?: unknown; sqlState?: unknown };
  if (typeof sqlState === 'string') return sqlState;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * A driver error as a DeliveryError. Bad data for this row (SQLSTATE class 22, or 23: a NOT NULL
 * or another unique key) is permanent. Everything else is retried: the database being down, and
 * also a missing table, column or grant (class 42), which an admin fixes once for every message.
 */
function asDeliveryError(error: unknown, settings: SqlTargetSettings, secret: string | null): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const state = sqlStateOf(error);
  const { code, errno } = (error ?? {}) as { code?: string; errno?: number };
  const where = `${settings.host}:${settings.port}`;
  let message: string;
  if (code === '28P01' || code === '28000' || errno === 1045 || code === 'ER_ACCESS_DENIED_ERROR')
    message = `Authentication failed for user "${settings.user}" on ${where}`;
  else if (code === 'ECONNREFUSED') message = `Connection refused by ${where}`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') message = `Host ${settings.host} not found`;
  else if (code === '42P10')
    message = `${settings.table}.idempotency_key must be UNIQUE or the primary key (no unique index on it)`;
  else message = safeMessage(error, [secret]);
  const permanent = state !== undefined && /^(22|23)/.test(state);
  return new DeliveryError(message, {
    permanent,
    ...(state !== undefined ? { sqlState: state } : {}),
    cause: error,
  });
}

export function createSqlChannel(settings: SqlTargetSettings, secret: string | null): DeliveryChannel {
  const driver = DRIVERS[settings.dialect];
  const peer: SqlPeer = openSqlPeer(settings, secret, {
    poolSize: 1,
    applicationName: 'stock-verify-delivery',
    statementTimeoutMs: settings.timeout_ms,
  });
  const parts = settings.table.split('.');
  const table = parts.map(driver.quote).join('.');
  const insert = driver.insertSql(
    table,
    STAGING_COLUMNS.map(driver.quote).join(', '),
    STAGING_COLUMNS.map((_, i) => driver.param(i + 1)).join(', '),
  );
  const lookup = `SELECT 1 AS found FROM ${table} WHERE ${driver.quote('idempotency_key')} = ${driver.param(1)}`;

  function valuesOf(message: Pick<OutboxRow, 'id' | 'topic' | 'idempotency_key' | 'payload' | 'created_at'>) {
    const body = messageBody(message);
    const text = (value: unknown) =>
      value === null || value === undefined ? null : typeof value === 'string' ? value : String(value);
    return [
      message.idempotency_key,
      message.topic,
      text(body.session_id),
      text(body.item_code),
      text(body.location_code),
      text(body.lot),
      text(body.quantity),
      text(body.unit_cost),
      text(body.reason_code),
      JSON.stringify(body),
      driver.timestamp(message.created_at),
    ];
  }

  /** Inserts the row unless its key is there; true when this call inserted it. */
  async function insertOnce(connection: SqlPeerConnection, values: unknown[], key: string): Promise<boolean> {
    try {
      const { affected } = await connection.query(insert, values);
      if (affected > 0) return true;
    } catch (error) {
      if (!driver.isDuplicateKey(error)) throw error;
    }
    const { rows } = await connection.query(lookup, [key]);
    if (rows.length === 0)
      throw new DeliveryError(
        `${settings.table} refused the row: it conflicts on a unique key other than idempotency_key`,
        { permanent: true, sqlState: '23000' },
      );
    return false;
  }

  async function run<T>(
    signal: AbortSignal,
    work: (connection: SqlPeerConnection) => Promise<T>,
  ): Promise<T> {
    try {
      return await peer.withConnection(signal, work);
    } catch (error) {
      if (signal.aborted)
        throw new DeliveryError(`No answer from ${settings.host}:${settings.port} in time`, {
          permanent: false,
          cause: error,
        });
      throw asDeliveryError(error, settings, secret);
    }
  }

  return {
    async deliver(message, signal): Promise<DeliveryAck> {
      const inserted = await run(signal, (connection) =>
        insertOnce(connection, valuesOf(message), message.idempotency_key),
      );
      return { duplicate: !inserted };
    },

    async test(signal) {
      return run(signal, async (connection) => {
        const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [null, parts[0]!];
        const { rows } = await connection.query(
          `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = ${
            schema === null ? driver.currentSchema : driver.param(1)
          } AND table_name = ${driver.param(schema === null ? 1 : 2)}`,
          schema === null ? [name] : [schema, name],
        );
        const present = new Set(rows.map((row) => String(row.name ?? row.NAME ?? '').toLowerCase()));
        if (present.size === 0)
          throw new DeliveryError(
            `Table ${settings.table} not found (or not visible to "${settings.user}")`,
            {
              permanent: true,
            },
          );
        const missing = STAGING_COLUMNS.filter((column) => !present.has(column));
        if (missing.length > 0)
          throw new DeliveryError(`Table ${settings.table} lacks the columns ${missing.join(', ')}`, {
            permanent: true,
          });
        // The delivery statement itself, twice, rolled back: it may insert, and only once per key.
        const id = randomUUID();
        const probe = {
          id,
          topic: 'stock_verify_test',
          idempotency_key: `stock-verify-test:${id}`,
          payload: JSON.stringify({
            session_id: 'test',
            item_code: 'TEST',
            location_code: 'TEST',
            quantity: '0',
          }),
          created_at: new Date().toISOString(),
        };
        await connection.query('BEGIN', []);
        let second: boolean;
        try {
          const first = await insertOnce(connection, valuesOf(probe), probe.idempotency_key);
          second = await insertOnce(connection, valuesOf(probe), probe.idempotency_key);
          if (!first)
            throw new DeliveryError('The test row was there before it was inserted', { permanent: true });
        } finally {
          await connection.query('ROLLBACK', []).catch(() => undefined);
        }
        if (second)
          throw new DeliveryError(
            `${settings.table}.idempotency_key is not UNIQUE: a retry would add a second row`,
            { permanent: true },
          );
        const { rows: left } = await connection.query(lookup, [probe.idempotency_key]);
        if (left.length > 0)
          throw new DeliveryError(
            `${settings.table} kept a rolled-back row: use a transactional table (InnoDB)`,
            { permanent: true },
          );
        return `Table ${settings.table} has every column, takes an insert and refuses a second row with the same key (rolled back)`;
      });
    },

    close: () => peer.close(),
  };
}
