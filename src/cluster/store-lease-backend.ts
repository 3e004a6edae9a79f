/**
 * Leases in the control-plane store (table `leases`), taken and renewed by compare-and-set inside one
 * transaction of the store, with expiries by the store's clock. Works on every dialect of the store
 * (SQLite, MySQL/MariaDB, PostgreSQL).
 */
import { sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import { insertIfMissing, storeNowMs, type Store } from '../store/index.js';
import { localDeadline, type LeaseBackend, type LeaseGrant, type LeaseState } from './lease.js';

export class StoreLeaseBackend implements LeaseBackend {
  constructor(private readonly store: Store) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null> {
    const sentAt = performance.now();
    const now = storeNowMs(this.store.dialect);
    const ttl = Math.round(ttlMs);
    // The row first, on its own (inserting inside the transaction below lets two MySQL contenders deadlock on the gap).
    await insertIfMissing(this.store.db, this.store.dialect, 'leases', { name, owner: null, epoch: 0, expires_at: 0, acquired_at: 0, renewed_at: 0 }, ['name']);
    return this.store.transaction(async (tx) => {
      // Compare-and-set: free, expired, or ours — and the epoch rises every time.
      const r = await tx.db.updateTable('leases')
        .set({ owner, epoch: sql<number>`epoch + 1`, expires_at: sql<number>`${now} + ${ttl}`, acquired_at: now, renewed_at: now })
        .where('name', '=', name)
        .where((eb) => eb.or([eb('owner', 'is', null), eb('expires_at', '<=', now), eb('owner', '=', owner)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return null;
      // Read back under the same transaction (the row is ours until it commits).
      const row = await tx.db.selectFrom('leases').select(['epoch', 'owner']).where('name', '=', name).executeTakeFirstOrThrow();
      return { name, owner, epoch: Number(row.epoch), ttlMs: ttl, validUntil: localDeadline(sentAt, ttl) };
    });
  }

  async renew(grant: LeaseGrant): Promise<LeaseGrant | null> {
    const sentAt = performance.now();
    const now = storeNowMs(this.store.dialect);
    const r = await this.store.db.updateTable('leases')
      .set({ expires_at: sql<number>`${now} + ${grant.ttlMs}`, renewed_at: now })
      .where('name', '=', grant.name).where('owner', '=', grant.owner).where('epoch', '=', grant.epoch).where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return null;
    return { ...grant, validUntil: localDeadline(sentAt, grant.ttlMs) };
  }

  async raise(grant: LeaseGrant, atLeast: number): Promise<LeaseGrant | null> {
    const sentAt = performance.now();
    const now = storeNowMs(this.store.dialect);
    const epoch = Math.max(atLeast, grant.epoch + 1);
    const r = await this.store.db.updateTable('leases')
      .set({ epoch, expires_at: sql<number>`${now} + ${grant.ttlMs}`, renewed_at: now })
      .where('name', '=', grant.name).where('owner', '=', grant.owner).where('epoch', '=', grant.epoch).where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return null;
    return { ...grant, epoch, validUntil: localDeadline(sentAt, grant.ttlMs) };
  }

  async release(grant: LeaseGrant): Promise<void> {
    await this.store.db.updateTable('leases').set({ owner: null, expires_at: 0 })
      .where('name', '=', grant.name).where('owner', '=', grant.owner).where('epoch', '=', grant.epoch)
      .execute();
  }

  async list(): Promise<LeaseState[]> {
    const now = storeNowMs(this.store.dialect);
    const rows = await this.store.db.selectFrom('leases')
      .select(['name', 'owner', 'epoch', 'acquired_at', 'renewed_at', sql<number>`expires_at - ${now}`.as('remaining'), sql<number>`${now}`.as('now')])
      .orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name, owner: r.owner, epoch: Number(r.epoch), remainingMs: r.owner === null ? 0 : Number(r.remaining),
      acquiredAt: Number(r.acquired_at), renewedAt: Number(r.renewed_at), nowMs: Number(r.now),
    }));
  }
}
