import path from 'node:path';
import { freePort, LOOPBACK, type RunningServer, startServer } from './servers.ts';

export interface StartBaselineOptions {
  /** File name under bench/baselines/. */
  script: string;
  /** Read by the baseline script; PORT and HOST are added. */
  env: Record<string, string>;
  workdir: string;
  /** Polled with GET until it answers 200 (a baseline has only the routes it is compared on). */
  readyPath: string;
}

/** A reference server from bench/baselines/, run as its own process like the product. */
export async function startBaseline(options: StartBaselineOptions): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PORT: String(port), HOST: LOOPBACK };
  delete env.NODE_OPTIONS;
  return startServer({
    name: 'baseline',
    script: path.join('bench', 'baselines', options.script),
    env,
    logFile: path.join(options.workdir, 'baseline.log'),
    port,
    readyPath: options.readyPath,
  });
}
