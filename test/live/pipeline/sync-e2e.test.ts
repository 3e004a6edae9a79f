// The supply-chain scenario end to end: product tables of product_service are kept identical inside
// order_service and purchase_service on another server, through an initial snapshot taken while a
// writer keeps changing the source, then streaming; an ALTER TABLE and a new table mid-stream; a JOIN
// from orders to products on the target.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { createLogger } from '../../../src/log.js';
import { SourceHub } from '../../../src/pipeline/source-hub.js';
import { PRODUCT_TABLES, createSupplyChain, eventually, startWriter, supplyChainConfig, tableRows } from '../sync-helpers.js';

describe('MySQL→MySQL sync: supply chain', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const controller = new AbortController();
  let runs: Array<Promise<void>> = [];
  let pipelines: Pipeline[] = [];
  let hub: SourceHub | null = null;
  let dumpThreads = 0;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    await createSupplyChain(source, target, 3000);
  });
  after(async () => {
    controller.abort();
    await Promise.allSettled(runs);
    await hub?.close();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  async function identical(db: string, tables: string[]): Promise<boolean> {
    for (const t of tables) {
      const [a, b] = await Promise.all([tableRows(source, 'product_service', t), tableRows(target, db, t)]);
      if (a.length !== b.length || a.some((r, i) => r !== b[i])) return false;
    }
    return true;
  }

  it('copies and follows the product tables into both services while the source keeps writing', async () => {
    const writer = startWriter(source, 100_000);
    const cfg = supplyChainConfig(source, target, { snapshotChunkSize: 250, snapshotParallelism: 3, maxBatchDelayMs: 20 });
    const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
    // Both pipelines read the product binlog through one shared reader.
    hub = new SourceHub(source.url, 7001, log);
    pipelines = cfg.pipelines.map((p) => new Pipeline({ config: p, source: cfg.sources[p.source]!, target: cfg.targets[p.target]!, logger: log, hub: hub! }));
    runs = pipelines.map((p) => p.run(controller.signal));
    await eventually(async () => pipelines.every((p) => p.stats.status === 'streaming'), 60_000, 'both pipelines to finish the snapshot');
    assert.ok(pipelines.every((p) => p.stats.snapshotRowsCopied > 0));

    // Schema change and a new table in scope while streaming.
    await source.query('ALTER TABLE product_service.product ADD COLUMN color VARCHAR(20) NULL AFTER model');
    await source.query("UPDATE product_service.product SET color = 'red' WHERE id % 10 = 0");
    await source.query('CREATE TABLE product_service.bundle (id INT PRIMARY KEY, product_id BIGINT UNSIGNED, qty INT)');
    await source.query('INSERT INTO product_service.bundle SELECT seq, seq, seq % 3 FROM product_service.seq_1_to_50');
    await new Promise((r) => setTimeout(r, 1500));
    const threads = await source.query<unknown[]>("SELECT 1 FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'");
    dumpThreads = threads.length;
    assert.equal(dumpThreads, 1, 'one binlog reader serves both pipelines');
    const committed = await writer.stop();
    assert.ok(committed > 100, `writer committed ${committed} transactions`);

    const tables = [...PRODUCT_TABLES, 'bundle'];
    await eventually(() => identical('order_service', tables), 60_000, 'order_service to match the source');
    await eventually(() => identical('purchase_service', tables), 60_000, 'purchase_service to match the source');
    // Excluded table is not copied.
    const scratch = await target.query<unknown[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_NAME = 'tmp_scratch'");
    assert.equal(scratch.length, 0);
    // The point of it all: orders JOIN products on the target.
    const joined = await target.query<Array<{ id: number; model: string; cat: string }>>(
      `SELECT o.id, p.model, c.name AS cat FROM order_service.orders o JOIN order_service.product p ON p.id = o.product_id
       JOIN order_service.category c ON c.id = p.category_id ORDER BY o.id`);
    const expected = await source.query<Array<{ id: number; model: string }>>(
      'SELECT p.id, p.model FROM product_service.product p WHERE p.id IN (' +
      (await target.query<Array<{ product_id: number }>>('SELECT product_id FROM order_service.orders')).map((o) => o.product_id).join(',') + ')');
    assert.ok(joined.length > 0);
    const models = new Map(expected.map((r) => [Number(r.id), r.model]));
    const orders = await target.query<Array<{ id: number; product_id: number }>>('SELECT id, product_id FROM order_service.orders ORDER BY id');
    const byOrder = new Map(orders.map((o) => [o.id, Number(o.product_id)]));
    for (const j of joined) assert.equal(j.model, models.get(byOrder.get(j.id)!));
    for (const p of pipelines) assert.equal(p.stats.status, 'streaming');
  });

  it('applies a transaction larger than a batch atomically, in parts', async () => {
    const before = pipelines.map((p) => p.stats.transactionsApplied);
    // 30 000 rows in one source transaction; batchSize is 5000, the assembler's parts are 1000.
    await source.query(`BEGIN;
      INSERT INTO product_service.batch SELECT 1 + seq % 3000, 1000000 + seq, '2025-01-01', seq % 9, REPEAT('x', seq % 50) FROM product_service.seq_1_to_30000;
      UPDATE product_service.product SET price = price * 2 WHERE id <= 3000;
      COMMIT`);
    await eventually(() => identical('order_service', ['batch', 'product']), 60_000, 'the large transaction to arrive in order_service');
    await eventually(() => identical('purchase_service', ['batch', 'product']), 60_000, 'the large transaction to arrive in purchase_service');
    pipelines.forEach((p, i) => assert.ok(p.stats.transactionsApplied > before[i]!));
  });
});
