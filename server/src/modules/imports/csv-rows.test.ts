import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvReader, detectDelimiter } from './csv-rows.ts';
import {
  looksLikeFormula,
  normaliseHeader,
  parseAmount,
  parseAsOf,
  parseBarcodeCell,
} from './import-rules.ts';
import type { Delimiter, SheetRow } from './sheet-rows.ts';

/** Reads `bytes` in chunks of `size`, so every state of the parser meets a chunk boundary. */
async function read(
  bytes: Buffer | string,
  size: number,
  delimiter: Delimiter | null = null,
  maxRowBytes = 1 << 20,
) {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  const reader = new CsvReader(Readable.from(chunks), { delimiter, maxRowBytes });
  const rows: SheetRow[] = [];
  for await (const row of reader.rows()) rows.push(row);
  return { rows, delimiter: reader.delimiter() };
}

describe('CSV reader', () => {
  const tricky =
    '\uFEFFcode;name;note\r\n' +
    '1;"a;b";"say ""hi"""\r\n' +
    '\r\n' +
    '2;"two\nlines";é€\r\n' +
    '3;plain;"""quoted"""\n' +
    '4;last;no newline';

  it.each([1, 2, 3, 5, 64, 65536])('reads the same rows whatever the chunk size (%i bytes)', async (size) => {
    const { rows, delimiter } = await read(tricky, size);
    expect(delimiter).toBe(';');
    expect(rows).toEqual([
      { rowNumber: 1, values: ['code', 'name', 'note'] },
      { rowNumber: 2, values: ['1', 'a;b', 'say "hi"'] },
      { rowNumber: 3, values: [''] },
      { rowNumber: 4, values: ['2', 'two\nlines', 'é€'] },
      { rowNumber: 5, values: ['3', 'plain', '"quoted"'] },
      { rowNumber: 6, values: ['4', 'last', 'no newline'] },
    ]);
  });

  it('detects the delimiter from the header line, ignoring quoted text', () => {
    expect(detectDelimiter(Buffer.from('a,b,c\n1;2;3;4;5'))).toBe(',');
    expect(detectDelimiter(Buffer.from('"a,b,c";d;e\n'))).toBe(';');
    expect(detectDelimiter(Buffer.from('a\tb\tc'))).toBe('\t');
    expect(detectDelimiter(Buffer.from('single'))).toBe(',');
  });

  it('keeps the delimiter it is given', async () => {
    const { rows } = await read('a;b,c\n1;2,3\n', 4, ',');
    expect(rows[1]!.values).toEqual(['1;2', '3']);
  });

  it('handles CR-only line ends and a CRLF split across chunks', async () => {
    expect((await read('a,b\r1,2\r3,4', 4)).rows.map((row) => row.values)).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
    expect((await read('a,b\r\n1,2\r\n', 4)).rows.map((row) => row.rowNumber)).toEqual([1, 2]);
  });

  it('pins invalid UTF-8 to its row and cell', async () => {
    const bytes = Buffer.concat([
      Buffer.from('a,b\nok,fine\nx,'),
      Buffer.from([0xe9, 0x74, 0xe9]),
      Buffer.from('\n'),
    ]);
    for (const size of [1, 7, 100]) {
      const { rows } = await read(bytes, size);
      expect(rows[1]).toEqual({ rowNumber: 2, values: ['ok', 'fine'] });
      expect(rows[2]!.problems).toEqual([{ index: 1, reason: expect.stringMatching(/^is not valid UTF-8/) }]);
    }
  });

  it('reports stray and unclosed quotes', async () => {
    const { rows } = await read('a,b\n"x"y,1\n"open,2', 3);
    expect(rows[1]!.problems).toEqual([
      { index: 0, reason: expect.stringContaining('after a closing quote') },
    ]);
    expect(rows[2]!.problems).toEqual([{ index: 0, reason: 'has an opening quote that is never closed' }]);
  });

  it('refuses a row over the size limit without keeping it, and goes on', async () => {
    const { rows } = await read(`a,b\n${'x'.repeat(5000)},1\nnext,2\n`, 512, null, 1024);
    expect(rows[1]).toEqual({
      rowNumber: 2,
      values: [],
      problems: [{ index: null, reason: 'is longer than 1 KiB' }],
    });
    expect(rows[2]).toEqual({ rowNumber: 3, values: ['next', '2'] });
  });

  it('reads nothing from an empty file', async () => {
    expect((await read('', 4)).rows).toEqual([]);
  });
});

describe('import rules', () => {
  it('maps header names case-insensitively, with spaces, underscores or hyphens', () => {
    for (const name of ['Item Code', 'item_code', ' ITEM-CODE ', 'item  code'])
      expect(normaliseHeader(name)).toBe('item_code');
  });

  it('reads amounts exactly', () => {
    const plain = { decimalComma: false };
    expect(parseAmount('12.5', 4, plain)).toBe(125000);
    expect(parseAmount('.5', 3, plain)).toBe(500);
    expect(parseAmount('1.50000', 4, plain)).toBe(15000);
    expect(parseAmount('1.5e2', 3, plain)).toBe(150000);
    expect(parseAmount('12,5', 4, { decimalComma: true })).toBe(125000);
    expect(parseAmount('12,5', 4, plain)).toMatch(/^is not a number/);
    expect(parseAmount('1,234.50', 4, plain)).toMatch(/^is not a number/);
    expect(parseAmount('-0', 3, plain)).toBe(0);
    expect(parseAmount('-1', 3, plain)).toBe('must not be negative');
    expect(parseAmount('0.0001', 3, plain)).toBe('has more than 3 decimal places');
    expect(parseAmount('99999999999999999999', 3, plain)).toBe('is too large');
  });

  it('flags what a spreadsheet would run as a formula', () => {
    for (const value of ['=1+1', "=cmd|' /C calc'!A0", '@SUM(A1)', '+A1', '-A1', '--1'])
      expect(looksLikeFormula(value), value).toBe(true);
    for (const value of ['-5', '+44 20 7946 0000', 'Hammer', '-', 'a=b'])
      expect(looksLikeFormula(value), value).toBe(false);
  });

  it('reads barcode cells: several codes, pack sizes', () => {
    expect(parseBarcodeCell('4006381333931 | INT-1*12 |')).toEqual({
      barcodes: [
        { barcode: '04006381333931', kind: 'gtin', pack_qty_e3: 1000 },
        { barcode: 'INT-1', kind: 'internal', pack_qty_e3: 12000 },
      ],
    });
    expect(parseBarcodeCell('X*1.5')).toEqual({
      barcodes: [{ barcode: 'X', kind: 'internal', pack_qty_e3: 1500 }],
    });
    expect(parseBarcodeCell('A|A')).toEqual({ reason: 'barcode "A" is listed twice' });
    expect(parseBarcodeCell('A*-2')).toEqual({ reason: expect.stringContaining('pack size') });
  });

  it('reads as_of dates and date-times as UTC', () => {
    expect(parseAsOf('2026-03-31')).toBe('2026-03-31T00:00:00.000Z');
    expect(parseAsOf('2026-03-31T18:00:00Z')).toBe('2026-03-31T18:00:00.000Z');
    expect(parseAsOf('2026-03-31 18:00')).toBe('2026-03-31T18:00:00.000Z');
    expect(parseAsOf('2026-03-31T20:00:00+02:00')).toBe('2026-03-31T18:00:00.000Z');
    expect(parseAsOf('2026-02-30')).toBeNull();
    expect(parseAsOf('31/03/2026')).toBeNull();
  });
});
