// The foreign-key step that waits for the stream to pass the copy (PostgreSQL: the constraints added and validated,
// with the orphan sweep; MySQL: the orphan sweep and foreign_key_checks on) runs once the stream is past the copy
// even when the source then stays idle: the source's heartbeats move the stream past it, no new source transaction
// is needed. Two ways to end a copy: an idle source throughout, and writes during the copy whose catch-up ends in
// one batch that starts before the end of the copy (a large batch size and delay make that batch), then silence.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { targetFactory } from '../../../src/targets/registry.js';
import type { TargetFactory } from '../../../src/targets/target.js';
import { eventually } from '../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How long the step may take once the stream is past the copy (heartbeats come every second). */
const WITHIN_MS = 8_000;

describe('foreign keys after the copy, on an idle source', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let pgdb: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'silent');

  before(async () => {
    [source, target, pgdb] = await Promise.all([startMariaDb({ serverId: 61 }), startMariaDb({ serverId: 62 }), createPgDatabase()]);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop(), pgdb?.drop()]);
  });

  async function sourceDatabase(db: string): Promise<void> {
    await source.query(`CREATE DATABASE ${db}; USE ${db};
      CREATE TABLE country (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL) ENGINE=InnoDB;
      CREATE TABLE city (id INT PRIMARY KEY, country_id INT NOT NULL, name VARCHAR(20) NOT NULL,
        CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB`);
    const countries = Array.from({ length: 50 }, (_, i) => `(${i + 1}, 'c${i + 1}')`);
    const cities = Array.from({ length: 2000 }, (_, i) => `(${i + 1}, ${(i % 50) + 1}, 'city ${i + 1}')`);
    await source.query(`INSERT INTO ${db}.country VALUES ${countries.join(',')}; INSERT INTO ${db}.city VALUES ${cities.join(',')}`);
  }

  const binlogEnd = async (): Promise<string> => (await source.query<Array<{ g: string }>>('SELECT @@gtid_binlog_pos AS g'))[0]!.g;

  /**
   * Runs a pipeline of `db` into `targetType` until streaming, with writes to `db` during the copy when `writes`;
   * then the source is left idle and `done()` must hold within WITHIN_MS. Returns the steps the target saw.
   */
  async function scenario(db: string, targetType: 'mysql' | 'postgres', writes: boolean, done: (steps: string[]) => Promise<boolean>): Promise<string[]> {
    await sourceDatabase(db);
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mariadb', url: source.url } },
      targets: { t: { type: targetType, url: targetType === 'postgres' ? pgdb.url : target.url } },
      // Small chunks: a copy that takes a while; one large batch with a long delay: the catch-up is one batch.
      tuning: { snapshotChunkSize: 50, snapshotParallelism: 1, batchSize: 100_000, maxBatchDelayMs: 1500 },
      pipelines: [{ name: `${db}-${targetType}`, source: 's', target: 't', tables: [`${db}.*`], targetDatabase: `${db}_copy` }],
    }), { format: 'json' });
    // The steps the stream asks of the target (what is checked on a MySQL target, whose constraints exist from the start).
    const steps: string[] = [];
    const real = targetFactory(cfg.targets.t!);
    const targets: TargetFactory = (o) => {
      const t = real(o);
      const sweep = t.removeForeignKeyOrphans?.bind(t);
      const enforce = t.enforceForeignKeys?.bind(t);
      if (sweep) t.removeForeignKeyOrphans = async (tables) => { const r = await sweep(tables); steps.push('sweep'); return r; };
      if (enforce) t.enforceForeignKeys = (on) => { if (on && !steps.includes('checks on')) steps.push('checks on'); enforce(on); };
      return t;
    };
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log, targets });
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    let writing = writes;
    let written = 0;
    const loop = (async () => {
      for (let i = 0; writing; i++) {
        await source.query(`UPDATE ${db}.city SET name = 'w${i}' WHERE id = ${(i * 37) % 2000 + 1}; INSERT INTO ${db}.country VALUES (${1000 + i}, 'n${i}')`);
        written++;
      }
    })();
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed', 60_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', String(p.stats.lastError ?? ''));
      writing = false;
      await loop;
      if (writes) assert.ok(written > 3, `writes during the copy: ${written}`);
      const idleAt = await binlogEnd();
      const t0 = Date.now();
      await eventually(() => done(steps), WITHIN_MS, `the foreign-key step on an idle source within ${WITHIN_MS} ms (steps: ${steps.join(', ') || 'none'})`);
      log.info({ ms: Date.now() - t0 }, 'foreign-key step done');
      assert.equal(await binlogEnd(), idleAt, 'the source stayed idle (no transaction moved the stream)');
      await sleep(200);
      assert.equal(p.stats.status, 'streaming', 'the pipeline is still streaming');
      return steps;
    } finally {
      writing = false;
      await loop;
      ctl.abort();
      const err = await run;
      assert.equal(err, null, String(err));
    }
  }

  const pgConstraint = (schema: string) => async (): Promise<boolean> =>
    (await pgdb.query(`SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conname = 'fk_city_country' AND convalidated AND connamespace = '${schema}'::regnamespace`)).length === 1;

  for (const writes of [false, true]) {
    const how = writes ? 'writes during the copy, then idle' : 'idle throughout';
    it(`PostgreSQL: the constraints are added and validated (${how})`, async () => {
      const db = writes ? 'pgw' : 'pgi';
      const steps = await scenario(db, 'postgres', writes, pgConstraint(`${db}_copy`));
      assert.deepEqual(steps, ['sweep', 'checks on']);
    });
    it(`MySQL: the orphan sweep runs and foreign-key checks are on (${how})`, async () => {
      const steps = await scenario(writes ? 'myw' : 'myi', 'mysql', writes, async (s) => s.length === 2);
      assert.deepEqual(steps, ['sweep', 'checks on']);
    });
  }
});
