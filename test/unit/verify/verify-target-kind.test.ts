// `sluice verify` over a config whose pipelines write to a PostgreSQL target: named alone, a typed error saying
// verify compares MySQL/MariaDB targets only (not a URL error); among all pipelines, reported as not compared
// while the others are verified. Nothing is connected for such a pipeline.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { verify } from '../../../src/verify/verify.js';
import { SluiceError } from '../../../src/errors.js';

const cfg = parseConfig(JSON.stringify({
  sources: { s: { type: 'mysql', url: 'mysql://u:pw@127.0.0.1:1' } },
  targets: { pg: { type: 'postgres', url: 'postgres://u@127.0.0.1:1/db' } },
  pipelines: [{ name: 'to-pg', source: 's', target: 'pg', tables: ['app.*'] }],
}), { format: 'json' });

describe('verify: pipelines with a PostgreSQL target', () => {
  it('named alone: BAD_ARGUMENT naming the target kind', async () => {
    await assert.rejects(verify(cfg, { pipeline: 'to-pg' }), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'BAD_ARGUMENT');
      assert.match(err.message, /postgres target \(pg\); verify compares MySQL\/MariaDB targets only/);
      return true;
    });
  });

  it('among all pipelines: reported as not compared', async () => {
    const summary = await verify(cfg);
    assert.equal(summary.results.length, 1);
    assert.equal(summary.results[0]!.pipeline, 'to-pg');
    assert.match(summary.results[0]!.problem ?? '', /MySQL\/MariaDB targets only, not postgres/);
  });

  it('among all pipelines: the not-compared result is reported through onTable (the CLI prints nothing else for it)', async () => {
    const seen: string[] = [];
    await verify(cfg, { onTable: (r) => seen.push(`${r.pipeline}: ${r.problem ?? 'compared'}`) });
    assert.deepEqual(seen, ['to-pg: verify compares MySQL/MariaDB targets only, not postgres']);
  });
});
