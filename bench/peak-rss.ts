import { readFileSync } from 'node:fs';

/** Peak resident set size of this process in MB (VmHWM from /proc), or the current RSS elsewhere. */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.memoryUsage().rss / 1048576);
}
