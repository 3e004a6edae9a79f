/**
 * Keeps one lease: renews it every third of its ttl and tells the holder, once, when it must stop writing —
 * because the backend refused a renewal (another node took the lease) or because no renewal succeeded before
 * the lease's local deadline (the store is unreachable: the lease may expire at any moment, so the holder
 * stops before it does). The fence at the target stays the last word; this is what makes a healthy but cut-off
 * node step down on time instead of being refused.
 */
import { performance } from 'node:perf_hooks';
import type { LeaseBackend, LeaseGrant } from './lease.js';

export type LeaseLoss = 'taken' | 'deadline';

export interface LeaseRenewerOptions {
  /** Renew this often (default ttl / 3). */
  renewEveryMs?: number;
  /** Called once when the lease is lost; the holder must stop writing now. */
  onLost(reason: LeaseLoss, grant: LeaseGrant): void;
  /** A renewal that failed with an error (store unreachable): counted, the renewer keeps trying until the deadline. */
  onRenewError?(err: unknown): void;
}

export class LeaseRenewer {
  private grantNow: LeaseGrant;
  private timer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private done = false;

  constructor(private readonly backend: LeaseBackend, grant: LeaseGrant, private readonly o: LeaseRenewerOptions) {
    this.grantNow = grant;
    this.timer = setInterval(() => { this.inFlight ??= this.renew().finally(() => { this.inFlight = null; }); }, o.renewEveryMs ?? Math.max(50, grant.ttlMs / 3));
    this.timer.unref();
    this.armDeadline();
  }

  /** The grant as last renewed (its epoch changes only by `raise`). */
  get grant(): LeaseGrant {
    return this.grantNow;
  }

  /** Whether the holder may still write (not lost, and its local deadline not passed). */
  get valid(): boolean {
    return !this.done && performance.now() < this.grantNow.validUntil;
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.lose('deadline'), Math.max(0, this.grantNow.validUntil - performance.now()));
    this.deadlineTimer.unref();
  }

  private async renew(): Promise<void> {
    if (this.done) return;
    let next: LeaseGrant | null;
    try {
      next = await this.backend.renew(this.grantNow);
    } catch (err) {
      this.o.onRenewError?.(err);
      return; // the deadline timer decides
    }
    if (this.done) return;
    if (!next) {
      this.lose('taken');
      return;
    }
    this.grantNow = next;
    this.armDeadline();
  }

  private lose(reason: LeaseLoss): void {
    if (this.done) return;
    this.stopTimers();
    this.done = true;
    this.o.onLost(reason, this.grantNow);
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.timer = null;
    this.deadlineTimer = null;
  }

  /** Raise the lease's epoch past `atLeast` (the target holds a newer one); false when the lease was lost. */
  async raise(atLeast: number): Promise<boolean> {
    if (this.done) return false;
    await this.inFlight;
    const next = await this.backend.raise(this.grantNow, atLeast);
    if (!next) {
      this.lose('taken');
      return false;
    }
    this.grantNow = next;
    this.armDeadline();
    return true;
  }

  /** Stop renewing; `release` gives the lease up at once (a clean handover) when it is still held. */
  async stop(release = true): Promise<void> {
    const wasHeld = !this.done;
    this.stopTimers();
    this.done = true;
    await this.inFlight;
    if (release && wasHeld) await this.backend.release(this.grantNow);
  }
}
