// Table names outside latin1 (`staff_ĉopy`, `库存`) on a target server whose default character set is latin1 (MariaDB's
// default): the snapshot's progress rows in `_sluice.snapshot_chunks` must hold them. Before, that table took the
// server's default character set and every chunk of such a table failed (TARGET_WRITE_FAILED, "Incorrect string
// value … for column `_sluice`.`snapshot_chunks`.`tbl`"). A chunk table left by an older version is converted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../../src/config/index.js';
import { createLogger } from '../../../../src/log.js';
import { eventually, tableRows } from '../../sync-helpers.js';

describe('MySQL target: table names outside latin1', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
  before(async () => {
    [source, target] = await Promise.all([startMariaDb({}), startMariaDb({ binlog: false })]);
    await source.query('SET NAMES utf8mb4');
    await source.query('CREATE DATABASE shop CHARACTER SET utf8mb4');
    await source.query('CREATE TABLE shop.`staff_ĉopy` (id INT PRIMARY KEY, name VARCHAR(20))');
    await source.query('CREATE TABLE shop.`库存` (id INT PRIMARY KEY, `数量` INT)');
    await source.query("INSERT INTO shop.`staff_ĉopy` VALUES (1, 'ĉ'), (2, '😀')");
    await source.query('INSERT INTO shop.`库存` VALUES (1, 10), (2, 20)');
  });
  after(async () => { await Promise.all([source?.stop(), target?.stop()]); });

  async function copy(name: string, targetDatabase: string): Promise<void> {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      pipelines: [{ name, source: 's', target: 't', tables: ['shop.*'], targetDatabase }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed', 60_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', String(p.stats.lastError ?? ''));
      for (const t of ['staff_ĉopy', '库存']) assert.deepEqual(await tableRows(target, targetDatabase, t), await tableRows(source, 'shop', t), t);
    } finally {
      ctl.abort();
    }
    const err = await run;
    if (err) throw err as Error;
  }

  it('copies them with a fresh checkpoint database', async () => {
    await copy('fresh', 'copy1');
  });

  it('copies them with a latin1 snapshot_chunks table left by an older version', async () => {
    await target.query('DROP TABLE IF EXISTS _sluice.snapshot_chunks');
    await target.query(`CREATE TABLE _sluice.snapshot_chunks (
  pipeline VARCHAR(64) NOT NULL, db VARCHAR(64) NOT NULL, tbl VARCHAR(64) NOT NULL, idx INT NOT NULL,
  file VARCHAR(512) NOT NULL, pos BIGINT UNSIGNED NOT NULL, rows_copied BIGINT NOT NULL,
  PRIMARY KEY (pipeline, db, tbl, idx)) ENGINE=InnoDB DEFAULT CHARSET=latin1`);
    await copy('older', 'copy2');
  });
});
