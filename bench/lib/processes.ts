import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import { REPO_ROOT } from './paths.ts';

/**
 * Child Node processes (servers under test, load workers), each run as
 * `node --import tsx <script>` from the repository root. Every one is tracked until it exits,
 * so an interrupted or crashing run still kills what it started.
 */

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface SpawnNodeOptions {
  name: string;
  /** Path of the script, relative to the repository root or absolute. */
  script: string;
  args?: readonly string[];
  /** Extra flags for node itself, after `--import tsx` (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Append stdout and stderr to this file; otherwise they are piped to the parent. */
  logFile?: string;
}

const live = new Set<NodeProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: 'exit' handlers must be synchronous, so there is no grace period here.
  process.on('exit', () => {
    for (const proc of live) proc.child.kill('SIGKILL');
  });
}

export function spawnNode(options: SpawnNodeOptions): NodeProcess {
  installExitHook();
  const logFd = options.logFile ? fs.openSync(options.logFile, 'a') : null;
  const stdio: StdioOptions = logFd === null ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])],
    { cwd: REPO_ROOT, env: options.env, stdio },
  );
  // The child holds its own copy of the descriptor.
  if (logFd !== null) fs.closeSync(logFd);
  if (child.pid === undefined) {
    throw new Error(`could not start ${options.name} (node ${options.script})`);
  }

  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    // 'close', not 'exit': by then piped stdout has been read to the end.
    child.once('close', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(proc);
      resolve(exitInfo);
    });
  });

  const proc: NodeProcess = {
    name: options.name,
    child,
    pid: child.pid,
    exited,
    hasExited: () => exitInfo !== null,
    async stop(graceMs = 5_000) {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      const graceful = await within(exited, graceMs);
      if (graceful) return graceful;
      process.stderr.write(
        `  ${options.name} (pid ${child.pid}) ignored SIGTERM for ${graceMs} ms: SIGKILL\n`,
      );
      child.kill('SIGKILL');
      return exited;
    },
  };
  live.add(proc);
  return proc;
}

/** Stops every process still running (on Ctrl-C), politely first. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((proc) => proc.stop(2_000)));
}

/** The promise's value, or null if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}

/** The last lines of a log file (read from its last 64 KiB), for error messages. */
export function tail(file: string, lines = 25): string {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    return text === '' ? '(empty log)' : text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
