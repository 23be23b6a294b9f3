import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat: 100 on every mainstream Linux kernel config. */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc; null where
 * /proc is unavailable. The resolution is 10 ms, fine over rounds of seconds.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    if (!Number.isFinite(user) || !Number.isFinite(system)) return null;
    return (user + system) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
