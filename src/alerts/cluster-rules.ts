/**
 * The alert rules of a cluster, over what GET /api/cluster shows (ClusterView, ages by the store's clock):
 *
 *  - `node-lost`: a node's last heartbeat is older than the lease time by `nodeLostSeconds` or more (it died, hangs
 *                 or cannot reach the store). It ends when the node heartbeats again or is removed (it left
 *                 cleanly, or an operator forgot it).
 *  - `no-owner`:  a pipeline that should run has had no lease holder for `ownerlessSeconds` or more (every node
 *                 draining, or none can start it). Counted from when the evaluator first saw it without one, or
 *                 from its lease's expiry when that is known to be earlier.
 *
 * Pure: the engine (engine.ts) turns verdicts into incidents and messages.
 */
import type { ClusterView } from '../control/cluster-view.js';

export type ClusterRule = 'node-lost' | 'no-owner';
export const CLUSTER_RULES: readonly ClusterRule[] = ['node-lost', 'no-owner'];

export interface ClusterVerdict {
  rule: ClusterRule;
  /** The node (node-lost) or the pipeline (no-owner). */
  subject: string;
  /**
   * `holds`: fire (or go on); `clear`: recover; `pending`: the condition is there but not for long enough yet — an
   * open incident goes on, none opens (e.g. a new evaluator that has not yet seen a pipeline without owner for the
   * threshold must not end the incident the previous one opened).
   */
  state: 'holds' | 'pending' | 'clear';
  /** When it holds: the message; when clear: why (the "recovered" notice). */
  title: string;
  body: string;
}

export interface ClusterThresholds { nodeLostSeconds: number; ownerlessSeconds: number }

const secs = (ms: number): string => `${Math.round(ms / 1000)} s`;

/**
 * Verdicts for every node and every pipeline of the view. `ownerlessSince` (pipeline → ms, this process's clock)
 * is the evaluator's memory of when each pipeline was first seen without an owner; updated here.
 */
export function clusterVerdicts(view: ClusterView, t: ClusterThresholds, ownerlessSince: Map<string, number>, now: number): ClusterVerdict[] {
  const out: ClusterVerdict[] = [];
  const live = view.nodes.filter((n) => n.live);
  for (const n of view.nodes) {
    const lateMs = n.heartbeatAgeMs - view.leaseMs;
    if (lateMs >= t.nodeLostSeconds * 1000) {
      out.push({ rule: 'node-lost', subject: n.id, state: 'holds',
        title: `[Sluice] NODE LOST: ${n.id} (${n.host}, pid ${n.pid}) has not heartbeated for ${secs(n.heartbeatAgeMs)}`,
        body: [`Its pipelines moved to the ${live.length} live node(s) once its leases expired (lease ${secs(view.leaseMs)}).`,
          'Fix: restart sluice serve on that host (it joins again with its --node-id), or check its link to the store;'
          + ' if it is gone for good, forget it on the Cluster page (or DELETE /api/cluster/nodes/{id}).'].join('\n') });
    } else {
      out.push({ rule: 'node-lost', subject: n.id, state: n.live ? 'clear' : 'pending', title: 'heartbeating again', body: '' });
    }
  }
  const seen = new Set<string>();
  for (const p of view.pipelines) {
    seen.add(p.pipeline);
    if (p.desiredState !== 'running' || p.owner !== null) {
      ownerlessSince.delete(p.pipeline);
      out.push({ rule: 'no-owner', subject: p.pipeline, state: 'clear', title: p.owner !== null ? `owned by ${p.owner}` : `desired state ${p.desiredState ?? 'deleted'}`, body: '' });
      continue;
    }
    const since = ownerlessSince.get(p.pipeline) ?? now;
    ownerlessSince.set(p.pipeline, since);
    const forMs = now - since;
    const draining = view.nodes.filter((n) => n.live && n.draining).length;
    out.push({ rule: 'no-owner', subject: p.pipeline, state: forMs >= t.ownerlessSeconds * 1000 ? 'holds' : 'pending',
      title: `[Sluice] NO OWNER: pipeline ${p.pipeline} should run and no node has run it for ${secs(forMs)}`,
      body: [`Live nodes: ${live.length}${draining ? ` (${draining} draining)` : ''}.`,
        live.length === draining
          ? 'Fix: every live node is draining or none is live: undrain a node on the Cluster page, or start sluice serve on another host.'
          : 'Fix: look at the logs of the live nodes (a node that cannot reach the store or start the pipeline says why), and at the Cluster page.'].join('\n') });
  }
  for (const name of [...ownerlessSince.keys()]) if (!seen.has(name)) ownerlessSince.delete(name);
  return out;
}
