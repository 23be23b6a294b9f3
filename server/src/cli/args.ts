/** A command line: the command, its `--name value` options and `--flag` switches. */
export interface ParsedArgs {
  command: string | undefined;
  options: Map<string, string>;
  flags: Set<string>;
  positional: string[];
}

export class UsageError extends Error {}

/** `--name value` and `--name=value`; a name listed in `switches` takes no value. */
export function parseArgs(argv: readonly string[], switches: ReadonlySet<string>): ParsedArgs {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (switches.has(name)) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        flags.add(name);
        continue;
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--')))
        throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else if (arg === '-h') {
      flags.add('help');
    } else if (command === undefined) {
      command = arg;
    } else {
      positional.push(arg);
    }
  }
  return { command, options, flags, positional };
}

/** Refuses options the command does not know: a typo must not be silently ignored. */
export function onlyOptions(args: ParsedArgs, allowed: readonly string[]): void {
  for (const name of [...args.options.keys(), ...args.flags]) {
    if (name === 'password')
      throw new UsageError(
        'a password is never taken from the command line (ps shows it to every user): use --password-file <file> or stdin',
      );
    if (name !== 'help' && !allowed.includes(name)) throw new UsageError(`unknown option --${name}`);
  }
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${args.positional[0]}`);
}

export function requiredOption(args: ParsedArgs, name: string): string {
  const value = args.options.get(name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}
