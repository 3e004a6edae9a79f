// Another replica of the source registers with the server id a pipeline reads with. The source drops the
// pipeline's binlog connection; the pipeline must say what that is (another replica, not another instance
// of this pipeline, which would be FENCED) and how to find it, and must not reconnect in a loop that
// knocks the other replica off in turn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { SourceHub } from '../../../src/pipeline/source-hub.js';
import { ReplicationSession } from '../../../src/mysql/protocol/replication-session.js';
import { createLogger } from '../../../src/log.js';
import { SluiceError } from '../../../src/errors.js';
import { createSupplyChain, eventually, supplyChainConfig } from '../sync-helpers.js';

describe('a replica with the pipeline\'s server id', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let other: ReplicationSession | null = null;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb(), startMariaDb()]);
    await createSupplyChain(source, target, 200);
  });
  after(async () => {
    other?.close();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('stops the pipeline with DUPLICATE_SERVER_ID naming the id and how to find the other replica', async () => {
    const cfg = supplyChainConfig(source, target);
    const log = createLogger('test', 'silent');
    const hub = new SourceHub(source.url, 4242, log);
    const pipeline = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources['products']!, target: cfg.targets['orders']!, logger: log, hub, retry: { baseDelayMs: 50, maxDelayMs: 100 } });
    const controller = new AbortController();
    const run = pipeline.run(controller.signal);
    const outcome = run.then(() => null, (e: unknown) => e); // observed at once: the failure may come early
    try {
      await eventually(async () => pipeline.stats.status === 'streaming', 30_000, 'the pipeline to stream');
      await new Promise((r) => setTimeout(r, 500));
      // Another replica (not Sluice's pipeline) connects with the same server id.
      other = await ReplicationSession.open({ url: source.url, serverId: 4242, start: { kind: 'now' }, heartbeatSeconds: 1 });
      const err = await Promise.race([outcome, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
      assert.ok(err instanceof SluiceError, `the pipeline ended with ${String(err)}`);
      assert.equal(err.code, 'DUPLICATE_SERVER_ID');
      assert.match(err.message, /server id 4242/);
      assert.match(err.message, /not a Sluice instance of pipeline 'product-to-order'/);
      assert.match(err.fix, /SHOW SLAVE HOSTS/);
      assert.equal(pipeline.stats.status, 'failed');
      // The other replica keeps its connection: the pipeline did not knock it off by reconnecting.
      await new Promise((r) => setTimeout(r, 2000));
      const dumps = await source.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
      assert.equal(Number(dumps[0]!.n), 1, 'one binlog dump: the other replica');
    } finally {
      controller.abort();
      await outcome;
      await hub.close();
    }
  });
});
