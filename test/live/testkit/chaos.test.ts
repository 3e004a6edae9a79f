// A short seeded run of the fault-injection harness (the long one is `npm run chaos`): one fault of each
// kind that has broken exactly-once or liveness before — kills (inside the initial copy, inside a large
// transaction), a second instance beside a live one, a paused owner taken over and woken up, connections
// reset and black-holed, a source restart, a read-only target. Every copy must end identical to the
// source, with not one row of the key-less price_log duplicated or lost, and no instance left stuck.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runChaos, type FaultKind } from '../../../src/testkit/chaos/index.js';

const KINDS: FaultKind[] = ['kill', 'second-instance', 'pause-takeover', 'cut-target', 'blackhole-source', 'target-read-only', 'kill-large-txn', 'source-restart'];

describe('fault-injection harness (short schedule)', () => {
  it('ends with every table identical, 0 duplicated and 0 lost rows, every fault recovered', async () => {
    const lines: string[] = [];
    const result = await runChaos({
      sluiceBin: join(process.cwd(), 'bin', 'sluice.js'),
      faults: KINDS.length, seed: Number(process.env.SLUICE_CHAOS_SEED ?? 20261130), kinds: KINDS, products: 5000,
      log: (l) => { lines.push(l); if (process.env.SLUICE_TEST_VERBOSE) console.log(l); },
    });
    const report = `${lines.join('\n')}\n${result.tables.filter((t) => t.extra || t.missing).map((t) => `${t.copy}.${t.table}: ${t.samples.join(' ; ')}`).join('\n')}`;
    assert.deepEqual(result.faults.map((f) => f.kind).sort(), [...KINDS].sort(), 'every kind of fault was injected');
    assert.deepEqual(result.problems, [], report);
    assert.equal(result.duplicatedRows, 0, report);
    assert.equal(result.lostRows, 0, report);
    assert.equal(result.tablesIdentical, true, report);
    assert.ok(result.maxRecoverySeconds !== null && result.maxRecoverySeconds < 30, `slowest recovery ${result.maxRecoverySeconds} s\n${report}`);
  });
});
