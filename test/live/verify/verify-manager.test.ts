// Verify from the control plane: PipelineManager.verify runs in the background on a managed pipeline, keeps the
// latest run per pipeline (state, progress, per-table results with a sample of differences) and feeds the metrics
// sluice_verify_rows_checked_total{pipeline,table} and sluice_verify_mismatched_rows{pipeline,table}.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/store.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { PipelineMetrics } from '../../../src/control/metrics.js';
import { DEFAULT_TUNING } from '../../../src/config/types.js';
import { waitFor } from '../../helpers/wait-for.js';

function sample(text: string, name: string, labels: string): number | undefined {
  for (const line of text.split('\n')) if (line.startsWith(`${name}${labels} `)) return Number(line.slice(name.length + labels.length + 1));
  return undefined;
}

describe('verify in the control plane', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dataDir: string;
  let store: Store;
  let manager: PipelineManager;
  let metrics: PipelineMetrics;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 71 }), startMariaDb({ serverId: 72 })]);
    await source.query('CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO shop.t SELECT seq, CONCAT(\'v\', seq) FROM shop.seq_1_to_50;');
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-verify-manager-'));
    store = await Store.open({ dataDir: dataDir });
    for (const [kind, name, server] of [['source', 'src', source], ['target', 'dst', target]] as const) {
      await store.putEndpoint({ kind, name, type: 'mariadb', host: server.host, port: server.port, user: 'root', password: '', options: {} });
    }
    await store.putPipeline({ name: 'v1', source: 'src', target: 'dst', tables: ['shop.*'], exclude: [], targetDatabase: 'copy', snapshot: 'initial', ddl: 'apply',
      tuning: { ...DEFAULT_TUNING } }, 'stopped');
    manager = new PipelineManager({ store, logger: createLogger('sluice', 'error'), sampleIntervalMs: 60_000 });
    metrics = new PipelineMetrics(manager);
    await manager.start('v1');
    await waitFor('streaming', async () => (await manager.status('v1')).state === 'streaming');
  });
  after(async () => {
    await manager?.close();
    store?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs in the background, keeps the latest result, feeds the metrics; repair clears the gauge', async () => {
    assert.equal(manager.latestVerify('v1'), null);
    await target.query("UPDATE copy.t SET v = 'DRIFTED' WHERE id = 7");
    const started = await manager.verify('v1', {});
    assert.equal(started.state, 'running');
    await assert.rejects(manager.verify('v1', {}), /already running/);
    await waitFor('verify done', () => manager.latestVerify('v1')?.state !== 'running');
    const run = manager.latestVerify('v1')!;
    assert.equal(run.state, 'done', JSON.stringify(run.error));
    assert.equal(run.summary!.mismatched_rows, 1);
    assert.deepEqual(run.results[0]!.differences, [{ kind: 'different', key: '7', columns: [{ column: 'v', source: "'v7'", target: "'DRIFTED'" }] }]);
    let text = await metrics.text();
    assert.equal(sample(text, 'sluice_verify_rows_checked_total', '{pipeline="v1",table="shop.t"}'), 50);
    assert.equal(sample(text, 'sluice_verify_mismatched_rows', '{pipeline="v1",table="shop.t"}'), 1);

    await manager.verify('v1', { repair: true, tables: ['shop.t'] });
    await waitFor('repair done', () => manager.latestVerify('v1')?.state !== 'running');
    assert.equal(manager.latestVerify('v1')!.summary!.repaired_rows, 1);
    text = await metrics.text();
    assert.equal(sample(text, 'sluice_verify_rows_checked_total', '{pipeline="v1",table="shop.t"}'), 100);
    assert.equal(sample(text, 'sluice_verify_mismatched_rows', '{pipeline="v1",table="shop.t"}'), 0);
  });
});
