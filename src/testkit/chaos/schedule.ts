/** The faults the harness injects, and a seeded, reproducible schedule of them. */
export const FAULT_KINDS = [
  'kill', 'kill-large-txn', 'kill-ddl', 'pause', 'second-instance', 'pause-takeover',
  'source-restart', 'target-restart', 'cut-source', 'cut-target', 'blackhole-source', 'blackhole-target',
  'slow-source', 'slow-target', 'target-read-only', 'ddl', 'pile-up',
] as const;

export type FaultKind = typeof FAULT_KINDS[number];

export interface Fault {
  kind: FaultKind;
  /** Seconds the fault lasts (pauses, black holes, slow links, read-only target, server downtime). */
  seconds: number;
  /** Milliseconds before the kill (kills inside a large transaction or right after a DDL). */
  delayMs: number;
  /** Added delay per chunk of a slow link. */
  slowMs: number;
  /** How the first instance ends beside a second one. */
  stop: 'SIGKILL' | 'SIGTERM';
}

/**
 * `count` faults from `random`: the first ones cover every kind of `kinds` once (in a seeded order), the
 * rest are drawn at random. The first is always a kill, early, inside the initial snapshot.
 */
export function faultSchedule(count: number, random: () => number, kinds: readonly FaultKind[] = FAULT_KINDS): Fault[] {
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  // The first fault is a kill, early, inside the initial copy.
  const kill = order.indexOf('kill');
  if (kill > 0) [order[0], order[kill]] = [order[kill]!, order[0]!];
  const out: Fault[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i < order.length ? order[i]! : kinds[Math.floor(random() * kinds.length)]!;
    out.push({
      kind,
      seconds: 2 + Math.round(random() * 14 * 10) / 10,
      delayMs: Math.round(random() * 600),
      slowMs: 20 + Math.round(random() * 150),
      stop: random() < 0.5 ? 'SIGKILL' : 'SIGTERM',
    });
  }
  return out;
}
