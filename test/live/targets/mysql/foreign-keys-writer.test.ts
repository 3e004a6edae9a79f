// A ledger schema (customer → account → entry → entry_tag, ON DELETE CASCADE three levels deep, ON UPDATE
// CASCADE, ON DELETE SET NULL, a trigger-written audit table without a key) synced while a writer keeps cascading
// on the source — deletes and key updates during the initial copy and while the stream catches up with it (key
// moves, the orphan sweep), across a DDL and a pipeline restart. At the end every table must be identical.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../../src/config/index.js';
import { createLogger } from '../../../../src/log.js';
import { eventually, tableRows } from '../../sync-helpers.js';
import { LEDGER_TABLES, createLedgerSchema, startLedgerWriter } from '../../real-schemas.js';

const TABLES = LEDGER_TABLES;

describe('foreign-key cascades under a concurrent writer', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({}), startMariaDb({})]);
    await createLedgerSchema(source);
  });
  after(async () => { await Promise.all([source?.stop(), target?.stop()]); });

  async function differences(): Promise<string[]> {
    const out: string[] = [];
    for (const t of TABLES) {
      const [a, b] = await Promise.all([tableRows(source, 'ledger', t), tableRows(target, 'ledger_copy', t).catch(() => null)]);
      if (b === null) out.push(`${t}: missing`);
      else if (a.length !== b.length || a.some((r, i) => r !== b[i])) {
        const bs = new Set(b);
        const as = new Set(a);
        const onlySource = a.filter((x) => !bs.has(x)).slice(0, 3).map((x) => x.split('|').map((h) => Buffer.from(h, 'hex').toString()).join('|'));
        const onlyTarget = b.filter((x) => !as.has(x)).slice(0, 3).map((x) => x.split('|').map((h) => Buffer.from(h, 'hex').toString()).join('|'));
        out.push(`${t}: source ${a.length} rows, target ${b.length} rows (only on the source: ${onlySource.join(' / ')}; only on the target: ${onlyTarget.join(' / ')})`);
      }
    }
    return out;
  }

  it('ends with every table identical', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      tuning: { snapshotChunkSize: 200, snapshotParallelism: 2, batchSize: 200, maxBatchDelayMs: 20 },
      pipelines: [{ name: 'ledger', source: 's', target: 't', tables: ['ledger.*'], targetDatabase: 'ledger_copy' }],
    }), { format: 'json' });
    const make = (): Pipeline => new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    const writer = startLedgerWriter(source);
    // Parent key updates (ON UPDATE CASCADE) from the start: during the copy too (SLUICE_FK_KEY_UPDATES=late: only once streaming).
    if (process.env.SLUICE_FK_KEY_UPDATES !== 'late') writer.allowKeyUpdates();
    let p = make();
    let ctl = new AbortController();
    let run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    let writes = 0;
    try {
      await eventually(async () => p.stats.status === 'streaming', 60_000, 'streaming');
      writer.allowKeyUpdates();
      await new Promise((res) => setTimeout(res, 1500));
      // A DDL mid-stream, then a restart of the pipeline (from its checkpoint) while the writer goes on.
      await source.query("ALTER TABLE ledger.entry ADD COLUMN memo VARCHAR(20) NULL DEFAULT 'm' AFTER amount");
      await new Promise((res) => setTimeout(res, 700));
      ctl.abort();
      assert.equal(await run, null);
      p = make();
      ctl = new AbortController();
      run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
      await eventually(async () => p.stats.status === 'streaming', 60_000, 'streaming after the restart');
      await new Promise((res) => setTimeout(res, 1500));
      writes = await writer.stop();
      let last: string[] = [];
      await eventually(async () => (last = await differences()).length === 0, 60_000, 'every table identical')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
    } finally {
      ctl.abort();
      await writer.stop().catch(() => 0);
    }
    const err = await run;
    if (err) throw err as Error;
    assert.ok(writes > 100, `the writer made ${writes} changes`);
  });
});
