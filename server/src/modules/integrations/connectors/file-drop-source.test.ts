import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceItem, SourceStockLevel } from './erp-source.ts';
import { createFileDropSource } from './file-drop-source.ts';

const never = () => new AbortController().signal;

describe('file drop source', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-drop-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

  function itemFiles() {
    write(
      '2026-11-01-items.csv',
      [
        'item_code,name,base_uom,unit_cost,barcode',
        'A-1,Bolt,EA,0.25,4006381333931|BOX-A1*12',
        'A-2,Nut,EA,0.10,',
        'A-3,Washer,EA,not-a-number,',
        'A-4,Hinge,EA,3.75,',
        'A-5,Glue,EA,2,',
      ].join('\n'),
    );
    write(
      '2026-11-02-items.csv',
      ['sku;name;uom;cost', 'B-1;Brush;EA;4,50', 'B-2;Paint;L;12,99', 'B-3;Tape;EA;1'].join('\n'),
    );
    write('notes.txt', 'not a drop file');
  }

  it('reads the CSV files in name order, page by page across files, with rejected rows named', async () => {
    itemFiles();
    const source = createFileDropSource({ directory: dir, kind: 'items' });
    const rows: SourceItem[] = [];
    const rejected: string[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await source.readItems(cursor, 3, never());
      expect(page.rows.length + page.rejected.length).toBeLessThanOrEqual(3);
      rows.push(...page.rows);
      rejected.push(...page.rejected.map((row) => `${row.at}: ${row.reason}`));
      cursor = page.next_cursor;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    await source.close();
    expect(rows.map((row) => row.item_code)).toEqual(['A-1', 'A-2', 'A-4', 'A-5', 'B-1', 'B-2', 'B-3']);
    expect(rejected).toEqual([
      expect.stringMatching(/^2026-11-01-items\.csv, row 4: unit_cost is not a number/),
    ]);
    expect(rows[0]).toEqual({
      item_code: 'A-1',
      name: 'Bolt',
      base_uom: 'EA',
      category: null,
      unit_cost: '0.25',
      barcodes: [
        { barcode: '04006381333931', kind: 'gtin', pack_qty: '1' },
        { barcode: 'BOX-A1', kind: 'internal', pack_qty: '12' },
      ],
    });
    // The second file has no barcode column: barcodes are not given. Its decimal commas are read.
    expect(rows[4]).toMatchObject({ item_code: 'B-1', unit_cost: '4.5', barcodes: null });

    // A new source (another process) resumes from a stored cursor without repeating a row.
    const resumed = createFileDropSource({ directory: dir, kind: 'items' });
    const page = await resumed.readItems(cursors[0]!, 3, never());
    expect(page.rows.map((row) => row.item_code)).toEqual(['A-4', 'A-5', 'B-1']);
    await resumed.close();
  });

  it('picks up a file that arrives after the last one read', async () => {
    write(
      'a.csv',
      'item_code,warehouse_code,location_code,lot,quantity\nA-1,MAIN,A1,,10\nA-1,MAIN,A2,L1,2.5\n',
    );
    const source = createFileDropSource({ directory: dir, kind: 'stock_levels' });
    const first = await source.readStockLevels(null, 10, never());
    expect(first.rows).toEqual<SourceStockLevel[]>([
      { item_code: 'A-1', warehouse_code: 'MAIN', location_code: 'A1', lot: '', quantity: '10' },
      { item_code: 'A-1', warehouse_code: 'MAIN', location_code: 'A2', lot: 'L1', quantity: '2.5' },
    ]);
    expect(first.next_cursor).toBeNull();
    // Nothing more for now: the sync keeps its last cursor, then a later file comes in.
    const last = await source.readStockLevels(null, 1, never());
    write('b.csv', 'item_code,warehouse_code,location_code,quantity\nB-1,MAIN,B1,4\n');
    const afterFirst = await source.readStockLevels(last.next_cursor, 10, never());
    expect(afterFirst.rows.map((row) => row.location_code)).toEqual(['A2', 'B1']);
    // An items read of a stock-level drop has nothing to read.
    expect(await source.readItems(null, 10, never())).toEqual({ rows: [], rejected: [], next_cursor: null });
    await source.close();
  });

  it('reports a file with a wrong header and goes on with the next', async () => {
    write('a.csv', 'what,is,this\n1,2,3\n');
    write('b.csv', 'item_code,name,base_uom,unit_cost\nB-1,Brush,EA,4.5\n');
    const source = createFileDropSource({ directory: dir, kind: 'items' });
    const page = await source.readItems(null, 10, never());
    expect(page.rejected).toEqual([{ at: 'a.csv, header', reason: expect.stringMatching(/header row/) }]);
    expect(page.rows.map((row) => row.item_code)).toEqual(['B-1']);
    await source.close();
  });

  it('stops when the signal aborts', async () => {
    itemFiles();
    const source = createFileDropSource({ directory: dir, kind: 'items' });
    const controller = new AbortController();
    controller.abort();
    await expect(source.readItems(null, 3, controller.signal)).rejects.toThrow(/cancelled/);
    await source.close();
  });
});
