/**
 * The nodes of a cluster on a shared store (table `nodes`): every `sluice serve` registers at start and
 * heartbeats; times are the store's clock, so heartbeat ages compare across nodes whatever their clocks.
 * A draining node keeps its row but takes no new work.
 */
import { sql } from 'kysely';
import { hostname } from 'node:os';
import { storeNowMs, upsert, type Store } from '../store/index.js';

export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  version: string;
}

export interface NodeState extends NodeInfo {
  /** ms since the epoch by the store's clock. */
  startedAt: number;
  heartbeatAt: number;
  /** Age of the last heartbeat by the store's clock, ms. */
  heartbeatAgeMs: number;
  draining: boolean;
}

/** This process as a node (`id` defaults to host:pid). */
export function thisNode(version: string, id?: string): NodeInfo {
  return { id: id ?? `${hostname()}:${process.pid}`, host: hostname(), pid: process.pid, version };
}

export class NodeRegistry {
  constructor(private readonly store: Store) {}

  /** Register (or re-register after a restart: started again, not draining). */
  async register(node: NodeInfo): Promise<void> {
    const now = storeNowMs(this.store.dialect);
    await upsert(this.store.db, this.store.dialect, 'nodes',
      { id: node.id, host: node.host, pid: node.pid, version: node.version, started_at: now, heartbeat_at: now, draining: 0 }, ['id']);
  }

  /** Record that the node is alive; false when its row is gone (removed by an operator: register again). */
  async heartbeat(id: string): Promise<boolean> {
    const r = await this.store.db.updateTable('nodes').set({ heartbeat_at: storeNowMs(this.store.dialect) }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setDraining(id: string, draining: boolean): Promise<boolean> {
    const r = await this.store.db.updateTable('nodes').set({ draining: draining ? 1 : 0 }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(id: string): Promise<void> {
    await this.store.db.deleteFrom('nodes').where('id', '=', id).execute();
  }

  async list(): Promise<NodeState[]> {
    const now = storeNowMs(this.store.dialect);
    const rows = await this.store.db.selectFrom('nodes').selectAll().select(sql<number>`${now} - heartbeat_at`.as('age')).orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id, host: r.host, pid: Number(r.pid), version: r.version, startedAt: Number(r.started_at), heartbeatAt: Number(r.heartbeat_at),
      heartbeatAgeMs: Number(r.age), draining: Number(r.draining) === 1,
    }));
  }

  /** Nodes whose last heartbeat is at most `maxAgeMs` old (by the store's clock). */
  async live(maxAgeMs: number): Promise<NodeState[]> {
    return (await this.list()).filter((n) => n.heartbeatAgeMs <= maxAgeMs);
  }
}
