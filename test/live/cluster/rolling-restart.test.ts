// Rolling restart of all three nodes under load: three pipelines of one source table (one per node, balanced by
// count), a steady writer into the key-less insert-only table; each node in turn gets SIGTERM (it hands its
// pipelines over), is started again and waited for (listening, heartbeating), then the next. Lag of every copy is
// sampled all along (the age of the oldest source row the copy lacks). Checked: the lag stays below 10 s, no
// stale epoch writes, and every copy ends with every source row exactly once. Prints the max lag and the stall
// of each handover.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterBed } from '../../../src/testkit/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const COPIES = ['copy', 'copy2', 'copy3'] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster: rolling restart under load', () => {
  let bed: ClusterBed;

  before(async () => {
    bed = await ClusterBed.start({ logLevel: 'warn' });
    await bed.addPipeline('watched2', ['shop.audit'], 'copy2');
    await bed.addPipeline('watched3', ['shop.audit'], 'copy3');
  });
  after(async () => { await bed?.close(); ClusterBed.exitIfHeld(); });

  it('restarts n1, n2, n3 one after the other with no loss, no duplicate and lag below 10 s', async () => {
    bed.startWriter(10);
    await waitFor('every copy to stream', async () => {
      for (const c of COPIES) if ((await bed.copied(`${c}.audit`)) === 0) return false;
      return true;
    }, 90_000);
    await bed.installWitness();
    await waitFor('one pipeline per node', async () => {
      const owners = await Promise.all(['watched', 'watched2', 'watched3'].map((p) => bed.owner(p)));
      return owners.every((o) => o) && new Set(owners.map((o) => o!.owner)).size === 3;
    }, 30_000);
    // Lag of every copy, sampled every 200 ms.
    const samples: Array<{ t: number; lag: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const lags = await Promise.all(COPIES.map((c) => bed.lagMs(`${c}.audit`)));
        samples.push({ t: Date.now(), lag: Math.max(...lags) });
        await sleep(200);
      }
    })();
    const steps: string[] = [];
    try {
      await sleep(2000);
      for (const id of bed.nodeIds) {
        const from = Date.now();
        const exitMs = await bed.terminate(id);
        await bed.startNode(id);
        await waitFor(`${id} heartbeating again`, async () => (await bed.liveNodes()).includes(id), 20_000);
        // Balanced again: every pipeline owned, one per node.
        await waitFor('one pipeline per node again', async () => {
          const owners = await Promise.all(['watched', 'watched2', 'watched3'].map((p) => bed.owner(p)));
          return owners.every((o) => o) && new Set(owners.map((o) => o!.owner)).size === 3;
        }, 30_000);
        await sleep(3000);
        const stall = Math.max(0, ...samples.filter((s) => s.t >= from).map((s) => s.lag));
        steps.push(`${id}: exit after SIGTERM ${(exitMs / 1000).toFixed(2)} s, worst lag ${(stall / 1000).toFixed(2)} s`);
      }
    } finally {
      sampling = false;
      await sampler;
    }
    await bed.stopWriter();
    const maxLag = Math.max(...samples.map((s) => s.lag));
    console.log(`# rolling restart: max lag ${(maxLag / 1000).toFixed(2)} s over ${samples.length} samples; ${steps.join('; ')}`);
    assert.ok(maxLag < 10_000, `lag reached ${maxLag} ms`);
    assert.deepEqual(ClusterBed.fencingProblems(await bed.checkpointWrites()), []);
    for (const c of COPIES) {
      const d = await bed.compare('audit', 'shop', c);
      assert.equal(d.rows, bed.seq);
      assert.deepEqual({ copy: c, lost: d.lost, duplicated: d.duplicated }, { copy: c, lost: 0, duplicated: 0 }, d.samples.join('\n'));
    }
  });
});
