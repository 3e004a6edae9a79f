/**
 * One `sluice serve` node in a cluster on a shared store. Every tick it heartbeats, and:
 * - claims the leases of running pipelines that nobody holds (free, released or expired), up to its share —
 *   the running pipelines divided by the live, non-draining nodes, rounded up — and runs them with the lease's
 *   epoch as their fencing token (the target's checkpoint row refuses any older epoch);
 * - hands back a pipeline over its share (a node joined) or whose desired state is no longer `running`;
 * - renews what it holds (LeaseRenewer): a lease another node took, or one it could not renew before its local
 *   deadline, stops the run at once.
 * On close (SIGTERM) it stops its runs and releases their leases, so other nodes take them over on their next
 * tick instead of waiting for the expiry. Any node serves the API: start/pause/stop only change the desired state
 * in the store, which the owner (or the next claimer) acts on; after each pass the owner publishes the status of
 * what it runs (status-publisher.ts) and runs the actions other nodes sent it (command-queue.ts).
 * Binlog readers: the pipelines of one source on this node share one reader (PipelineManager), whose server id
 * comes from this node's reader slot (a `server-id:<n>` lease, see cluster/server-id-slot.ts): distinct per node.
 */
import { Gauge, Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { SourceConfig } from '../config/types.js';
import { SluiceError } from '../errors.js';
import { LeaseRenewer, NodeRegistry, ServerIdSlot, StoreLeaseBackend, clusterId, clusterServerId, type LeaseBackend, type LeaseState, type NodeInfo } from '../cluster/index.js';
import type { Store } from '../store/index.js';
import type { PipelineManager } from './pipeline-manager.js';
import { buildClusterView, leaseName, type ClusterView } from './cluster-view.js';
import type { PipelineStatus } from './pipeline-status.js';
import { CommandQueue, CommandRunner } from './command-queue.js';
import { OwnerStatusView, StatusPublisher } from './status-publisher.js';
import type { ReaderIdLease } from '../pipeline/catch-up-reader.js';

export interface ClusterMemberOptions {
  store: Store;
  manager: PipelineManager;
  node: NodeInfo;
  logger: Logger;
  /** The registry /metrics serves (sluice_cluster_nodes, sluice_lease_renew_failures_total, sluice_failovers_total). */
  registry?: Registry;
  /** Lease time to live (default 5000 ms; renewed every third): a dead node's pipelines move after 3.3–5 s plus one pass. */
  leaseMs?: number;
  /** Period of the heartbeat and the claim/hand-back pass (default 500 ms). */
  tickMs?: number;
  /** The lease backend (default: the store's). */
  leases?: LeaseBackend;
  /** Commands for an owner that no owner takes within this long expire (default 30 s). */
  commandTtlMs?: number;
  /** How long an API request waits for the owner to run its command before answering 202 (default 15 s). */
  commandWaitMs?: number;
}

export { leaseName, type ClusterView } from './cluster-view.js';

export class ClusterMember {
  readonly registry: NodeRegistry;
  readonly leases: LeaseBackend;
  private readonly held = new Map<string, LeaseRenewer>();
  private readonly log: Logger;
  readonly leaseMs: number;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private closed = false;
  private readonly nodesGauge: Gauge | null;
  private readonly renewFailures: Counter | null;
  private readonly failovers: Counter | null;
  private readonly ownerGauge: Gauge | null;
  private readonly ownerlessGauge: Gauge | null;
  /** This node's reader slot (its binlog readers' server ids) and the cluster id default ids derive from. */
  private readonly readerSlot: ServerIdSlot;
  private clusterKey: string | null = null;
  private catchUpSeq = 0;
  /** Actions for a pipeline's owner, sent through the store (any node submits; the owner runs them). */
  readonly commands: CommandQueue;
  readonly commandWaitMs: number;
  private readonly commandRunner: CommandRunner;
  private readonly publisher: StatusPublisher;
  private readonly statusView: OwnerStatusView;

  constructor(private readonly o: ClusterMemberOptions) {
    this.registry = new NodeRegistry(o.store);
    this.leases = o.leases ?? new StoreLeaseBackend(o.store);
    this.log = o.logger.child({ component: 'cluster', node: o.node.id });
    this.leaseMs = o.leaseMs ?? 5000;
    this.tickMs = o.tickMs ?? 500;
    this.readerSlot = new ServerIdSlot(this.leases, o.node.id, this.leaseMs, (slot, reason) => {
      this.log.warn({ slot, reason }, 'reader slot lost: stopping every pipeline of this node (its server ids may go to another node)');
      // The slot ran out like the pipelines' leases would (the store unreachable as long): not one more write.
      for (const name of [...this.held.keys()]) void this.handBack(name, 'reader slot lost', true).catch(() => undefined);
    });
    const r = o.registry;
    this.nodesGauge = r ? new Gauge({ name: 'sluice_cluster_nodes', help: 'Nodes of the cluster whose heartbeat is recent (by the store clock), draining ones included', registers: [r] }) : null;
    this.renewFailures = r ? new Counter({ name: 'sluice_lease_renew_failures_total', help: 'Lease renewals of this node that failed (store unreachable) or were refused (another node took the lease)', registers: [r] }) : null;
    this.failovers = r ? new Counter({ name: 'sluice_failovers_total', help: 'Pipelines this node took over from another node whose lease had expired', registers: [r] }) : null;
    this.ownerGauge = r ? new Gauge({ name: 'sluice_pipeline_owner', help: 'The node that runs each running pipeline (1 for its owner, from the leases in the store; every node reports the same view)', labelNames: ['pipeline', 'node'], registers: [r] }) : null;
    this.ownerlessGauge = r ? new Gauge({ name: 'sluice_pipelines_without_owner', help: 'Running pipelines whose lease no node holds (normal for a moment after a node died; alert when it lasts)', registers: [r] }) : null;
    this.commandWaitMs = o.commandWaitMs ?? 15_000;
    this.commands = new CommandQueue(o.store, o.node.id, o.commandTtlMs ? { ttlMs: o.commandTtlMs } : {});
    this.commandRunner = new CommandRunner({ queue: this.commands, manager: o.manager, store: o.store, nodeId: o.node.id, logger: this.log });
    this.publisher = new StatusPublisher({ store: o.store, manager: o.manager, nodeId: o.node.id });
    this.statusView = new OwnerStatusView({
      store: o.store, manager: o.manager, nodeId: o.node.id, leaseMs: this.leaseMs, leaseName,
      leases: () => this.leases.list(), nodes: () => this.registry.list(),
    });
  }

  /** Whether this node holds the pipeline's lease (runs it). */
  owns(name: string): boolean {
    return this.held.has(name);
  }

  /** The status of each pipeline as this cluster sees it: the owner's (published), with its owner; `unowned` when nobody runs it. */
  statuses(names: readonly string[]): Promise<PipelineStatus[]> {
    return this.statusView.statuses(names);
  }

  /** After each pass: publish the status of what this node runs, take and run the commands sent to it. */
  private async ownerDuties(): Promise<void> {
    const held = new Map([...this.held].map(([name, r]) => [name, r.grant.epoch]));
    await Promise.all([this.publisher.publish(held), this.commandRunner.pass(held)]);
  }

  get nodeId(): string {
    return this.o.node.id;
  }

  /** The target refused a run of `name` with an older epoch than its checkpoint's: raise the lease past it and run again. */
  async epochBehind(name: string, storedEpoch: number): Promise<void> {
    const renewer = this.held.get(name);
    if (!renewer || !(await renewer.raise(storedEpoch + 1))) return;
    this.log.info({ pipeline: name, epoch: renewer.grant.epoch }, 'lease epoch raised past the target\'s');
    await this.o.manager.dropLeased(name);
    if (this.held.get(name) === renewer) await this.o.manager.runLeased(name, renewer.grant.epoch);
  }

  /** The server id of this node's reader of source `name` (distinct from every other node's). */
  serverIdOf(name: string, source: SourceConfig): number {
    const slot = this.readerSlot.slot;
    if (slot === null || this.clusterKey === null) {
      throw new SluiceError('LEASE_LOST', `node ${this.o.node.id} holds no reader slot: it cannot read the binlog of ${name} now`,
        'nothing to do: the node stops its pipelines and takes them again once it holds a slot (is the store reachable?)');
    }
    return clusterServerId(name, source, slot, this.clusterKey);
  }

  /**
   * A server id for a catch-up reader of source `name` on this node (a pipeline joining behind the node's shared
   * reader reads on its own until it reaches it): a slot of its own — another `server-id:<n>` lease, held by
   * `<node>/catch-up-<k>` while the reader runs — so the id is distinct from every node's reader and every other
   * catch-up reader. Losing that lease calls `onLost` (the reader stops; its pipeline restarts).
   */
  async catchUpIdOf(name: string, source: SourceConfig, onLost: (err: unknown) => void): Promise<ReaderIdLease> {
    if (this.clusterKey === null || this.readerSlot.slot === null) {
      throw new SluiceError('LEASE_LOST', `node ${this.o.node.id} holds no reader slot: no catch-up reader for ${name}`,
        'nothing to do: the pipeline joins the shared reader by restarting it');
    }
    const key = this.clusterKey;
    const owner = `${this.o.node.id}/catch-up-${++this.catchUpSeq}`;
    const slot = new ServerIdSlot(this.leases, owner, this.leaseMs, (n, reason) => {
      this.log.warn({ slot: n, reason, source: name }, 'catch-up reader slot lost: that reader stops (its pipeline restarts)');
      onLost(new SluiceError('LEASE_LOST', `the server-id slot ${n} of a catch-up reader of ${name} was lost (${reason})`,
        'nothing to do: the pipeline restarts from its checkpoint'));
    });
    const n = await slot.ensure();
    try {
      return { serverId: clusterServerId(name, source, n, key), release: () => slot.release() };
    } catch (err) {
      await slot.release().catch(() => undefined);
      throw err;
    }
  }

  async start(): Promise<void> {
    this.clusterKey = await clusterId(this.o.store);
    await this.registry.register(this.o.node);
    this.log.info({ leaseMs: this.leaseMs }, 'node registered in the cluster');
    await this.tick();
    this.timer = setInterval(() => { void this.tick(); }, this.tickMs);
    this.timer.unref();
  }

  /** One pass (the timer calls it; tests may). Overlapping calls share one run. */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ticking ??= this.tickOnce().then(() => this.ownerDuties()).catch((err: unknown) => {
      this.log.warn({ err: String(err) }, 'cluster pass failed (store unreachable?); held leases run until their deadline');
    }).finally(() => { this.ticking = null; });
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    if (!(await this.registry.heartbeat(this.o.node.id))) await this.registry.register(this.o.node);
    const [nodes, leases, pipelines] = await Promise.all([this.registry.list(), this.leases.list(), this.o.store.listPipelines()]);
    const live = nodes.filter((n) => n.heartbeatAgeMs <= this.leaseMs);
    this.nodesGauge?.set(live.length);
    const me = nodes.find((n) => n.id === this.o.node.id);
    const draining = me?.draining ?? false;
    const running = new Set(pipelines.filter((p) => p.desiredState === 'running').map((p) => p.config.name));
    this.exportOwners(running, leases);
    // Hand back what is no longer wanted here.
    for (const name of [...this.held.keys()]) {
      if (!running.has(name) || draining) await this.handBack(name, draining ? 'node draining' : 'pipeline not running');
    }
    const workers = Math.max(1, live.filter((n) => !n.draining).length);
    const share = Math.ceil(running.size / workers);
    if (this.held.size > share) {
      const name = [...this.held.keys()].sort().pop()!;
      await this.handBack(name, `over this node's share (${share} of ${running.size} pipelines on ${workers} nodes)`);
      return;
    }
    if (draining || this.closed) return;
    if (running.size > 0) await this.readerSlot.ensure();
    const byName = new Map(leases.map((l) => [l.name, l]));
    for (const name of [...running].sort()) {
      if (this.held.size >= share || this.closed) break;
      if (this.held.has(name)) continue;
      const l = byName.get(leaseName(name));
      if (l && l.owner !== null && l.remainingMs > 0) continue; // someone holds it
      await this.claim(name, l);
    }
  }

  /** `sluice_pipeline_owner{pipeline,node}` and `sluice_pipelines_without_owner` from the leases read this pass. */
  private exportOwners(running: ReadonlySet<string>, leases: readonly LeaseState[]): void {
    if (!this.ownerGauge) return;
    const byName = new Map(leases.map((l) => [l.name, l]));
    this.ownerGauge.reset();
    let ownerless = 0;
    for (const name of running) {
      const l = byName.get(leaseName(name));
      if (l && l.owner !== null && l.remainingMs > 0) this.ownerGauge.set({ pipeline: name, node: l.owner }, 1);
      else ownerless++;
    }
    this.ownerlessGauge?.set(ownerless);
  }

  private async claim(name: string, before: LeaseState | undefined): Promise<void> {
    const grant = await this.leases.acquire(leaseName(name), this.o.node.id, this.leaseMs);
    if (!grant) return;
    const renewer = new LeaseRenewer(this.leases, grant, {
      onRenewError: (err) => {
        this.renewFailures?.inc();
        this.log.warn({ pipeline: name, err: String(err) }, 'lease renewal failed; the pipeline stops at the lease deadline unless a renewal succeeds');
      },
      onLost: (reason) => {
        if (this.held.get(name) !== renewer) return;
        this.held.delete(name);
        if (reason === 'taken') this.renewFailures?.inc();
        this.log.warn({ pipeline: name, epoch: grant.epoch, reason }, reason === 'taken' ? 'lease taken by another node: pipeline stopped' : 'lease not renewed in time: pipeline stopped before it expires');
        void this.o.manager.dropLeased(name, true);
      },
    });
    this.held.set(name, renewer);
    const takeover = before?.owner && before.owner !== this.o.node.id;
    if (takeover) this.failovers?.inc();
    this.log.info({ pipeline: name, epoch: grant.epoch, ...(takeover ? { from: before.owner } : {}) }, takeover ? 'pipeline taken over' : 'pipeline claimed');
    await this.o.manager.runLeased(name, grant.epoch);
  }

  /** `lost`: stop without a last write (see PipelineManager.dropLeased), as when the lease itself is lost. */
  private async handBack(name: string, why: string, lost = false): Promise<void> {
    const renewer = this.held.get(name);
    if (!renewer) return;
    this.held.delete(name);
    await this.o.manager.dropLeased(name, lost); // stop writing first, then let go
    await renewer.stop(true);
    this.log.info({ pipeline: name, epoch: renewer.grant.epoch, why }, 'pipeline handed back');
  }

  /** What GET /api/cluster shows. */
  async view(): Promise<ClusterView> {
    const [nodes, leases, pipelines] = await Promise.all([this.registry.list(), this.leases.list(), this.o.store.listPipelines()]);
    return buildClusterView(this.o.node.id, this.leaseMs, nodes, leases, pipelines.map((p) => ({ name: p.config.name, desiredState: p.desiredState })));
  }

  /** Drain this node (or another): it hands its pipelines back and takes no new ones. */
  async setDraining(nodeId: string, draining: boolean): Promise<boolean> {
    const ok = await this.registry.setDraining(nodeId, draining);
    if (ok && nodeId === this.o.node.id) await this.tick();
    return ok;
  }

  /** Stop every run here and release its lease (a graceful handover), then leave the registry. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await this.commandRunner.idle();
    const names = [...this.held.keys()];
    await Promise.all(names.map(async (name) => {
      const renewer = this.held.get(name)!;
      this.held.delete(name);
      await this.o.manager.dropLeased(name);
      await renewer.stop(true).catch((err: unknown) => this.log.warn({ pipeline: name, err: String(err) }, 'could not release the lease; it expires by itself'));
    }));
    await this.readerSlot.release().catch(() => undefined);
    await this.publisher.publish(new Map()).catch(() => undefined); // the last reports: stopped here
    await this.registry.remove(this.o.node.id).catch(() => undefined);
    if (names.length) this.log.info({ pipelines: names }, 'pipelines handed over');
  }
}
