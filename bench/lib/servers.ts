import net from 'node:net';
import { describeExit, type NodeProcess, spawnNode, tail, within } from './processes.ts';

/** A server under load, started as its own process, listening on loopback. */
export interface RunningServer {
  name: string;
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after a timeout. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  name: string;
  script: string;
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  port: number;
  /** Polled with GET until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs?: number;
}

export const LOOPBACK = '127.0.0.1';

/** A port that was free a moment ago on loopback (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

async function waitUntilReady(proc: NodeProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      const info = await proc.exited;
      throw new Error(`${proc.name} ${describeExit(info)} before it was ready`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `answered ${response.status}`;
    } catch (error) {
      last =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
    }
    // Wake early if the process dies while we wait.
    await within(proc.exited, 100);
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms (GET ${url}: ${last})`);
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const url = `http://${LOOPBACK}:${options.port}`;
  const proc = spawnNode({
    name: options.name,
    script: options.script,
    env: options.env,
    logFile: options.logFile,
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  });
  const stop = async () => {
    await proc.stop(options.stopGraceMs);
  };
  try {
    await waitUntilReady(proc, `${url}${options.readyPath}`, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}\n--- last lines of ${options.logFile} ---\n${tail(options.logFile)}`);
  }
  return { name: options.name, url, pid: proc.pid, logFile: options.logFile, stop };
}
