import type { Readable } from 'node:stream';
import PDFDocument from 'pdfkit';

/** One row of a printed count sheet, in print order (by location, then item). */
export interface SheetLine {
  location_code: string;
  location_name: string;
  item_code: string;
  item_name: string;
  lot: string;
  unit: string;
  /** Printed in the book column; null leaves it blank (a recount is counted blind). */
  book_qty: string | null;
}

export interface CountSheetOptions {
  sessionName: string;
  /** e.g. "standard count · counting". */
  subtitle: string;
  printedAt: string;
  /**
   * Whether the sheet has a book quantity column at all. False for a blind session: the column,
   * its heading and every figure are left out, not merely blanked.
   */
  showBook: boolean;
  lines: AsyncIterable<SheetLine>;
  /** Uncompressed content streams: the text stays searchable (tests read it). */
  compress?: boolean;
}

const MARGIN = 36;
const ROW = 22;
const HEADER_ROW = 18;

interface Column {
  title: string;
  width: number;
  value(line: SheetLine): string;
  box?: boolean;
}

function columnsFor(showBook: boolean): Column[] {
  const nameWidth = showBook ? 180 : 243;
  const columns: Column[] = [
    { title: 'Item code', width: 90, value: (line) => line.item_code },
    { title: 'Name', width: nameWidth, value: (line) => line.item_name },
    { title: 'Lot', width: 60, value: (line) => line.lot },
    { title: 'Unit', width: 40, value: (line) => line.unit },
  ];
  if (showBook) columns.push({ title: 'Book', width: 63, value: (line) => line.book_qty ?? '' });
  columns.push({ title: 'Counted', width: 90, value: () => '', box: true });
  return columns;
}

/**
 * A printable count sheet (A4): one section per location, each starting on a new page with the
 * location's code and name, one row per line with an empty box to write the counted quantity in,
 * and a sign-off line at the end of the location. Pages are written out as they fill (pdfkit
 * flushes a page when the next one starts), so a sheet of any length streams.
 */
export function countSheetPdf(options: CountSheetOptions): Readable {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    autoFirstPage: false,
    compress: options.compress ?? true,
    info: { Title: `Count sheet: ${options.sessionName}`, Creator: 'Stock Verify' },
  });
  const columns = columnsFor(options.showBook);
  const bottom = () => doc.page.height - MARGIN;

  /** The text cut to fit the width (with an ellipsis), on one line. */
  function fitted(text: string, width: number): string {
    if (doc.widthOfString(text) <= width) return text;
    let cut = text.length;
    while (cut > 0 && doc.widthOfString(`${text.slice(0, cut)}…`) > width) cut -= 1;
    return `${text.slice(0, cut)}…`;
  }

  let y = 0;

  function pageHeader(line: SheetLine, continued: boolean) {
    doc.addPage();
    y = MARGIN;
    doc.font('Helvetica-Bold').fontSize(14);
    doc.text(fitted(`Count sheet: ${options.sessionName}`, 523), MARGIN, y, { lineBreak: false });
    y += 20;
    doc.font('Helvetica').fontSize(9);
    doc.text(fitted(`${options.subtitle} · printed ${options.printedAt}`, 523), MARGIN, y, {
      lineBreak: false,
    });
    y += 16;
    doc.font('Helvetica-Bold').fontSize(12);
    const title = `Location ${line.location_code}${line.location_name ? ` · ${line.location_name}` : ''}`;
    doc.text(fitted(continued ? `${title} (continued)` : title, 523), MARGIN, y, { lineBreak: false });
    y += 22;
    doc.font('Helvetica-Bold').fontSize(9);
    let x = MARGIN;
    for (const column of columns) {
      doc.text(column.title, x + 2, y + 4, { lineBreak: false });
      x += column.width;
    }
    y += HEADER_ROW;
    doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + 523, y)
      .stroke();
    doc.font('Helvetica').fontSize(9);
  }

  function row(line: SheetLine) {
    let x = MARGIN;
    for (const column of columns) {
      if (column.box) {
        doc.rect(x + 4, y + 3, column.width - 8, ROW - 6).stroke();
      } else {
        doc.text(fitted(column.value(line), column.width - 6), x + 2, y + 7, { lineBreak: false });
      }
      x += column.width;
    }
    y += ROW;
    doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + 523, y)
      .lineWidth(0.3)
      .stroke()
      .lineWidth(1);
  }

  function signOff(line: SheetLine) {
    if (y + 40 > bottom()) pageHeader(line, true);
    y += 16;
    doc.font('Helvetica').fontSize(9);
    doc.text(
      'Counted by: ______________________   Date: ____________   Signature: ______________________',
      MARGIN,
      y,
      { lineBreak: false },
    );
  }

  const write = async () => {
    let current: SheetLine | null = null;
    for await (const line of options.lines) {
      if (current === null || line.location_code !== current.location_code) {
        if (current !== null) signOff(current);
        pageHeader(line, false);
      } else if (y + ROW > bottom()) {
        pageHeader(line, true);
      }
      row(line);
      current = line;
    }
    if (current === null) {
      doc.addPage();
      doc.font('Helvetica').fontSize(12).text(`Count sheet: ${options.sessionName}: no lines to count.`);
    } else {
      signOff(current);
    }
    doc.end();
  };
  write().catch((error: unknown) => doc.destroy(error instanceof Error ? error : new Error(String(error))));
  return doc;
}
