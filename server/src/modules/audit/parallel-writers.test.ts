import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestSchema, dialects, TEST_PG_URL } from '../../../test/helpers/test-app.ts';
import { openDb } from '../../platform/db/database.ts';
import { migrateToLatest } from '../../platform/db/migrator.ts';
import { entryHash, isGenesisHash } from './entry-hash.ts';

const WRITER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/audit-writer.ts',
);

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`)),
    );
  });
}

/** Only PostgreSQL is shared by several processes (SQLite is embedded in one). */
describe.skipIf(!dialects().includes('postgres'))('audit appends from several processes on postgres', () => {
  it('never forks the chain: one gap-free sequence, every link intact', async () => {
    const schema = await createTestSchema();
    const database = openDb({ databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 2 });
    try {
      await migrateToLatest(database.db, database.dialect);
      const writers = 4;
      const each = 60;
      await Promise.all(
        Array.from({ length: writers }, (_, i) => run([TEST_PG_URL, schema, `w${i}`, String(each)])),
      );

      const rows = await database.db.selectFrom('enterprise_audit_logs').selectAll().orderBy('seq').execute();
      expect(rows).toHaveLength(writers * each);
      expect(rows.map((row) => row.seq)).toEqual(rows.map((_, index) => index + 1));
      expect(isGenesisHash(rows[0]!.previous_hash)).toBe(true);
      for (let i = 0; i < rows.length; i++) {
        expect(entryHash(rows[i]!)).toBe(rows[i]!.hash);
        if (i > 0) expect(rows[i]!.previous_hash).toBe(rows[i - 1]!.hash);
      }
      // Every writer's entries are there, interleaved.
      const perWriter = new Map<string, number>();
      for (const row of rows) perWriter.set(row.resource_id!, (perWriter.get(row.resource_id!) ?? 0) + 1);
      expect([...perWriter.values()]).toEqual(Array(writers).fill(each));
    } finally {
      await database.close();
    }
  }, 60_000);
});
