import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { IpFilterMode } from '../../../config.ts';
import type { Clock } from '../../../platform/clock.ts';
import { bumpCacheVersion, readCacheVersion } from '../../../platform/db/cache-versions.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError, badRequest, notFound } from '../../../platform/http/errors.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import { failureStreakLog } from '../../../platform/observability/failure-streak.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext } from '../../audit/events.ts';
import * as store from './ip-lists.store.ts';
import { IpMatcher, parseCidr, parseIp } from './ip-match.ts';

export type { ListType } from './ip-lists.store.ts';

export interface IpEntry {
  id: string;
  list_type: store.ListType;
  /** Canonical CIDR: 203.0.113.7/32, 10.0.0.0/8, 2001:db8::/32. */
  ip_address: string;
  reason: string;
  source: 'manual' | 'automatic';
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
}

export type IpDecision =
  | { allowed: true }
  | { allowed: false; reason: 'blacklisted' | 'not_whitelisted'; entry: string | null };

interface Hit {
  cidr: string;
  prefix: number;
}

/**
 * The lists as one instance holds them: two longest-prefix matchers built from the entries that
 * have not expired. A check costs a lookup per prefix length in use, whatever the list size.
 */
class Snapshot {
  readonly whitelist = new IpMatcher<Hit>();
  readonly blacklist = new IpMatcher<Hit>();
  /** When the next entry expires: the snapshot is rebuilt then, so expiry applies at once. */
  readonly nextExpiry: number;

  constructor(
    readonly entries: readonly store.IpListRow[],
    now: number,
  ) {
    let next = Number.POSITIVE_INFINITY;
    for (const entry of entries) {
      const expires = entry.expires_at ? Date.parse(entry.expires_at) : Number.POSITIVE_INFINITY;
      if (expires <= now) continue;
      next = Math.min(next, expires);
      const parsed = parseCidr(entry.cidr);
      if (!parsed) continue;
      (entry.list_type === 'whitelist' ? this.whitelist : this.blacklist).add(parsed, {
        cidr: parsed.text,
        prefix: parsed.prefix,
      });
    }
    this.nextExpiry = next;
  }

  decide(ip: string, mode: IpFilterMode): IpDecision {
    // Parsed once for both lists; `::ffff:a.b.c.d` comes out as a.b.c.d.
    const address = parseIp(ip);
    const allow = this.whitelist.size > 0 && address ? this.whitelist.match(address) : undefined;
    const deny = address && this.blacklist.size > 0 ? this.blacklist.match(address) : undefined;
    // A whitelist entry at least as specific as the blacklist entry is the exception that wins.
    if (deny && (!allow || allow.prefix < deny.prefix)) {
      return { allowed: false, reason: 'blacklisted', entry: deny.cidr };
    }
    // Whitelist mode with an empty whitelist would lock everyone out: it applies once it has entries.
    if (mode === 'whitelist' && this.whitelist.size > 0 && !allow) {
      return { allowed: false, reason: 'not_whitelisted', entry: null };
    }
    return { allowed: true };
  }
}

export interface IpLists {
  /** The request path's check: in memory, no I/O. Always allows when the feature is off. */
  check(ip: string): IpDecision;
  list(): Promise<{ mode: IpFilterMode; enabled: boolean; whitelist: IpEntry[]; blacklist: IpEntry[] }>;
  add(
    input: {
      ip_address: string;
      list_type: store.ListType;
      reason: string;
      expires_hours?: number;
      force?: boolean;
    },
    context: AuditContext,
  ): Promise<IpEntry>;
  remove(
    input: { ip: string; list_type: store.ListType; force?: boolean },
    context: AuditContext,
  ): Promise<void>;
  /** Brute-force protection blacklisting an address on its own, with an expiry. */
  blockAutomatically(ip: string, hours: number, reason: string, context: AuditContext): Promise<void>;
  /** Reloads when another instance changed the lists (version moved). */
  refresh(): Promise<void>;
  start(): Promise<void>;
  stop(): void;
}

function toEntry(row: store.IpListRow): IpEntry {
  return {
    id: row.id,
    list_type: row.list_type,
    ip_address: row.cidr,
    reason: row.reason,
    source: row.source,
    created_by: row.created_by,
    created_at: row.created_at,
    expires_at: row.expires_at,
  };
}

export function createIpLists(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  trail: AuditTrail;
  mode: IpFilterMode;
  /** Asked on every check: ENTERPRISE_SECURITY_ENABLED and the enterprise_security flag. */
  enabled: () => boolean;
  refreshSeconds?: number;
}): IpLists {
  const { db, clock, ids, logger, trail, mode, enabled } = deps;
  let snapshot = new Snapshot([], clock.now().getTime());
  let version = -1;
  let timer: NodeJS.Timeout | null = null;

  async function reload(): Promise<void> {
    const current = await readCacheVersion(db, store.CACHE_NAME);
    const entries = await store.allEntries(db);
    snapshot = new Snapshot(entries, clock.now().getTime());
    version = current;
  }

  function fresh(): Snapshot {
    const now = clock.now().getTime();
    if (now >= snapshot.nextExpiry) snapshot = new Snapshot(snapshot.entries, now);
    return snapshot;
  }

  function canonical(ip: string, field: string): string {
    const parsed = parseCidr(ip);
    if (!parsed) {
      throw badRequest(`${field} is not an IP address or CIDR range`, [
        { field, message: 'must be an IPv4/IPv6 address or CIDR, e.g. 203.0.113.7 or 10.0.0.0/8' },
      ]);
    }
    return parsed.text;
  }

  /** Refuses a change that would block the caller's own address, unless they say `force`. */
  function guardSelf(next: readonly store.IpListRow[], context: AuditContext, force: boolean | undefined) {
    const caller = context.actor.ip_address;
    if (force || !caller || !enabled()) return;
    const now = clock.now().getTime();
    if (fresh().decide(caller, mode).allowed && !new Snapshot(next, now).decide(caller, mode).allowed) {
      throw new AppError(
        409,
        'SELF_BLOCK',
        `This change would block your own address ${caller}; send "force": true to do it anyway`,
      );
    }
  }

  async function write(
    context: AuditContext,
    change: (trx: Kysely<Database>) => Promise<void>,
    event: { action: string; details: Record<string, string | number | boolean | null> },
  ): Promise<void> {
    await trail.transaction(context, async (trx, record) => {
      await change(trx);
      await bumpCacheVersion(trx, store.CACHE_NAME, clock.now().toISOString());
      record({
        type: 'CONFIG_CHANGE',
        action: event.action,
        resource: { type: 'ip_list', id: String(event.details.ip) },
        details: event.details,
        severity: 'medium',
      });
    });
    await reload();
  }

  return {
    check(ip) {
      if (!enabled()) return { allowed: true };
      return fresh().decide(ip, mode);
    },

    async list() {
      const now = clock.now().toISOString();
      const rows = (await store.allEntries(db)).filter((row) => !row.expires_at || row.expires_at > now);
      return {
        mode,
        enabled: enabled(),
        whitelist: rows.filter((row) => row.list_type === 'whitelist').map(toEntry),
        blacklist: rows.filter((row) => row.list_type === 'blacklist').map(toEntry),
      };
    },

    async add(input, context) {
      const cidr = canonical(input.ip_address, 'ip_address');
      const now = clock.now();
      const row: store.IpListRow = {
        id: ids.uuid(),
        list_type: input.list_type,
        cidr,
        reason: input.reason.trim(),
        source: 'manual',
        created_by: context.actor.user_id,
        created_at: now.toISOString(),
        expires_at: input.expires_hours
          ? new Date(now.getTime() + input.expires_hours * 3_600_000).toISOString()
          : null,
      };
      const others = snapshot.entries.filter((e) => !(e.list_type === row.list_type && e.cidr === cidr));
      guardSelf([...others, row], context, input.force);
      await write(context, (trx) => store.upsertEntry(trx, row), {
        action: 'ip_list.add',
        details: {
          ip: cidr,
          list_type: row.list_type,
          reason: row.reason,
          expires_at: row.expires_at,
          forced: input.force === true,
        },
      });
      const stored = await store.findEntry(db, row.list_type, cidr);
      return toEntry(stored ?? row);
    },

    async remove(input, context) {
      const cidr = canonical(input.ip, 'ip');
      const existing = await store.findEntry(db, input.list_type, cidr);
      if (!existing) throw notFound('IP list entry');
      guardSelf(
        snapshot.entries.filter((e) => !(e.list_type === input.list_type && e.cidr === cidr)),
        context,
        input.force,
      );
      await write(context, (trx) => store.deleteEntry(trx, input.list_type, cidr).then(() => undefined), {
        action: 'ip_list.remove',
        details: { ip: cidr, list_type: input.list_type, forced: input.force === true },
      });
    },

    async blockAutomatically(ip, hours, reason, context) {
      const cidr = canonical(ip, 'ip');
      const now = clock.now();
      await write(
        context,
        (trx) =>
          store.upsertEntry(trx, {
            id: ids.uuid(),
            list_type: 'blacklist',
            cidr,
            reason,
            source: 'automatic',
            created_by: null,
            created_at: now.toISOString(),
            expires_at: new Date(now.getTime() + hours * 3_600_000).toISOString(),
          }),
        { action: 'ip_list.auto_block', details: { ip: cidr, list_type: 'blacklist', reason, hours } },
      );
    },

    async refresh() {
      if ((await readCacheVersion(db, store.CACHE_NAME)) !== version) await reload();
    },

    async start() {
      await reload();
      if (timer) return;
      const streak = failureStreakLog(logger, 'IP lists refresh');
      timer = setInterval(
        () => {
          this.refresh().then(streak.succeeded, streak.failed);
        },
        (deps.refreshSeconds ?? 2) * 1000,
      );
      timer.unref();
    },

    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
