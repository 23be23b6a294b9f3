import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpSettings } from './connector-settings.ts';
import { ERP_ITEMS as ITEMS, startErpServer, ERP_TOKEN as TOKEN } from './erp-peers.test-support.ts';
import { SourceError, type SourceItem, type SourceStockLevel } from './erp-source.ts';
import { createHttpSource } from './http-source.ts';

const never = () => new AbortController().signal;

describe('HTTP JSON source', () => {
  const erp = startErpServer();
  let base: string;
  beforeAll(async () => {
    base = await erp.listen();
  });
  afterAll(() => erp.close());

  function settings(extra: Partial<HttpSettings> = {}): HttpSettings {
    return {
      base_url: `${base}/api/`,
      page_size: 3,
      items: {
        path: '/items',
        rows_field: 'data.items',
        fields: {
          item_code: 'sku',
          name: 'title',
          unit_cost: 'price.cost',
          barcodes: 'codes',
          barcode_code: 'code',
          barcode_pack_qty: 'qty',
        },
      },
      stock_levels: {
        path: '/stock',
        rows_field: 'rows',
        fields: { item_code: 'sku', location_code: 'bin', quantity: 'qty' },
      },
      ...extra,
    };
  }

  it('reads numbered pages with the bearer token, and resumes from a cursor', async () => {
    const source = createHttpSource(settings(), TOKEN);
    const seen: SourceItem[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await source.readItems(cursor, 100, never());
      seen.push(...page.rows);
      cursor = page.next_cursor;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    expect(seen.map((item) => item.item_code)).toEqual(ITEMS.map((item) => item.sku));
    expect(seen[0]).toEqual({
      item_code: 'IT-001',
      name: 'Item 1',
      base_uom: null,
      category: null,
      unit_cost: '1.5',
      barcodes: [
        { barcode: '04006381333931', kind: 'gtin', pack_qty: '1' },
        { barcode: 'CASE-1', kind: 'internal', pack_qty: '24' },
      ],
    });
    const pages = erp.seen
      .filter((request) => request.url.startsWith('/api/items'))
      .map((request) => request.url);
    expect(pages).toEqual([
      '/api/items?page_size=3&page=1',
      '/api/items?page_size=3&page=2',
      '/api/items?page_size=3&page=3',
    ]);
    // The token travels in the header, never in the URL.
    expect(erp.seen.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(erp.seen.some((request) => request.url.includes(TOKEN))).toBe(false);
    const resumed = await createHttpSource(settings(), TOKEN).readItems(cursors[0]!, 100, never());
    expect(resumed.rows.map((item) => item.item_code)).toEqual(['IT-004', 'IT-005', 'IT-006']);
  });

  it('follows next tokens for token paging', async () => {
    const source = createHttpSource(
      settings({ paging: { mode: 'token', token_param: 'cursor', next_token_field: 'next' } }),
      TOKEN,
    );
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
    expect(seen.map((level) => `${level.item_code}@${level.location_code}=${level.quantity}`)).toEqual([
      'IT-001@B0=0.5',
      'IT-002@B1=1.5',
      'IT-003@B2=2.5',
      'IT-004@B3=3.5',
      'IT-005@B4=4.5',
    ]);
    expect(seen[0]).toMatchObject({ warehouse_code: null, lot: '' });
  });

  it('says what went wrong without the token', async () => {
    const wrong = createHttpSource(settings(), 'not-the-token');
    const unauthorised = (await wrong.readItems(null, 1, never()).catch((e: unknown) => e)) as Error;
    expect(unauthorised).toBeInstanceOf(SourceError);
    expect(unauthorised.message).toMatch(/HTTP 401 \(check the token\)/);
    expect(unauthorised.message).not.toContain('not-the-token');
    const failing = createHttpSource(
      settings({ items: { path: '/broken', fields: { item_code: 'a', name: 'b' } } }),
      TOKEN,
    );
    await expect(failing.readItems(null, 1, never())).rejects.toThrow(/answered HTTP 500/);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = createHttpSource(settings({ base_url: `http://127.0.0.1:${port}/api` }), TOKEN);
    await expect(refused.readItems(null, 1, never())).rejects.toThrow(
      `Connection refused by 127.0.0.1:${port}`,
    );
  });

  it('aborts the request in flight', async () => {
    const source = createHttpSource(
      settings({
        items: { path: '/slow', rows_field: 'data.items', fields: { item_code: 'sku', name: 'title' } },
      }),
      TOKEN,
    );
    const started = Date.now();
    await expect(source.readItems(null, 1, AbortSignal.timeout(200))).rejects.toThrow(/timed out|cancelled/);
    expect(Date.now() - started).toBeLessThan(1500);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(erp.closedEarly()).toBe(1);
  });
});
