// `sluice verify` over a config whose pipeline writes to a PostgreSQL target: the pipeline is verified like one
// with a MySQL target (no "not compared" result any more): here its target is unreachable, so reading its
// checkpoint fails with VERIFY_NOT_READY naming the pipeline (exit 2 in the CLI), not a refusal of the target kind.
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
  for (const opts of [{ pipeline: 'to-pg' }, {}]) {
    it(`are verified (${opts.pipeline ? 'named alone' : 'among all pipelines'}): the target's checkpoint is read`, async () => {
      const seen: string[] = [];
      await assert.rejects(verify(cfg, { ...opts, onTable: (r) => seen.push(r.table) }), (err: unknown) => {
        assert.ok(err instanceof SluiceError);
        assert.equal(err.code, 'VERIFY_NOT_READY');
        assert.match(err.message, /cannot read the checkpoint of pipeline 'to-pg' on the target/);
        return true;
      });
      assert.deepEqual(seen, []);
    });
  }
});
