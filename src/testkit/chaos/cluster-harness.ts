/**
 * The fault-injection harness for a cluster: three `sluice serve` nodes on a shared store (ClusterBed), a steady
 * writer into the key-less insert-only table, and faults from a seeded schedule: SIGKILL of the owner, SIGSTOP of
 * the owner past its lease (then SIGCONT), a network cut (black hole, no reset) between the owner and the store,
 * a store restart, a SIGTERM handover, a kill during an initial snapshot (a new pipeline of large tables) and a
 * kill inside a large source transaction. After each fault: the recovery time (until a row written after the
 * fault, or after the faulty part came back, is on the target), and problems (a node that died, a stale epoch
 * that wrote). At the end: the key-less table and every snapshot copy compared with the source, row by row.
 * The target is a ChaosTarget (target-side.ts): MySQL (the source's server) or PostgreSQL.
 */
import { ClusterBed, until, type LeaseOwner } from '../cluster-bed.js';
import { seededRandom } from '../seeded-random.js';
import type { ChaosTargetKind } from './target-side.js';

export const CLUSTER_FAULT_KINDS = ['kill-owner', 'pause-owner', 'cut-owner-store', 'store-restart', 'term-owner', 'kill-snapshot', 'kill-large-txn'] as const;
export type ClusterFaultKind = typeof CLUSTER_FAULT_KINDS[number];

export interface ClusterChaosOptions {
  faults: number;
  seed: number;
  kinds?: readonly ClusterFaultKind[];
  /** Rows of the snapshot tables (default 150000). */
  snapshotRows?: number;
  /** How long a recovery may take before it counts as not recovered (default 60 s). */
  recoveryTimeoutMs?: number;
  /** The target's kind (default mysql, on the source's server; postgres: a throwaway database of the local PostgreSQL). */
  target?: ChaosTargetKind;
  log?: (line: string) => void;
}

export interface ClusterFaultOutcome {
  kind: ClusterFaultKind;
  detail: string;
  recoverySeconds: number | null;
  problems: string[];
}

export interface ClusterChaosResult {
  seed: number;
  target: ChaosTargetKind;
  faults: ClusterFaultOutcome[];
  lostRows: number;
  duplicatedRows: number;
  tablesIdentical: boolean;
  recoveryP50Seconds: number | null;
  recoveryMaxSeconds: number | null;
  problems: string[];
  seconds: number;
}

/** The nodes' lease (the default of `sluice serve`). */
const LEASE_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `count` faults: every kind of `kinds` once first (in a seeded order), then drawn at random. */
export function clusterFaultSchedule(count: number, random: () => number, kinds: readonly ClusterFaultKind[] = CLUSTER_FAULT_KINDS): ClusterFaultKind[] {
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Array.from({ length: count }, (_, i) => (i < order.length ? order[i]! : kinds[Math.floor(random() * kinds.length)]!));
}

export async function runClusterChaos(opts: ClusterChaosOptions): Promise<ClusterChaosResult> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const random = seededRandom(opts.seed);
  const schedule = clusterFaultSchedule(opts.faults, random, opts.kinds);
  const recoveryTimeout = opts.recoveryTimeoutMs ?? 60_000;
  const target = opts.target ?? 'mysql';
  const bed = await ClusterBed.start({ logLevel: 'warn', target });
  const problems: string[] = [];
  const snapshots: string[] = [];
  try {
    bed.startWriter(10);
    await until('the pipeline to stream', async () => (await bed.copied()) > 0, 120_000);
    await bed.installWitness();
    const owner = (pipeline = 'watched'): Promise<LeaseOwner> => until(`an owner of ${pipeline}`, () => bed.owner(pipeline), 60_000);
    /** Seconds from `from` until a writer row written after `from` is on the target. */
    const recovery = async (from: number): Promise<number | null> => {
      const mark = bed.seq;
      try {
        await until('a row written after the fault on the target', async () => (await bed.copied()) > mark, recoveryTimeout, 50);
        return (Date.now() - from) / 1000;
      } catch {
        return null;
      }
    };
    const restart = async (id: string): Promise<void> => {
      if (bed.alive(id)) return;
      await bed.startNode(id);
    };
    const outcomes: ClusterFaultOutcome[] = [];
    for (const [i, kind] of schedule.entries()) {
      await sleep(500 + random() * 2500);
      const faultProblems: string[] = [];
      let detail = '';
      let r: number | null = null;
      const o = await owner();
      const node = bed.nodes.get(o.owner)!;
      switch (kind) {
        case 'kill-owner': {
          const t = Date.now();
          await node.kill();
          r = await recovery(t);
          await restart(o.owner);
          detail = `SIGKILL ${o.owner} (epoch ${o.epoch})`;
          break;
        }
        case 'kill-large-txn': {
          await bed.largeTransaction(20_000);
          const delay = 200 + Math.round(random() * 600);
          await sleep(delay);
          const t = Date.now();
          await node.kill();
          r = await recovery(t);
          await restart(o.owner);
          detail = `SIGKILL ${o.owner} ${delay} ms after a 20000-row source transaction`;
          break;
        }
        case 'term-owner': {
          const t = Date.now();
          await bed.terminate(o.owner);
          r = await recovery(t);
          await restart(o.owner);
          detail = `SIGTERM ${o.owner} (handover)`;
          break;
        }
        case 'pause-owner': {
          const pauseMs = LEASE_MS + 2000 + Math.round(random() * 4000);
          const t = Date.now();
          const mark = node.logMark();
          node.child.kill('SIGSTOP');
          r = await recovery(t);
          await sleep(Math.max(0, pauseMs - (Date.now() - t)));
          node.child.kill('SIGCONT');
          // It notices (its renewer's deadline passed, or the fence refuses it) and lets the pipeline go.
          const noticed = await until('the paused owner to let go', async () => /lease not renewed|lease taken|reader slot lost|FENCED|lost the pipeline/.test(node.logsSince(mark)), 30_000).catch(() => false);
          if (!noticed) faultProblems.push(`${o.owner} did not say it let the pipeline go after SIGCONT`);
          detail = `SIGSTOP ${o.owner} for ${(pauseMs / 1000).toFixed(1)} s, then SIGCONT`;
          break;
        }
        case 'cut-owner-store': {
          const cutMs = LEASE_MS + 1000 + Math.round(random() * 8000);
          const proxy = bed.proxies.get(o.owner)!;
          const t = Date.now();
          const mark = node.logMark();
          proxy.blackhole();
          // The owner writes on until its deadline: recovered once another node owns the pipeline and applies.
          const moved = await until('another node to own the pipeline', async () => { const n = await bed.owner(); return n && n.owner !== o.owner ? n : null; }, recoveryTimeout)
            .then(() => true, () => false);
          r = moved ? await recovery(t) : null;
          await sleep(Math.max(0, cutMs - (Date.now() - t)));
          proxy.heal();
          if (!/lease not renewed|lease taken|reader slot lost|FENCED/.test(node.logsSince(mark))) faultProblems.push(`${o.owner} cut off from the store did not say it stopped`);
          const back = await until(`${o.owner} heartbeating again`, async () => (await bed.liveNodes()).includes(o.owner), 30_000).catch(() => false);
          if (!back) faultProblems.push(`${o.owner} did not heartbeat again after the cut healed`);
          detail = `black hole between ${o.owner} (the owner) and the store for ${(cutMs / 1000).toFixed(1)} s`;
          break;
        }
        case 'store-restart': {
          const downMs = 1000 + Math.round(random() * 9000);
          await bed.storeDb.kill();
          await sleep(downMs);
          await bed.storeDb.restart();
          r = await recovery(Date.now());
          detail = `kill -9 the store, down ${(downMs / 1000).toFixed(1)} s (recovery counted from its restart)`;
          break;
        }
        case 'kill-snapshot': {
          const name = `snap${snapshots.length + 1}`;
          snapshots.push(name);
          await bed.addSnapshotPipeline(name, name, opts.snapshotRows ?? 150_000);
          const so = await owner(name);
          const rows = (opts.snapshotRows ?? 150_000);
          // Inside the copy: some rows there, not all.
          const at = await until(`${name}'s copy under way`, async () => {
            const n = await bed.rowCount(`${name}.big`);
            return n > 0 ? n : null;
          }, 60_000, 50);
          const sn = bed.nodes.get(so.owner)!;
          const t = Date.now();
          await sn.kill();
          // Recovered: the new owner writes the copy's checkpoint under a higher epoch (after its claim).
          const ok = await until(`${name} copied on under a new epoch`, async () => (await bed.checkpointWrites(name)).filter((w) => w.epoch > so.epoch).length >= 2, recoveryTimeout, 100)
            .then(() => true, () => false);
          r = ok ? (Date.now() - t) / 1000 : null;
          await restart(so.owner);
          // Let the copy finish, then stop that pipeline (its tables stay to be compared at the end).
          const done = await until(`${name}'s copy complete`, async () => (await bed.rowCount(`${name}.big`)) >= rows, 120_000, 500).then(() => true, () => false);
          if (!done) faultProblems.push(`${name}: the initial copy did not complete`);
          await bed.stopPipeline(name);
          detail = `SIGKILL ${so.owner} while it copied ${name} (${at} of ${rows} rows of shop.big on the target)`;
          break;
        }
      }
      if (r === null) faultProblems.push(`not recovered within ${recoveryTimeout / 1000} s`);
      for (const id of bed.nodeIds) {
        if (!bed.alive(id)) {
          faultProblems.push(`node ${id} is down: ${bed.nodes.get(id)!.logs().slice(-600)}`);
          await bed.startNode(id);
        }
      }
      const fencing = ClusterBed.fencingProblems(await bed.checkpointWrites());
      for (const p of fencing) if (!problems.includes(p) && !faultProblems.includes(p)) faultProblems.push(p);
      outcomes.push({ kind, detail, recoverySeconds: r, problems: faultProblems });
      log(`fault ${i + 1}/${schedule.length} ${kind}: ${detail}; recovered in ${r === null ? 'NOT RECOVERED' : `${r.toFixed(2)} s`}${faultProblems.length ? `; problems: ${faultProblems.join('; ')}` : ''}`);
      problems.push(...faultProblems);
    }
    await bed.stopWriter();
    log(`writer stopped at row ${bed.seq}; comparing`);
    const audit = await bed.compare('audit', 'shop', 'copy', 120_000);
    const copies = [audit];
    for (const s of snapshots) {
      for (const t of ['big', 'biglog']) {
        const d = await bed.compare(t, 'shop', s, 30_000);
        if (d.lost || d.duplicated) problems.push(`${s}.${t}: ${d.lost} lost, ${d.duplicated} extra: ${d.samples.join(' ; ')}`);
        copies.push(d);
      }
    }
    if (audit.lost || audit.duplicated) problems.push(`copy.audit: ${audit.lost} lost, ${audit.duplicated} duplicated: ${audit.samples.join(' ; ')}`);
    const rec = outcomes.map((x) => x.recoverySeconds).filter((x): x is number => x !== null).sort((a, b) => a - b);
    return {
      seed: opts.seed,
      target,
      faults: outcomes,
      lostRows: audit.lost,
      duplicatedRows: audit.duplicated,
      tablesIdentical: copies.every((c) => c.lost === 0 && c.duplicated === 0),
      recoveryP50Seconds: rec.length ? rec[Math.floor((rec.length - 1) / 2)]! : null,
      recoveryMaxSeconds: rec.length && rec.length === outcomes.length ? rec[rec.length - 1]! : null,
      problems,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await bed.close();
  }
}
