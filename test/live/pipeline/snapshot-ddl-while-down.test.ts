// A deploy with migrations while Sluice is down in the middle of its initial copy: the pipeline stops part-way
// through the snapshot, the source's tables change (ADD COLUMN, a row written with it), and the pipeline is
// started again. It must resume — not refuse the target table that still has the old shape — apply the DDL in
// stream order and end with every table identical to the source.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { createLogger } from '../../../src/log.js';
import { PRODUCT_TABLES, createSupplyChain, eventually, supplyChainConfig, tableRows } from '../sync-helpers.js';

describe('DDL on the source while the initial snapshot is stopped', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    await createSupplyChain(source, target, 3000);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('resumes the snapshot after an ALTER TABLE and ends identical', async () => {
    const cfg = supplyChainConfig(source, target, { snapshotChunkSize: 50, snapshotParallelism: 1, maxBatchDelayMs: 20 });
    const pc = cfg.pipelines.find((p) => p.name === 'product-to-order')!;
    const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
    const make = (): Pipeline => new Pipeline({ config: pc, source: cfg.sources[pc.source]!, target: cfg.targets[pc.target]!, logger: log });

    const first = make();
    const stop1 = new AbortController();
    const run1 = first.run(stop1.signal);
    await eventually(async () => first.stats.snapshotRowsCopied > 0, 60_000, 'the snapshot to copy its first chunk');
    stop1.abort();
    await run1;
    assert.notEqual(first.stats.status, 'streaming', 'stopped during the snapshot');

    await source.query(`USE product_service;
      ALTER TABLE product ADD COLUMN color VARCHAR(20) NULL AFTER model;
      UPDATE product SET color = 'red' WHERE id % 7 = 0;
      INSERT INTO product (id, category_id, model, color, code, year, price) VALUES (99001, 1, 'M', 'blue', 'NEW-1', 2024, 9.99);`);

    const second = make();
    const stop2 = new AbortController();
    const run2 = second.run(stop2.signal);
    try {
      let diff = '';
      await eventually(async () => {
        for (const t of PRODUCT_TABLES) {
          const [a, b] = await Promise.all([tableRows(source, 'product_service', t), tableRows(target, 'order_service', t)]);
          if (a.length !== b.length || a.some((r, i) => r !== b[i])) { diff = `${t}: ${a.length} vs ${b.length} rows`; return false; }
        }
        return second.stats.status === 'streaming';
      }, 90_000, 'every table identical after the restart').catch((err: unknown) => {
        throw new Error(`${String(err)}: ${diff}; pipeline ${second.stats.status} ${second.stats.lastError ?? ''}`);
      });
      const cols = await target.query<Array<{ c: string }>>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'order_service' AND TABLE_NAME = 'product' AND COLUMN_NAME = 'color'");
      assert.equal(cols.length, 1, 'the target table has the new column');
    } finally {
      stop2.abort();
      await run2.catch(() => undefined);
    }
  });
});
