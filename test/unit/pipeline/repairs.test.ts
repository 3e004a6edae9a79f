// The fix of an error that names one source transaction: how to skip it under sluice serve and with sluice run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { skippable } from '../../../src/pipeline/repairs.js';
import type { Pipeline } from '../../../src/pipeline/pipeline.js';
import { SluiceError } from '../../../src/errors.js';

describe('skippable', () => {
  const p = { name: 'orders' } as unknown as Pipeline;
  const err = new SluiceError('TARGET_WRITE_FAILED', 'target rejected a batch of 1 changes: Cannot add or update a child row', 'fix the cause reported by the target server');

  it('says how to pass over the transaction, in the API, the UI and sluice run', () => {
    const out = skippable(p, err, { file: 'bin.000001', pos: 85088169 });
    assert.ok(out instanceof SluiceError);
    assert.match(out.message, /\(source transaction at bin\.000001:85088169\)$/);
    assert.equal(out.fix, 'fix the cause reported by the target server; or, to pass over this one source transaction, skip it: '
      + 'POST /api/pipelines/orders/skip (Skip on the pipeline page), or `sluice run --skip orders=bin.000001:85088169`');
  });

  it('a DDL statement: the skip names it with :ddl', () => {
    const out = skippable(p, new SluiceError('DDL_FAILED', 'x', 'y'), { file: 'bin.000002', pos: 4 }, 'ddl');
    assert.ok(out instanceof SluiceError);
    assert.match(out.fix ?? '', /pass over this one source DDL statement.*`sluice run --skip orders=bin\.000002:4:ddl`$/);
  });
});
