import { hash } from 'node:crypto';

/**
 * Remembers, for every key seen in a file (item codes, barcodes, item+location+lot), the first row
 * it was on, in 16 bytes per key: a 96-bit SHA-1 fingerprint and the row number, in one typed
 * array (open addressing, at most half full). A Map of the keys themselves costs ≈100 bytes per
 * key (≈120 MB of RSS for a million codes); this ≈32 bytes with the slack.
 *
 * Two different keys share a fingerprint with probability about n² / 2⁹⁷: for ten million keys,
 * 1 in 10¹⁵ per file — far below a disk or memory fault. Such a collision would report a
 * duplicate that is not one (the import is refused, never wrong data written).
 */
export class KeyTable {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1 << 12) {
    this.slots = new Uint32Array(initialSlots * 4);
    this.mask = initialSlots - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Records `key` as first seen on `row` (> 0) and returns 0; or, if it was seen before, returns
   * the row it was first seen on (and records nothing).
   */
  firstRow(key: string, row: number): number {
    const digest = hash('sha1', key, 'buffer');
    const a = digest.readUInt32LE(0);
    const b = digest.readUInt32LE(4);
    const c = digest.readUInt32LE(8);
    let slot = a & this.mask;
    for (;;) {
      const at = slot * 4;
      const seenRow = this.slots[at + 3]!;
      if (seenRow === 0) {
        this.slots[at] = a;
        this.slots[at + 1] = b;
        this.slots[at + 2] = c;
        this.slots[at + 3] = row;
        this.count += 1;
        if (this.count * 2 > this.mask + 1) this.grow();
        return 0;
      }
      if (this.slots[at] === a && this.slots[at + 1] === b && this.slots[at + 2] === c) return seenRow;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Uint32Array(capacity * 4);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at + 3] === 0) continue;
      let slot = old[at]! & this.mask;
      while (this.slots[slot * 4 + 3] !== 0) slot = (slot + 1) & this.mask;
      this.slots.set(old.subarray(at, at + 4), slot * 4);
    }
  }
}
