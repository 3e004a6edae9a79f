// A target connection that hangs without a reset (a partition, a stuck proxy) must not leave the pipeline
// "streaming" with a frozen position forever: the watchdog notices that nothing progresses, says so, cuts
// the connections and restarts from the checkpoint; once the network is back the copy catches up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { TcpProxy } from '../../../src/testkit/tcp-proxy.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { createLogger } from '../../../src/log.js';
import { parseConfig } from '../../../src/config/index.js';
import { createSupplyChain, eventually, tableRows } from '../sync-helpers.js';

describe('stream watchdog', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let proxy: TcpProxy;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb(), startMariaDb()]);
    await createSupplyChain(source, target, 300);
    proxy = new TcpProxy(target.host, target.port);
    await proxy.start();
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('restarts a stream whose target connection hangs, and reports it instead of streaming with a frozen position', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { products: { type: 'mysql', url: source.url } },
      targets: { orders: { type: 'mysql', url: `mysql://root@127.0.0.1:${proxy.port}` } },
      tuning: { stallTimeoutSeconds: 3, maxBatchDelayMs: 10 },
      pipelines: [{ name: 'stall', source: 'products', target: 'orders', tables: ['product_service.category'], targetDatabase: 'order_service' }],
    }), { format: 'json' });
    const pipeline = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources['products']!, target: cfg.targets['orders']!,
      logger: createLogger('test', process.env.SLUICE_TEST_LOG ?? 'silent'), retry: { baseDelayMs: 100, maxDelayMs: 500 } });
    const controller = new AbortController();
    const run = pipeline.run(controller.signal);
    try {
      await eventually(async () => pipeline.stats.status === 'streaming', 30_000, 'streaming');
      proxy.blackhole();
      await source.query("UPDATE product_service.category SET name = 'during the partition' WHERE id = 1");
      // Within the stall timeout (3 s) plus a tick, the pipeline stops claiming to stream.
      await eventually(async () => pipeline.stats.status !== 'streaming', 8000, 'the pipeline to notice the stall');
      assert.ok(pipeline.stats.stalls >= 1, 'the stall is counted');
      assert.match(pipeline.stats.lastError ?? '', /STREAM_STALLED/);
      proxy.heal();
      await source.query("UPDATE product_service.category SET name = 'after the partition' WHERE id = 2");
      await eventually(async () => {
        const [a, b] = await Promise.all([tableRows(source, 'product_service', 'category'), tableRows(target, 'order_service', 'category')]);
        return a.length === b.length && a.every((r, i) => r === b[i]);
      }, 60_000, 'the copy to catch up after the partition');
      assert.equal(pipeline.stats.status, 'streaming');
    } finally {
      controller.abort();
      await run.catch(() => undefined);
    }
  });
});
