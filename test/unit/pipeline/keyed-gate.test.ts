// KeyedGate: at most `limit` holders per key, waiters admitted lowest order first, keys independent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedGate } from '../../../src/pipeline/keyed-gate.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('KeyedGate', () => {
  it('admits one holder per key at a time, the lowest order first; other keys run alongside', async () => {
    const gate = new KeyedGate<string>(1);
    const order: string[] = [];
    let inside = 0;
    let most = 0;
    const hold = (key: string, n: number) => gate.run(key, n, async () => {
      if (key === 't') { inside++; most = Math.max(most, inside); }
      order.push(`${key}${n}`);
      await tick();
      if (key === 't') inside--;
    });
    const first = hold('t', 5);
    const rest = [hold('t', 9), hold('t', 2), hold('u', 7), hold('t', 4)];
    await Promise.all([first, ...rest]);
    assert.equal(most, 1);
    assert.deepEqual(order, ['t5', 'u7', 't2', 't4', 't9']);
  });

  it('lets `limit` in at once and passes a place on when a holder throws', async () => {
    const gate = new KeyedGate<number>(2);
    let inside = 0;
    let most = 0;
    const jobs = Array.from({ length: 6 }, (_, i) => gate.run(1, i, async () => {
      inside++; most = Math.max(most, inside);
      await tick();
      inside--;
      if (i === 1) throw new Error('boom');
    }));
    const results = await Promise.allSettled(jobs);
    assert.equal(most, 2);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
    await gate.run(1, 0, async () => undefined); // nothing left held
  });
});
