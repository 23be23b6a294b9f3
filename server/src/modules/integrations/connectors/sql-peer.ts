import mysql from 'mysql2/promise';
import pg from 'pg';
import { abortable } from './erp-source.ts';

/**
 * A connection pool to a peer database of the ERP's — PostgreSQL (`pg`) or MySQL/MariaDB
 * (`mysql2`) — shared by the SQL source (connectors/sql-source.ts) and the SQL delivery target
 * (delivery/sql-channel.ts).
 *
 * - A call that is aborted (its timeout, shutdown) cancels its statement on the server
 *   (`pg_cancel_backend` / `KILL QUERY` from a second connection) and destroys its connection, so
 *   nothing keeps running in the ERP for a caller that has gone.
 * - A connection the peer drops (a restart, a failover, an idle timeout) is discarded by the pool
 *   and never takes our process down: pg emits `error` on the pool for idle clients and on the
 *   client for checked-out ones, and an `error` event nobody listens to ends a Node process.
 * - Values are exact text: DECIMAL, BIGINT and dates never pass through a float or a Date (mysql;
 *   pg answers numerics and bigints as text already, and the peers' timestamps are read as given).
 */

export interface SqlPeerSettings {
  dialect: 'postgres' | 'mysql';
  host: string;
  port: number;
  database: string;
  user: string;
  ssl?: boolean | undefined;
}

export interface SqlPeerOptions {
  /** Connections kept open at most. */
  poolSize: number;
  /** Shown to the peer's administrators (PostgreSQL application_name). */
  applicationName: string;
  /** Longest a statement may run on the peer before it cancels it itself. */
  statementTimeoutMs?: number;
}

export interface SqlPeerConnection {
  /** `rows` for a SELECT; `affected` for a write. */
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[]; affected: number }>;
}

export interface SqlPeer {
  /** Runs `work` on one connection of the pool; cancels it in the peer when `signal` aborts. */
  withConnection<T>(signal: AbortSignal, work: (connection: SqlPeerConnection) => Promise<T>): Promise<T>;
  /** Waits for cancellations under way, then closes the pool. */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;
const ignore = () => undefined;

export function openSqlPeer(
  settings: SqlPeerSettings,
  secret: string | null,
  options: SqlPeerOptions,
): SqlPeer {
  return settings.dialect === 'postgres'
    ? openPostgresPeer(settings, secret, options)
    : openMysqlPeer(settings, secret, options);
}

/** Runs `cancel` in the background and keeps it until it settles, so close() can wait for it. */
function tracker() {
  const pending = new Set<Promise<void>>();
  return {
    track(done: Promise<void>): void {
      pending.add(done);
      void done.finally(() => pending.delete(done));
    },
    settled: () => Promise.all([...pending]),
  };
}

function openPostgresPeer(
  settings: SqlPeerSettings,
  secret: string | null,
  options: SqlPeerOptions,
): SqlPeer {
  const config: pg.ClientConfig = {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    ...(secret !== null ? { password: secret } : {}),
    ...(settings.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: options.applicationName,
    ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
  };
  const pool = new pg.Pool({
    ...config,
    max: options.poolSize,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  pool.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
  const cancels = tracker();

  function cancelBackend(pid: number | null | undefined): void {
    if (!pid) return;
    const canceller = new pg.Client(config);
    canceller.on('error', ignore);
    cancels.track(
      canceller
        .connect()
        .then(() => canceller.query('select pg_cancel_backend($1)', [pid]))
        .then(ignore, ignore)
        .finally(() => canceller.end().catch(ignore)),
    );
  }

  return {
    async withConnection(signal, work) {
      const connecting = pool.connect();
      const client = await abortable(signal, connecting, () => {
        void connecting.then((late) => late.release(true)).catch(ignore);
      });
      let released = false;
      const release = (destroy: boolean) => {
        if (released) return;
        released = true;
        client.release(destroy ? new Error('discarded') : undefined);
      };
      const connection: SqlPeerConnection = {
        async query(sql, params) {
          const result = await client.query(sql, params);
          return { rows: result.rows as Record<string, unknown>[], affected: result.rowCount ?? 0 };
        },
      };
      try {
        return await abortable(signal, work(connection), () => {
          cancelBackend((client as unknown as { processID?: number | null }).processID);
          release(true);
        });
      } catch (error) {
        release(true);
        throw error;
      } finally {
        release(false);
      }
    },
    async close() {
      await cancels.settled();
      await pool.end().catch(ignore);
    },
  };
}

function openMysqlPeer(settings: SqlPeerSettings, secret: string | null, options: SqlPeerOptions): SqlPeer {
  const config: mysql.ConnectionOptions = {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    ...(secret !== null ? { password: secret } : {}),
    ...(settings.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
  };
  const pool = mysql.createPool({
    ...config,
    connectionLimit: options.poolSize,
    maxIdle: options.poolSize,
    idleTimeout: 10_000,
  });
  const kills = tracker();

  function killQuery(threadId: number | undefined): void {
    if (!threadId) return;
    kills.track(
      mysql
        .createConnection(config)
        .then(async (killer) => {
          try {
            await killer.query(`KILL QUERY ${Number(threadId)}`);
          } finally {
            await killer.end().catch(ignore);
          }
        })
        .catch(ignore),
    );
  }

  return {
    async withConnection(signal, work) {
      const connecting = pool.getConnection();
      const raw = await abortable(signal, connecting, () => {
        void connecting.then((late) => late.destroy()).catch(ignore);
      });
      let done = false;
      const connection: SqlPeerConnection = {
        async query(sql, params) {
          const [result] = await raw.query({
            sql,
            values: params,
            ...(options.statementTimeoutMs !== undefined ? { timeout: options.statementTimeoutMs } : {}),
          });
          if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], affected: 0 };
          return { rows: [], affected: Number((result as { affectedRows?: number }).affectedRows ?? 0) };
        },
      };
      try {
        return await abortable(signal, work(connection), () => {
          done = true;
          killQuery(raw.threadId);
          raw.destroy();
        });
      } catch (error) {
        if (!done) {
          done = true;
          raw.destroy();
        }
        throw error;
      } finally {
        if (!done) raw.release();
      }
    },
    async close() {
      await kills.settled();
      await pool.end().catch(ignore);
    },
  };
}
