const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(value: number): string {
  return integer.format(value);
}

/** Latency from autocannon, whose histogram counts whole milliseconds: 0 means under 1 ms. */
export function fmtMs(value: number): string {
  if (value === 0) return '<1 ms';
  return `${Number.isInteger(value) || value >= 100 ? value.toFixed(0) : value.toFixed(1)} ms`;
}

export function fmtRatio(value: number): string {
  return value.toFixed(2);
}

/** A plain-text table: the first row is the header; numeric-looking cells align right. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  const numeric = /^[-+≥≤<]?[\d.,]+( ms| s| µs|x)?$/;
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        return numeric.test(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function heading(text: string): string {
  return `\n=== ${text} ${'='.repeat(Math.max(3, 76 - text.length))}`;
}
