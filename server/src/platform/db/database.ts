import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface DbHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for messages: a file path or the PostgreSQL URL without password. */
  location: string;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres://… for PostgreSQL; null for SQLite in `sqliteFile`. */
  databaseUrl: string | null;
  sqliteFile?: string;
  /** PostgreSQL schema to use instead of `public` (tests run each on a fresh one). */
  pgSchema?: string;
  pgPoolSize?: number;
  /** Called for every query; the metrics registry counts them. */
  onQuery?: (event: LogEvent) => void;
}

// `int8` and `numeric` come back as strings from pg by default. Counts fit in a JS number;
// numeric stays a string so exact quantities are never rounded through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

/**
 * Kysely's SQLite driver prepares every statement anew; a prepared statement is reusable, so
 * the hot queries (one per request, at least) skip SQLite's parser. Bounded, least recently used.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, size = 256) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

export function openDb(options: OpenDbOptions): DbHandle {
  const log = options.onQuery;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.pgPoolSize ?? 10,
      // While PostgreSQL is down a request waits at most this long for a connection, then gets a
      // 503 (unavailable.ts) instead of hanging; a dead peer behind a silent network is found by
      // TCP keepalive rather than never.
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
    });
    // An idle client that loses its connection (PostgreSQL restarted) emits 'error' on the pool;
    // without a listener that would crash the process. The next query gets a fresh client.
    pool.on('error', () => {});
    // A client checked out when its connection dies (pg_ctl stop -m fast ends every session) emits
    // 'error' on itself too, where the pool no longer listens: the query in flight rejects anyway,
    // and on release the pool sees the client is broken and drops it. Without this listener the
    // unhandled 'error' event would take the whole process down.
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return {
      db,
      dialect: 'postgres',
      location: redactUrl(options.databaseUrl),
      close: () => db.destroy(),
    };
  }
  const file = options.sqliteFile;
  if (!file) throw new Error('openDb: sqliteFile is required without a databaseUrl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: an acknowledged write survives a power cut, not only a process crash.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    ...(log ? { log } : {}),
  });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
}
