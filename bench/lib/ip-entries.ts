import { randomUUID } from 'node:crypto';
import * as store from '../../server/src/modules/security/ip-lists/ip-lists.store.ts';
import { IpMatcher, parseCidr } from '../../server/src/modules/security/ip-lists/ip-match.ts';
import { bumpCacheVersion } from '../../server/src/platform/db/cache-versions.ts';
import { openDb } from '../../server/src/platform/db/database.ts';
import { migrateToLatest } from '../../server/src/platform/db/migrator.ts';

/** mulberry32: a fixed pseudo-random sequence, so every run seeds the same lists. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Addresses a benchmark's entries must never cover: the load comes from loopback. */
const KEEP_OPEN = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/**
 * `count` distinct canonical CIDRs, the mix an operator's blacklist grows into: about 60 % single
 * IPv4 addresses, 15 % IPv4 ranges (/8 to /31, mostly /24 and /16), 15 % single IPv6 addresses,
 * 10 % IPv6 ranges (/16 to /127, mostly /64 and /48). IPv4 never in 127.0.0.0/8 (nor a range
 * holding it), IPv6 only in 2000::/3 (global unicast): none covers the loopback load generator.
 * The first entries are themselves a mix, so a short list (count 10) is a sample of a long one.
 */
export function generateCidrs(count: number, seed = 0x1f11e7): string[] {
  const random = prng(seed);
  const int = (below: number) => Math.floor(random() * below);
  const pick = <T>(choices: readonly T[]): T => choices[int(choices.length)]!;
  const v4Prefixes = [8, 12, 16, 16, 20, 22, 24, 24, 24, 24, 26, 28, 29, 30, 31];
  const v6Prefixes = [16, 24, 32, 40, 48, 48, 56, 64, 64, 64, 64, 96, 112, 120, 127];
  const octet = () => int(256);
  const firstOctet = () => {
    for (;;) {
      const value = 1 + int(223); // 1..223: unicast, never 0 or multicast
      if (value !== 127) return value;
    }
  };
  const group = () => int(0x10000).toString(16);
  const v4 = () => `${firstOctet()}.${octet()}.${octet()}.${octet()}`;
  const v6 = () => `${(0x2000 + int(0x2000)).toString(16)}:${Array.from({ length: 7 }, group).join(':')}`;

  const kinds = ['v4', 'v4', 'v4', 'v4', 'v4', 'v4', 'v4range', 'v6', 'v6range', 'v4'] as const;
  const out = new Set<string>();
  for (let n = 0; out.size < count; n++) {
    // The first ten cover every kind (round-robin); after that the shares above, at random.
    const kind = n < 10 ? (['v4', 'v4range', 'v6', 'v6range', 'v4'] as const)[n % 5]! : pick(kinds);
    const text =
      kind === 'v4'
        ? v4()
        : kind === 'v4range'
          ? `${v4()}/${pick(v4Prefixes)}`
          : kind === 'v6'
            ? v6()
            : `${v6()}/${pick(v6Prefixes)}`;
    const parsed = parseCidr(text);
    if (!parsed) throw new Error(`generated an invalid CIDR: ${text}`);
    out.add(parsed.text);
  }
  const cidrs = [...out];
  const matcher = new IpMatcher<string>();
  for (const cidr of cidrs) matcher.add(cidr, cidr);
  for (const ip of KEEP_OPEN) {
    const hit = matcher.match(ip);
    if (hit) throw new Error(`generated entry ${hit} covers ${ip}, the load generator`);
  }
  return cidrs;
}

/**
 * Writes `cidrs` as manual blacklist entries into a product data dir's SQLite file before the
 * product starts, through the product's own migrations and IP list store (one transaction),
 * and moves the lists' version on as an admin's change would. Returns the seconds it took.
 */
export async function seedBlacklist(sqliteFile: string, cidrs: readonly string[]): Promise<number> {
  const started = performance.now();
  const handle = openDb({ databaseUrl: null, sqliteFile });
  try {
    await migrateToLatest(handle.db, handle.dialect);
    const now = new Date().toISOString();
    await handle.db.transaction().execute(async (trx) => {
      for (const cidr of cidrs) {
        await store.upsertEntry(trx, {
          id: randomUUID(),
          list_type: 'blacklist',
          cidr,
          reason: 'benchmark entry',
          source: 'manual',
          created_by: null,
          created_at: now,
          expires_at: null,
        });
      }
      await bumpCacheVersion(trx, store.CACHE_NAME, now);
    });
  } finally {
    await handle.close();
  }
  return (performance.now() - started) / 1000;
}
