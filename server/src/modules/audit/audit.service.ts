import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { DbHandle } from '../../platform/db/database.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import * as store from './audit.store.ts';
import { canonicalJson } from './canonical-json.ts';
import { type AuditRow, entryHash, genesisHash, type HashAlgorithm } from './entry-hash.ts';
import {
  type AuditActor,
  type AuditContext,
  type AuditEvent,
  categoryOf,
  defaultSeverity,
  type JsonObject,
  type JsonValue,
} from './events.ts';
import { sealPersonal, subjectKeys } from './personal-data.ts';

/**
 * The one API every module records through. A change and its entry share a transaction:
 *
 *   await audit.transaction(auditContextOf(request), async (trx, record) => {
 *     await store.updateItem(trx, ...);
 *     record({ type: 'DATA_UPDATE', action: 'item.update', resource: { type: 'item', id }, details });
 *   });
 *
 * Entries are appended after the work, just before commit, so the append lock is held briefly.
 * If the work throws, nothing is written, the entry included.
 */
export interface AuditTrail {
  readonly enabled: boolean;
  transaction<T>(
    context: AuditContext,
    work: (trx: Kysely<Database>, record: (event: AuditEvent) => void) => Promise<T>,
  ): Promise<T>;
  /**
   * One transaction carrying the changes of several requests (group commit), each event recorded
   * with its own request's context: the entries are exactly those the requests would have written
   * one by one, at the cost of one commit.
   */
  sharedTransaction<T>(
    work: (trx: Kysely<Database>, record: (context: AuditContext, event: AuditEvent) => void) => Promise<T>,
  ): Promise<T>;
  /** Appends inside a transaction the caller owns (long jobs such as imports). Call it last. */
  append(trx: Kysely<Database>, context: AuditContext, events: readonly AuditEvent[]): Promise<void>;
  /** An event with no change of its own (failed sign-in, denied request), in its own transaction. */
  record(context: AuditContext, event: AuditEvent): Promise<void>;
  /** GDPR erasure: the person's key is destroyed; their entries stay, verifiable and unreadable. */
  eraseSubject(subject: string): Promise<void>;
  /** Called with the last new seq after entries were committed (the checkpointer listens). */
  onAppended(listener: (lastSeq: number) => void): void;
}

/** A username that matched no user still gets a stable data subject, without the name in clear. */
export function anonymousSubject(username: string): string {
  return `anon:${createHash('sha256').update(username.trim().toLowerCase()).digest('hex').slice(0, 32)}`;
}

const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'secret',
  'token',
  'pin',
  'authorization',
  'credential',
  'csrf',
]);
/** Keys that name a fact about a secret, not the secret. */
const ALLOWED_KEYS = new Set(['has_pin', 'pin_changed', 'password_changed', 'by_admin']);

/** `metricsToken`, `new_password`, `api_key` are secrets by name; `cookieSecure` is not. */
function namesSecret(key: string): boolean {
  if (ALLOWED_KEYS.has(key)) return false;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  const joined = words.join('_');
  return /(^|_)(api|private)_key($|_)/.test(joined) || words[words.length - 1] === 'cookie';
}

/** Refuses (as a programming error) any details key that names a secret, at any depth. */
function assertNoSecrets(value: JsonValue | undefined, path: string): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      assertNoSecrets(item, `${path}[${index}]`);
    });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (namesSecret(key)) {
      throw new Error(`audit: "${path}.${key}" looks like a secret; secrets never enter the audit trail`);
    }
    assertNoSecrets(item, `${path}.${key}`);
  }
}

function actorPersonal(actor: AuditActor): JsonObject | null {
  const data: JsonObject = {};
  if (actor.username) data.username = actor.username;
  if (actor.ip_address) data.ip_address = actor.ip_address;
  return Object.keys(data).length > 0 ? data : null;
}

interface ContextualEvent {
  context: AuditContext;
  event: AuditEvent;
}

export function createAuditTrail(deps: {
  database: DbHandle;
  clock: Clock;
  ids: IdGenerator;
  enabled: boolean;
  algorithm: HashAlgorithm;
}): AuditTrail {
  const { database, clock, ids, enabled, algorithm } = deps;
  const listeners: ((lastSeq: number) => void)[] = [];

  const queries = store.appendQueries(database.db);
  /**
   * Subject keys known to be committed. Filled only after a commit, so a key created by a
   * transaction that rolled back is never used again. An erasure elsewhere leaves a copy here
   * until restart: what it seals then is unreadable anyway, as the stored key is gone.
   */
  const keyCache = new Map<string, Buffer>();

  async function keyFor(trx: Kysely<Database>, subject: string, now: string): Promise<Buffer | null> {
    const cached = keyCache.get(subject);
    if (cached) return cached;
    const stored = await queries.subjectKey(trx, subject);
    return stored === undefined ? subjectKeys.keyFor(trx, subject, now) : stored;
  }

  type Prepared = Omit<AuditRow, 'seq' | 'previous_hash' | 'hash'>;

  /** Everything but the place in the chain: done before the append lock is taken. */
  async function prepare(
    trx: Kysely<Database>,
    context: AuditContext,
    events: readonly AuditEvent[],
    usedKeys: Map<string, Buffer>,
  ): Promise<Prepared[]> {
    const timestamp = clock.now().toISOString();
    const prepared: Prepared[] = [];
    for (const event of events) {
      assertNoSecrets(event.details, 'details');
      const actor: AuditActor = { ...context.actor, ...event.actor };
      const subject = actor.user_id ?? (actor.username ? anonymousSubject(actor.username) : null);
      const eventId = `audit_${ids.uuid()}`;

      const plain = new Map<string, JsonObject>();
      for (const [who, data] of Object.entries(event.personal ?? {})) plain.set(who, { ...data });
      const fromActor = actorPersonal(actor);
      if (subject && fromActor) plain.set(subject, { ...plain.get(subject), actor: fromActor });
      const sealed: Record<string, string> = {};
      for (const [who, data] of plain) {
        const key = await keyFor(trx, who, timestamp);
        // An erased subject gets nothing new written about them.
        if (!key) continue;
        usedKeys.set(who, key);
        sealed[who] = sealPersonal(key, eventId, who, data);
      }

      const outcome = event.outcome ?? 'success';
      prepared.push({
        event_id: eventId,
        timestamp,
        category: categoryOf(event.type),
        event_type: event.type,
        severity: event.severity ?? defaultSeverity(event.type, outcome),
        outcome,
        action: event.action,
        actor_user_id: actor.user_id,
        actor_role: actor.role,
        actor_subject: subject,
        resource_type: event.resource?.type ?? null,
        resource_id: event.resource?.id ?? null,
        details: canonicalJson(event.details ?? {}),
        personal: Object.keys(sealed).length > 0 ? canonicalJson(sealed) : null,
        request_id: context.request_id,
        trace_id: context.trace_id,
        hash_algorithm: algorithm,
      });
    }
    return prepared;
  }

  /** The seq of the last entry written, or null when nothing was. Events keep their order. */
  async function appendRows(
    trx: Kysely<Database>,
    events: readonly ContextualEvent[],
    usedKeys = new Map<string, Buffer>(),
  ): Promise<number | null> {
    if (!enabled || events.length === 0) return null;
    const prepared: Prepared[] = [];
    for (const { context, event } of events)
      prepared.push(...(await prepare(trx, context, [event], usedKeys)));
    // From here to commit, appends are serialized: keep it short.
    await store.lockAppends(trx, database.dialect);
    const tail = await queries.readTail(trx);
    let seq = tail?.seq ?? 0;
    let previous = tail?.hash ?? genesisHash(algorithm);
    const rows: AuditRow[] = [];
    for (const entry of prepared) {
      seq += 1;
      const row = { ...entry, seq, previous_hash: previous };
      const hash = entryHash(row);
      rows.push({ ...row, hash });
      previous = hash;
    }
    await queries.insert(trx, rows);
    return seq;
  }

  /** Runs `work` in a transaction that ends with the appends; caches keys once committed. */
  async function inTransaction<T>(
    work: (trx: Kysely<Database>) => Promise<{ value: T; events: readonly ContextualEvent[] }>,
  ): Promise<T> {
    const usedKeys = new Map<string, Buffer>();
    let lastSeq: number | null = null;
    const value = await database.db.transaction().execute(async (trx) => {
      const done = await work(trx);
      lastSeq = await appendRows(trx, done.events, usedKeys);
      return done.value;
    });
    for (const [subject, key] of usedKeys) keyCache.set(subject, key);
    appended(lastSeq);
    return value;
  }

  function appended(lastSeq: number | null) {
    if (lastSeq === null) return;
    for (const listener of listeners) listener(lastSeq);
  }

  return {
    enabled,
    async append(trx, context, events) {
      const lastSeq = await appendRows(
        trx,
        events.map((event) => ({ context, event })),
      );
      // The caller commits later; listeners read committed state, so a moment later is fine.
      if (lastSeq !== null) setImmediate(() => appended(lastSeq));
    },
    transaction(context, work) {
      return inTransaction(async (trx) => {
        const events: ContextualEvent[] = [];
        const value = await work(trx, (event) => {
          events.push({ context, event });
        });
        return { value, events };
      });
    },
    sharedTransaction(work) {
      return inTransaction(async (trx) => {
        const events: ContextualEvent[] = [];
        const value = await work(trx, (context, event) => {
          events.push({ context, event });
        });
        return { value, events };
      });
    },
    async record(context, event) {
      if (!enabled) return;
      await inTransaction(async () => ({ value: undefined, events: [{ context, event }] }));
    },
    async eraseSubject(subject) {
      await subjectKeys.erase(database.db, subject, clock.now().toISOString());
      keyCache.delete(subject);
    },
    onAppended(listener) {
      listeners.push(listener);
    },
  };
}
