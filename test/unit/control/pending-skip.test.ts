// A skip an operator requested and the stream has not reached yet survives a restart of `sluice serve`:
// it is kept in the store, shown in the status after reopening, handed to the next run, and forgotten with
// the pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../src/store/index.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { createLogger } from '../../../src/log.js';
import { DEFAULT_TUNING } from '../../../src/config/types.js';

test('a pending skip is kept in the store across a restart and dropped with its pipeline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-skip-'));
  try {
    let store = await Store.open({ dataDir: dir });
    await store.putPipeline({ name: 'p', source: 's', target: 't', tables: ['a.*'], exclude: [], snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'stopped');
    assert.equal(await store.pendingSkip('p'), null);
    const skip = { file: 'bin.000007', pos: 4242, kind: 'ddl' as const };
    await store.setPendingSkip('p', skip);
    await store.close();

    store = await Store.open({ dataDir: dir });
    assert.deepEqual(await store.pendingSkip('p'), skip);
    const manager = new PipelineManager({ store, logger: createLogger('test', 'silent'), sampleIntervalMs: 60_000 });
    await manager.sample(); // the manager learns of the pipeline, as at server start
    assert.deepEqual((await manager.status('p')).pendingSkip, skip, 'the status shows the skip requested before the restart');
    await manager.close();

    await store.setPendingSkip('p', null);
    assert.equal(await store.pendingSkip('p'), null);
    await store.setPendingSkip('p', skip);
    await store.deletePipeline('p');
    assert.equal(await store.pendingSkip('p'), null, 'deleting the pipeline drops its skip');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
