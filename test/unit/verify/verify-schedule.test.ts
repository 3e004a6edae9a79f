// The optional verify schedule of `sluice serve` (--verify-every): a streaming pipeline is verified when its last
// verify (newest checkedAt of its tables, from the store) is older than the period or it was never verified; not
// while it does not stream or a run is in progress; a refused start is reported and the others still start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifySchedule, parseVerifyEvery } from '../../../src/verify/verify-schedule.js';
import { isSluiceError } from '../../../src/errors.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../../../src/cli/serve.js';
import { createLogger } from '../../../src/log.js';

test('parseVerifyEvery: units, and at least one minute', () => {
  assert.equal(parseVerifyEvery('24h'), 86_400_000);
  assert.equal(parseVerifyEvery('90m'), 5_400_000);
  assert.equal(parseVerifyEvery('1d'), 86_400_000);
  assert.equal(parseVerifyEvery('3600'), 3_600_000);
  for (const bad of ['', '10s', 'nightly', '-1h', '5x']) {
    assert.throws(() => parseVerifyEvery(bad), (e: unknown) => isSluiceError(e) && e.code === 'BAD_ARGUMENT' && /at least one minute/.test(e.fix), bad);
  }
});

test('the schedule starts the runs that are due, and only those', async () => {
  const HOUR = 3_600_000;
  const now = Date.parse('2026-11-30T12:00:00Z');
  const pipes: Record<string, { streaming: boolean; running: boolean; last: number | null }> = {
    never: { streaming: true, running: false, last: null },
    old: { streaming: true, running: false, last: now - 25 * HOUR },
    fresh: { streaming: true, running: false, last: now - 2 * HOUR },
    paused: { streaming: false, running: false, last: null },
    busy: { streaming: true, running: true, last: now - 48 * HOUR },
    refused: { streaming: true, running: false, last: null },
  };
  const started: string[] = [];
  const errors: string[] = [];
  const schedule = new VerifySchedule({
    names: () => Object.keys(pipes),
    isStreaming: (n) => pipes[n]!.streaming,
    isRunning: (n) => pipes[n]!.running,
    lastCheckedAt: (n) => pipes[n]!.last,
    start: (n) => {
      if (n === 'refused') throw new Error('a verify of refused is already running');
      started.push(n);
    },
  }, 24 * HOUR, (p) => errors.push(p));
  assert.deepEqual(await schedule.tick(now), ['never', 'old']);
  assert.deepEqual(started, ['never', 'old']);
  assert.deepEqual(errors, ['refused']);
  // Once verified, not again before the period has passed.
  pipes['never']!.last = now;
  pipes['old']!.last = now;
  assert.deepEqual((await schedule.tick(now + HOUR)).filter((n) => n !== 'refused'), []);
  assert.deepEqual(await schedule.tick(now + 24 * HOUR), ['never', 'old', 'fresh']);
  schedule.close();
});

test('sluice serve refuses a bad --verify-every before opening the store, and runs with a good one', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-verify-every-'));
  try {
    const opts = { dataDir, port: 0, host: '127.0.0.1', uiDir: null, logger: createLogger('sluice', 'silent'), env: {}, print: () => undefined };
    await assert.rejects(startServe({ ...opts, verifyEvery: '10s' }), (e: unknown) => isSluiceError(e) && e.code === 'BAD_ARGUMENT');
    assert.deepEqual(readdirSync(dataDir), [], 'nothing created');
    const serve = await startServe({ ...opts, env: { SLUICE_VERIFY_EVERY: '24h' } });
    await serve.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
