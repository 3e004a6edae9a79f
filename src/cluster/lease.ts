/**
 * Leases: who may run a named piece of work (a pipeline) right now. A lease has an owner, an expiry by the
 * backend's clock (never a node's) and a fencing epoch that rises on every acquisition; the epoch goes into
 * every target transaction (the checkpoint row's check), so a holder that lost its lease — paused,
 * partitioned — can never commit again, whatever its own clock says.
 *
 * The backend is small on purpose: the store implements it (store-lease-backend.ts); etcd or a Kubernetes
 * Lease could later.
 */

/** A lease held by this node. */
export interface LeaseGrant {
  name: string;
  owner: string;
  /** Fencing token: higher than that of every earlier holder. */
  epoch: number;
  ttlMs: number;
  /**
   * This node's deadline (performance.now() ms): the backend's expiry is later than this in real time, since
   * it was computed from a clock read after this node sent its request. Past it without a renewal, the holder
   * must have stopped writing.
   */
  validUntil: number;
}

/** A lease as the backend has it (any owner). */
export interface LeaseState {
  name: string;
  owner: string | null;
  epoch: number;
  /** Milliseconds left by the backend's clock (≤ 0: expired or released). */
  remainingMs: number;
  /** When it was acquired, and last renewed, in ms since the epoch by the backend's clock (0: never). */
  acquiredAt: number;
  renewedAt: number;
  /** The backend's clock when it listed the lease (ms since the epoch), to age the times above. */
  nowMs: number;
}

export interface LeaseBackend {
  /**
   * Take `name` for `owner` when it is free, expired, or already `owner`'s — with a new, higher epoch in every
   * case. Null when another owner holds it.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** Extend a lease still held under the grant's epoch and not expired; null when it was lost (do not write). */
  renew(grant: LeaseGrant): Promise<LeaseGrant | null>;
  /** Raise the epoch of a lease still held under this grant to at least `atLeast`; null when it was lost. */
  raise(grant: LeaseGrant, atLeast: number): Promise<LeaseGrant | null>;
  /** Give the lease up now (only if still held under this epoch), so another node need not wait for the expiry. */
  release(grant: LeaseGrant): Promise<void>;
  /** Every lease the backend knows. */
  list(): Promise<LeaseState[]>;
}

/**
 * The local deadline of a lease granted for `ttlMs` on a request sent at `sentAt` (performance.now()): the ttl
 * less a margin (a tenth of the ttl, at least 100 ms) for the store clock's slewing or stepping and for this
 * node's event loop being late to stop the run.
 */
export function localDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - Math.max(100, ttlMs / 10);
}
