// Leases and the node registry on the store, on each dialect (SQLite, a throwaway MariaDB, the local PostgreSQL):
// contenders racing for one lease never hold it at the same time; the epoch rises on every acquisition; a renewed
// lease stays, a lease left to expire passes to another node with a higher epoch and the old holder's renewal is
// refused; a holder that cannot reach the store is told to stop before the store's expiry. Nodes register and
// heartbeat by the store's clock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeaseRenewer, NodeRegistry, StoreLeaseBackend, type LeaseBackend, type LeaseGrant, type LeaseLoss } from '../../../src/cluster/index.js';
import { Store } from '../../../src/store/index.js';
import { mariadbBackend, postgresBackend, sqliteBackend, type StoreBackend } from '../../helpers/store-backends.js';

const KEY = { SLUICE_SECRET_KEY: 'lease-test-key' };

const backends: Array<{ name: string; make: () => Promise<StoreBackend | null> }> = [
  { name: 'sqlite', make: () => Promise.resolve(sqliteBackend()) },
  { name: 'mariadb', make: mariadbBackend },
  { name: 'postgres', make: postgresBackend },
];

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

for (const { name, make } of backends) {
  describe(`leases on ${name}`, () => {
    let backend: StoreBackend | null = null;
    /** Three nodes: three stores (pools) on the shared database; on SQLite one store (one process owns the file). */
    let stores: Store[] = [];
    before(async () => {
      backend = await make();
      if (!backend) return;
      const loc = await backend.fresh();
      const first = await Store.open({ dataDir: loc.dataDir, url: loc.url, env: KEY });
      stores = loc.url ? [first, await Store.open({ dataDir: loc.dataDir, url: loc.url, env: KEY }), await Store.open({ dataDir: loc.dataDir, url: loc.url, env: KEY })]
        : [first, first, first];
    });
    after(async () => {
      for (const s of new Set(stores)) await s.close();
      await backend?.close();
    });

    it('contenders racing for one lease never hold it together; every acquisition raises the epoch', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const leases = stores.map((s) => new StoreLeaseBackend(s));
      const held: Array<{ owner: string; epoch: number; start: number; end: number }> = [];
      const latencies: number[] = [];
      const until = performance.now() + 4000;
      let round = 0;
      await Promise.all(leases.map(async (lease, i) => {
        const owner = `node-${i}`;
        while (performance.now() < until) {
          const t0 = performance.now();
          const g = await lease.acquire('pipeline:race', owner, 250);
          latencies.push(performance.now() - t0);
          if (!g) {
            await sleep(5 + (i * 7) % 20);
            continue;
          }
          const start = performance.now();
          await sleep(((round++ * 37) % 5) * 20); // hold 0–80 ms
          if (round % 3 === 0) { // sometimes left to expire: its holding ends at its local deadline
            held.push({ owner, epoch: g.epoch, start, end: g.validUntil });
            await sleep(Math.max(0, g.validUntil - performance.now()));
          } else {
            // A holder's right ends at its local deadline: one the event loop woke late (a loaded machine) acts no longer.
            held.push({ owner, epoch: g.epoch, start, end: Math.min(performance.now(), g.validUntil) });
            await lease.release(g);
          }
          await sleep(15); // let the others try
        }
      }));
      held.sort((a, b) => a.epoch - b.epoch);
      assert.ok(held.length >= 10, `only ${held.length} acquisitions`);
      assert.equal(new Set(held.map((h) => h.epoch)).size, held.length, 'every acquisition has its own epoch');
      for (let i = 1; i < held.length; i++) {
        const a = held[i - 1]!;
        const b = held[i]!;
        assert.ok(a.start < b.start, `epoch ${b.epoch} was granted after epoch ${a.epoch}`);
        // The same node may take its lease again (a new epoch fences its own older grant); two nodes never overlap.
        if (a.owner !== b.owner) assert.ok(a.end <= b.start, `epoch ${a.epoch} (${a.owner}) held until ${a.end.toFixed(1)}, epoch ${b.epoch} (${b.owner}) from ${b.start.toFixed(1)}`);
      }
      console.log(`# ${name}: ${held.length} acquisitions by ${new Set(held.map((h) => h.owner)).size} nodes, acquire p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms`);
    });

    it('a renewed lease stays; one left to expire passes on with a higher epoch and the old renewal is refused', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const [a, b] = [new StoreLeaseBackend(stores[0]!), new StoreLeaseBackend(stores[1]!)];
      const ga = (await a.acquire('pipeline:p', 'A', 400))!;
      assert.ok(ga && ga.epoch >= 1);
      for (let i = 0; i < 4; i++) {
        await sleep(150);
        assert.ok(await a.renew(ga), 'renewed');
        assert.equal(await b.acquire('pipeline:p', 'B', 400), null, 'held by A');
      }
      const again = (await a.acquire('pipeline:p', 'A', 400))!;
      assert.ok(again.epoch > ga.epoch, 'acquiring again (same owner) raises the epoch too');
      assert.equal(await a.renew(ga), null, 'the older grant of the same owner is fenced');
      await sleep(450);
      const gb = (await b.acquire('pipeline:p', 'B', 400))!;
      assert.ok(gb && gb.epoch > again.epoch, 'B took the expired lease with a higher epoch');
      assert.equal(await a.renew(again), null, "A's renewal is refused");
      await a.release(again); // a stale release changes nothing
      const state = (await b.list()).find((l) => l.name === 'pipeline:p')!;
      assert.equal(state.owner, 'B');
      assert.equal(state.epoch, gb.epoch);
      assert.ok(state.remainingMs > 0 && state.remainingMs <= 400, `remaining ${state.remainingMs}`);
      await b.release(gb);
      const ga2 = (await a.acquire('pipeline:p', 'A', 400))!;
      assert.ok(ga2.epoch > gb.epoch, 'released: taken at once, epoch still rising');
      await a.release(ga2);
    });

    it('a holder that cannot renew is told to stop before the store lets anyone else in', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const real = new StoreLeaseBackend(stores[0]!);
      const other = new StoreLeaseBackend(stores[1]!);
      let reachable = true;
      const flaky: LeaseBackend = {
        acquire: (...args) => real.acquire(...args),
        renew: async (g) => { if (!reachable) throw new Error('store unreachable'); return real.renew(g); },
        raise: (g, n) => real.raise(g, n),
        release: (g) => real.release(g),
        list: () => real.list(),
      };
      const ttl = 2000;
      const g = (await flaky.acquire('pipeline:cut', 'A', ttl))!;
      let lost: { reason: LeaseLoss; at: number; storeRemaining: number; otherGot: LeaseGrant | null } | null = null;
      let renewErrors = 0;
      const done = new Promise<void>((resolve) => {
        const renewer = new LeaseRenewer(flaky, g, {
          onRenewError: () => { renewErrors++; },
          onLost: (reason) => {
            const at = performance.now();
            void Promise.all([real.list(), other.acquire('pipeline:cut', 'B', ttl)]).then(([ls, otherGot]) => {
              lost = { reason, at, storeRemaining: ls.find((l) => l.name === 'pipeline:cut')!.remainingMs, otherGot };
              resolve();
            });
          },
        });
        void sleep(ttl / 2).then(() => { reachable = false; assert.ok(renewer.valid); });
      });
      const keepAlive = setInterval(() => undefined, 100); // the renewer's timers do not hold the process up
      await done;
      clearInterval(keepAlive);
      const l = lost as unknown as { reason: LeaseLoss; at: number; storeRemaining: number; otherGot: LeaseGrant | null };
      assert.equal(l.reason, 'deadline');
      assert.ok(renewErrors >= 1, 'renewals failed meanwhile');
      assert.equal(l.otherGot, null, 'when the holder is told to stop, nobody else can take the lease yet');
      assert.ok(l.storeRemaining > 0, `the store still counts ${l.storeRemaining} ms on the lease`);
      await sleep(l.storeRemaining + 20);
      const taken = await other.acquire('pipeline:cut', 'B', ttl);
      assert.ok(taken && taken.epoch > g.epoch, 'after the expiry another node takes it');
      await other.release(taken);
    });

    it('nodes register and heartbeat by the store clock; a node can be drained', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const reg = new NodeRegistry(stores[0]!);
      const reg2 = new NodeRegistry(stores[1]!);
      await reg.register({ id: 'n1', host: 'h1', pid: 11, version: '0.1.0' });
      await reg2.register({ id: 'n2', host: 'h2', pid: 22, version: '0.1.0' });
      await sleep(300);
      assert.equal(await reg2.heartbeat('n2'), true);
      const nodes = await reg.list();
      assert.deepEqual(nodes.map((n) => n.id), ['n1', 'n2']);
      const [n1, n2] = nodes as [typeof nodes[0], typeof nodes[0]];
      assert.ok(n1.heartbeatAgeMs >= 250 && n1.heartbeatAgeMs < 5000, `n1 age ${n1.heartbeatAgeMs}`);
      assert.ok(n2.heartbeatAgeMs < n1.heartbeatAgeMs);
      assert.deepEqual((await reg.live(200)).map((n) => n.id), ['n2']);
      assert.equal(await reg.setDraining('n2', true), true);
      assert.equal((await reg.list()).find((n) => n.id === 'n2')!.draining, true);
      await reg.register({ id: 'n2', host: 'h2', pid: 23, version: '0.1.1' });
      const back = (await reg.list()).find((n) => n.id === 'n2')!;
      assert.equal(back.draining, false, 'a restarted node is not draining');
      assert.equal(back.pid, 23);
      await reg.remove('n1');
      assert.equal(await reg.heartbeat('n1'), false, 'a removed node learns it must register again');
    });
  });
}
