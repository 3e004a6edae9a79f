// `sluice serve` runs the preflight of `sluice check` before a pipeline touches anything: a source with the
// binary log off fails the pipeline at once with BINLOG_DISABLED and its fix — no snapshot is copied first,
// nothing is created on the target — and after the source is fixed, Retry starts it normally.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/store.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { DEFAULT_TUNING } from '../../../src/config/types.js';
import { eventually } from '../sync-helpers.js';

describe('pipeline manager preflight', () => {
  let nobinlog: MariaDbServer;
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dataDir: string;
  let store: Store;
  let manager: PipelineManager;

  before(async () => {
    [nobinlog, source, target] = await Promise.all([startMariaDb({ serverId: 71, binlog: false }), startMariaDb({ serverId: 72 }), startMariaDb({ serverId: 73 })]);
    for (const s of [nobinlog, source]) await s.query('CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v INT); INSERT INTO shop.t SELECT seq, seq FROM shop.seq_1_to_50');
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-preflight-'));
    store = await Store.open({ dataDir: dataDir });
    for (const [kind, name, server] of [['source', 'off', nobinlog], ['source', 'on', source], ['target', 'dst', target]] as const) {
      await store.putEndpoint({ kind, name, type: 'mariadb', host: server.host, port: server.port, user: 'root', password: '', options: {} });
    }
    const pipeline = async (name: string, src: string): Promise<void> => {
      await store.putPipeline({ name, source: src, target: 'dst', tables: ['shop.*'], exclude: [], targetDatabase: `copy_${name}`, snapshot: 'initial', ddl: 'apply',
        tuning: { ...DEFAULT_TUNING } }, 'stopped');
    };
    await pipeline('bad', 'off');
    await pipeline('good', 'on');
    manager = new PipelineManager({ store, logger: createLogger('sluice', 'silent'), sampleIntervalMs: 60_000, retry: { baseDelayMs: 100, maxDelayMs: 500 } });
  });
  after(async () => {
    await manager?.close();
    store?.close();
    await Promise.all([nobinlog?.stop(), source?.stop(), target?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails a pipeline whose source has the binary log off, before copying anything', async () => {
    await manager.start('bad');
    await eventually(async () => (await manager.status('bad')).state === 'failed', 20_000, 'the preflight failure');
    const st = await manager.status('bad');
    assert.equal(st.recentErrors[0]?.code, 'BINLOG_DISABLED');
    assert.match(st.recentErrors[0]?.fix ?? '', /log[-_]bin/);
    assert.equal(st.errorCount, 1);
    assert.equal(st.snapshot.rowsCopied, 0);
    const dbs = await target.query<Array<{ d: string }>>("SELECT SCHEMA_NAME AS d FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('_sluice', 'copy_bad')");
    assert.deepEqual(dbs, [], 'nothing was created on the target');
  });

  it('a good pipeline passes the preflight and syncs', async () => {
    await manager.start('good');
    await eventually(async () => (await manager.status('good')).state === 'streaming'
      && Number((await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy_good.t'))[0]!.n) === 50, 30_000, 'the good pipeline');
    assert.equal((await manager.status('good')).errorCount, 0);
  });
});
