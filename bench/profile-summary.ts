import fs from 'node:fs';
import path from 'node:path';
import { fmtInt, table } from './lib/format.ts';
import { REPO_ROOT } from './lib/paths.ts';

/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--skip S] [--until S]`: where a V8
 * CPU profile (from BENCH_PROFILE=1) spent its busy time: by package or source file, then the
 * functions with the most self time and the most inclusive time. Idle time is left out of every
 * percentage. --skip / --until keep only the samples between those seconds of the profile (to
 * leave out the server's start-up).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(root)']);

function category(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.relative(REPO_ROOT, file);
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  return `${name}  ${category(frame)}:${frame.lineNumber + 1}`;
}

function main(): void {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) {
    process.stderr.write(
      'usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--skip S] [--until S]\n',
    );
    process.exit(2);
  }
  const option = (name: string, fallback: number) => {
    const index = rest.indexOf(name);
    const value = index >= 0 ? Number(rest[index + 1]) : fallback;
    return Number.isFinite(value) ? value : fallback;
  };
  const top = option('--top', 25);
  const fromUs = option('--skip', 0) * 1e6;
  const untilUs = option('--until', Number.POSITIVE_INFINITY) * 1e6;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Self time per node from the sample timeline (µs): each delta belongs to the sample it precedes.
  const self = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < fromUs || at > untilUs) return;
    self.set(id, (self.get(id) ?? 0) + delta);
  });

  const total = [...self.values()].reduce((sum, value) => sum + value, 0);
  let idle = 0;
  for (const [id, micros] of self) {
    if (IDLE.has(byId.get(id)?.callFrame.functionName ?? '')) idle += micros;
  }
  const busy = total - idle;
  const pct = (micros: number) => `${((100 * micros) / busy).toFixed(1)}%`;
  const ms = (micros: number) => fmtInt(micros / 1000);

  const selfByCategory = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();

  // Depth-first, carrying the functions on the stack so recursion is counted once.
  const visit = (node: ProfileNode, onStack: Set<string>): number => {
    const key = label(node.callFrame);
    let inclusive = self.get(node.id) ?? 0;
    const mine = self.get(node.id) ?? 0;
    if (!IDLE.has(node.callFrame.functionName) && mine > 0) {
      const cat = category(node.callFrame);
      selfByCategory.set(cat, (selfByCategory.get(cat) ?? 0) + mine);
      selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + mine);
    }
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      if (child) inclusive += visit(child, onStack);
    }
    if (fresh) {
      onStack.delete(key);
      if (!IDLE.has(node.callFrame.functionName)) {
        inclusiveByFunction.set(key, (inclusiveByFunction.get(key) ?? 0) + inclusive);
      }
    }
    return inclusive;
  };
  const root = profile.nodes[0];
  if (root) visit(root, new Set());

  const rank = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);

  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(`${file}`);
  out(
    `profiled ${ms(total)} ms, busy ${ms(busy)} ms (${((100 * busy) / total).toFixed(0)}%), idle left out\n`,
  );
  out('self time by package / source file');
  out(table([['where', 'ms', 'busy'], ...rank(selfByCategory).map(([k, v]) => [k, ms(v), pct(v)])]));
  out('\nself time by function');
  out(table([['function', 'ms', 'busy'], ...rank(selfByFunction).map(([k, v]) => [k, ms(v), pct(v)])]));
  out('\ninclusive time by function (itself and what it calls)');
  out(table([['function', 'ms', 'busy'], ...rank(inclusiveByFunction).map(([k, v]) => [k, ms(v), pct(v)])]));
}

main();
