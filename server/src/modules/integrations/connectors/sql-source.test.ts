import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlSettings } from './connector-settings.ts';
import { type ErpPeer, ITEMS, mariaDbPeer, postgresPeer, STOCK } from './erp-peers.test-support.ts';
import { type ErpSource, SourceError, type SourceItem, type SourceStockLevel } from './erp-source.ts';
import { createSqlSource } from './sql-source.ts';

const never = () => new AbortController().signal;

describe.each([
  ['MariaDB', mariaDbPeer],
  ['PostgreSQL', postgresPeer],
] as const)('SQL source on %s', (_name, makePeer) => {
  let peer: ErpPeer;
  const opened: ErpSource[] = [];
  beforeAll(async () => {
    peer = await makePeer();
  });
  afterAll(async () => {
    for (const source of opened) await source.close();
    await peer?.drop();
  });

  function settings(extra: Partial<SqlSettings> = {}): SqlSettings {
    return {
      ...peer.connection,
      items: {
        query: `SELECT code, name, uom, cost FROM ${peer.tables.items} WHERE name <> 'never'`,
        columns: { item_code: 'code', name: 'name', base_uom: 'uom', unit_cost: 'cost' },
      },
      barcodes: {
        table: peer.tables.barcodes,
        columns: { item_code: 'item', barcode: 'ean', pack_qty: 'pack' },
      },
      stock_levels: {
        table: peer.tables.stock,
        columns: {
          item_code: 'item',
          warehouse_code: 'wh',
          location_code: 'loc',
          lot: 'lot',
          quantity: 'qty',
        },
      },
      ...extra,
    };
  }
  function open(extra: Partial<SqlSettings> = {}, secret: string | null = peer.secret): ErpSource {
    const source = createSqlSource(settings(extra), secret);
    opened.push(source);
    return source;
  }

  it('reads items with their barcodes page by page, and resumes from a cursor', async () => {
    const source = open();
    const seen: SourceItem[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page = await source.readItems(cursor, 3, never());
      expect(page.rows.length).toBeLessThanOrEqual(3);
      expect(page.rejected).toEqual([]);
      seen.push(...page.rows);
      cursor = page.next_cursor;
      cursors.push(cursor);
    } while (cursor);
    expect(seen.map((item) => item.item_code)).toEqual(ITEMS.map(([code]) => code));
    expect(cursors).toHaveLength(3);
    expect(seen[0]).toEqual({
      item_code: 'A-100',
      name: 'Bolt M8',
      base_uom: 'EA',
      category: null,
      unit_cost: '0.25',
      barcodes: [
        { barcode: '04006381333931', kind: 'gtin', pack_qty: '1' },
        { barcode: 'BOX-A100', kind: 'internal', pack_qty: '12' },
      ],
    });
    expect(seen.find((item) => item.item_code === 'C-100')).toMatchObject({
      unit_cost: '12.99',
      barcodes: [],
    });

    // An interrupted sync resumes from its stored cursor, in a new source: the same next page.
    const resumed = open();
    const again = await resumed.readItems(cursors[0]!, 3, never());
    expect(again.rows.map((item) => item.item_code)).toEqual(['B-200', 'C-100', 'C-200']);
  });

  it('reads stock levels by the composite key, page by page', async () => {
    const source = open();
    const seen: SourceStockLevel[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await source.readStockLevels(cursor, 2, never());
      seen.push(...page.rows);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(STOCK.length);
    expect(seen[1]).toEqual({
      item_code: 'A-100',
      warehouse_code: 'MAIN',
      location_code: 'A2',
      lot: 'L1',
      quantity: '2.5',
    });
    expect(seen.map((level) => level.quantity)).toEqual(['10', '2.5', '100', '0', '3']);
  });

  it('refuses a cursor of another entity', async () => {
    const source = open();
    const page = await source.readItems(null, 1, never());
    await expect(source.readStockLevels(page.next_cursor, 1, never())).rejects.toThrow(/cursor/);
  });

  it('names a mapped column the query does not return', async () => {
    const source = open({
      items: { table: peer.tables.items, columns: { item_code: 'code', name: 'title' } },
    });
    await expect(source.readItems(null, 1, never())).rejects.toThrow(/column "title" is not in the result/);
  });

  // PostgreSQL only: proving MariaDB's READ ONLY transaction would take a stored function there.
  if (makePeer === postgresPeer)
    it('runs mapping queries in a read-only transaction', async () => {
      // A write the text check would have refused (nextval), straight at the driver: the second line holds.
      const sequence = `${peer.tables.items.split('.')[0]}.sv_seq`;
      await peer.admin(`CREATE SEQUENCE ${sequence}`);
      const source = open({
        items: {
          query: `SELECT code, name, nextval('${sequence}') AS n FROM ${peer.tables.items}`,
          columns: { item_code: 'code', name: 'name' },
        },
      });
      await expect(source.readItems(null, 1, never())).rejects.toThrow(/read-only transaction/);
    });

  it('cancels a slow query on the server when the signal aborts', async () => {
    const sleep = peer.dialect === 'postgres' ? 'pg_sleep(5)' : 'SLEEP(5)';
    const source = open({
      items: {
        query: `SELECT code, name, ${sleep} AS z FROM ${peer.tables.items}`,
        columns: { item_code: 'code', name: 'name' },
      },
    });
    const needle = peer.dialect === 'postgres' ? 'pg_sleep(5) AS z' : 'SLEEP(5) AS z';
    const controller = new AbortController();
    const started = Date.now();
    const reading = source.readItems(null, 2, controller.signal);
    reading.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await peer.running(needle)).toBe(1);
    controller.abort();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(Date.now() - started).toBeLessThan(1500);
    // The statement does not go on running in the ERP.
    let running = 1;
    for (let i = 0; i < 20 && running > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      running = await peer.running(needle);
    }
    expect(running).toBe(0);
    // And the source still works afterwards.
    const quick = open();
    expect((await quick.readItems(null, 1, never())).rows).toHaveLength(1);
  });

  // MariaDB only: the local PostgreSQL trusts every connection, so no password is ever wrong there.
  if (makePeer === mariaDbPeer)
    it('reports a wrong password without the password', async () => {
      const wrong = 'Wrong-Pass-0xDEADBEEF';
      const source = open({}, wrong);
      const error = await source.readItems(null, 1, never()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      const message = (error as Error).message;
      expect(message).toMatch(/Authentication failed for user/);
      expect(message).not.toContain(wrong);
    });

  it('reports a refused connection plainly', async () => {
    const source = open({ port: 1 });
    await expect(source.readItems(null, 1, never())).rejects.toThrow(/Connection refused by 127\.0\.0\.1:1/);
  });
});
