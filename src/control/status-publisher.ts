/**
 * Every node of a cluster shows each pipeline's live status, whoever runs it. The owner publishes the status of
 * the pipelines it holds into the store (table `pipeline_status`: the status as JSON, its node and lease epoch,
 * the time by the store's clock) — at once when it changed in substance (state, errors, restarts, skips, the
 * re-snapshot queue, tables copied), otherwise every second — and once more when it lets a pipeline go. A row
 * is only ever overwritten under the same or a newer epoch, so a node that lost a lease cannot overwrite its
 * successor's report.
 *
 * Reading (OwnerStatusView): the node that owns a pipeline answers with its own live status; another node with
 * the owner's published status and its age; when no node holds the lease of a pipeline that should run, the
 * state is `unowned`, with the reason.
 */
import { sql } from 'kysely';
import { insertIfMissing, storeNowMs, type Store } from '../store/index.js';
import type { LeaseState, NodeState } from '../cluster/index.js';
import type { PipelineManager } from './pipeline-manager.js';
import type { PipelineOwner, PipelineStatus } from './pipeline-status.js';

/** What makes a report worth writing before the next periodic one. */
function substance(s: PipelineStatus): string {
  return JSON.stringify([s.state, s.desiredState, s.errorCount, s.restarts, s.recentErrors[0]?.time ?? null, s.pendingSkip, s.skipped.length,
    s.resnapshotQueue, s.snapshot.tables.filter((t) => t.done).length, s.snapshot.lastCopies.length]);
}

export interface StatusPublisherOptions {
  store: Store;
  manager: PipelineManager;
  nodeId: string;
  /** Publish an unchanged status this often (default 1000 ms). */
  everyMs?: number;
}

export class StatusPublisher {
  private readonly last = new Map<string, { key: string; at: number; epoch: number }>();
  private readonly everyMs: number;

  constructor(private readonly o: StatusPublisherOptions) {
    this.everyMs = o.everyMs ?? 1000;
  }

  /** One pass: the status of each pipeline held (`name → epoch`), and a last report of those let go since the previous pass. */
  async publish(held: ReadonlyMap<string, number>): Promise<void> {
    for (const [name, epoch] of held) {
      const status = await this.o.manager.status(name);
      const key = substance(status);
      const prev = this.last.get(name);
      if (prev && prev.epoch === epoch && prev.key === key && Date.now() - prev.at < this.everyMs) continue;
      await this.write(name, epoch, status);
      this.last.set(name, { key, at: Date.now(), epoch });
    }
    for (const [name, prev] of [...this.last]) {
      if (held.has(name)) continue;
      this.last.delete(name);
      await this.write(name, prev.epoch, await this.o.manager.status(name)); // stopped here: the final report
    }
  }

  /** Write the report unless a newer epoch's is there (compare-and-set on the epoch). */
  private async write(name: string, epoch: number, status: PipelineStatus): Promise<void> {
    const { store } = this.o;
    const row = { node: this.o.nodeId, epoch, status: JSON.stringify({ ...status, owner: null }), published_at: storeNowMs(store.dialect) };
    const r = await store.db.updateTable('pipeline_status').set(row).where('pipeline', '=', name).where('epoch', '<=', epoch).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) await insertIfMissing(store.db, store.dialect, 'pipeline_status', { pipeline: name, ...row }, ['pipeline']);
  }
}

/** A report as read back: the owner's status, its node and epoch, and its age by the store's clock. */
export interface PublishedStatus { node: string; epoch: number; status: PipelineStatus; ageMs: number }

export async function readPublished(store: Store, names: readonly string[]): Promise<Map<string, PublishedStatus>> {
  if (names.length === 0) return new Map();
  const now = storeNowMs(store.dialect);
  const rows = await store.db.selectFrom('pipeline_status').select(['pipeline', 'node', 'epoch', 'status', sql<number>`${now} - published_at`.as('age')])
    .where('pipeline', 'in', [...names]).execute();
  return new Map(rows.map((r) => [r.pipeline, { node: r.node, epoch: Number(r.epoch), status: JSON.parse(r.status) as PipelineStatus, ageMs: Math.max(0, Number(r.age)) }]));
}

export interface OwnerStatusSources {
  store: Store;
  manager: PipelineManager;
  nodeId: string;
  leaseName(pipeline: string): string;
  leases(): Promise<LeaseState[]>;
  nodes(): Promise<NodeState[]>;
  /** Heartbeats older than this are dead nodes (the lease time). */
  leaseMs: number;
}

/** The status of pipelines as any node of the cluster shows them (see the file's comment). */
export class OwnerStatusView {
  constructor(private readonly o: OwnerStatusSources) {}

  async statuses(names: readonly string[]): Promise<PipelineStatus[]> {
    const [leases, nodes, published, records] = await Promise.all([this.o.leases(), this.o.nodes(), readPublished(this.o.store, names), this.o.store.listPipelines()]);
    const byLease = new Map(leases.map((l) => [l.name, l]));
    const desired = new Map(records.map((p) => [p.config.name, p.desiredState]));
    return Promise.all(names.map(async (name) => {
      const lease = byLease.get(this.o.leaseName(name));
      const holder = lease && lease.owner !== null && lease.remainingMs > 0 ? lease.owner : null;
      const owner = (o: Partial<PipelineOwner>): PipelineOwner => ({ node: holder, epoch: holder ? lease!.epoch : null, self: false, reportAgeMs: null, reason: null, ...o });
      if (holder === this.o.nodeId) return { ...await this.o.manager.status(name), owner: owner({ self: true }) };
      const report = published.get(name);
      const wanted = desired.get(name) ?? 'stopped';
      if (holder !== null && report && report.node === holder && report.epoch === lease!.epoch) {
        return { ...report.status, desiredState: wanted, owner: owner({ reportAgeMs: report.ageMs }) };
      }
      const base = quiet(report?.status ?? await this.o.manager.status(name));
      // Claimed a moment ago: no report under this epoch yet.
      if (holder !== null) return { ...base, state: 'starting', desiredState: wanted, owner: owner({}) };
      if (wanted !== 'running') return { ...base, state: wanted, desiredState: wanted, owner: owner({ reportAgeMs: report?.ageMs ?? null }) };
      return { ...base, state: 'unowned', desiredState: wanted, owner: owner({ reportAgeMs: report?.ageMs ?? null, reason: this.whyUnowned(lease, nodes) }) };
    }));
  }

  private whyUnowned(lease: LeaseState | undefined, nodes: readonly NodeState[]): string {
    // The last holder, if its lease ran out, is not renewing (dead, paused, cut off): not a candidate, even while its heartbeat looks recent.
    const lastHolder = lease && lease.owner !== null ? lease.owner : null;
    const lost = lastHolder ? `the lease of node ${lastHolder} ran out ${Math.round(-lease!.remainingMs / 100) / 10} s ago (node dead, paused or cut off from the store)` : null;
    const live = nodes.filter((n) => n.heartbeatAgeMs <= this.o.leaseMs);
    if (live.some((n) => !n.draining && n.id !== lastHolder)) {
      return lost ? `${lost}; a live node takes it over on its next pass` : 'waiting for a node to claim it (live nodes claim free pipelines on their next pass, every half second)';
    }
    const others = live.filter((n) => n.id !== lastHolder);
    const why = others.length === 0 ? `no ${lastHolder ? 'other ' : ''}live node in the cluster: start a sluice serve node on this store`
      : 'every live node is draining: undrain one (POST /api/cluster/nodes/<id>/drain with {"draining": false}) or start another';
    return lost ? `${lost}; ${why}` : why;
  }
}

/** A status with nothing in flight: no lag, rate or queue (nobody runs it now). */
function quiet(s: PipelineStatus): PipelineStatus {
  return { ...s, lagSeconds: null, rowsPerSecond: 0, queuedChanges: 0, snapshot: { ...s.snapshot, rowsPerSecond: 0, etaSeconds: null } };
}
