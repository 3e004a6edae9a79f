// The store down for 30 s, twice: once cut off by a network black hole (no byte through, no reset: every store
// query of every node hangs), once stopped (kill -9, connections refused). Three `sluice serve` nodes, a steady
// writer into a key-less insert-only table, and a trigger on the target's checkpoint row that logs every write
// of it with its epoch and the target's time. Checked: the owner stops writing before its lease can have ended
// (no checkpoint write later than the lease's end — the last renewal was before the store went away — until the
// store is back), nobody else writes meanwhile, epochs only rise, writing resumes within 30 s of the store's
// return, no node dies, and the copy ends with every source row exactly once (ordered, every column).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterBed } from '../src/testkit/index.js';
import { waitFor } from '../test/helpers/wait-for.js';

const OUTAGE_MS = 30_000;
/** The nodes' lease (the default of `sluice serve`). */
const LEASE_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster: the store down for 30 s', () => {
  let bed: ClusterBed;

  before(async () => { bed = await ClusterBed.start(); });
  after(async () => { await bed?.close(); ClusterBed.exitIfHeld(); });

  it('stops the owner before its lease ends, lets nobody write meanwhile, resumes when the store is back, loses and doubles nothing', async () => {
    bed.startWriter(10);
    await waitFor('the pipeline to stream', async () => (await bed.copied()) > 0, 60_000);
    await bed.installWitness();
    for (const how of ['black hole', 'stopped'] as const) {
      const owner = await waitFor('an owner', () => bed.owner(), 30_000);
      await waitFor(`a checkpoint write under epoch ${owner.epoch}`, async () => (await bed.checkpointWrites('watched')).some((w) => w.epoch === owner.epoch), 30_000);
      const ownerNode = bed.nodes.get(owner.owner)!;
      const mark = ownerNode.logMark();
      const downAt = await bed.targetNow();
      if (how === 'black hole') for (const p of bed.proxies.values()) p.blackhole();
      else await bed.storeDb.kill();
      // The owner notices its deadline passed without a renewal (its pipeline lease's, or its reader slot's) and says so.
      const stepDown = await waitFor(`${owner.owner} to stop the pipeline at its lease deadline`,
        () => ownerNode.logsSince(mark).split('\n').find((l) => /lease not renewed in time|reader slot lost/.test(l)), LEASE_MS + 5000, 100)
        .catch((err: unknown) => { throw new Error(`${String(err)}\n${ownerNode.logsSince(mark).split('\n').filter((l) => /lease|renew|pipeline/.test(l)).join('\n').slice(-4000)}`); });
      await sleep(Math.max(0, OUTAGE_MS - (await bed.targetNow() - downAt)));
      const upAt = await bed.targetNow();
      const atUp = bed.seq;
      if (how === 'black hole') for (const p of bed.proxies.values()) p.heal();
      else await bed.storeDb.restart();
      const resumed = await waitFor('a row written after the store came back on the target', async () => (await bed.copied()) > atUp, 60_000, 100);
      assert.ok(resumed);
      const resumeS = ((await bed.targetNow()) - upAt) / 1000;

      const writes = await bed.checkpointWrites('watched');
      const during = writes.filter((w) => w.at > downAt && w.at < upAt);
      // The node's log time (this machine's clock, as the target's): nothing written under its epoch after it said it stopped.
      const stoppedAt = Date.parse(/"time":"([^"]+)"/.exec(stepDown)?.[1] ?? '');
      const afterStop = writes.filter((w) => w.epoch === owner.epoch && w.at > stoppedAt + 100).map((w) => `${(w.at - stoppedAt).toFixed(0)} ms`);
      const lastDuring = during.length ? Math.max(...during.map((w) => w.at)) - downAt : null;
      console.log(`# store ${how} ${OUTAGE_MS / 1000} s: owner ${owner.owner} (epoch ${owner.epoch}) stopped ${((stoppedAt - downAt) / 1000).toFixed(2)} s into the outage, last write at ${lastDuring === null ? '-' : (lastDuring / 1000).toFixed(2)} s (lease ${LEASE_MS / 1000} s); writing resumed ${resumeS.toFixed(2)} s after the store was back`);
      assert.deepEqual(afterStop, [], `${owner.owner} wrote after it stopped the pipeline at its lease deadline (${((stoppedAt - downAt) / 1000).toFixed(2)} s into the outage)`);
      assert.ok(during.every((w) => w.epoch === owner.epoch), `only the owner's epoch ${owner.epoch} wrote during the outage: ${JSON.stringify(during.filter((w) => w.epoch !== owner.epoch))}`);
      assert.ok(lastDuring === null || lastDuring < LEASE_MS, `the owner wrote ${lastDuring} ms into the outage, past its lease (${LEASE_MS} ms)`);
      const next = writes.filter((w) => w.at >= upAt);
      assert.ok(next.length > 0 && next.every((w) => w.epoch > owner.epoch), 'after the outage the pipeline runs under a new epoch');
      assert.ok(resumeS < 30, `writing resumed ${resumeS} s after the store came back`);
      for (const id of bed.nodeIds) assert.ok(bed.alive(id), `node ${id} survived the store ${how}: ${bed.nodes.get(id)!.logs().slice(-2000)}`);
    }
    await bed.stopWriter();
    assert.deepEqual(ClusterBed.fencingProblems(await bed.checkpointWrites()), []);
    const c = await bed.compare();
    assert.equal(c.rows, bed.seq);
    assert.deepEqual({ lost: c.lost, duplicated: c.duplicated }, { lost: 0, duplicated: 0 }, c.samples.join('\n'));
  });
});
