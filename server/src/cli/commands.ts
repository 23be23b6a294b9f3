import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { toCheckpoint } from '../modules/audit/checkpoints.ts';
import { passwordProblem } from '../modules/auth/credentials.ts';
import { DisplayName, Username } from '../modules/users/users.schemas.ts';
import { findUserByUsername } from '../modules/users/users.store.ts';
import { migrateToLatest } from '../platform/db/migrator.ts';
import { AppError } from '../platform/http/errors.ts';
import { onlyOptions, type ParsedArgs, requiredOption, UsageError } from './args.ts';
import { backup } from './backup.ts';
import { retryWhileBusy } from './busy-retry.ts';
import { readNewPassword } from './password-input.ts';
import { buildCliServices, type CliServices, cliAuditTrail, cliContext, openDatabase } from './services.ts';

/** Exit codes: 0 done, 1 failed, 2 usage error, 3 the audit trail is damaged. */
export const EXIT = { ok: 0, failed: 1, usage: 2, auditBroken: 3 } as const;

export interface Command {
  summary: string;
  usage: string;
  run(args: ParsedArgs, config: Readonly<Config>): Promise<number>;
}

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

/** Runs `work` with the command's services and closes the database whatever happens. */
async function withServices(config: Readonly<Config>, work: (services: CliServices) => Promise<number>) {
  const database = openDatabase(config);
  try {
    return await work(buildCliServices(config, database));
  } finally {
    await database.close();
  }
}

/** A service refusal (weak password, taken name) is the operator's to fix: its message, exit 1. */
function refusal(error: unknown): string | null {
  return error instanceof AppError && error.statusCode < 500 ? error.message : null;
}

/** The API's own rules for a username and a display name (users.schemas.ts). */
function checkNewUser(username: string, displayName: string): void {
  type Rules = { minLength: number; maxLength: number; pattern: string; description: string };
  const name = Username as unknown as Rules;
  if (
    username.length < name.minLength ||
    username.length > name.maxLength ||
    !new RegExp(name.pattern).test(username)
  )
    throw new UsageError(`--username must be ${name.description}`);
  if (displayName.length > (DisplayName as unknown as Rules).maxLength)
    throw new UsageError('--display-name is too long');
}

function checkPassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new UsageError(`password refused: it ${problem}`);
}

export const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: 'apply every pending database migration (audited as MIGRATION)',
    usage: 'migrate',
    async run(args, config) {
      onlyOptions(args, []);
      const database = openDatabase(config);
      try {
        const applied = await migrateToLatest(database.db, database.dialect);
        if (applied.length > 0) {
          const trail = cliAuditTrail(config, database);
          const context = cliContext();
          await retryWhileBusy(() =>
            trail.record(context, {
              type: 'MIGRATION',
              action: 'database.migrate',
              resource: { type: 'database', id: null },
              details: { applied, via: 'cli' },
            }),
          );
        }
        out(
          applied.length > 0
            ? `Applied ${applied.length} migration(s) on ${database.location}: ${applied.join(', ')}`
            : `Database ${database.location} is up to date.`,
        );
      } finally {
        await database.close();
      }
      return EXIT.ok;
    },
  },

  'create-admin': {
    summary: 'create an admin user; password from --password-file or stdin',
    usage: 'create-admin --username <name> [--display-name <name>] [--password-file <file>]',
    async run(args, config) {
      onlyOptions(args, ['username', 'display-name', 'password-file']);
      const username = requiredOption(args, 'username').trim();
      const displayName = args.options.get('display-name')?.trim() || 'Administrator';
      checkNewUser(username, displayName);
      return withServices(config, async ({ database, users }) => {
        if (await findUserByUsername(database.db, username)) {
          err(`A user named "${username}" already exists; use reset-password to give it a new password.`);
          return EXIT.failed;
        }
        const password = await readNewPassword(args.options.get('password-file'));
        checkPassword(password, username);
        try {
          const context = cliContext();
          const user = await retryWhileBusy(() =>
            users.create({ username, display_name: displayName, role: 'admin', password }, context),
          );
          out(`Created admin "${user.username}" (id ${user.id}).`);
          return EXIT.ok;
        } catch (error) {
          const message = refusal(error);
          if (message === null) throw error;
          err(message);
          return EXIT.failed;
        }
      });
    },
  },

  'reset-password': {
    summary: "set a user's password, end their sessions and clear their lockout",
    usage: 'reset-password --username <name> [--password-file <file>]',
    async run(args, config) {
      onlyOptions(args, ['username', 'password-file']);
      const username = requiredOption(args, 'username').trim();
      return withServices(config, async ({ database, users, lockouts }) => {
        const row = await findUserByUsername(database.db, username);
        if (!row) {
          err(`No user named "${username}".`);
          return EXIT.failed;
        }
        const password = await readNewPassword(args.options.get('password-file'));
        checkPassword(password, row.username);
        const context = cliContext();
        try {
          await retryWhileBusy(() => users.resetPassword(row.id, password, context));
        } catch (error) {
          const message = refusal(error);
          if (message === null) throw error;
          err(message);
          return EXIT.failed;
        }
        const { unlocked } = await retryWhileBusy(() => lockouts.unlock(row.username, context));
        out(
          `Password of "${row.username}" reset; their sessions are ended` +
            `${unlocked ? ' and their lockout cleared' : ''}.` +
            `${row.active === 1 ? '' : ' The account is deactivated: an admin must reactivate it.'}`,
        );
        return EXIT.ok;
      });
    },
  },

  'verify-audit': {
    summary: 'verify the audit hash chain and signed checkpoints (exit 3 when damaged)',
    usage: 'verify-audit [--json]',
    async run(args, config) {
      onlyOptions(args, ['json']);
      return withServices(config, async ({ auditAdmin }) => {
        const report = await auditAdmin.verify({});
        if (args.flags.has('json')) out(JSON.stringify(report, null, 2));
        else if (report.valid) {
          out(
            `Audit trail intact: ${report.checked} entries checked` +
              `${report.first_seq === null ? '' : ` (seq ${report.first_seq} to ${report.last_seq})`}, ` +
              `${report.checkpoints_checked} signed checkpoint(s) matched.`,
          );
        } else {
          const bad = report.first_bad!;
          out(
            `Audit trail DAMAGED: ${bad.kind}${bad.seq === null ? '' : ` at seq ${bad.seq}`}: ${bad.message} ` +
              `(${report.checked} entries checked before it).`,
          );
        }
        return report.valid ? EXIT.ok : EXIT.auditBroken;
      });
    },
  },

  'export-checkpoint': {
    summary: 'sign a checkpoint of the audit trail now (or --latest: the newest signed one) as JSON',
    usage: 'export-checkpoint [--latest] [--out <file>]',
    async run(args, config) {
      onlyOptions(args, ['latest', 'out']);
      const file = args.options.get('out');
      return withServices(config, async ({ database, checkpointer }) => {
        const row = args.flags.has('latest')
          ? await database.db
              .selectFrom('audit_checkpoints')
              .selectAll()
              .orderBy('tree_size', 'desc')
              .limit(1)
              .executeTakeFirst()
          : await retryWhileBusy(() => checkpointer.checkpointNow());
        if (!row) {
          err(args.flags.has('latest') ? 'No signed checkpoint exists yet.' : 'The audit trail is empty.');
          return EXIT.failed;
        }
        // The same JSON as a line of the checkpoint file and an item of GET /api/enterprise/audit/checkpoints.
        const json = `${JSON.stringify(toCheckpoint(row), null, 2)}\n`;
        if (file === undefined) {
          process.stdout.write(json);
        } else {
          fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
          fs.writeFileSync(file, json, { mode: 0o644 });
          out(`Checkpoint at tree size ${row.tree_size} written to ${file}.`);
        }
        return EXIT.ok;
      });
    },
  },

  backup: {
    summary: 'SQLite: a consistent online copy of the database, checked; PostgreSQL: how to use pg_dump',
    usage: 'backup --out <file>',
    async run(args, config) {
      onlyOptions(args, ['out']);
      return backup(requiredOption(args, 'out'), config);
    },
  },
};

export function helpText(): string {
  const lines = Object.values(COMMANDS).flatMap((command) => [
    `  ${command.usage}`,
    `      ${command.summary}`,
  ]);
  return [
    'Stock Verify operator commands',
    '',
    'Usage: npm run cli -- <command> [options]    (or: npx stock-verify <command> [options])',
    '',
    'Commands:',
    ...lines,
    '',
    'Configuration comes from the same environment variables as the server (DATA_DIR, DATABASE_URL,',
    'key files …): run commands as the service user with its environment file.',
    'Passwords are never taken from the command line: --password-file <file> (first line), typed',
    'at the terminal, or piped on stdin.',
    'Exit codes: 0 done, 1 failed, 2 usage error, 3 audit trail damaged (verify-audit).',
  ].join('\n');
}
