// Reader slots (server-id:<n> leases) on the embedded store: nodes get distinct slots, the lowest free one, and a
// released slot goes to the next node; server ids derive from the source's serverId (a range, one per node) or from
// the source name and the cluster id, and a range past the largest server id is refused with a typed error.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../src/store/index.js';
import { ServerIdSlot, StoreLeaseBackend, clusterId, clusterServerId } from '../../../src/cluster/index.js';
import { isSluiceError } from '../../../src/errors.js';

describe('reader slots and server ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-slots-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every node its own slot, the lowest free one', async () => {
    const store = await Store.open({ dataDir: dir, env: { SLUICE_SECRET_KEY: 'slots-key' } });
    try {
      const leases = new StoreLeaseBackend(store);
      const lost: string[] = [];
      const slot = (node: string): ServerIdSlot => new ServerIdSlot(leases, node, 5000, () => lost.push(node));
      const [a, b, c] = [slot('a'), slot('b'), slot('c')];
      assert.deepEqual([await a.ensure(), await b.ensure()], [0, 1]);
      assert.equal(await a.ensure(), 0, 'a keeps its slot');
      await a.release();
      assert.equal(a.slot, null);
      assert.equal(await c.ensure(), 0, 'c takes the slot a released');
      assert.equal(await a.ensure(), 2, 'a comes back to the next free one');
      for (const s of [a, b, c]) await s.release();
      assert.deepEqual(lost, []);
      const id = await clusterId(store);
      assert.match(id, /^[0-9a-f]{16}$/);
      assert.equal(await clusterId(store), id, 'the cluster id is made once');
    } finally {
      await store.close();
    }
  });

  it('derives server ids per node from the configured serverId, or from the source name and the cluster id', () => {
    const src = {};
    assert.equal(clusterServerId('src', { ...src, serverId: 7700 }, 0, 'x'), 7700);
    assert.equal(clusterServerId('src', { ...src, serverId: 7700 }, 3, 'x'), 7703);
    const d0 = clusterServerId('src', src, 0, 'cluster-1');
    assert.equal(clusterServerId('src', src, 1, 'cluster-1'), d0 + 1);
    assert.notEqual(clusterServerId('src', src, 0, 'cluster-2'), d0, 'another cluster reads with other ids');
    assert.throws(() => clusterServerId('src', { ...src, serverId: 4_294_967_295 }, 1, 'x'), (e) => isSluiceError(e) && e.code === 'BAD_CONFIG');
  });
});
