/**
 * MurmurHash3, x86 32-bit variant. Rollout buckets must agree with Unleash's SDKs, so a team can
 * move between Unleash and us without users changing sides: the Node SDK (murmurhash3js) reads
 * each UTF-16 code unit's low byte as one input byte, and so do we. For ASCII text (flag keys,
 * UUID user ids) that is exactly the UTF-8 bytes the other SDKs hash.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

export function murmur3_32(text: string, seed = 0): number {
  const length = text.length;
  const blocks = length & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    const k =
      (text.charCodeAt(i) & 0xff) |
      ((text.charCodeAt(i + 1) & 0xff) << 8) |
      ((text.charCodeAt(i + 2) & 0xff) << 16) |
      ((text.charCodeAt(i + 3) & 0xff) << 24);
    h ^= mixK(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let tail = 0;
    if (rest === 3) tail ^= (text.charCodeAt(i + 2) & 0xff) << 16;
    if (rest >= 2) tail ^= (text.charCodeAt(i + 1) & 0xff) << 8;
    tail ^= text.charCodeAt(i) & 0xff;
    h ^= mixK(tail);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
