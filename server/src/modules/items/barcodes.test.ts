import { describe, expect, it } from 'vitest';
import { gtinCheckDigitValid, parseBarcode } from './barcodes.ts';

describe('barcodes', () => {
  it.each([
    ['96385074', true], // EAN-8
    ['036000291452', true], // UPC-A
    ['4006381333931', true], // EAN-13
    ['10012345678902', true], // GTIN-14
    ['4006381333932', false],
    ['036000291453', false],
  ])('checks the GTIN check digit of %s', (code, valid) => {
    expect(gtinCheckDigitValid(code)).toBe(valid);
  });

  it('normalises a scan: trimmed, spaces removed, GTINs padded to 14 digits', () => {
    expect(parseBarcode('  4006381 333931 ')).toEqual({ ok: true, barcode: '04006381333931', kind: 'gtin' });
    // UPC-A and its EAN-13 form are the same product.
    expect(parseBarcode('036000291452')).toEqual(parseBarcode('0036000291452'));
  });

  it('keeps internal codes as they are and refuses junk', () => {
    expect(parseBarcode('BIN-A-01')).toEqual({ ok: true, barcode: 'BIN-A-01', kind: 'internal' });
    expect(parseBarcode('12345')).toEqual({ ok: true, barcode: '12345', kind: 'internal' });
    expect(parseBarcode('4006381333932')).toEqual({ ok: false, reason: 'has a wrong GTIN check digit' });
    expect(parseBarcode('   ').ok).toBe(false);
    expect(parseBarcode('=cmd|calc').ok).toBe(false);
    expect(parseBarcode('x'.repeat(65)).ok).toBe(false);
  });
});
