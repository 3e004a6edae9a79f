/**
 * Distinct binlog-reader server ids across the nodes of a cluster. A source drops a replica connection when
 * another registers with the same server id, so two nodes reading one source must never share one.
 *
 * Every node holds a slot — the lease `server-id:<n>` (the lowest free n), renewed like a pipeline's lease
 * while the node lives — and reads source S with server id `base(S) + n`:
 * - `base(S)` is the source's configured `serverId` when set (in a cluster it is the first of a range:
 *   `serverId` … `serverId + nodes − 1` must be free among the source's replicas), else a number derived
 *   from the source's name and the cluster's id (kept in the store), the same on every node;
 * - a slot is held under a lease, so a node that lost it (store unreachable past its deadline, or taken after
 *   it expired) stops its readers before another node can read with the same ids.
 */
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../errors.js';
import { fnv1a32 } from '../fnv-hash.js';
import type { SourceConfig } from '../config/types.js';
import { insertIfMissing, type Store } from '../store/index.js';
import type { LeaseBackend } from './lease.js';
import { LeaseRenewer, type LeaseLoss } from './lease-renewer.js';

const PREFIX = 'server-id:';
/** Slots tried (nodes of one cluster). */
export const SERVER_ID_SLOTS = 1024;
const MAX_SERVER_ID = 4_294_967_295;

export const serverIdLeaseName = (slot: number): string => `${PREFIX}${slot}`;
export const isServerIdLease = (name: string): boolean => name.startsWith(PREFIX);

/** The server id a node in `slot` reads source `name` with. */
export function clusterServerId(name: string, source: Pick<SourceConfig, 'serverId'>, slot: number, clusterId: string): number {
  const base = source.serverId ?? 1_000_000 + (fnv1a32(`${name}\0${clusterId}`) % 3_000_000_000);
  const id = base + slot;
  if (id > MAX_SERVER_ID) {
    throw new SluiceError('BAD_CONFIG', `source ${name}: serverId ${base} + node slot ${slot} is past the largest server id (${MAX_SERVER_ID})`,
      `in a cluster the source's serverId is the first of a range (one per node): set it to at most ${MAX_SERVER_ID - SERVER_ID_SLOTS + 1}, or leave it unset`,
      { source: name, serverId: base, slot });
  }
  return id;
}

/** The cluster's id (random, made once, kept in the store's settings): what default server ids derive from. */
export async function clusterId(store: Store): Promise<string> {
  await insertIfMissing(store.db, store.dialect, 'store_settings', { name: 'cluster_id', value: randomBytes(8).toString('hex') }, ['name']);
  const r = await store.db.selectFrom('store_settings').select('value').where('name', '=', 'cluster_id').executeTakeFirstOrThrow();
  return r.value;
}

export class ServerIdSlot {
  private renewer: LeaseRenewer | null = null;
  private slotNow: number | null = null;

  constructor(private readonly leases: LeaseBackend, private readonly owner: string, private readonly ttlMs: number,
    private readonly onLost: (slot: number, reason: LeaseLoss) => void) {}

  /** The slot held now (null: none, or lost). */
  get slot(): number | null {
    return this.renewer?.valid ? this.slotNow : null;
  }

  /** Hold a slot: the current one while valid, else the lowest free one. */
  async ensure(): Promise<number> {
    const held = this.slot;
    if (held !== null) return held;
    await this.renewer?.stop(false);
    this.renewer = null;
    this.slotNow = null;
    const busy = new Set((await this.leases.list())
      .filter((l) => isServerIdLease(l.name) && l.owner !== null && l.owner !== this.owner && l.remainingMs > 0)
      .map((l) => Number(l.name.slice(PREFIX.length))));
    for (let n = 0; n < SERVER_ID_SLOTS; n++) {
      if (busy.has(n)) continue;
      const grant = await this.leases.acquire(serverIdLeaseName(n), this.owner, this.ttlMs);
      if (!grant) continue; // taken meanwhile
      const renewer = new LeaseRenewer(this.leases, grant, {
        onLost: (reason) => {
          if (this.renewer !== renewer) return;
          this.onLost(n, reason);
        },
      });
      this.renewer = renewer;
      this.slotNow = n;
      return n;
    }
    throw new SluiceError('BAD_CONFIG', `no free reader slot among ${SERVER_ID_SLOTS} (every server-id lease is held)`,
      'stop nodes that are not needed, or remove stale server-id:* rows from the store\'s leases table');
  }

  /** Give the slot up (the node's readers are stopped). */
  async release(): Promise<void> {
    const r = this.renewer;
    this.renewer = null;
    this.slotNow = null;
    await r?.stop(true);
  }
}
