import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createTestSchema, TEST_PG_URL } from '../../../../test/helpers/test-app.ts';
import type { SqlSettings } from './connector-settings.ts';

/**
 * Real ERP databases for the connector tests: MariaDB's `test` database (tables and a password
 * user of this test's own, dropped afterwards) and a PostgreSQL schema of the test database
 * (created by the test helper, dropped when the run ends, as every test schema is).
 */
export interface ErpPeer {
  dialect: 'mysql' | 'postgres';
  /** Connection settings of the read-only account (user and secret below). */
  connection: Pick<SqlSettings, 'dialect' | 'host' | 'port' | 'database' | 'user'>;
  secret: string | null;
  /** items, barcodes, stock tables, qualified. */
  tables: { items: string; barcodes: string; stock: string };
  /** A query as the admin account. */
  admin(sql: string): Promise<unknown[]>;
  /** Statements still running that contain `needle` (other than the asking one). */
  running(needle: string): Promise<number>;
  drop(): Promise<void>;
}

export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' };

export const ITEMS = [
  ['A-100', 'Bolt M8', 'EA', '0.2500'],
  ['A-200', 'Nut M8', 'EA', '0.1000'],
  ['B-100', 'Washer', 'EA', '0.0500'],
  ['B-200', 'Hinge', 'EA', '3.7500'],
  ['C-100', 'Paint 1L', 'L', '12.9900'],
  ['C-200', 'Brush', 'EA', '4.5000'],
  ['D-100', 'Glue', 'EA', '2.0000'],
] as const;
/** A-100 has a GTIN and a pack of 12; B-100 an internal code. */
export const BARCODES = [
  ['A-100', '4006381333931', '1'],
  ['A-100', 'BOX-A100', '12'],
  ['B-100', 'INT-B100', '1'],
] as const;
export const STOCK = [
  ['A-100', 'MAIN', 'A1', '', '10.000'],
  ['A-100', 'MAIN', 'A2', 'L1', '2.500'],
  ['A-200', 'MAIN', 'A1', '', '100.000'],
  ['B-100', 'MAIN', 'B1', '', '0.000'],
  ['B-200', 'MAIN', 'B1', 'L7', '3.000'],
] as const;

function values(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => `(${row.map((value) => `'${value}'`).join(', ')})`).join(', ');
}

export async function mariaDbPeer(): Promise<ErpPeer> {
  const tag = randomBytes(4).toString('hex');
  const user = `sv_erp_${tag}`;
  const secret = `Erp-Secret-${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection(MARIADB);
  const tables = { items: `sv_${tag}_items`, barcodes: `sv_${tag}_barcodes`, stock: `sv_${tag}_stock` };
  await admin.query(
    `CREATE TABLE ${tables.items} (code VARCHAR(64) PRIMARY KEY, name VARCHAR(200) NOT NULL, uom VARCHAR(8), cost DECIMAL(12,4))`,
  );
  await admin.query(
    `CREATE TABLE ${tables.barcodes} (item VARCHAR(64) NOT NULL, ean VARCHAR(64) NOT NULL, pack DECIMAL(10,3))`,
  );
  await admin.query(
    `CREATE TABLE ${tables.stock} (item VARCHAR(64) NOT NULL, wh VARCHAR(16) NOT NULL, loc VARCHAR(32) NOT NULL, lot VARCHAR(32) NOT NULL, qty DECIMAL(14,3) NOT NULL, PRIMARY KEY (item, wh, loc, lot))`,
  );
  await admin.query(`INSERT INTO ${tables.items} VALUES ${values(ITEMS)}`);
  await admin.query(`INSERT INTO ${tables.barcodes} VALUES ${values(BARCODES)}`);
  await admin.query(`INSERT INTO ${tables.stock} VALUES ${values(STOCK)}`);
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${secret}'`);
  for (const table of Object.values(tables))
    await admin.query(`GRANT SELECT ON test.${table} TO '${user}'@'%'`);
  return {
    dialect: 'mysql',
    connection: { dialect: 'mysql', host: MARIADB.host, port: MARIADB.port, database: 'test', user },
    secret,
    tables,
    async admin(sql) {
      return (await admin.query(sql))[0] as unknown[];
    },
    async running(needle) {
      const [rows] = await admin.query(
        'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE ? AND id <> CONNECTION_ID()',
        [`%${needle}%`],
      );
      return Number((rows as { n: number }[])[0]!.n);
    },
    async drop() {
      for (const table of Object.values(tables)) await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.end();
    },
  };
}

export async function postgresPeer(): Promise<ErpPeer> {
  const schema = await createTestSchema();
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  const tables = {
    items: `${schema}.erp_items`,
    barcodes: `${schema}.erp_barcodes`,
    stock: `${schema}.erp_stock`,
  };
  await admin.query(
    `CREATE TABLE ${tables.items} (code text PRIMARY KEY, name text NOT NULL, uom text, cost numeric(12,4))`,
  );
  await admin.query(
    `CREATE TABLE ${tables.barcodes} (item text NOT NULL, ean text NOT NULL, pack numeric(10,3))`,
  );
  await admin.query(
    `CREATE TABLE ${tables.stock} (item text NOT NULL, wh text NOT NULL, loc text NOT NULL, lot text NOT NULL, qty numeric(14,3) NOT NULL, PRIMARY KEY (item, wh, loc, lot))`,
  );
  await admin.query(`INSERT INTO ${tables.items} VALUES ${values(ITEMS)}`);
  await admin.query(`INSERT INTO ${tables.barcodes} VALUES ${values(BARCODES)}`);
  await admin.query(`INSERT INTO ${tables.stock} VALUES ${values(STOCK)}`);
  const url = new URL(TEST_PG_URL);
  return {
    dialect: 'postgres',
    connection: {
      dialect: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      database: url.pathname.slice(1),
      user: decodeURIComponent(url.username || 'postgres'),
    },
    // The test server trusts local connections: a password is sent but not checked.
    secret: url.password ? decodeURIComponent(url.password) : null,
    tables,
    async admin(sql) {
      return (await admin.query(sql)).rows;
    },
    async running(needle) {
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid() AND state = 'active'",
        [`%${needle}%`],
      );
      return Number(rows[0].n);
    },
    async drop() {
      // The schema goes with every test schema at the end of the run (global-setup.ts): dropping
      // it now could fail a neighbouring test's migrator, which introspects every schema.
      for (const table of Object.values(tables)) await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    },
  };
}

export const ERP_TOKEN = 'erp-bearer-token-7f3a';

export const ERP_ITEMS = Array.from({ length: 7 }, (_, i) => ({
  sku: `IT-${String(i + 1).padStart(3, '0')}`,
  title: `Item ${i + 1}`,
  price: { cost: (i + 1) * 1.5 },
  codes:
    i === 0
      ? [
          { code: '4006381333931', qty: 1 },
          { code: 'CASE-1', qty: '24' },
        ]
      : [],
}));
const ERP_LEVELS = Array.from({ length: 5 }, (_, i) => ({
  sku: `IT-00${i + 1}`,
  bin: `B${i}`,
  qty: `${i}.5`,
}));

/** A REST ERP: paged items (?page=&page_size=), token-paged stock, a slow path, a 500. */
export function startErpServer() {
  const seen: { url: string; authorization: string | undefined }[] = [];
  let closedEarly = 0;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://erp');
    seen.push({ url: url.pathname + url.search, authorization: request.headers.authorization });
    if (request.headers.authorization !== `Bearer ${ERP_TOKEN}`) {
      response.writeHead(401).end('{"error":"unauthorised"}');
      return;
    }
    const size = Number(url.searchParams.get('page_size') ?? 100);
    const json = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/api/items') {
      const page = Number(url.searchParams.get('page') ?? 1);
      json({ data: { items: ERP_ITEMS.slice((page - 1) * size, page * size) } });
    } else if (url.pathname === '/api/stock') {
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const rows = ERP_LEVELS.slice(from, from + size);
      json({ rows, next: from + size < ERP_LEVELS.length ? String(from + size) : null });
    } else if (url.pathname === '/api/slow') {
      request.on('close', () => {
        if (!response.writableEnded) closedEarly += 1;
      });
      setTimeout(() => {
        if (!response.destroyed) json({ data: { items: [] } });
      }, 5000).unref();
    } else {
      response.writeHead(500).end('boom');
    }
  });
  return {
    server,
    seen,
    closedEarly: () => closedEarly,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
