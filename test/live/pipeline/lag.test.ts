// End-to-end lag: near zero while the source is idle (binlog heartbeats say the target has everything), growing
// while the source is gone (it never freezes at its last value), and back near zero once the source returns.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { eventually } from '../sync-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('pipeline lag', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'silent');

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 51 }), startMariaDb({ serverId: 52 })]);
    await source.query('CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v INT); INSERT INTO app.t VALUES (1, 1)');
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  /** The pipeline `lag` (app.* into copy), as a new process would make it. */
  function lagPipeline(): Pipeline {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      pipelines: [{ name: 'lag', source: 's', target: 't', tables: ['app.*'], targetDatabase: 'copy' }],
    }), { format: 'json' });
    return new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log, retry: { baseDelayMs: 200, maxDelayMs: 500 } });
  }

  it('stays near zero on an idle source, grows while the source is down, recovers after', async () => {
    const p = lagPipeline();
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 30_000, 'streaming');
      await source.query('INSERT INTO app.t VALUES (2, 2)');
      await eventually(async () => (await target.query<unknown[]>('SELECT 1 FROM copy.t WHERE id = 2')).length === 1, 20_000, 'the row');
      // Idle for a while: heartbeats keep the lag small (one-second timestamps, one-second heartbeats).
      await sleep(3500);
      assert.notEqual(p.stats.lagSeconds, null);
      assert.ok(p.stats.lagSeconds! < 2.5, `idle lag ${p.stats.lagSeconds}`);

      await source.kill();
      await sleep(4000);
      const down = p.stats.lagSeconds!;
      assert.ok(down > 3.5, `lag while the source is down: ${down}`);
      await sleep(1000);
      assert.ok(p.stats.lagSeconds! > down + 0.5, 'lag keeps growing');

      await source.restart();
      await eventually(async () => p.stats.status === 'streaming' && p.stats.lagSeconds !== null && p.stats.lagSeconds < 2.5, 60_000, 'lag back near zero');
      await source.query('INSERT INTO app.t VALUES (3, 3)');
      await eventually(async () => (await target.query<unknown[]>('SELECT 1 FROM copy.t WHERE id = 3')).length === 1, 20_000, 'a row after the outage');
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('after a restart on an idle source: the checkpoint position at once, the lag within seconds', async () => {
    // Runs after the test above: the pipeline `lag` has a checkpoint at the end of the source's binlog.
    const [stored] = await target.query<Array<{ file: string; pos: number }>>("SELECT file, pos FROM _sluice.checkpoints WHERE pipeline = 'lag'");
    const p = lagPipeline();
    assert.equal(p.stats.position, null);
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 30_000, 'streaming');
      const at = (p.stats as { position: { file: string; pos: number } | null }).position;
      assert.ok(at !== null, 'the position is shown as soon as the pipeline streams');
      assert.deepEqual({ file: at.file, pos: at.pos }, { file: stored!.file, pos: Number(stored!.pos) });
      await eventually(async () => p.stats.lagSeconds !== null, 5_000, 'the lag from the idle source\'s heartbeats');
      assert.ok(p.stats.lagSeconds! < 2.5, `idle lag ${p.stats.lagSeconds}`);
    } finally {
      ctl.abort();
      await run;
    }
  });
});
