import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestApp,
  createTestSchema,
  dialects,
  TEST_PG_URL,
  type TestApp,
} from '../../../../test/helpers/test-app.ts';
import { type CountingFixture, countingFixture } from '../../counting/sessions/sessions-test-support.ts';
import { MARIADB } from '../connectors/erp-peers.test-support.ts';
import { deliverNow, outboxRows, postedSession, put } from './delivery.test-support.ts';

/**
 * Delivery into a staging table of a real ERP database — MariaDB's `test` database (tables and a
 * password user of this test's own, dropped afterwards) and a PostgreSQL schema standing in for a
 * second database — on both dialects of our own database. A row lands once per key, also when an
 * earlier attempt committed and only its answer was lost.
 */

interface StagingPeer {
  settings: Record<string, unknown>;
  secret: string | null;
  /** Tables: good, one lacking columns, one whose key is not unique. */
  tables: { good: string; bad: string; nokey: string };
  rows(table: string): Promise<Record<string, unknown>[]>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  drop(): Promise<void>;
}

const COLUMNS = (decimal: string, text: string, time: string) =>
  `topic ${text} NOT NULL, session_id ${text}, item_code ${text}, location_code ${text}, lot ${text}, ` +
  `quantity ${decimal}(14,3), unit_cost ${decimal}(14,4), reason_code ${text}, payload ${text === 'text' ? 'text' : 'TEXT'} NOT NULL, created_at ${time} NOT NULL`;

async function mariaDbStaging(): Promise<StagingPeer> {
  const tag = randomBytes(4).toString('hex');
  const user = `sv_dlv_${tag}`;
  const secret = `Dlv-Secret-${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection(MARIADB);
  const tables = { good: `sv_dlv_${tag}_in`, bad: `sv_dlv_${tag}_bad`, nokey: `sv_dlv_${tag}_nokey` };
  const text = 'VARCHAR(200)';
  await admin.query(
    `CREATE TABLE ${tables.good} (idempotency_key VARCHAR(200) PRIMARY KEY, ${COLUMNS('DECIMAL', text, 'DATETIME(3)')}, imported TINYINT NOT NULL DEFAULT 0) ENGINE=InnoDB`,
  );
  await admin.query(
    `CREATE TABLE ${tables.bad} (idempotency_key VARCHAR(200) PRIMARY KEY, topic ${text}, payload TEXT) ENGINE=InnoDB`,
  );
  await admin.query(
    `CREATE TABLE ${tables.nokey} (idempotency_key VARCHAR(200) NOT NULL, ${COLUMNS('DECIMAL', text, 'DATETIME(3)')}) ENGINE=InnoDB`,
  );
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${secret}'`);
  for (const table of Object.values(tables))
    await admin.query(`GRANT SELECT, INSERT ON test.${table} TO '${user}'@'%'`);
  return {
    settings: { dialect: 'mysql', host: MARIADB.host, port: MARIADB.port, database: 'test', user },
    secret,
    tables,
    async rows(table) {
      const [rows] = await admin.query(`SELECT * FROM ${table} ORDER BY idempotency_key`);
      return rows as Record<string, unknown>[];
    },
    async exec(sql, params = []) {
      await admin.query(sql, params);
    },
    async drop() {
      for (const table of Object.values(tables)) await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.end();
    },
  };
}

async function postgresStaging(): Promise<StagingPeer> {
  const schema = await createTestSchema();
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  const tables = {
    good: `${schema}.staging`,
    bad: `${schema}.staging_bad`,
    nokey: `${schema}.staging_nokey`,
  };
  await admin.query(
    `CREATE TABLE ${tables.good} (idempotency_key text PRIMARY KEY, ${COLUMNS('numeric', 'text', 'timestamptz')}, imported boolean NOT NULL DEFAULT false)`,
  );
  await admin.query(
    `CREATE TABLE ${tables.bad} (idempotency_key text PRIMARY KEY, topic text, payload text)`,
  );
  await admin.query(
    `CREATE TABLE ${tables.nokey} (idempotency_key text NOT NULL, ${COLUMNS('numeric', 'text', 'timestamptz')})`,
  );
  const url = new URL(TEST_PG_URL);
  return {
    settings: {
      dialect: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      database: url.pathname.slice(1),
      user: decodeURIComponent(url.username || 'postgres'),
    },
    // The test server trusts local connections: a password is sent but not checked.
    secret: url.password ? decodeURIComponent(url.password) : 'unused-password-1234',
    tables,
    async rows(table) {
      return (await admin.query(`SELECT * FROM ${table} ORDER BY idempotency_key`)).rows;
    },
    async exec(sql, params = []) {
      await admin.query(sql, params);
    },
    async drop() {
      // The schema goes with every test schema at the end of the run (global-setup.ts).
      for (const table of Object.values(tables)) await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    },
  };
}

describe.each(dialects())('SQL staging delivery (our database on %s)', (dialect) => {
  describe.each([
    ['MariaDB', mariaDbStaging],
    ['PostgreSQL', postgresStaging],
  ] as const)('into %s', (_name, makePeer) => {
    let app: TestApp;
    let f: CountingFixture;
    let peer: StagingPeer;
    const TARGET = '/api/integrations/delivery-target';

    beforeEach(async () => {
      peer = await makePeer();
      app = await createTestApp({ dialect });
      f = await countingFixture(app);
    });
    afterEach(async () => {
      await app.close();
      await peer.drop();
    });

    async function setTable(table: string, secret: string | null = peer.secret) {
      const response = await put(app, TARGET, f.users.admin.token, {
        kind: 'sql',
        settings: { ...peer.settings, table, timeout_ms: 5_000 },
        ...(secret !== null ? { secret } : {}),
      });
      expect(response.statusCode, response.body).toBe(200);
    }

    async function test() {
      const response = await f.call('POST', `${TARGET}/test`, f.users.admin.token);
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { status: string; message: string };
    }

    it('checks the staging table: its columns, an insert rolled back, a unique key', async () => {
      await setTable(peer.tables.good);
      const ok = await test();
      expect(ok, ok.message).toMatchObject({ status: 'ok' });
      // The probe was rolled back.
      expect(await peer.rows(peer.tables.good)).toEqual([]);

      await setTable(peer.tables.bad);
      const bad = await test();
      expect(bad.status).toBe('failed');
      expect(bad.message).toContain('lacks the columns session_id, item_code');

      await setTable(peer.tables.nokey);
      const nokey = await test();
      expect(nokey.status).toBe('failed');
      expect(nokey.message).toMatch(/idempotency_key (is not UNIQUE|must be UNIQUE)/);
      expect(await peer.rows(peer.tables.nokey)).toEqual([]);

      await setTable(`${peer.tables.good}_missing`);
      expect((await test()).message).toMatch(/not found/);
      expect(app.rawLogs()).not.toContain(String(peer.secret));
    });

    it('lands each message once, also after a commit whose answer was lost', async () => {
      await setTable(peer.tables.good);
      const session = await postedSession(f, 3);
      const messages = await outboxRows(app);
      expect(messages).toHaveLength(3);
      // An earlier attempt committed this row; only its answer never came back.
      const lost = messages[1]!;
      await peer.exec(
        `INSERT INTO ${peer.tables.good} (idempotency_key, topic, session_id, item_code, location_code, quantity, unit_cost, payload, created_at) VALUES ('${lost.idempotency_key}', 'stock_adjustment', '${session}', 'EARLIER', 'B1', 1, 1, '{"earlier":true}', '2026-01-01 00:00:00')`,
      );

      await deliverNow(app);
      let outbox = await outboxRows(app);
      expect(outbox.map((row) => [row.status, row.attempts, row.last_error])).toEqual(
        Array(3).fill(['delivered', 1, null]),
      );
      let rows = await peer.rows(peer.tables.good);
      expect(rows.map((row) => row.idempotency_key)).toEqual(
        messages.map((row) => row.idempotency_key).sort(),
      );
      // The row already there is left as it was.
      expect(rows.find((row) => row.idempotency_key === lost.idempotency_key)).toMatchObject({
        item_code: 'EARLIER',
        payload: '{"earlier":true}',
      });
      const first = messages[0]!;
      const payload = JSON.parse(first.payload) as Record<string, string>;
      const landed = rows.find((row) => row.idempotency_key === first.idempotency_key)!;
      expect(landed).toMatchObject({
        topic: 'stock_adjustment',
        session_id: session,
        item_code: payload.item_code,
        location_code: payload.location_code,
        lot: payload.lot,
      });
      expect(Number(landed.quantity)).toBe(Number(payload.quantity));
      expect(Number(landed.unit_cost)).toBe(Number(payload.unit_cost));
      expect(JSON.parse(String(landed.payload))).toMatchObject({
        message_id: first.id,
        idempotency_key: first.idempotency_key,
        ...payload,
      });
      expect(landed.created_at).toBeTruthy();

      // Every answer lost again: the messages go out once more and add nothing.
      await app.database.db.updateTable('erp_outbox').set({ status: 'pending' }).execute();
      await deliverNow(app);
      outbox = await outboxRows(app);
      expect(outbox.every((row) => row.status === 'delivered' && row.attempts === 2)).toBe(true);
      rows = await peer.rows(peer.tables.good);
      expect(rows).toHaveLength(3);
      const status = await f.call('GET', `/api/count-sessions/${session}/delivery`, f.users.auditor.token);
      expect(status.json()).toMatchObject({ total: 3, delivered: 3, pending: 0, failed: 0 });
      expect(app.rawLogs()).not.toContain(String(peer.secret));
    });

    it('retries while the table cannot take rows, and delivers once it can', async () => {
      await setTable(peer.tables.bad);
      await postedSession(f, 2);
      await deliverNow(app);
      let outbox = await outboxRows(app);
      // A missing column is the target's configuration, not this message: retried, not failed.
      expect(outbox.map((row) => [row.status, row.attempts])).toEqual([
        ['pending', 1],
        ['pending', 1],
      ]);
      expect(outbox[0]!.last_error).toMatch(/session_id/);
      expect(outbox[0]!.last_error).not.toContain(String(peer.secret));

      await setTable(peer.tables.good);
      app.clock.advance(60_000);
      await deliverNow(app);
      outbox = await outboxRows(app);
      expect(outbox.map((row) => [row.status, row.attempts])).toEqual([
        ['delivered', 2],
        ['delivered', 2],
      ]);
      expect(await peer.rows(peer.tables.good)).toHaveLength(2);
    });
  });
});
