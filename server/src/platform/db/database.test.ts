import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase, type TestDatabase } from '../../../test/helpers/test-app.ts';
import { migrateToLatest, pendingMigrations } from './migrator.ts';

describe.each(dialects())('database on %s', (dialect) => {
  let store: TestDatabase;
  beforeEach(async () => {
    store = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await store.drop();
  });

  it('has every migration applied, and migrating again changes nothing', async () => {
    expect(await pendingMigrations(store.handle.db, dialect)).toEqual([]);
    expect(await migrateToLatest(store.handle.db, dialect)).toEqual([]);
  });

  it('enforces foreign keys', async () => {
    const now = new Date().toISOString();
    await expect(
      store.handle.db
        .insertInto('security_sessions')
        .values({
          id: 's1',
          user_id: 'no-such-user',
          token_hash: 'h',
          csrf_hash: 'c',
          auth_method: 'password',
          ip_address: null,
          user_agent: null,
          created_at: now,
          last_seen_at: now,
          idle_expires_at: now,
          expires_at: now,
          revoked_at: null,
          revoked_reason: null,
        })
        .execute(),
    ).rejects.toThrow(/foreign key/i);
  });
});

describe('SQLite settings', () => {
  it('runs in WAL mode with full sync', async () => {
    const store = await freshDatabase('sqlite');
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.handle.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.handle.db);
      expect(sync.rows[0]?.synchronous).toBe(2);
    } finally {
      await store.drop();
    }
  });
});
