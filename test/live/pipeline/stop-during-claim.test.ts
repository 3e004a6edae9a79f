// A stop (SIGTERM of `sluice run`) that arrives while the pipeline is claiming it on the target (open() waiting,
// e.g. for another instance's lock) must stop the pipeline once the claim returns. Found by
// `npm run chaos -- --target postgres --seed 99 --kinds …,pile-up,…`: an instance of the pile-up got SIGTERM while
// it waited for the owner, took the pipelines over once the others were gone and kept running for good.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import type { Target } from '../../../src/targets/target.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

describe('pipeline stopped while it claims the target', () => {
  let source: MariaDbServer;
  let pg: PgTestDatabase;
  before(async () => {
    [source, pg] = await Promise.all([startMariaDb({}), createPgDatabase()]);
    await source.query('CREATE DATABASE sc; CREATE TABLE sc.t (id INT PRIMARY KEY); INSERT INTO sc.t VALUES (1), (2)');
  });
  after(async () => {
    await Promise.all([source?.stop(), pg?.drop()]);
  });

  it('stops once the claim returns, when the stop came during the claim', { timeout: 60_000 }, async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mariadb', url: source.url } },
      targets: { t: { type: 'postgres', url: pg.url } },
      pipelines: [{ name: 'sc', source: 's', target: 't', tables: ['sc.*'] }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: createLogger('test', 'silent') });
    const ctl = new AbortController();
    const newTarget = p.newTarget.bind(p);
    let claims = 0;
    p.newTarget = (...args: Parameters<Pipeline['newTarget']>): Target => {
      const t = newTarget(...args);
      const open = t.open.bind(t);
      // The claim takes a while (here: until the stop has come), then succeeds.
      t.open = async () => {
        claims++;
        ctl.abort();
        await new Promise((r) => setTimeout(r, 200));
        return open();
      };
      return t;
    };
    const done = p.run(ctl.signal).then(() => 'stopped', (e: unknown) => `failed: ${String(e)}`);
    const outcome = await Promise.race([done, new Promise((r) => setTimeout(r, 20_000)).then(() => 'still running 20 s after the stop')]);
    if (outcome !== 'stopped') p.cutWrites();
    assert.equal(outcome, 'stopped');
    assert.equal(claims, 1);
    assert.equal(p.stats.status, 'stopped');
  });
});
