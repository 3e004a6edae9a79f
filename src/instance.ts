/**
 * Who this process is, as recorded with a pipeline's ownership on the target (host, process id, start
 * time, a random id), and whether a recorded owner on this host is still alive.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface InstanceInfo {
  /** Unique per process: host, pid and a random part. */
  id: string;
  host: string;
  pid: number;
  /** When this process started (ISO time). */
  started: string;
  /** The kernel's start time of the process (Linux clock ticks since boot), to tell a reused pid apart. */
  startTicks?: number;
  /** The process-id namespace (Linux), so that a pid is only compared inside the same one (containers). */
  pidns?: string;
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Start time of process `pid` in clock ticks since boot (Linux), or undefined. */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function describeSelf(): InstanceInfo {
  const host = hostname();
  const ticks = processStartTicks(process.pid);
  const ns = pidNamespace();
  return {
    id: `${host}:${process.pid}:${randomBytes(4).toString('hex')}`,
    host, pid: process.pid,
    started: new Date(Date.now() - Math.round(process.uptime() * 1000)).toISOString(),
    ...(ticks !== undefined ? { startTicks: ticks } : {}),
    ...(ns !== undefined ? { pidns: ns } : {}),
  };
}

/** This process. */
export const INSTANCE: Readonly<InstanceInfo> = Object.freeze(describeSelf());

/** Parse an owner recorded by `JSON.stringify(INSTANCE)`; null when absent or not ours to read. */
export function parseInstance(text: string | null | undefined): InstanceInfo | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<InstanceInfo>;
    if (typeof v.id !== 'string' || typeof v.host !== 'string' || typeof v.pid !== 'number') return null;
    return { id: v.id, host: v.host, pid: v.pid, started: typeof v.started === 'string' ? v.started : '',
      ...(typeof v.startTicks === 'number' ? { startTicks: v.startTicks } : {}),
      ...(typeof v.pidns === 'string' ? { pidns: v.pidns } : {}) };
  } catch {
    return null;
  }
}

/**
 * Whether `owner` is known to be gone: a process on this host whose pid no longer runs (or now runs
 * another program). An owner on another host is never known to be gone: its lease decides.
 */
export function isKnownDead(owner: InstanceInfo): boolean {
  if (owner.host !== INSTANCE.host || owner.id === INSTANCE.id) return false;
  // Another container may share the host name but not the process ids.
  if (owner.pidns === undefined || owner.pidns !== INSTANCE.pidns) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
  if (owner.startTicks === undefined) return false;
  const ticks = processStartTicks(owner.pid);
  return ticks !== undefined && ticks !== owner.startTicks;
}

/** "host H pid P (started T)" for messages. */
export function describeInstance(owner: InstanceInfo): string {
  return `host ${owner.host} pid ${owner.pid}${owner.started ? ` (started ${owner.started})` : ''}`;
}
