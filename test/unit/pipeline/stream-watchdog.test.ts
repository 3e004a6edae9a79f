import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamWatchdog } from '../../../src/pipeline/stream-watchdog.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('StreamWatchdog', () => {
  it('fires once when nothing arrives for the timeout, with a typed error', async () => {
    let fired = 0;
    const w = new StreamWatchdog(200, () => { fired++; });
    try {
      await sleep(120);
      w.progress();
      await sleep(120);
      assert.equal(fired, 0, 'progress resets the clock');
      await sleep(250);
      assert.equal(fired, 1);
      assert.equal(w.stalled?.code, 'STREAM_STALLED');
      assert.match(w.stalled?.message ?? '', /no message from the source/);
      assert.throws(() => w.check(), (e: unknown) => (e as { code?: string }).code === 'STREAM_STALLED');
      await sleep(150);
      assert.equal(fired, 1, 'only once');
    } finally {
      w.close();
    }
  });

  it('a write that does not finish is a stall even while messages keep arriving', async () => {
    let fired = 0;
    const w = new StreamWatchdog(200, () => { fired++; });
    try {
      void w.track(new Promise<void>(() => undefined));
      for (let i = 0; i < 6; i++) {
        await sleep(60);
        w.progress(); // heartbeats
      }
      assert.equal(fired, 1);
      assert.match(w.stalled?.message ?? '', /a write to the target has not finished/);
    } finally {
      w.close();
    }
  });

  it('does not fire while suspended (a re-copy), and a finished write counts as progress', async () => {
    let fired = 0;
    const w = new StreamWatchdog(150, () => { fired++; });
    try {
      await w.suspended(() => sleep(300));
      await w.track(sleep(100));
      await sleep(100);
      assert.equal(fired, 0);
    } finally {
      w.close();
    }
  });
});
