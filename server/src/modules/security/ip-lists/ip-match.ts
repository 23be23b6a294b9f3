/**
 * IP address and CIDR parsing, and a longest-prefix matcher for IP allow/deny lists.
 *
 * Pure: no I/O, no dependencies. Every request is checked against a list that may hold
 * 10,000 entries, so {@link IpMatcher.match} costs O(distinct prefix lengths in the list) — at most
 * 33 map look-ups for IPv4 and 129 for IPv6 — never O(entries), and allocates nothing.
 *
 * Families: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, `::ffff:0102:0304`) IS its IPv4 address
 * here: it parses to family 4, and a mapped CIDR (`::ffff:10.0.0.0/104`) becomes `10.0.0.0/8`. Apart
 * from that, IPv4 and IPv6 never match each other: `::/0` matches every IPv6 client but no IPv4 (or
 * mapped) client, and `0.0.0.0/0` matches no IPv6 client.
 *
 * Input is strict: no surrounding whitespace, no brackets (`[::1]`), no zone ids (`fe80::1%eth0`),
 * no port. Callers that read lists from forms or files trim first.
 */

export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  /** Network byte order: 4 bytes for IPv4 (also for mapped IPv6 input), 16 for IPv6. */
  bytes: Uint8Array;
  /** Canonical text: IPv4 dotted decimal, IPv6 RFC 5952 (lower-case, longest zero run compressed). */
  text: string;
}

export interface ParsedCidr {
  family: IpFamily;
  /** Network byte order, host bits zeroed: 4 bytes for IPv4, 16 for IPv6. */
  network: Uint8Array;
  /** 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
  /** Canonical text, always with the prefix: `10.0.0.0/8`, `2001:db8::/32`, `10.0.0.1/32`. */
  text: string;
}

/** Longest valid input: `0000:0000:0000:0000:0000:ffff:255.255.255.255/128` is 49 characters. */
const MAX_CIDR_LENGTH = 49;
/** `0000:0000:0000:0000:0000:ffff:255.255.255.255` is 45 characters. */
const MAX_IP_LENGTH = 45;

const DOT = 46;
const COLON = 58;

/** What {@link scanAddress} found; the bytes are in {@link SCRATCH}. */
const INVALID = 0;
/** IPv4, in SCRATCH[12..15]. */
const IPV4 = 1;
/** IPv6, in SCRATCH[0..15]. */
const IPV6 = 2;
/** IPv4-mapped IPv6: the IPv4 address is in SCRATCH[12..15]. */
const MAPPED = 3;

/**
 * The parser writes here so that `IpMatcher.match` allocates nothing. Safe because parsing is
 * synchronous; every public function copies out of it before returning.
 */
const SCRATCH = new Uint8Array(16);

/** Parses a dotted quad in text[start, end) into out[offset..offset+3]; rejects leading zeros. */
function parseIpv4Into(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const code = i === end ? DOT : text.charCodeAt(i);
    if (code === DOT) {
      if (digits === 0 || part > 3) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      // `010` is octal to inet_aton and decimal to others: ambiguous, so refused.
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (code - 48);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * RFC 4291 section 2.2 text forms into `out` (16 zeroed bytes), in one pass: groups of one to four
 * hex digits, at most one `::` (standing for one or more zero groups), and an optional dotted-quad
 * tail in the last 32 bits.
 */
function parseIpv6Into(text: string, end: number, out: Uint8Array): boolean {
  let words = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === COLON) {
    if (end < 2 || text.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    if (words === 8) return false;
    const start = i;
    let value = 0;
    // -1 past the end: reading past the end of a string makes V8 take a slow path.
    let code = text.charCodeAt(i);
    for (let digit = hexValue(code); digit >= 0 && i - start < 4; digit = hexValue(code)) {
      value = (value << 4) | digit;
      code = ++i < end ? text.charCodeAt(i) : -1;
    }
    if (code === DOT) {
      if (words > 6 || !parseIpv4Into(text, start, end, out, words * 2)) return false;
      words += 2;
      break;
    }
    // A fifth hex digit is caught below: it is not a colon.
    if (i === start) return false;
    out[words * 2] = value >> 8;
    out[words * 2 + 1] = value & 0xff;
    words++;
    if (i === end) break;
    if (code !== COLON || ++i === end) return false;
    if (text.charCodeAt(i) === COLON) {
      if (gap !== -1) return false;
      gap = words;
      i++;
    }
  }
  if (gap === -1) return words === 8;
  if (words === 8) return false;
  const tailBytes = (words - gap) * 2;
  out.copyWithin(16 - tailBytes, gap * 2, words * 2);
  out.fill(0, gap * 2, 16 - tailBytes);
  return true;
}

/** `::ffff:0:0/96`, RFC 4291 section 2.5.5.2. */
function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Parses text[0, end) into {@link SCRATCH}; returns INVALID, IPV4, IPV6 or MAPPED. */
function scanAddress(text: string, end: number): number {
  if (end === 0 || end > MAX_IP_LENGTH) return INVALID;
  const colon = text.indexOf(':');
  if (colon === -1 || colon >= end) return parseIpv4Into(text, 0, end, SCRATCH, 12) ? IPV4 : INVALID;
  SCRATCH.fill(0);
  if (!parseIpv6Into(text, end, SCRATCH)) return INVALID;
  return isIpv4Mapped(SCRATCH) ? MAPPED : IPV6;
}

function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 section 4: lower case, no leading zeros, the longest (first on a tie) run of 2+ zero groups as `::`. */
function formatIpv6(bytes: Uint8Array): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let w = 0; w <= 8; w++) {
    if (w < 8 && bytes[w * 2] === 0 && bytes[w * 2 + 1] === 0) {
      if (runStart === -1) runStart = w;
    } else if (runStart !== -1) {
      if (w - runStart > bestLength) {
        bestStart = runStart;
        bestLength = w - runStart;
      }
      runStart = -1;
    }
  }
  let out = '';
  for (let w = 0; w < 8; w++) {
    if (w === bestStart) {
      out += '::';
      w += bestLength - 1;
      continue;
    }
    if (w > 0 && w !== bestStart + bestLength) out += ':';
    out += ((bytes[w * 2]! << 8) | bytes[w * 2 + 1]!).toString(16);
  }
  return out;
}

/**
 * Parses one IP address. IPv4: strict dotted quad (`010.0.0.1` and `256.0.0.1` are refused). IPv6:
 * every RFC 4291 / RFC 5952 text form, including an embedded IPv4 tail; zone ids are refused.
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:0102:0304`) comes back as the IPv4 address.
 */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== 'string') return null;
  const kind = scanAddress(text, text.length);
  if (kind === INVALID) return null;
  if (kind === IPV6) {
    const bytes = SCRATCH.slice();
    return { family: 6, bytes, text: formatIpv6(bytes) };
  }
  const bytes = SCRATCH.slice(12);
  return { family: 4, bytes, text: formatIpv4(bytes) };
}

/** The canonical CIDR of source[offset..] with host bits zeroed. Copies: `source` may be SCRATCH. */
function makeCidr(family: IpFamily, source: Uint8Array, offset: number, prefix: number): ParsedCidr {
  const network = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i * 8 < prefix; i++) {
    const bits = prefix - i * 8;
    network[i] = bits >= 8 ? source[offset + i]! : source[offset + i]! & (0xff << (8 - bits));
  }
  const text = `${family === 4 ? formatIpv4(network) : formatIpv6(network)}/${prefix}`;
  return { family, network, prefix, text };
}

/** Decimal text[start..] without leading zeros, or -1. */
function parsePrefix(text: string, start: number): number {
  const digits = text.length - start;
  if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
  let value = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}

/** The prefix found by the last successful {@link scanCidr} or {@link loadCidr}. */
let scannedPrefix = 0;

/**
 * Parses a CIDR into {@link SCRATCH} (host bits not yet zeroed) and {@link scannedPrefix}; returns
 * INVALID, IPV4 (address in SCRATCH[12..15], also for mapped input) or IPV6.
 */
function scanCidr(text: string): number {
  if (typeof text !== 'string' || text.length > MAX_CIDR_LENGTH) return INVALID;
  const slash = text.indexOf('/');
  const kind = scanAddress(text, slash === -1 ? text.length : slash);
  if (kind === INVALID) return INVALID;
  let prefix = kind === IPV6 ? 128 : 32;
  if (slash !== -1) {
    prefix = parsePrefix(text, slash + 1);
    if (prefix < 0) return INVALID;
    if (kind === MAPPED) {
      if (prefix < 96) return INVALID;
      prefix -= 96;
    }
    if (prefix > (kind === IPV6 ? 128 : 32)) return INVALID;
  }
  scannedPrefix = prefix;
  return kind === IPV6 ? IPV6 : IPV4;
}

/**
 * Parses `address` (a /32 or /128) or `address/prefix`.
 *
 * Host bits are accepted and zeroed: `10.1.2.3/8` is accepted as `10.0.0.0/8` (see `text`).
 * A mapped IPv6 CIDR becomes IPv4: `::ffff:10.0.0.0/104` is `10.0.0.0/8`. A mapped address with a
 * prefix shorter than /96 (`::ffff:0:0/80`) is refused: it would cover IPv6 addresses as well,
 * and this module matches mapped clients as IPv4 only. The prefix is decimal without leading
 * zeros (`/08` is refused) and at most 32 (IPv4) or 128 (IPv6).
 */
export function parseCidr(text: string): ParsedCidr | null {
  const kind = scanCidr(text);
  if (kind === INVALID) return null;
  return kind === IPV6 ? makeCidr(6, SCRATCH, 0, scannedPrefix) : makeCidr(4, SCRATCH, 12, scannedPrefix);
}

/**
 * Like {@link scanCidr}, for a CIDR given as text or as an object (re-checked: it may not come
 * from parseCidr). Host bits are left for the matcher's masks to zero.
 */
function loadCidr(cidr: string | ParsedCidr): number {
  if (typeof cidr === 'string') return scanCidr(cidr);
  if (cidr === null || typeof cidr !== 'object') return INVALID;
  const { family, network, prefix } = cidr;
  if (!(network instanceof Uint8Array) || !Number.isInteger(prefix) || prefix < 0) return INVALID;
  if (family === 4 && network.length === 4 && prefix <= 32) {
    SCRATCH.set(network, 12);
    scannedPrefix = prefix;
    return IPV4;
  }
  if (family === 6 && network.length === 16 && prefix <= 128 && !isIpv4Mapped(network)) {
    SCRATCH.set(network);
    scannedPrefix = prefix;
    return IPV6;
  }
  return INVALID;
}

/**
 * Canonical text of a client address, with IPv4 mapping stripped (`::ffff:10.0.0.1` → `10.0.0.1`,
 * `2001:DB8:0::1` → `2001:db8::1`), or null when it is not an IP address.
 */
export function normalizeClientIp(text: string): string | null {
  return parseIp(text)?.text ?? null;
}

/** Big-endian 32 bits at bytes[offset..], as a signed int32 (a small integer to V8, cheap as a Map key). */
function word32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
}

/** int32 mask of the `bits` (may be <= 0 or >= 32) leading bits of a word. */
function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  return bits >= 32 ? -1 : -1 << (32 - bits);
}

/** Spreads the four words of a masked IPv6 network over int32 Map keys; equality is checked after. */
function hash6(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16) ^ d, 0x165667b1);
  return h ^ (h >>> 15);
}

/** All IPv4 entries of one prefix length, keyed by the masked network as an int32. */
interface Level4<T> {
  prefix: number;
  mask: number;
  entries: Map<number, { value: T }>;
}

interface Entry6<T> {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  value: T;
}

/**
 * All IPv6 entries of one prefix length. Keys are hashes of the masked network; each bucket is
 * checked word by word, so a hash collision costs a comparison, never a wrong answer.
 */
interface Level6<T> {
  prefix: number;
  m0: number;
  m1: number;
  m2: number;
  m3: number;
  buckets: Map<number, Entry6<T>[]>;
  size: number;
}

/** The masked network of an IPv6 level's entry. */
function entry6<T>(level: Level6<unknown>, network: Uint8Array, value: T): Entry6<T> {
  return {
    w0: word32(network, 0) & level.m0,
    w1: word32(network, 4) & level.m1,
    w2: word32(network, 8) & level.m2,
    w3: word32(network, 12) & level.m3,
    value,
  };
}

function sameNetwork(a: Entry6<unknown>, b: Entry6<unknown>): boolean {
  return a.w0 === b.w0 && a.w1 === b.w1 && a.w2 === b.w2 && a.w3 === b.w3;
}

function newLevel4(prefix: number): Level4<never> {
  return { prefix, mask: wordMask(prefix), entries: new Map() };
}

function newLevel6(prefix: number): Level6<never> {
  const [m0, m1, m2, m3] = [prefix, prefix - 32, prefix - 64, prefix - 96].map(wordMask) as [
    number,
    number,
    number,
    number,
  ];
  return { prefix, m0, m1, m2, m3, buckets: new Map(), size: 0 };
}

/** The level for `prefix` in a list sorted longest first, created in place when missing. */
function levelFor<L extends { prefix: number }>(
  levels: L[],
  prefix: number,
  create: (prefix: number) => L,
): L {
  let index = 0;
  while (index < levels.length && levels[index]!.prefix > prefix) index++;
  const found = levels[index];
  if (found?.prefix === prefix) return found;
  const level = create(prefix);
  levels.splice(index, 0, level);
  return level;
}

/**
 * Longest-prefix IP matcher: `match` returns the value of the most specific entry containing the
 * address. Per family it keeps one Map per prefix length, keyed by the masked network, and
 * `match` looks up only the prefix lengths in use, longest first, without allocating. Adding an
 * entry whose canonical CIDR is already present replaces its value.
 */
export class IpMatcher<T> {
  /** Sorted by prefix, longest first. */
  #v4: Level4<T>[] = [];
  #v6: Level6<T>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Adds an entry, or replaces the value of the entry with the same canonical CIDR (`10.1.2.3/8`
   * and `10.0.0.0/8` are the same). Returns true when the entry is new.
   * @throws TypeError when `cidr` is not a valid address or CIDR.
   */
  add(cidr: string | ParsedCidr, value: T): boolean {
    const kind = loadCidr(cidr);
    if (kind === INVALID) throw new TypeError(`Not an IP address or CIDR: ${JSON.stringify(cidr)}`);
    if (kind === IPV4) {
      const level = levelFor<Level4<T>>(this.#v4, scannedPrefix, newLevel4);
      const key = word32(SCRATCH, 12) & level.mask;
      const existing = level.entries.get(key);
      if (existing) {
        existing.value = value;
        return false;
      }
      level.entries.set(key, { value });
    } else {
      const level = levelFor<Level6<T>>(this.#v6, scannedPrefix, newLevel6);
      const entry = entry6(level, SCRATCH, value);
      const hash = hash6(entry.w0, entry.w1, entry.w2, entry.w3);
      const bucket = level.buckets.get(hash);
      const existing = bucket?.find((other) => sameNetwork(other, entry));
      if (existing) {
        existing.value = value;
        return false;
      }
      if (bucket) bucket.push(entry);
      else level.buckets.set(hash, [entry]);
      level.size++;
    }
    this.#size++;
    return true;
  }

  /** Removes the entry with this canonical CIDR (`10.1.2.3/8` removes `10.0.0.0/8`); false if absent or invalid. */
  remove(cidr: string | ParsedCidr): boolean {
    const kind = loadCidr(cidr);
    if (kind === INVALID) return false;
    const prefix = scannedPrefix;
    if (kind === IPV4) {
      const index = this.#v4.findIndex((level) => level.prefix === prefix);
      const level = this.#v4[index];
      if (!level?.entries.delete(word32(SCRATCH, 12) & level.mask)) return false;
      if (level.entries.size === 0) this.#v4.splice(index, 1);
    } else {
      const index = this.#v6.findIndex((level) => level.prefix === prefix);
      const level = this.#v6[index];
      if (!level) return false;
      const probe = entry6(level, SCRATCH, undefined);
      const hash = hash6(probe.w0, probe.w1, probe.w2, probe.w3);
      const bucket = level.buckets.get(hash);
      const at = bucket?.findIndex((entry) => sameNetwork(entry, probe)) ?? -1;
      if (!bucket || at === -1) return false;
      bucket.splice(at, 1);
      if (bucket.length === 0) level.buckets.delete(hash);
      if (--level.size === 0) this.#v6.splice(index, 1);
    }
    this.#size--;
    return true;
  }

  /**
   * The value of the longest matching entry, or undefined (also for text that is not an IP
   * address). Pass a {@link ParsedIp} to skip parsing when the caller already has one.
   */
  match(ip: string | ParsedIp): T | undefined {
    let bytes: Uint8Array;
    let kind: number;
    if (typeof ip === 'string') {
      bytes = SCRATCH;
      kind = scanAddress(ip, ip.length);
    } else {
      bytes = ip?.bytes;
      if (!(bytes instanceof Uint8Array)) return undefined;
      if (ip.family === 4 && bytes.length === 4) return this.#match4(word32(bytes, 0));
      kind = ip.family === 6 && bytes.length === 16 ? (isIpv4Mapped(bytes) ? MAPPED : IPV6) : INVALID;
    }
    if (kind === INVALID) return undefined;
    if (kind !== IPV6) return this.#match4(word32(bytes, 12));
    return this.#match6(word32(bytes, 0), word32(bytes, 4), word32(bytes, 8), word32(bytes, 12));
  }

  /** Removes every entry. */
  clear(): void {
    this.#v4 = [];
    this.#v6 = [];
    this.#size = 0;
  }

  #match4(address: number): T | undefined {
    for (const level of this.#v4) {
      const hit = level.entries.get(address & level.mask);
      if (hit) return hit.value;
    }
    return undefined;
  }

  #match6(a: number, b: number, c: number, d: number): T | undefined {
    for (const level of this.#v6) {
      const w0 = a & level.m0;
      const w1 = b & level.m1;
      const w2 = c & level.m2;
      const w3 = d & level.m3;
      const bucket = level.buckets.get(hash6(w0, w1, w2, w3));
      if (!bucket) continue;
      for (const entry of bucket) {
        if (entry.w0 === w0 && entry.w1 === w1 && entry.w2 === w2 && entry.w3 === w3) return entry.value;
      }
    }
    return undefined;
  }
}
