import path from 'node:path';
import pino from 'pino';
import { createAuditTrail } from '../server/src/modules/audit/audit.service.ts';
import { createIpLists, type IpLists } from '../server/src/modules/security/ip-lists/ip-lists.service.ts';
import { parseCidr } from '../server/src/modules/security/ip-lists/ip-match.ts';
import { systemClock } from '../server/src/platform/clock.ts';
import { openDb } from '../server/src/platform/db/database.ts';
import { systemIds } from '../server/src/platform/ids.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { compare } from './lib/compare.ts';
import { fmtInt } from './lib/format.ts';
import { generateCidrs, seedBlacklist } from './lib/ip-entries.ts';
import { type Product, productDataDir, productSqliteFile, startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';

const ROUTE = '/api/auth/me';
const LONG = 10_000;
const SHORT = 10;
/** In-process checks timed per list and address, after as many to warm up. */
const CHECKS = 2_000_000;
/** The load generator's address (every request's client), and an unlisted IPv6 client. */
const PROBES = ['127.0.0.1', 'fd00::1'];

/** Distinct prefix lengths per family: what one check's cost depends on (ip-match.ts). */
function prefixLengths(cidrs: readonly string[]): string {
  const lengths = { 4: new Set<number>(), 6: new Set<number>() };
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) lengths[parsed.family].add(parsed.prefix);
  }
  return `${lengths[4].size} IPv4 and ${lengths[6].size} IPv6 prefix lengths`;
}

/** The product's own IP lists over a seeded SQLite file, loaded as at start (no server, no I/O per check). */
async function loadLists(sqliteFile: string): Promise<{ lists: IpLists; close(): Promise<void> }> {
  const database = openDb({ databaseUrl: null, sqliteFile });
  const lists = createIpLists({
    db: database.db,
    clock: systemClock,
    ids: systemIds,
    logger: pino({ level: 'silent' }),
    trail: createAuditTrail({
      database,
      clock: systemClock,
      ids: systemIds,
      enabled: true,
      algorithm: 'sha256',
    }),
    mode: 'blacklist',
    enabled: () => true,
  });
  await lists.start();
  return {
    lists,
    async close() {
      lists.stop();
      await database.close();
    },
  };
}

/** Nanoseconds per `lists.check(ip)`, over CHECKS calls after as many to warm up. */
function nsPerCheck(lists: IpLists, ip: string): number {
  let allowed = 0;
  for (let i = 0; i < CHECKS; i++) if (lists.check(ip).allowed) allowed++;
  const started = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) if (lists.check(ip).allowed) allowed++;
  const ns = Number(process.hrtime.bigint() - started) / CHECKS;
  if (allowed !== 2 * CHECKS) throw new Error(`${ip} is blocked by the benchmark's list`);
  return ns;
}

/**
 * What an IP list costs a request. Every request's first check is the client address against the
 * IP lists (ip-filter.ts), from memory: a longest-prefix match whose cost is meant to depend on
 * the prefix lengths in use, never on the number of entries. Both sides are the product, started
 * the same way, answering the cheapest authenticated read through its whole stack; only the
 * blacklist differs: 10,000 entries (IPv4 and IPv6 addresses and CIDR ranges, none covering the
 * loopback load generator, so every request passes the check) against 10 of the same mix (the
 * first 10 of the long list). The entries are written into each product's SQLite file before it
 * starts, through the product's migrations and IP list store; each product then loads them at
 * start as it would after an admin added them.
 *
 * Aim: a request costs at most 1.2 times as much with the long list: a throughput ratio ≥ 1/1.2.
 */
export const ipFilter: Benchmark = {
  name: 'ip-filter',
  description: `authenticated GET ${ROUTE} with ${fmtInt(LONG)} vs ${fmtInt(SHORT)} IP blacklist entries (cost aim ≤ 1.2×)`,
  product: `product GET ${ROUTE} (Bearer token, SQLite), ${fmtInt(LONG)} blacklist entries: IPv4/IPv6 addresses and CIDR ranges`,
  baseline: `the same product and request, ${fmtInt(SHORT)} blacklist entries of the same mix`,
  aim: 1 / 1.2,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const cleanup = new Cleanup();
    try {
      const long = generateCidrs(LONG);
      const short = long.slice(0, SHORT);
      const sides = { product: long, baseline: short };
      const started: Partial<
        Record<keyof typeof sides, { server: Product; headers: Record<string, string> }>
      > = {};
      const notes: string[] = [];
      const costs: Record<string, number[]> = {};

      for (const [side, cidrs] of Object.entries(sides) as [keyof typeof sides, string[]][]) {
        const dir = path.join(workdir, side);
        const sqliteFile = productSqliteFile(productDataDir(dir));
        const seconds = await seedBlacklist(sqliteFile, cidrs);
        log(
          `  ${side.padEnd(8)} ${fmtInt(cidrs.length)} blacklist entries (${prefixLengths(cidrs)}) ` +
            `seeded in ${seconds.toFixed(1)} s`,
        );
        // Before any server runs: the check alone, in this process, with the product's code.
        const { lists, close } = await loadLists(sqliteFile);
        try {
          costs[side] = PROBES.map((ip) => nsPerCheck(lists, ip));
        } finally {
          await close();
        }

        const server = await startProduct({
          workdir: dir,
          overrides: settings.productEnv,
          ...(side === 'product' && cpuProfileDir ? { cpuProfileDir } : {}),
        });
        cleanup.add(`stop ${side}`, server.stop);
        log(`  ${side.padEnd(8)} pid ${server.pid} at ${server.url} (log: ${server.logFile})`);
        const headers = await signIn(server);
        started[side] = { server, headers };

        // The product holds the entries, and lets the load generator's requests through.
        const listed = JSON.parse(
          await expectOk(
            await fetch(`${server.url}/api/enterprise/security/ip-lists`, { headers }),
            `${side} GET /api/enterprise/security/ip-lists`,
          ),
        ) as { blacklist: unknown[]; whitelist: unknown[] };
        if (listed.blacklist.length !== cidrs.length || listed.whitelist.length !== 0) {
          throw new Error(
            `${side} lists ${listed.blacklist.length} blacklist and ${listed.whitelist.length} whitelist entries, ` +
              `expected ${cidrs.length} and 0`,
          );
        }
        const body = await expectOk(
          await fetch(`${server.url}${ROUTE}`, { headers }),
          `${side} GET ${ROUTE}`,
        );
        log(
          `  ${side.padEnd(8)} lists ${fmtInt(listed.blacklist.length)} entries; ${ROUTE} answers ${body.length} bytes`,
        );
      }

      for (const [i, ip] of PROBES.entries()) {
        const [mine, theirs] = [costs.product![i]!, costs.baseline![i]!];
        notes.push(
          `in-process ipLists.check('${ip}'): ${mine.toFixed(0)} ns with ${fmtInt(LONG)} entries, ` +
            `${theirs.toFixed(0)} ns with ${fmtInt(SHORT)} (×${(mine / theirs).toFixed(2)})`,
        );
      }
      notes.push(
        `prefix lengths in use: ${prefixLengths(long)} (${fmtInt(LONG)} entries); ${prefixLengths(short)} (${fmtInt(SHORT)})`,
      );

      const product = started.product!;
      const baseline = started.baseline!;
      const comparison = await compare(
        {
          product: {
            url: `${product.server.url}${ROUTE}`,
            method: 'GET',
            headers: product.headers,
            pid: product.server.pid,
          },
          // A token of the same length: both sides parse the same number of request bytes.
          baseline: {
            url: `${baseline.server.url}${ROUTE}`,
            method: 'GET',
            headers: baseline.headers,
            pid: baseline.server.pid,
          },
        },
        settings,
        log,
      );
      const cost = comparison.ratio > 0 ? 1 / comparison.ratio : Number.POSITIVE_INFINITY;
      notes.unshift(
        `request cost with ${fmtInt(LONG)} entries ÷ with ${fmtInt(SHORT)}: ${cost.toFixed(2)}× by throughput` +
          (comparison.cpuRatio
            ? `, ${(1 / comparison.cpuRatio).toFixed(2)}× by server CPU per request`
            : '') +
          ' (aim ≤ 1.20×)',
      );
      comparison.notes.push(...notes);
      return comparison;
    } finally {
      await cleanup.run();
    }
  },
};
