import fs from 'node:fs';
import path from 'node:path';

/**
 * Key files the server keeps in DATA_DIR when the operator names none (audit signing key, MFA
 * key): read when present, otherwise created once — exclusively, mode 0600, fsynced — so that
 * processes starting together never overwrite each other's key. Errors name the file, never its
 * content.
 */

/** How long to wait for a key file another process is still writing (it writes right after creating it). */
const INCOMPLETE_KEY_WAIT_MS = 1000;
const INCOMPLETE_KEY_POLL_MS = 20;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** Reads a key file; null if it does not exist and `missingOk`. */
export function readKeyFile(file: string, describe: string, missingOk: boolean): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' && missingOk) return null;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'is not readable (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory, not a key file'
            : `cannot be read (${code ?? 'unknown error'})`;
    throw new Error(`${describe} ${reason}`, { cause: err });
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not supported everywhere (e.g. Windows); the file itself was fsynced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Creates `file` with `content` unless it exists (then false). */
function createExclusively(file: string, content: string, describe: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw new Error(`Cannot create ${describe} (${errorCode(err) ?? 'unknown error'})`, { cause: err });
  }
  try {
    fs.fchmodSync(fd, 0o600); // The umask can only have narrowed it; make it exact.
    fs.writeFileSync(fd, content, 'utf8');
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true }); // Ours (exclusive create): do not leave a partial key behind.
    throw new Error(`Cannot write ${describe} (${errorCode(err) ?? 'unknown error'})`, { cause: err });
  }
  fs.closeSync(fd);
  fsyncDirectory(path.dirname(file));
  return true;
}

/**
 * The content of the generated key `file`, creating it from `generate()` if absent. `complete`
 * tells a fully written file from one another process has only just created; such a file is
 * waited for briefly, then reported with `remedy`.
 */
export function loadOrCreateKeyFile(options: {
  file: string;
  describe: string;
  generate: () => string;
  complete: (content: string) => boolean;
  remedy: string;
}): { content: string; created: boolean } {
  const { file, describe, generate, complete, remedy } = options;
  const read = (): string | null => {
    const deadline = Date.now() + INCOMPLETE_KEY_WAIT_MS;
    for (;;) {
      const content = readKeyFile(file, describe, true);
      if (content === null || complete(content)) return content;
      if (Date.now() >= deadline) {
        throw new Error(
          `${describe} is empty or incomplete (a process probably stopped while creating it); ${remedy}`,
        );
      }
      sleepSync(INCOMPLETE_KEY_POLL_MS);
    }
  };
  const existing = read();
  if (existing !== null) return { content: existing, created: false };
  const content = generate();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (createExclusively(file, content, describe)) return { content, created: true };
  const winner = read();
  if (winner === null) throw new Error(`${describe} disappeared while it was being created`);
  return { content: winner, created: false };
}
