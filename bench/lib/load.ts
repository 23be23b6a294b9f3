import path from 'node:path';
import type { LoadRequest, LoadSummary } from './load-types.ts';
import { describeExit, spawnNode, within } from './processes.ts';

const WORKER = path.join('bench', 'lib', 'load-worker.ts');
/** Start-up of the worker (tsx, autocannon) plus slack, on top of the load's own duration. */
const WORKER_OVERHEAD_MS = 30_000;

/** Runs one load from a separate process (bench/lib/load-worker.ts) and returns its summary. */
export async function runLoad(request: LoadRequest): Promise<LoadSummary> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const worker = spawnNode({ name: 'load worker', script: WORKER, args: [JSON.stringify(request)], env });
  let stdout = '';
  let stderr = '';
  worker.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  worker.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  const info = await within(worker.exited, request.duration * 1000 + WORKER_OVERHEAD_MS);
  if (!info) {
    await worker.stop(1_000);
    throw new Error(`load worker did not finish ${request.duration} s of load against ${request.url}`);
  }
  if (info.code !== 0) {
    throw new Error(`load worker ${describeExit(info)}: ${stderr.trim() || '(no stderr)'}`);
  }
  try {
    return JSON.parse(stdout) as LoadSummary;
  } catch {
    throw new Error(`load worker printed no summary: ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`);
  }
}
