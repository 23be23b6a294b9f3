import { parseArgs, UsageError } from './cli/args.ts';
import { COMMANDS, EXIT, helpText } from './cli/commands.ts';
import { ConfigError, loadConfig } from './config.ts';

/**
 * Operator commands: `npm run cli -- <command>` or `npx stock-verify <command>` (see --help).
 * They read the same environment as the server and change data only through the product's
 * services, so every change lands in the audit trail like an API action does.
 */
async function run(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, new Set(['help', 'json', 'latest']));
  if (args.command === undefined || args.command === 'help' || (args.flags.has('help') && !args.command)) {
    process.stdout.write(`${helpText()}\n`);
    return args.command === undefined && !args.flags.has('help') ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, args.command) ? COMMANDS[args.command] : undefined;
  if (!command) {
    process.stderr.write(`Unknown command "${args.command}".\n\n${helpText()}\n`);
    return EXIT.usage;
  }
  if (args.flags.has('help')) {
    process.stdout.write(`Usage: npm run cli -- ${command.usage}\n  ${command.summary}\n`);
    return EXIT.ok;
  }
  return command.run(args, loadConfig());
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      process.stderr.write(`${message}\n(see --help)\n`);
      process.exitCode = EXIT.usage;
    } else {
      process.stderr.write(`${error instanceof ConfigError ? '' : 'Error: '}${message}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);
