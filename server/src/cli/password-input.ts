import fs from 'node:fs';
import { UsageError } from './args.ts';

/**
 * A new password for create-admin / reset-password. Never from argv (every user on the host sees
 * it in `ps`) and never a default: from `--password-file` (its first line), or typed at a
 * terminal without echo (twice), or the first line piped on stdin.
 */
export async function readNewPassword(passwordFile: string | undefined): Promise<string> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      // Others able to read the file can read the password: say so (the command still runs).
      if ((fs.statSync(passwordFile).mode & 0o077) !== 0)
        process.stderr.write(`Warning: ${passwordFile} is readable by others; delete it now.\n`);
      text = fs.readFileSync(passwordFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --password-file: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    return firstLine(text);
  }
  if (process.stdin.isTTY) {
    const first = await promptHidden('New password: ');
    const second = await promptHidden('Repeat it: ');
    if (first !== second) throw new UsageError('the two passwords differ');
    return first;
  }
  return firstLine(await readAll(process.stdin));
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UsageError('no password given (empty input)');
  return line;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal in raw mode, echoing nothing; Ctrl-C aborts. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin as NodeJS.ReadStream;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done(null);
        if (char === '\u0003') return done(new UsageError('aborted'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
