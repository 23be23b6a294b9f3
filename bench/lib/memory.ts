import fs from 'node:fs';

/** Resident memory of a process from /proc (Linux); null where /proc is unavailable. */

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Bytes resident now. */
export function rssBytes(pid: number): number | null {
  return statusField(pid, 'VmRSS');
}

/** The most bytes resident at once since the process started, or since resetPeakRss. */
export function peakRssBytes(pid: number): number | null {
  return statusField(pid, 'VmHWM');
}

/**
 * Starts the peak (VmHWM) again from the current RSS, so it covers only what follows
 * (`echo 5 > /proc/<pid>/clear_refs`, Linux 4.0+, our own processes). False if it could not.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function fmtMiB(bytes: number | null): string {
  return bytes === null ? '?' : `${Math.round(bytes / (1024 * 1024))} MiB`;
}
