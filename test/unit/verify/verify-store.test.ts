// The last verify result per table is kept in the store (migration 4): replaced by the next check of the table,
// read back after the store is reopened (a restart of `sluice serve`), through the manager as GET …/verify shows
// it, and dropped with the pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../src/store/index.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { createLogger } from '../../../src/log.js';
import { DEFAULT_TUNING } from '../../../src/config/types.js';
import type { LastVerifyResult } from '../../../src/verify/verify-runs.js';

function result(table: string, over: Partial<LastVerifyResult> = {}): LastVerifyResult {
  return {
    pipeline: 'p', table, target: table, key: 'primary', rowsChecked: 30, chunks: 1, differingChunks: 1, mismatchedRows: 1, unsettledRows: 0,
    differences: [{ kind: 'different', key: '3', columns: [{ column: 'v', source: "'v3'", target: "'DRIFTED'" }] }], differencesTotal: 1,
    repairedRows: 0, repair: false, checkedAt: '2026-11-30T10:00:00.000Z', ...over,
  };
}

test('the last verify result per table survives a reopen of the store and is dropped with its pipeline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-verify-store-'));
  try {
    let store = await Store.open({ dataDir: dir });
    await store.putPipeline({ name: 'p', source: 's', target: 't', tables: ['a.*'], exclude: [], snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'stopped');
    assert.deepEqual(await store.verifyResults('p'), []);
    await store.recordVerifyResult('p', result('a.t'));
    await store.recordVerifyResult('p', result('a.b', { mismatchedRows: 0, differences: [], differencesTotal: 0 }));
    const repaired = result('a.t', { repair: true, repairedRows: 1, recheckMismatchedRows: 0, checkedAt: '2026-11-30T11:00:00.000Z' });
    await store.recordVerifyResult('p', repaired);
    await store.close();

    store = await Store.open({ dataDir: dir });
    assert.deepEqual(await store.verifyResults('p'), [result('a.b', { mismatchedRows: 0, differences: [], differencesTotal: 0 }), repaired],
      'one result per table, the latest, sorted by table');
    const manager = new PipelineManager({ store, logger: createLogger('test', 'silent'), sampleIntervalMs: 60_000 });
    assert.deepEqual((await manager.lastVerifyResults('p')).map((r) => r.table), ['a.b', 'a.t']);
    assert.equal(manager.latestVerify('p'), null, 'the run itself is not kept');
    await manager.close();
    await store.deletePipeline('p');
    assert.deepEqual(await store.verifyResults('p'), [], 'deleting the pipeline drops its results');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
