import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { INSTANCE, describeInstance, isKnownDead, parseInstance } from '../../src/instance.js';

describe('instance identity', () => {
  it('round-trips through JSON and names host and pid', () => {
    const back = parseInstance(JSON.stringify(INSTANCE));
    assert.deepEqual(back, { ...INSTANCE });
    assert.match(describeInstance(INSTANCE), new RegExp(`pid ${process.pid}`));
    assert.equal(parseInstance('not json'), null);
    assert.equal(parseInstance(null), null);
  });

  it('knows a process of this host that ended is dead, and never guesses about others', async () => {
    assert.equal(isKnownDead(INSTANCE), false, 'this process');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    const pid = child.pid!;
    const alive = { ...INSTANCE, id: `x:${pid}`, pid, startTicks: undefined };
    delete alive.startTicks;
    assert.equal(isKnownDead(alive), false, 'a running process');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(isKnownDead(alive), true, 'an ended process');
    assert.equal(isKnownDead({ ...alive, host: 'another-host' }), false, 'another host: only its lease tells');
    assert.equal(isKnownDead({ ...alive, pidns: 'pid:[1]' }), false, 'another pid namespace (container)');
    // A pid that now runs another process (started at another time) is not the owner.
    assert.equal(isKnownDead({ ...INSTANCE, id: 'other', startTicks: (INSTANCE.startTicks ?? 0) + 1 }), INSTANCE.startTicks !== undefined);
  });
});
