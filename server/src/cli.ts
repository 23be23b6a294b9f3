import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { openDb } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrator.ts';

/** Operator commands: `npm run cli -- <command>` (today: migrate). */
async function run(command: string | undefined): Promise<number> {
  const config = loadConfig();
  switch (command) {
    case 'migrate': {
      const database = openDb({
        databaseUrl: config.databaseUrl,
        sqliteFile: path.join(config.dataDir, 'stock-verify.sqlite'),
      });
      try {
        const applied = await migrateToLatest(database.db, database.dialect);
        process.stdout.write(
          applied.length > 0
            ? `Applied ${applied.length} migration(s) on ${database.location}: ${applied.join(', ')}\n`
            : `Database ${database.location} is up to date.\n`,
        );
      } finally {
        await database.close();
      }
      return 0;
    }
    default:
      process.stderr.write('Usage: npm run migrate   (applies every pending migration)\n');
      return 2;
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof ConfigError ? '' : 'Error: '}${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
