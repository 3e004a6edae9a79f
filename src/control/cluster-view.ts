/**
 * What GET /api/cluster shows (the Cluster page of the UI, the cluster alerts): the nodes with their heartbeat
 * age, version and pipelines, and every pipeline that runs or holds a lease with its owner, epoch and lease
 * timings — all ages by the store's clock, so they compare across nodes whatever their own clocks say.
 */
import type { LeaseState, NodeState } from '../cluster/index.js';
import type { DesiredState } from '../store/index.js';

export const leaseName = (pipeline: string): string => `pipeline:${pipeline}`;
export const pipelineOfLease = (lease: string): string | null => (lease.startsWith('pipeline:') ? lease.slice('pipeline:'.length) : null);
/** The lease of the node that evaluates the alerts of the cluster (src/alerts/evaluator-lease.ts). */
export const ALERTS_LEASE = 'alerts';

export interface ClusterNodeView extends NodeState {
  /** Heartbeat within the lease time. */
  live: boolean;
  /** Pipelines whose lease it holds. */
  pipelines: string[];
}

export interface ClusterPipelineView {
  pipeline: string;
  /** The pipeline's desired state (null: a lease left over from a deleted pipeline). */
  desiredState: DesiredState | null;
  /** The lease holder; null when nobody holds it (never claimed, released or expired). */
  owner: string | null;
  epoch: number;
  leaseRemainingMs: number;
  /** When the lease was last acquired (ms since the epoch, store clock; 0: never). */
  acquiredAt: number;
  /** How long the owner has held it (store clock), ms; null when nobody holds it. */
  leaseAgeMs: number | null;
  /** Since the last renewal (store clock), ms; null when never acquired. */
  renewedAgoMs: number | null;
}

export interface ClusterView {
  self: string;
  leaseMs: number;
  /** The node that evaluates and sends the alerts of the cluster (holds the `alerts` lease); null: none now. */
  alertEvaluator: string | null;
  nodes: ClusterNodeView[];
  pipelines: ClusterPipelineView[];
}

/** The view from one pass over the store: its nodes, leases and pipelines (with the store's clock now). */
export function buildClusterView(self: string, leaseMs: number, nodes: readonly NodeState[], leases: readonly LeaseState[],
  pipelines: ReadonlyArray<{ name: string; desiredState: DesiredState }>): ClusterView {
  const desired = new Map(pipelines.map((p) => [p.name, p.desiredState]));
  const held = (l: LeaseState): boolean => l.owner !== null && l.remainingMs > 0;
  const out: ClusterPipelineView[] = leases.flatMap((l) => {
    const p = pipelineOfLease(l.name);
    if (p === null) return [];
    return [{
      pipeline: p, desiredState: desired.get(p) ?? null, owner: held(l) ? l.owner : null, epoch: l.epoch, leaseRemainingMs: Math.max(0, l.remainingMs),
      acquiredAt: l.acquiredAt, leaseAgeMs: held(l) && l.acquiredAt > 0 ? Math.max(0, l.nowMs - l.acquiredAt) : null,
      renewedAgoMs: l.renewedAt > 0 ? Math.max(0, l.nowMs - l.renewedAt) : null,
    }];
  });
  const leased = new Set(out.map((p) => p.pipeline));
  for (const p of pipelines) {
    if (p.desiredState === 'running' && !leased.has(p.name)) {
      out.push({ pipeline: p.name, desiredState: p.desiredState, owner: null, epoch: 0, leaseRemainingMs: 0, acquiredAt: 0, leaseAgeMs: null, renewedAgoMs: null });
    }
  }
  out.sort((a, b) => a.pipeline.localeCompare(b.pipeline));
  const alerts = leases.find((l) => l.name === ALERTS_LEASE);
  return {
    self, leaseMs, alertEvaluator: alerts && held(alerts) ? alerts.owner : null,
    nodes: nodes.map((n) => ({ ...n, live: n.heartbeatAgeMs <= leaseMs, pipelines: out.filter((p) => p.owner === n.id).map((p) => p.pipeline) })),
    pipelines: out,
  };
}
