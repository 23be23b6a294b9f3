import { createPublicKey, verify as verifySignature } from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
} from '../../../test/helpers/test-app.ts';
import { leafOf } from './checkpoints.ts';
import { type AuditRow, entryHash } from './entry-hash.ts';
import { SYSTEM_CONTEXT } from './events.ts';
import { verifyConsistency, verifyInclusion } from './merkle.ts';

/**
 * Tamper evidence: the database refuses edits, and when someone gets past that (dropping the
 * triggers, as a database owner can), verification names the first damaged entry and the kind of
 * damage. Each kind of damage has its own test. Checkpoints are made by hand here (the automatic
 * schedule is set out of reach) so each test knows exactly what was signed.
 */
describe.each(dialects())('audit integrity on %s', (dialect) => {
  let app: TestApp;
  let token: string;
  let auditor: string;

  beforeEach(async () => {
    app = await createTestApp({ dialect, env: { AUDIT_CHECKPOINT_EVERY_ENTRIES: '1000000' } });
    ({ token, username: auditor } = await app.userWithToken('auditor'));
  });

  /** Moves the clock; the auditor signs in again, as their session has expired meanwhile. */
  async function advanceDays(days: number): Promise<void> {
    app.clock.advance(days * 86_400_000);
    token = await app.login(auditor, STRONG_PASSWORD);
  }
  afterEach(async () => {
    await app.close();
  });

  const db = () => app.database.db;

  async function seed(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await app.audit.trail.record(SYSTEM_CONTEXT, {
        type: 'DATA_UPDATE',
        action: 'test.seed',
        resource: { type: 'test', id: String(i) },
        details: { i },
      });
    }
  }

  const rows = () => db().selectFrom('enterprise_audit_logs').selectAll().orderBy('seq').execute();
  const lastSeq = async () => (await rows()).at(-1)!.seq;

  async function verify(query = '') {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/enterprise/audit/verify-integrity${query}`,
      headers: bearer(token),
    });
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  /** What an attacker with owner rights does first. */
  async function dropProtection(): Promise<void> {
    if (dialect === 'postgres') {
      await sql`alter table enterprise_audit_logs disable trigger user`.execute(db());
      await sql`alter table audit_checkpoints disable trigger user`.execute(db());
    } else {
      for (const name of [
        'audit_logs_no_update',
        'audit_logs_retention_delete',
        'audit_checkpoints_no_delete',
        'audit_checkpoints_no_update',
      ]) {
        await sql`drop trigger ${sql.raw(name)}`.execute(db());
      }
    }
  }

  async function setSeq(from: number, to: number): Promise<void> {
    await db().updateTable('enterprise_audit_logs').set({ seq: to }).where('seq', '=', from).execute();
  }

  async function rewrite(row: AuditRow): Promise<void> {
    const { seq, ...rest } = row;
    await db().updateTable('enterprise_audit_logs').set(rest).where('seq', '=', seq).execute();
  }

  it('keeps a gap-free, linked chain and verifies it', async () => {
    await seed(12);
    const all = await rows();
    expect(all.map((row) => row.seq)).toEqual(all.map((_, index) => index + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]!.previous_hash).toBe(all[i - 1]!.hash);
    for (const row of all) {
      expect(row.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(entryHash(row)).toBe(row.hash);
    }
    await app.audit.checkpointer.checkpointNow();
    const report = await verify();
    expect(report).toMatchObject({
      valid: true,
      checked: all.length,
      first_bad: null,
      checkpoints_checked: 1,
    });
    expect(report.last_seq).toBe(all.at(-1)!.seq);
  });

  it('refuses UPDATE and DELETE on the audit table in the database itself', async () => {
    await seed(2);
    await expect(
      db().updateTable('enterprise_audit_logs').set({ action: 'forged' }).where('seq', '=', 1).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db().deleteFrom('enterprise_audit_logs').where('seq', '=', 1).execute()).rejects.toThrow(
      /only by retention/,
    );
    await app.audit.checkpointer.checkpointNow();
    await expect(db().deleteFrom('audit_checkpoints').execute()).rejects.toThrow(/append-only/);
    await expect(db().updateTable('audit_checkpoints').set({ root_hash: 'x' }).execute()).rejects.toThrow(
      /append-only/,
    );
    if (dialect === 'postgres') {
      await expect(sql`truncate enterprise_audit_logs`.execute(db())).rejects.toThrow(/append-only/);
    }
    expect((await verify()).valid).toBe(true);
  });

  it('detects an edited field', async () => {
    await seed(10);
    await dropProtection();
    await db()
      .updateTable('enterprise_audit_logs')
      .set({ details: '{"i":999}' })
      .where('seq', '=', 5)
      .execute();
    const report = await verify();
    expect(report.valid).toBe(false);
    expect(report.first_bad).toMatchObject({ seq: 5, kind: 'content_altered' });
    expect(report.checked).toBe(4);
  });

  it('detects a deleted entry', async () => {
    await seed(10);
    await dropProtection();
    await db().deleteFrom('enterprise_audit_logs').where('seq', '=', 6).execute();
    const report = await verify();
    expect(report.first_bad).toMatchObject({ seq: 6, kind: 'entry_missing' });
  });

  it('detects an inserted entry', async () => {
    await seed(10);
    await dropProtection();
    const all = await rows();
    // Make room at 5 and insert a forged entry that links correctly to entry 4.
    for (const row of [...all].reverse().filter((r) => r.seq >= 5)) await setSeq(row.seq, row.seq + 1);
    const forged: Omit<AuditRow, 'hash'> = {
      ...all[4]!,
      seq: 5,
      event_id: 'audit_forged',
      details: '{"forged":true}',
      previous_hash: all[3]!.hash,
    };
    await db()
      .insertInto('enterprise_audit_logs')
      .values({ ...forged, hash: entryHash(forged) })
      .execute();
    const report = await verify();
    expect(report.first_bad).toMatchObject({ seq: 5, event_id: 'audit_forged', kind: 'entry_inserted' });
  });

  it('detects two entries swapped', async () => {
    await seed(10);
    await dropProtection();
    await setSeq(4, -4);
    await setSeq(5, 4);
    await setSeq(-4, 5);
    const report = await verify();
    expect(report.first_bad).toMatchObject({ seq: 4, kind: 'entries_reordered' });
  });

  it('detects a truncated tail through the signed checkpoint', async () => {
    await seed(10);
    const size = await lastSeq();
    await app.audit.checkpointer.checkpointNow();
    await dropProtection();
    await db()
      .deleteFrom('enterprise_audit_logs')
      .where('seq', '>', size - 3)
      .execute();
    const report = await verify();
    expect(report.valid).toBe(false);
    expect(report.first_bad).toMatchObject({ seq: size - 2, kind: 'truncated' });
  });

  it('detects a whole chain recomputed after an edit, by the signed checkpoint', async () => {
    await seed(10);
    await app.audit.checkpointer.checkpointNow();
    await seed(3);
    await dropProtection();
    // Edit entry 5, then recompute every hash and link after it: the chain alone looks perfect.
    const all = await rows();
    let previous = all[3]!.hash;
    for (const row of all.slice(4)) {
      const edited = { ...row, previous_hash: previous, ...(row.seq === 5 ? { details: '{"i":-1}' } : {}) };
      const hash = entryHash(edited);
      await rewrite({ ...edited, hash });
      previous = hash;
    }
    const report = await verify();
    expect(report.valid).toBe(false);
    expect(report.first_bad.kind).toBe('checkpoint_mismatch');
    expect(report.first_bad.message).toMatch(/rewritten/);
  });

  it('detects a checkpoint removed from the database through its outside copy', async () => {
    await seed(4);
    await app.audit.checkpointer.checkpointNow();
    const file = fs.readFileSync(app.config.auditCheckpointFile, 'utf8').trim().split('\n');
    expect(file).toHaveLength(1);
    await dropProtection();
    await db().deleteFrom('audit_checkpoints').execute();
    const report = await verify();
    expect(report.first_bad).toMatchObject({ kind: 'checkpoint_missing' });
  });

  it('detects a checkpoint that was not signed with the log key', async () => {
    await seed(4);
    await app.audit.checkpointer.checkpointNow();
    await dropProtection();
    await db()
      .updateTable('audit_checkpoints')
      .set({ root_hash: Buffer.alloc(32, 7).toString('base64') })
      .execute();
    const report = await verify();
    expect(report.first_bad).toMatchObject({ kind: 'checkpoint_signature_invalid' });
  });

  it('verifies from start_date onward, starting at the last checkpoint before it', async () => {
    await seed(6);
    await app.audit.checkpointer.checkpointNow();
    const before = await lastSeq();
    await advanceDays(3);
    const day = app.clock.now().toISOString().slice(0, 10);
    await seed(4);
    const report = await verify(`?start_date=${day}`);
    expect(report).toMatchObject({ valid: true, first_seq: before + 1 });
    // The four new entries and the auditor's sign-in; nothing from before the checkpoint.
    expect(report.checked).toBe((await lastSeq()) - before);
    expect(report.checked).toBe(5);
    const bad = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/audit/verify-integrity?start_date=yesterday',
      headers: bearer(token),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('signs checkpoints that verify with the published key, and proves inclusion and consistency', async () => {
    await seed(5);
    const first = await app.audit.checkpointer.checkpointNow();
    await seed(7);
    const second = await app.audit.checkpointer.checkpointNow();
    expect(first && second && second.tree_size > first.tree_size).toBe(true);

    const key = (
      await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/audit/public-key',
        headers: bearer(token),
      })
    ).json();
    expect(key.algorithm).toBe('Ed25519');
    const list = (
      await app.server.inject({
        method: 'GET',
        url: '/api/enterprise/audit/checkpoints',
        headers: bearer(token),
      })
    ).json();
    expect(list.items.map((c: { tree_size: number }) => c.tree_size)).toEqual([
      second!.tree_size,
      first!.tree_size,
    ]);
    const publicKey = createPublicKey(key.public_key_pem);
    for (const checkpoint of list.items) {
      expect(checkpoint.key_id).toBe(key.key_id);
      expect(checkpoint.note).toContain(`\n${checkpoint.tree_size}\n${checkpoint.root_hash}\n`);
      expect(
        verifySignature(
          null,
          Buffer.from(checkpoint.note),
          publicKey,
          Buffer.from(checkpoint.signature, 'base64'),
        ),
      ).toBe(true);
    }
    // The outside copy holds the same signed checkpoints.
    const copies = fs
      .readFileSync(app.config.auditCheckpointFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(copies.map((c) => c.signature).sort()).toEqual(
      list.items.map((c: { signature: string }) => c.signature).sort(),
    );

    // Inclusion of entry 3 in the second checkpoint.
    const entry = (await rows())[2]!;
    const inclusion = (
      await app.server.inject({
        method: 'GET',
        url: `/api/enterprise/audit/proofs/inclusion?seq=3&tree_size=${second!.tree_size}`,
        headers: bearer(token),
      })
    ).json();
    expect(inclusion.root_hash).toBe(second!.root_hash);
    expect(Buffer.from(inclusion.leaf_hash, 'base64').equals(leafOf(entry.hash))).toBe(true);
    const path = inclusion.audit_path.map((node: string) => Buffer.from(node, 'base64'));
    const root = Buffer.from(second!.root_hash, 'base64');
    expect(verifyInclusion(leafOf(entry.hash), 2, second!.tree_size, path, root)).toBe(true);
    expect(verifyInclusion(leafOf(`${entry.hash}0`), 2, second!.tree_size, path, root)).toBe(false);

    // The entry view carries the same proof, verified.
    const view = (
      await app.server.inject({
        method: 'GET',
        url: `/api/enterprise/audit/logs/${entry.event_id}`,
        headers: bearer(token),
      })
    ).json();
    expect(view.proof).toMatchObject({ leaf_index: 2, verified: true });
    expect(view.proof.checkpoint.tree_size).toBe(second!.tree_size);

    // Consistency: the first checkpoint is a prefix of the second.
    const consistency = (
      await app.server.inject({
        method: 'GET',
        url: `/api/enterprise/audit/proofs/consistency?first=${first!.tree_size}&second=${second!.tree_size}`,
        headers: bearer(token),
      })
    ).json();
    expect(consistency.first_root).toBe(first!.root_hash);
    expect(
      verifyConsistency(
        first!.tree_size,
        second!.tree_size,
        Buffer.from(first!.root_hash, 'base64'),
        root,
        consistency.proof.map((node: string) => Buffer.from(node, 'base64')),
      ),
    ).toBe(true);

    const outOfRange = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/audit/proofs/inclusion?seq=99999',
      headers: bearer(token),
    });
    expect(outOfRange.statusCode).toBe(409);
  });

  it('checkpoints on its own every N entries, and every file line matches the database', async () => {
    await app.close();
    app = await createTestApp({ dialect, env: { AUDIT_CHECKPOINT_EVERY_ENTRIES: '5' } });
    token = (await app.userWithToken('auditor')).token;
    await seed(30);
    let sizes: number[] = [];
    for (let i = 0; i < 100 && sizes.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      sizes = (await db().selectFrom('audit_checkpoints').select('tree_size').execute()).map(
        (r) => r.tree_size,
      );
    }
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect((await verify()).valid).toBe(true);
  });

  it('checkpoints every AUDIT_CHECKPOINT_INTERVAL_MINUTES when fewer than N entries came', async () => {
    await app.close();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      app = await createTestApp({
        dialect,
        env: { AUDIT_CHECKPOINT_EVERY_ENTRIES: '1000', AUDIT_CHECKPOINT_INTERVAL_MINUTES: '5' },
      });
      ({ token, username: auditor } = await app.userWithToken('auditor'));
      await seed(3);
      app.audit.checkpointer.start();
      expect(await db().selectFrom('audit_checkpoints').select('tree_size').execute()).toEqual([]);
      vi.advanceTimersByTime(5 * 60_000);
      let sizes: number[] = [];
      for (let i = 0; i < 100 && sizes.length === 0; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        sizes = (await db().selectFrom('audit_checkpoints').select('tree_size').execute()).map(
          (r) => r.tree_size,
        );
      }
      expect(sizes).toEqual([await lastSeq()]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('applies retention: archives, removes, and the rest still verifies and proves', async () => {
    await seed(8);
    const old = await lastSeq();
    await advanceDays(app.config.auditRetentionDays + 1);
    await seed(5);
    const result = await app.audit.admin.applyRetention();
    expect(result).toEqual({ through_seq: old, archived: old });

    const remaining = await rows();
    expect(remaining[0]!.seq).toBe(old + 1);
    const archived = await db()
      .selectFrom('data_archive')
      .select(['record_id', 'payload'])
      .where('source', '=', 'enterprise_audit_logs')
      .execute();
    expect(archived).toHaveLength(old);
    const payload = JSON.parse(archived[0]!.payload) as AuditRow;
    expect(entryHash(payload)).toBe(payload.hash);

    // The retention run is itself on the record, and the whole remaining log verifies.
    expect(remaining.some((row) => row.action === 'audit.retention')).toBe(true);
    expect(await verify()).toMatchObject({ valid: true, first_seq: old + 1 });

    // Proofs still work for what is left; the removed prefix is outside the provable range.
    await app.audit.checkpointer.checkpointNow();
    const proof = await app.server.inject({
      method: 'GET',
      url: `/api/enterprise/audit/proofs/inclusion?seq=${old + 2}`,
      headers: bearer(token),
    });
    expect(proof.statusCode).toBe(200);
    const body = proof.json();
    expect(
      verifyInclusion(
        Buffer.from(body.leaf_hash, 'base64'),
        body.leaf_index,
        body.tree_size,
        body.audit_path.map((node: string) => Buffer.from(node, 'base64')),
        Buffer.from(body.root_hash, 'base64'),
      ),
    ).toBe(true);
    const gone = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/audit/proofs/inclusion?seq=1',
      headers: bearer(token),
    });
    expect(gone.statusCode).toBe(409);

    // Retention is the only way out: a young entry still cannot be deleted.
    await expect(
      db()
        .deleteFrom('enterprise_audit_logs')
        .where('seq', '=', old + 1)
        .execute(),
    ).rejects.toThrow(/only by retention/);
    // Running it again removes nothing more.
    expect(await app.audit.admin.applyRetention()).toEqual({ through_seq: old, archived: 0 });
  });
});
