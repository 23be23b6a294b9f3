import { isUtf8 } from 'node:buffer';
import type { CellProblem, Delimiter, ReadOptions, SheetRow } from './sheet-rows.ts';

/**
 * A streaming CSV reader that works on bytes, so memory holds one row at most, however large the
 * file, and a byte sequence that is not UTF-8 is pinned to its row and cell instead of failing
 * the whole file. RFC 4180 with what spreadsheets write: an optional UTF-8 BOM, `,` `;` or tab
 * (detected from the header line unless given), quoted fields with delimiters, line breaks and
 * doubled quotes inside, CRLF, LF or CR line ends. Row numbers count records as a spreadsheet
 * shows them (a line break inside quotes does not start a new row), blank lines included.
 */

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** How much of the start of the file is looked at to find the header line's delimiter. */
const SNIFF_BYTES = 64 * 1024;

const NOT_UTF8 = 'is not valid UTF-8 text (save the file as "CSV UTF-8")';
const STRAY_QUOTE = 'has text after a closing quote: quote the whole value and double any quote inside it';

enum State {
  FieldStart = 0,
  Unquoted = 1,
  Quoted = 2,
  /** A quote inside a quoted field: the closing quote, or the first half of a doubled quote. */
  QuoteInQuoted = 3,
}

/**
 * Picks the delimiter of a header line: whichever of `,` `;` tab occurs most outside quotes
 * (ties in that order), `,` when none does (a one-column file).
 */
export function detectDelimiter(start: Buffer): Delimiter {
  let commas = 0;
  let semicolons = 0;
  let tabs = 0;
  let quoted = false;
  for (let i = 0; i < start.length; i += 1) {
    const byte = start[i];
    if (byte === QUOTE) quoted = !quoted;
    else if (quoted) continue;
    else if (byte === LF || byte === CR) break;
    else if (byte === 0x2c) commas += 1;
    else if (byte === 0x3b) semicolons += 1;
    else if (byte === 0x09) tabs += 1;
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

/** The incremental parser: feed chunks, get complete rows back. */
export class CsvParser {
  private readonly delimiter: number;
  private readonly maxRowBytes: number;
  private state = State.FieldStart;
  private fields: string[] = [];
  private problems: CellProblem[] | null = null;
  /** Bytes of the current field that arrived in earlier chunks. */
  private pieces: Buffer[] = [];
  /** Whether the current field has a byte ≥ 0x80 (so it needs a UTF-8 check). */
  private fieldHigh = false;
  /** Bytes of the current row that arrived in earlier chunks. */
  private carried = 0;
  /** The current row is over maxRowBytes: it is scanned to its end, nothing of it kept. */
  private tooLong = false;
  /** The previous chunk ended with CR: an LF starting this one belongs to it. */
  private pendingCr = false;
  private rowNumber = 0;

  constructor(delimiter: Delimiter, maxRowBytes: number) {
    this.delimiter = delimiter.charCodeAt(0);
    this.maxRowBytes = maxRowBytes;
  }

  /** Parses one chunk; returns the rows it completed (at most one per line break in it). */
  push(chunk: Buffer): SheetRow[] {
    const rows: SheetRow[] = [];
    const n = chunk.length;
    const delimiter = this.delimiter;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (n > 0 && chunk[0] === LF) i = 1;
    }
    let fieldStart = i;
    let rowStart = i;
    for (; i < n; i += 1) {
      const byte = chunk[i]!;
      let state = this.state;
      if (state === State.FieldStart) {
        if (byte === QUOTE) {
          this.state = State.Quoted;
          fieldStart = i + 1;
          continue;
        }
        state = State.Unquoted;
        this.state = state;
        fieldStart = i;
      }
      if (state === State.Unquoted) {
        if (byte === delimiter) {
          this.endField(chunk, fieldStart, i);
          fieldStart = i + 1;
          this.state = State.FieldStart;
        } else if (byte === LF || byte === CR) {
          this.endField(chunk, fieldStart, i);
          rows.push(this.endRow(i - rowStart));
          i = this.skipLf(chunk, i, byte);
          fieldStart = i + 1;
          rowStart = i + 1;
        } else if (byte >= 0x80) {
          this.fieldHigh = true;
        }
      } else if (state === State.Quoted) {
        if (byte === QUOTE) {
          this.addPiece(chunk, fieldStart, i);
          fieldStart = i + 1;
          this.state = State.QuoteInQuoted;
        } else if (byte >= 0x80) {
          this.fieldHigh = true;
        }
      } else {
        // QuoteInQuoted
        if (byte === QUOTE) {
          // A doubled quote: this one is content.
          fieldStart = i;
          this.state = State.Quoted;
        } else if (byte === delimiter) {
          this.endField(chunk, fieldStart, i);
          fieldStart = i + 1;
          this.state = State.FieldStart;
        } else if (byte === LF || byte === CR) {
          this.endField(chunk, fieldStart, i);
          rows.push(this.endRow(i - rowStart));
          i = this.skipLf(chunk, i, byte);
          fieldStart = i + 1;
          rowStart = i + 1;
        } else {
          this.problem(this.fields.length, STRAY_QUOTE);
          fieldStart = i;
          this.state = State.Unquoted;
          if (byte >= 0x80) this.fieldHigh = true;
        }
      }
    }
    if (this.state !== State.FieldStart) this.addPiece(chunk, fieldStart, n);
    this.carried += n - rowStart;
    if (this.carried > this.maxRowBytes) this.dropRow();
    return rows;
  }

  /** The end of the input: the last row, if it had no line break after it. */
  end(): SheetRow[] {
    if (this.state === State.FieldStart && this.fields.length === 0 && this.carried === 0) return [];
    if (this.state === State.Quoted) {
      this.problem(this.fields.length, 'has an opening quote that is never closed');
    }
    this.endField(Buffer.alloc(0), 0, 0);
    return [this.endRow(0)];
  }

  private skipLf(chunk: Buffer, i: number, byte: number): number {
    if (byte !== CR) return i;
    if (i + 1 < chunk.length) return chunk[i + 1] === LF ? i + 1 : i;
    this.pendingCr = true;
    return i;
  }

  private problem(index: number | null, reason: string): void {
    if (this.tooLong) return;
    if (this.problems === null) this.problems = [];
    this.problems.push({ index, reason });
  }

  private addPiece(chunk: Buffer, start: number, end: number): void {
    if (end > start && !this.tooLong) this.pieces.push(chunk.subarray(start, end));
  }

  private dropRow(): void {
    this.tooLong = true;
    this.pieces = [];
    this.fields = [];
    this.problems = null;
  }

  private endField(chunk: Buffer, start: number, end: number): void {
    if (this.tooLong) {
      this.fieldHigh = false;
      return;
    }
    let bytes: Buffer;
    if (this.pieces.length === 0) {
      if (!this.fieldHigh) {
        // ASCII only: every decoding gives the same text; latin1 is the fastest.
        this.fields.push(chunk.toString('latin1', start, end));
        return;
      }
      bytes = chunk.subarray(start, end);
    } else {
      if (end > start) this.pieces.push(chunk.subarray(start, end));
      bytes = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
      this.pieces = [];
    }
    if (this.fieldHigh && !isUtf8(bytes)) this.problem(this.fields.length, NOT_UTF8);
    this.fields.push(bytes.toString('utf8'));
    this.fieldHigh = false;
  }

  private endRow(bytesInChunk: number): SheetRow {
    this.rowNumber += 1;
    let row: SheetRow;
    if (this.tooLong || this.carried + bytesInChunk > this.maxRowBytes) {
      const mib = this.maxRowBytes / (1024 * 1024);
      const limit =
        mib >= 1 ? `${Math.round(mib * 10) / 10} MiB` : `${Math.ceil(this.maxRowBytes / 1024)} KiB`;
      row = {
        rowNumber: this.rowNumber,
        values: [],
        problems: [{ index: null, reason: `is longer than ${limit}` }],
      };
    } else {
      row = { rowNumber: this.rowNumber, values: this.fields };
      if (this.problems) row.problems = this.problems;
    }
    this.fields = [];
    this.problems = null;
    this.pieces = [];
    this.fieldHigh = false;
    this.tooLong = false;
    this.carried = 0;
    this.state = State.FieldStart;
    return row;
  }
}

/**
 * Reads CSV rows from a byte stream (a file read stream). The BOM is dropped; the delimiter is
 * detected from the header line unless given, and is then known through `delimiter()`.
 */
export class CsvReader {
  private chosen: Delimiter | null;
  constructor(
    private readonly source: AsyncIterable<Buffer>,
    private readonly options: ReadOptions,
  ) {
    this.chosen = options.delimiter;
  }

  /** The delimiter in use: known once the first row has been read. */
  delimiter(): Delimiter {
    return this.chosen ?? ',';
  }

  async *rows(): AsyncGenerator<SheetRow> {
    let parser: CsvParser | null = null;
    // The start of the file is gathered until the header line is complete, to detect the
    // delimiter and drop the BOM.
    const start: Buffer[] = [];
    let startLength = 0;
    const begin = (): { parser: CsvParser; body: Buffer } => {
      const head = start.length === 1 ? start[0]! : Buffer.concat(start);
      start.length = 0;
      const body = head.subarray(0, 3).equals(BOM) ? head.subarray(3) : head;
      this.chosen ??= detectDelimiter(body.subarray(0, SNIFF_BYTES));
      return { parser: new CsvParser(this.chosen, this.options.maxRowBytes), body };
    };
    for await (const chunk of this.source) {
      if (parser !== null) {
        yield* parser.push(chunk);
        continue;
      }
      start.push(chunk);
      startLength += chunk.length;
      if (startLength < SNIFF_BYTES && !hasLineEnd(chunk)) continue;
      const begun = begin();
      parser = begun.parser;
      yield* parser.push(begun.body);
    }
    if (parser === null) {
      if (startLength === 0) return;
      const begun = begin();
      parser = begun.parser;
      yield* parser.push(begun.body);
    }
    yield* parser.end();
  }
}

function hasLineEnd(chunk: Buffer): boolean {
  return chunk.includes(LF) || chunk.includes(CR);
}
