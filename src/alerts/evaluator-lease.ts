/**
 * One node of a cluster evaluates and sends the alerts: the one that holds the lease `alerts` (in the leases
 * of the store, like a pipeline's). Every node tries to take it at each evaluation; the holder renews it in the
 * background (LeaseRenewer) and gives it up on close, so another node takes over within one lease time when it
 * dies, and at its next evaluation when it stops cleanly. The alert state (open incidents, notifications) is in
 * the store, so the next evaluator goes on from there without sending again what was sent.
 */
import type { Logger } from '../log.js';
import { LeaseRenewer, type LeaseBackend } from '../cluster/index.js';
import { ALERTS_LEASE } from '../control/cluster-view.js';

/** Decides whether this process evaluates the alerts now (single node: always). */
export interface EvaluatorGate {
  /** Take (or keep) the role; true while this node holds it. */
  hold(): Promise<boolean>;
  /** Whether the role is still held right now (checked again before each message leaves). */
  readonly valid: boolean;
  /** Give the role up (clean shutdown). */
  release(): Promise<void>;
}

export class EvaluatorLease implements EvaluatorGate {
  private renewer: LeaseRenewer | null = null;
  private readonly log: Logger;

  constructor(private readonly leases: LeaseBackend, private readonly nodeId: string, private readonly ttlMs: number, logger: Logger) {
    this.log = logger.child({ component: 'alerts', node: nodeId });
  }

  get valid(): boolean {
    return this.renewer?.valid ?? false;
  }

  async hold(): Promise<boolean> {
    if (this.renewer?.valid) return true;
    this.renewer = null;
    const grant = await this.leases.acquire(ALERTS_LEASE, this.nodeId, this.ttlMs);
    if (!grant) return false;
    const renewer = new LeaseRenewer(this.leases, grant, {
      onLost: (reason) => this.log.warn({ reason }, 'this node no longer evaluates the alerts (lease lost); another node takes over'),
      onRenewError: (err) => this.log.debug({ err: String(err) }, 'alert evaluator lease: renewal failed'),
    });
    this.renewer = renewer;
    this.log.info({ epoch: grant.epoch }, 'this node evaluates the alerts of the cluster');
    return true;
  }

  async release(): Promise<void> {
    const r = this.renewer;
    this.renewer = null;
    await r?.stop(true).catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not release the alert evaluator lease; it expires by itself'));
  }
}
