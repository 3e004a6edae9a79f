// Prometheus metrics of managed pipelines (src/control/metrics.ts) with real values: a PipelineManager runs a
// pipeline between two throwaway MariaDB servers; the snapshot shows per table, then known inserts, updates
// and deletes show as sluice_rows_applied_total by table and op (summing to the pipeline's rowsApplied: no
// double-counting series), bytes read, queue depth, transactions, lag and state. A row the target refuses
// (CHECK constraint) fails the pipeline → sluice_errors_total{kind="TARGET_WRITE_FAILED"}; skipping it →
// sluice_skipped_events_total, and counters keep their values across the restart. Deleting the pipeline
// removes all its series.
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

const eventually = waitFor;

/** The samples of one metric in Prometheus text format: `labels` (as written) → value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

describe('Prometheus metrics of managed pipelines', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dataDir: string;
  let store: Store;
  let manager: PipelineManager;
  let metrics: PipelineMetrics;
  const value = async (name: string, labels: string): Promise<number | undefined> => samples(await metrics.text(), name).get(labels);

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 61 }), startMariaDb({ serverId: 62 })]);
    await source.query(`CREATE DATABASE shop;
      CREATE TABLE shop.t (id INT PRIMARY KEY, v INT);
      CREATE TABLE shop.other (id INT PRIMARY KEY, v INT);
      INSERT INTO shop.t SELECT seq, seq FROM shop.seq_1_to_20;
      INSERT INTO shop.other SELECT seq, seq FROM shop.seq_1_to_5;`);
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-metrics-'));
    store = await Store.open({ dataDir: dataDir });
    for (const [kind, name, server] of [['source', 'src', source], ['target', 'dst', target]] as const) {
      await store.putEndpoint({ kind, name, type: 'mariadb', host: server.host, port: server.port, user: 'root', password: '', options: {} });
    }
    await store.putPipeline({ name: 'm1', source: 'src', target: 'dst', tables: ['shop.*'], exclude: [], targetDatabase: 'copy', snapshot: 'initial', ddl: 'apply',
      tuning: { ...DEFAULT_TUNING } }, 'stopped');
    manager = new PipelineManager({ store, logger: createLogger('sluice', 'error'), sampleIntervalMs: 60_000, retry: { baseDelayMs: 100, maxDelayMs: 500 } });
    metrics = new PipelineMetrics(manager);
  });

  after(async () => {
    await manager?.close();
    store?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('snapshot per table, then rows by table and op, transactions, bytes read, queue depth, lag, state', async () => {
    const idle = await metrics.text();
    assert.equal(samples(idle, 'sluice_pipeline_state').get('{pipeline="m1",state="stopped"}'), 1);
    assert.equal(samples(idle, 'sluice_queue_depth').get('{pipeline="m1"}'), 0);
    assert.equal(samples(idle, 'sluice_pipeline_lag_seconds').size, 0, 'no lag before the pipeline has streamed');

    await manager.start('m1');
    await eventually('streaming', async () => (await manager.status('m1')).state === 'streaming');
    let text = await metrics.text();
    assert.deepEqual(Object.fromEntries(samples(text, 'sluice_snapshot_rows_copied')), { '{pipeline="m1",table="shop.t"}': 20, '{pipeline="m1",table="shop.other"}': 5 });
    const estimated = samples(text, 'sluice_snapshot_rows_estimated');
    assert.ok((estimated.get('{pipeline="m1",table="shop.t"}') ?? 0) >= 20, `estimated: ${[...estimated].join(' ')}`);
    assert.ok((estimated.get('{pipeline="m1",table="shop.other"}') ?? 0) >= 5);
    assert.equal(samples(text, 'sluice_pipeline_state').get('{pipeline="m1",state="streaming"}'), 1);
    assert.equal(samples(text, 'sluice_pipeline_state').get('{pipeline="m1",state="stopped"}'), 0);

    // 7 inserts, 4 updates, 3 deletes on shop.t and 2 inserts on shop.other, in 4 transactions.
    await source.query('INSERT INTO shop.t SELECT seq, seq FROM shop.seq_101_to_107');
    await source.query('UPDATE shop.t SET v = v + 1 WHERE id BETWEEN 1 AND 4');
    await source.query('DELETE FROM shop.t WHERE id BETWEEN 18 AND 20');
    await source.query('INSERT INTO shop.other VALUES (6, 6), (7, 7)');
    await eventually('rows applied', async () => await value('sluice_transactions_applied_total', '{pipeline="m1"}') === 4);
    text = await metrics.text();
    const rows = samples(text, 'sluice_rows_applied_total');
    assert.deepEqual(Object.fromEntries(rows), {
      '{pipeline="m1",table="shop.t",op="insert"}': 7,
      '{pipeline="m1",table="shop.t",op="update"}': 4,
      '{pipeline="m1",table="shop.t",op="delete"}': 3,
      '{pipeline="m1",table="shop.other",op="insert"}': 2,
      '{pipeline="m1",table="shop.other",op="update"}': 0,
      '{pipeline="m1",table="shop.other",op="delete"}': 0,
    });
    assert.equal([...rows.values()].reduce((a, b) => a + b, 0), (await manager.status('m1')).rowsApplied, 'sum() over the series is the pipeline total');
    assert.equal(Number((await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy.t'))[0]!.n), 24);

    const bytes = samples(text, 'sluice_source_bytes_read_total').get('{pipeline="m1"}') ?? 0;
    assert.ok(bytes > 0, `bytes read: ${bytes}`);
    assert.equal(samples(text, 'sluice_source_reconnects_total').get('{pipeline="m1"}'), 0);
    assert.equal(samples(text, 'sluice_queue_depth').get('{pipeline="m1"}'), 0, 'everything read is committed');
    assert.equal(typeof samples(text, 'sluice_pipeline_lag_seconds').get('{pipeline="m1"}'), 'number');
    assert.equal(samples(text, 'sluice_restarts_total').get('{pipeline="m1"}'), 0);
    assert.equal(samples(text, 'sluice_stream_stalls_total').get('{pipeline="m1"}'), 0);
    assert.equal(samples(text, 'sluice_skipped_events_total').get('{pipeline="m1"}'), 0);
    assert.equal(samples(text, 'sluice_errors_total').size, 0);
    assert.match(text, /# HELP sluice_rows_applied_total Row changes read from the binlog and committed on the target, by source table/);
    assert.match(text, /# TYPE sluice_queue_depth gauge/);

    // More bytes after more changes (a counter that follows the stream).
    await source.query('UPDATE shop.other SET v = 0 WHERE id = 1');
    await eventually('one more update', async () => await value('sluice_rows_applied_total', '{pipeline="m1",table="shop.other",op="update"}') === 1);
    assert.ok((await value('sluice_source_bytes_read_total', '{pipeline="m1"}') ?? 0) > bytes);
  });

  it('a refused row: errors by kind and the failed state; skipping it: skipped events; counters survive the restart', async () => {
    await target.query('ALTER TABLE copy.t ADD CONSTRAINT v_small CHECK (v < 1000)');
    await source.query('INSERT INTO shop.t VALUES (1000, 5000)');
    await eventually('failed', async () => (await manager.status('m1')).state === 'failed');
    let text = await metrics.text();
    assert.equal(samples(text, 'sluice_errors_total').get('{pipeline="m1",kind="TARGET_WRITE_FAILED"}'), 1, text);
    assert.equal(samples(text, 'sluice_pipeline_state').get('{pipeline="m1",state="failed"}'), 1);
    assert.equal(samples(text, 'sluice_queue_depth').get('{pipeline="m1"}'), 0, 'a failed run holds nothing');
    assert.equal(samples(text, 'sluice_rows_applied_total').get('{pipeline="m1",table="shop.t",op="insert"}'), 7, 'the refused row is not counted');

    await manager.skip('m1');
    await source.query('INSERT INTO shop.t VALUES (1001, 1)');
    await eventually('row after the skip', async () => await value('sluice_rows_applied_total', '{pipeline="m1",table="shop.t",op="insert"}') === 8);
    text = await metrics.text();
    assert.equal(samples(text, 'sluice_skipped_events_total').get('{pipeline="m1"}'), 1);
    assert.equal(samples(text, 'sluice_rows_applied_total').get('{pipeline="m1",table="shop.t",op="update"}'), 4, 'kept across the restart');
    // 5 before, the skipped one (passed as an empty transaction: its checkpoint is committed) and the new one.
    assert.equal(samples(text, 'sluice_transactions_applied_total').get('{pipeline="m1"}'), 7);
    assert.equal(samples(text, 'sluice_errors_total').get('{pipeline="m1",kind="TARGET_WRITE_FAILED"}'), 1);
    assert.equal(samples(text, 'sluice_pipeline_state').get('{pipeline="m1",state="streaming"}'), 1);
    assert.equal((await target.query<unknown[]>('SELECT 1 FROM copy.t WHERE id = 1000')).length, 0);
  });

  it('a deleted pipeline loses every series', async () => {
    assert.match(await metrics.text(), /pipeline="m1"/);
    await manager.remove('m1');
    await store.deletePipeline('m1');
    const text = await metrics.text();
    assert.doesNotMatch(text, /pipeline="m1"/);
    assert.match(text, /# HELP sluice_rows_applied_total/, 'the metric families stay');
  });
});
