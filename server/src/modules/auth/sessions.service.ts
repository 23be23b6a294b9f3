import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { Principal } from '../../platform/http/access.ts';
import { sha256Hex } from '../../platform/http/access.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import { toUser } from '../users/users.service.ts';
import * as store from './auth.store.ts';

export interface SessionPolicy {
  idleTimeoutMinutes: number;
  absoluteTimeoutHours: number;
  /** MAX_CONCURRENT_SESSIONS: a new session beyond it ends the user's oldest. */
  maxConcurrent: number;
}

export interface NewSession {
  /** Shown once to the client; only its SHA-256 is stored. */
  token: string;
  csrfToken: string;
  sessionId: string;
  expiresAt: string;
  /** The user's oldest sessions this one ended (MAX_CONCURRENT_SESSIONS). */
  ended: string[];
}

export interface SessionView {
  id: string;
  auth_method: string;
  ip_address: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface SessionsService {
  /** `trx`: the caller's transaction, so the session and its audit entry commit together. */
  create(
    userId: string,
    method: 'password' | 'pin',
    client: { ip: string | null; userAgent: string | null },
    trx?: Kysely<Database>,
  ): Promise<NewSession>;
  authenticate(token: string): Promise<Omit<Principal, 'via'> | null>;
  revoke(sessionId: string, reason: string, trx?: Kysely<Database>): Promise<boolean>;
  revokeAllForUser(
    userId: string,
    reason: string,
    exceptSessionId?: string,
    trx?: Kysely<Database>,
  ): Promise<number>;
  countActiveUsers(): Promise<number>;
  /** A user's live sessions, newest first; never a token. */
  listForUser(userId: string): Promise<SessionView[]>;
}

/** Sliding expiry is written at most once per this interval, so most requests only read. */
const TOUCH_INTERVAL_MS = 60_000;

export function createSessionsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  policy: SessionPolicy;
}): SessionsService {
  const { db, clock, ids, policy } = deps;
  const idleMs = policy.idleTimeoutMinutes * 60_000;
  const absoluteMs = policy.absoluteTimeoutHours * 3_600_000;

  return {
    async create(userId, method, client, trx = db) {
      const now = clock.now();
      // 256 bits from the CSPRNG; the token is the only credential, so nothing else is derivable.
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + absoluteMs).toISOString();
      const sessionId = ids.uuid();
      await store.insertSession(trx, {
        id: sessionId,
        user_id: userId,
        token_hash: sha256Hex(token),
        csrf_hash: sha256Hex(csrfToken),
        auth_method: method,
        ip_address: client.ip,
        user_agent: client.userAgent?.slice(0, 256) ?? null,
        created_at: now.toISOString(),
        last_seen_at: now.toISOString(),
        idle_expires_at: new Date(Math.min(now.getTime() + idleMs, now.getTime() + absoluteMs)).toISOString(),
        expires_at: expiresAt,
        revoked_at: null,
        revoked_reason: null,
      });
      const ended = await store.revokeBeyond(
        trx,
        userId,
        policy.maxConcurrent,
        now.toISOString(),
        'session_limit',
      );
      return { token, csrfToken, sessionId, expiresAt, ended };
    },

    async authenticate(token) {
      const now = clock.now();
      const nowIso = now.toISOString();
      const live = await store.findLiveSession(db, sha256Hex(token), nowIso);
      if (!live) return null;
      if (now.getTime() - Date.parse(live.last_seen_at) >= TOUCH_INTERVAL_MS) {
        const idleExpires = new Date(
          Math.min(now.getTime() + idleMs, Date.parse(live.expires_at)),
        ).toISOString();
        await store.touchSession(db, live.session_id, nowIso, idleExpires);
      }
      return {
        user: toUser(live),
        session: { id: live.session_id, csrf_hash: live.csrf_hash, expires_at: live.expires_at },
      };
    },

    revoke: (sessionId, reason, trx = db) =>
      store.revokeSession(trx, sessionId, clock.now().toISOString(), reason),

    revokeAllForUser: (userId, reason, exceptSessionId, trx = db) =>
      store.revokeUserSessions(trx, userId, clock.now().toISOString(), reason, exceptSessionId),

    countActiveUsers: () => store.countActiveUsers(db, clock.now().toISOString()),

    listForUser: (userId) => store.listLiveSessions(db, userId, clock.now().toISOString()),
  };
}
