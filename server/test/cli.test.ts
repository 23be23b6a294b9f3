import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createArgon2Hasher } from '../src/modules/auth/credentials.ts';
import { type DbHandle, openDb } from '../src/platform/db/database.ts';
import {
  CLI,
  emptyStore,
  killAllServers,
  type ServerProcess,
  type Store,
  startServer,
  waitForReady,
} from './helpers/server-process.ts';
import { dialects } from './helpers/test-app.ts';

// Real processes on a shared two-core machine: starts and CLI runs take seconds each.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run cli -- …` as the operator would (same entry, through tsx), with stdin piped in. */
function cli(env: Record<string, string>, args: string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const ADMIN_PASSWORD = 'Quartz-lantern-harbour-41';
const NEW_PASSWORD = 'Velvet-compass-orchard-73';

/**
 * startServer, waiting up to two minutes for readiness: on a loaded two-core machine a cold start
 * (tsx compiling, migrations, argon2) can take longer than the shared helper's 30 s.
 */
async function startReady(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer(env, { ready: false });
  try {
    await waitForReady(server.port, server.child, 120_000);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${server.output().slice(-3000)}`);
  }
  return server;
}

describe('the CLI without a store', () => {
  it('lists its commands with --help and refuses unknown commands and passwords in argv', async () => {
    const help = await cli({}, ['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'migrate',
      'create-admin',
      'reset-password',
      'verify-audit',
      'export-checkpoint',
      'backup',
    ]) {
      expect(help.stdout).toContain(`  ${command}`);
    }
    const unknown = await cli({}, ['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    const inArgv = await cli({}, ['create-admin', '--username', 'boss', '--password', ADMIN_PASSWORD]);
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toContain('never taken from the command line');
    const badName = await cli({}, ['create-admin', '--username', 'no spaces allowed'], `${ADMIN_PASSWORD}\n`);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('--username must be 3 to 64 letters');
  });
});

describe.each(dialects())('the CLI on %s', (dialect) => {
  let store: Store;
  let env: Record<string, string>;
  let handle: DbHandle;
  let server: ServerProcess | null = null;
  const sqliteFile = () => path.join(store.dataDir, 'stock-verify.sqlite');

  beforeAll(async () => {
    store = await emptyStore(dialect);
    // One lockout after three misses; sign-ins not rate limited (the test signs in in a loop).
    env = { ...store.env, MAX_LOGIN_ATTEMPTS: '3', RATE_LIMIT_SIGNIN_PER_MINUTE: '0', LOG_LEVEL: 'WARN' };
  });
  afterAll(async () => {
    killAllServers();
    await handle?.close();
    store?.remove();
  });

  const auditRows = (action: string) =>
    handle.db
      .selectFrom('enterprise_audit_logs')
      .select(['seq', 'event_type', 'request_id', 'actor_user_id'])
      .where('action', '=', action)
      .orderBy('seq')
      .execute();

  const login = (password: string) =>
    fetch(`${server!.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'boss', password }),
    });

  it('migrate applies every migration once and records it in the audit trail', async () => {
    const first = await cli(env, ['migrate']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migration\(s\)/);
    const again = await cli(env, ['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is up to date');

    handle = openDb({ databaseUrl: env.DATABASE_URL ?? null, sqliteFile: sqliteFile() });
    const entries = await auditRows('database.migrate');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ event_type: 'MIGRATION', actor_user_id: null });
    expect(entries[0]!.request_id).toMatch(/^cli-/);
  });

  it('create-admin takes the password from a file or stdin, applies the password policy, refuses a taken name', async () => {
    const weak = await cli(env, ['create-admin', '--username', 'boss'], 'boss-password\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('password refused');
    const empty = await cli(env, ['create-admin', '--username', 'boss'], '');
    expect(empty.code).toBe(2);
    expect(await handle.db.selectFrom('users').select('id').execute()).toHaveLength(0);

    const passwordFile = path.join(store.dataDir, 'admin-password');
    fs.writeFileSync(passwordFile, `${ADMIN_PASSWORD}\n`, { mode: 0o600 });
    const created = await cli(env, ['create-admin', '--username', 'boss', '--password-file', passwordFile]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created admin "boss"');
    expect(created.stdout + created.stderr).not.toContain(ADMIN_PASSWORD);

    const taken = await cli(env, ['create-admin', '--username', 'BOSS'], `${NEW_PASSWORD}\n`);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already exists');

    const user = await handle.db
      .selectFrom('users')
      .select(['id', 'role', 'password_hash'])
      .where('username', '=', 'boss')
      .executeTakeFirstOrThrow();
    expect(user.role).toBe('admin');
    expect(await createArgon2Hasher().verify(user.password_hash, ADMIN_PASSWORD)).toBe(true);
    const entries = await auditRows('user.create');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.request_id).toMatch(/^cli-/);
  });

  it('reset-password while the server runs: ends the sessions, clears the lockout, is audited', async () => {
    server = await startReady(env);
    const signedIn = await login(ADMIN_PASSWORD);
    expect(signedIn.status).toBe(200);
    const { access_token: token } = (await signedIn.json()) as { access_token: string };
    const me = () => fetch(`${server!.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me()).status).toBe(200);
    // Three misses lock the account: even the right password is refused now.
    for (let i = 0; i < 3; i += 1) expect((await login('wrong-password-entirely')).status).toBe(401);
    expect((await login(ADMIN_PASSWORD)).status).toBe(401);

    const weak = await cli(env, ['reset-password', '--username', 'boss'], 'aaaaaaaaaaaaaaaa\n');
    expect(weak.code).toBe(2);
    const unknown = await cli(env, ['reset-password', '--username', 'nobody'], `${NEW_PASSWORD}\n`);
    expect(unknown.code).toBe(1);

    const reset = await cli(env, ['reset-password', '--username', 'boss'], `${NEW_PASSWORD}\n`);
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('lockout cleared');
    expect((await me()).status).toBe(401);
    expect((await login(ADMIN_PASSWORD)).status).toBe(401);
    expect((await login(NEW_PASSWORD)).status).toBe(200);

    const [resetEntry] = await auditRows('user.password_reset');
    const [unlockEntry] = await auditRows('account.unlock');
    expect(resetEntry).toMatchObject({ event_type: 'PASSWORD_CHANGE' });
    expect(unlockEntry).toMatchObject({ event_type: 'ACCOUNT_UNLOCKED' });
    expect(resetEntry!.request_id).toMatch(/^cli-/);
    expect(unlockEntry!.request_id).toBe(resetEntry!.request_id);
  });

  it('backup: an online copy on SQLite while sign-ins write; the pg_dump command on PostgreSQL', async () => {
    const out = path.join(store.dataDir, 'backups', 'copy.sqlite');
    // Writes go on (each sign-in adds a session and an audit entry) while the copy is taken.
    let writing = true;
    let writes = 0;
    const load = (async () => {
      while (writing) {
        expect((await login(NEW_PASSWORD)).status).toBe(200);
        writes += 1;
      }
    })();
    const result = await cli(env, ['backup', '--out', out]);
    writing = false;
    await load;
    expect(writes).toBeGreaterThan(0);

    if (dialect === 'postgres') {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`pg_dump --format=custom --schema=`);
      expect(fs.existsSync(out)).toBe(false);
      return;
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('integrity check ok');
    expect(fs.existsSync(`${out}-wal`)).toBe(false);
    const copy = new SqliteDatabase(out, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('select username from users').pluck().all()).toEqual(['boss']);
    } finally {
      copy.close();
    }
    expect(await auditRows('database.backup')).toHaveLength(1);

    // Restored beside the audit signing key, the copy's own trail verifies.
    const restored = fs.mkdtempSync(path.join(store.dataDir, 'restored-'));
    fs.copyFileSync(out, path.join(restored, 'stock-verify.sqlite'));
    for (const name of fs.readdirSync(store.dataDir).filter((file) => file.endsWith('.pem')))
      fs.copyFileSync(path.join(store.dataDir, name), path.join(restored, name));
    const verify = await cli({ ...env, DATA_DIR: restored }, ['verify-audit']);
    expect(verify.stdout).toContain('Audit trail intact');
    expect(verify.code).toBe(0);
  });

  it('export-checkpoint signs the trail as it is now; verify-audit checks it and finds damage', async () => {
    await server!.kill('SIGTERM');
    server = null;
    const lastSeq = Number(
      (
        await handle.db
          .selectFrom('enterprise_audit_logs')
          .select((eb) => eb.fn.max('seq').as('max'))
          .executeTakeFirstOrThrow()
      ).max,
    );
    const file = path.join(store.dataDir, 'exports', 'checkpoint.json');
    const exported = await cli(env, ['export-checkpoint', '--out', file]);
    expect(exported.code).toBe(0);
    const checkpoint = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(checkpoint).toMatchObject({ tree_size: lastSeq, origin: expect.any(String) });
    expect(checkpoint.note).toContain(`\n${lastSeq}\n${checkpoint.root_hash}\n`);
    const latest = await cli(env, ['export-checkpoint', '--latest']);
    expect(latest.code).toBe(0);
    expect(JSON.parse(latest.stdout)).toEqual(checkpoint);

    const intact = await cli(env, ['verify-audit', '--json']);
    expect(intact.code).toBe(0);
    const report = JSON.parse(intact.stdout) as {
      valid: boolean;
      checked: number;
      checkpoints_checked: number;
    };
    expect(report).toMatchObject({ valid: true, checked: lastSeq });
    expect(report.checkpoints_checked).toBeGreaterThanOrEqual(1);

    // Someone with owner rights gets past the triggers and edits an entry in place.
    if (dialect === 'postgres')
      await sql`alter table enterprise_audit_logs disable trigger user`.execute(handle.db);
    else await sql`drop trigger audit_logs_no_update`.execute(handle.db);
    await handle.db
      .updateTable('enterprise_audit_logs')
      .set({ action: 'user.renamed' })
      .where('action', '=', 'user.create')
      .execute();
    const damaged = await cli(env, ['verify-audit']);
    expect(damaged.code).toBe(3);
    expect(damaged.stdout).toContain('Audit trail DAMAGED: content_altered');
  });
});
