import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import { bumpCacheVersion, readCacheVersion } from '../../platform/db/cache-versions.ts';
import type { Dialect } from '../../platform/db/database.ts';
import type { Database } from '../../platform/db/schema.ts';
import { AppError, badRequest } from '../../platform/http/errors.ts';
import { failureStreakLog } from '../../platform/observability/failure-streak.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { AuditContext, JsonObject } from '../audit/events.ts';
import { BUILT_IN_KEYS, DEFAULT_FLAGS, type DefaultFlag } from './default-flags.ts';
import { type Evaluation, evaluateFlag, type FlagRules, type FlagState, type Subject } from './evaluate.ts';
import * as store from './flags.store.ts';

/** A flag as the API shows it. */
export interface Flag extends store.FlagRow {
  /** One of the guide's default flags: the product gates on it, so it cannot be deleted. */
  built_in: boolean;
}

/** The signed-in user, as far as evaluation cares (a PrincipalUser is one). */
export interface FlagUser {
  id: string;
  role: string;
}

export interface NewFlag {
  key: string;
  name?: string;
  description?: string;
  state?: FlagState;
  percentage?: number | null;
  allowed_users?: string[];
  allowed_roles?: string[];
}

export type FlagChanges = Partial<Omit<NewFlag, 'key'>>;

export interface FeatureFlags {
  /** FEATURE_FLAGS_ENABLED: when false every flag evaluates to its built-in default. */
  readonly evaluationEnabled: boolean;
  readonly cacheTtlSeconds: number;
  /** The cached flags' version (moves with every change, on any instance). */
  readonly version: number;
  /** From memory, no I/O: for gates in request handlers. An unknown flag is off. */
  isEnabled(key: string, user: FlagUser | null): boolean;
  /** From memory. Null when no such flag exists. */
  evaluate(key: string, subject: Subject): Evaluation | null;
  /** Every known flag evaluated for the subject, by key order. */
  evaluateAll(subject: Subject): { key: string; evaluation: Evaluation }[];
  /** The keys that are on for this user. */
  enabledFor(user: FlagUser): string[];
  /** Rechecks the version when FEATURE_FLAGS_CACHE_TTL has passed since the last check. */
  ensureFresh(): Promise<void>;
  list(): Promise<Flag[]>;
  get(key: string): Promise<Flag>;
  create(input: NewFlag, context: AuditContext): Promise<Flag>;
  update(key: string, changes: FlagChanges, context: AuditContext): Promise<Flag>;
  setState(key: string, state: FlagState, context: AuditContext): Promise<Flag>;
  remove(key: string, context: AuditContext): Promise<void>;
  /** Reloads when another instance changed the flags (version moved). */
  refresh(): Promise<void>;
  start(): Promise<void>;
  stop(): void;
}

export const FLAG_KEY_PATTERN = '^[a-z][a-z0-9_.-]{1,63}$';
/** Paths under /api/enterprise/features that a key would shadow. */
const RESERVED_KEYS = new Set(['enabled']);

export const flagNotFound = (key: string) => new AppError(404, 'FLAG_NOT_FOUND', `No feature flag "${key}"`);

const DEFAULTS_BY_KEY = new Map<string, DefaultFlag>(DEFAULT_FLAGS.map((flag) => [flag.key, flag]));

function toFlag(row: store.FlagRow): Flag {
  return { ...row, built_in: BUILT_IN_KEYS.has(row.key) };
}

/** What the audit trail keeps of a flag, before and after a change. */
function audited(row: store.FlagRow | null): JsonObject | null {
  if (!row) return null;
  return {
    name: row.name,
    description: row.description,
    state: row.state,
    percentage: row.percentage,
    allowed_users: [...row.allowed_users],
    allowed_roles: [...row.allowed_roles],
  };
}

const unique = (values: readonly string[]) => [...new Set(values.map((value) => value.trim()))];

export function createFeatureFlags(deps: {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  logger: Logger;
  trail: AuditTrail;
  evaluationEnabled: boolean;
  cacheTtlSeconds: number;
}): FeatureFlags {
  const { db, dialect, clock, logger, trail, evaluationEnabled, cacheTtlSeconds } = deps;
  const ttlMs = cacheTtlSeconds * 1000;
  let flags = new Map<string, store.FlagRow>();
  let version = -1;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  async function reload(): Promise<void> {
    const current = await readCacheVersion(db, store.CACHE_NAME);
    const rows = await store.allFlags(db);
    flags = new Map(rows.map((row) => [row.key, row]));
    version = current;
    checkedAt = clock.now().getTime();
  }

  async function refresh(): Promise<void> {
    // One check at a time: a burst of requests after the TTL shares it.
    pending ??= (async () => {
      try {
        if ((await readCacheVersion(db, store.CACHE_NAME)) !== version) await reload();
        else checkedAt = clock.now().getTime();
      } finally {
        pending = null;
      }
    })();
    return pending;
  }

  /** The rules evaluation uses for a key: the stored flag, or with evaluation off its default. */
  function rulesOf(key: string): FlagRules | null {
    if (!evaluationEnabled) {
      const fallback = DEFAULTS_BY_KEY.get(key);
      if (fallback) return fallback;
      // A flag of our own with no default: off, whatever is stored.
      return flags.has(key)
        ? { key, state: 'disabled', percentage: null, allowed_users: [], allowed_roles: [] }
        : null;
    }
    // A built-in flag is never missing from the table (it cannot be deleted); if it were, the
    // gates it drives still need an answer: its default.
    return flags.get(key) ?? DEFAULTS_BY_KEY.get(key) ?? null;
  }

  function evaluate(key: string, subject: Subject): Evaluation | null {
    const rules = rulesOf(key);
    if (!rules) return null;
    const evaluation = evaluateFlag(rules, subject);
    // With evaluation switched off, a disabled answer is the default, not an admin's decision.
    return !evaluationEnabled && evaluation.reason === 'DISABLED'
      ? { value: false, reason: 'DEFAULT' }
      : evaluation;
  }

  function knownKeys(): string[] {
    return [...new Set([...flags.keys(), ...BUILT_IN_KEYS])].sort();
  }

  async function write(
    context: AuditContext,
    action: string,
    key: string,
    change: (trx: Kysely<Database>) => Promise<{ before: store.FlagRow | null; after: store.FlagRow | null }>,
  ): Promise<store.FlagRow | null> {
    const after = await trail.transaction(context, async (trx, record) => {
      const result = await change(trx);
      if (result.before === null && result.after === null) return null;
      await bumpCacheVersion(trx, store.CACHE_NAME, clock.now().toISOString());
      record({
        type: 'CONFIG_CHANGE',
        action,
        resource: { type: 'feature_flag', id: key },
        details: { key, old: audited(result.before), new: audited(result.after) },
        severity: 'medium',
      });
      return result.after;
    });
    await reload();
    return after;
  }

  async function changeFlag(
    key: string,
    action: string,
    context: AuditContext,
    apply: (current: store.FlagRow) => store.FlagRow,
  ): Promise<Flag> {
    let unchanged: store.FlagRow | null = null;
    const after = await write(context, action, key, async (trx) => {
      const before = await store.lockFlag(trx, key, dialect);
      if (!before) throw flagNotFound(key);
      const next = apply(before);
      if (JSON.stringify(audited(next)) === JSON.stringify(audited(before))) {
        // Nothing changes: nothing is written, nothing recorded.
        unchanged = before;
        return { before: null, after: null };
      }
      const row = {
        ...next,
        updated_at: clock.now().toISOString(),
        updated_by: context.actor.user_id,
      };
      await store.updateFlag(trx, row);
      return { before, after: row };
    });
    return toFlag((after ?? unchanged)!);
  }

  return {
    evaluationEnabled,
    cacheTtlSeconds,
    get version() {
      return version;
    },

    isEnabled(key, user) {
      return evaluate(key, { userId: user?.id ?? null, role: user?.role ?? null })?.value === true;
    },

    evaluate,

    evaluateAll(subject) {
      const out: { key: string; evaluation: Evaluation }[] = [];
      for (const key of knownKeys()) {
        const evaluation = evaluate(key, subject);
        if (evaluation) out.push({ key, evaluation });
      }
      return out;
    },

    enabledFor(user) {
      const subject = { userId: user.id, role: user.role };
      return knownKeys().filter((key) => evaluate(key, subject)?.value === true);
    },

    async ensureFresh() {
      if (clock.now().getTime() - checkedAt >= ttlMs) await refresh();
    },

    async list() {
      return (await store.allFlags(db)).map(toFlag);
    },

    async get(key) {
      const row = await store.findFlag(db, key);
      if (!row) throw flagNotFound(key);
      return toFlag(row);
    },

    async create(input, context) {
      if (RESERVED_KEYS.has(input.key)) {
        throw badRequest(`"${input.key}" is reserved`, [{ field: 'key', message: 'is a reserved word' }]);
      }
      const now = clock.now().toISOString();
      const row: store.FlagRow = {
        key: input.key,
        name: input.name?.trim() || input.key,
        description: input.description?.trim() ?? '',
        state: input.state ?? 'disabled',
        percentage: input.percentage ?? null,
        allowed_users: unique(input.allowed_users ?? []),
        allowed_roles: unique(input.allowed_roles ?? []),
        created_at: now,
        updated_at: now,
        created_by: context.actor.user_id,
        updated_by: context.actor.user_id,
      };
      await write(context, 'feature_flag.create', row.key, async (trx) => {
        if (!(await store.insertFlag(trx, row))) {
          throw new AppError(409, 'FLAG_EXISTS', `A feature flag "${row.key}" already exists`);
        }
        return { before: null, after: row };
      });
      return toFlag(row);
    },

    update(key, changes, context) {
      return changeFlag(key, 'feature_flag.update', context, (current) => ({
        ...current,
        ...(changes.name !== undefined ? { name: changes.name.trim() || current.name } : {}),
        ...(changes.description !== undefined ? { description: changes.description.trim() } : {}),
        ...(changes.state !== undefined ? { state: changes.state } : {}),
        ...(changes.percentage !== undefined ? { percentage: changes.percentage } : {}),
        ...(changes.allowed_users !== undefined ? { allowed_users: unique(changes.allowed_users) } : {}),
        ...(changes.allowed_roles !== undefined ? { allowed_roles: unique(changes.allowed_roles) } : {}),
      }));
    },

    setState(key, state, context) {
      const action = state === 'enabled' ? 'feature_flag.enable' : 'feature_flag.disable';
      return changeFlag(key, action, context, (current) => ({ ...current, state }));
    },

    async remove(key, context) {
      if (BUILT_IN_KEYS.has(key)) {
        throw new AppError(
          409,
          'FLAG_BUILT_IN',
          `"${key}" is one of the default flags the product gates on: disable it instead of deleting it`,
        );
      }
      await write(context, 'feature_flag.delete', key, async (trx) => {
        const before = await store.lockFlag(trx, key, dialect);
        if (!before || !(await store.deleteFlag(trx, key))) throw flagNotFound(key);
        return { before, after: null };
      });
    },

    refresh,

    async start() {
      await reload();
      if (timer) return;
      // Sync callers (isEnabled) never wait for I/O: a timer keeps the cache within the TTL.
      const streak = failureStreakLog(logger, 'feature flags refresh');
      timer = setInterval(() => {
        refresh().then(streak.succeeded, streak.failed);
      }, Math.max(1, cacheTtlSeconds) * 1000);
      timer.unref();
    },

    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
