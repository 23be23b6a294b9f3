import { crc32 } from 'node:zlib';
import { csvRow } from '../../../platform/csv.ts';
import type { SubjectExport } from './subject-data.ts';

/**
 * The forms a subject's data is handed over in: JSON (access), one CSV with a `table` column,
 * and — for portability — one ZIP holding the JSON and a CSV per table.
 */

function cell(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** One CSV for every table: `table,row,column,value`, a line per stored value. */
export function exportCsv(data: SubjectExport): string {
  let out = csvRow(['table', 'row', 'column', 'value']);
  for (const [table, { rows }] of Object.entries(data.tables))
    rows.forEach((row, index) => {
      for (const [column, value] of Object.entries(row))
        out += csvRow([table, index + 1, column, cell(value)]);
    });
  return out;
}

/** A table as a CSV of its own columns. */
export function tableCsv(rows: readonly Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  let out = csvRow(columns);
  for (const row of rows) out += csvRow(columns.map((column) => cell(row[column])));
  return out;
}

/** A ZIP archive of stored (uncompressed) files: small, dependency-free, readable everywhere. */
export function zipFiles(files: readonly { name: string; content: string | Buffer }[], at: Date): Buffer {
  // MS-DOS time and date, as ZIP keeps them.
  const time = (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2);
  const date = ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const body = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    const crc = crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(body.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Portability: the JSON and one CSV per table, in one archive. */
export function portabilityZip(data: SubjectExport, at: Date): Buffer {
  return zipFiles(
    [
      { name: 'subject-data.json', content: `${JSON.stringify(data, null, 2)}\n` },
      ...Object.entries(data.tables)
        .filter(([, { rows }]) => rows.length > 0)
        .map(([table, { rows }]) => ({ name: `${table}.csv`, content: tableCsv(rows) })),
    ],
    at,
  );
}
