// A stream batch touches at most tuning.maxBatchTables distinct tables per target transaction: the server's cost of
// each statement grows with the tables its transaction already touched (metadata-lock search, InnoDB's table list),
// so 5,000 single-row changes over 5,000 tables in one transaction cost ~10× what they cost split (docs/scale.md).
// The target's own binlog shows each target transaction and its tables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { eventually } from '../sync-helpers.js';

const TABLES = 61;
const CHANGES = 183;
const MAX_TABLES = 10;

describe('stream batches and table count', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'silent');

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 61 }), startMariaDb({ serverId: 62 })]);
    await source.query('CREATE DATABASE bt');
    await source.query(Array.from({ length: TABLES }, (_, i) => `CREATE TABLE bt.t${i} (id INT PRIMARY KEY, v INT NOT NULL)`).join(';'));
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  const config = (): ReturnType<typeof parseConfig> => parseConfig(JSON.stringify({
    sources: { s: { type: 'mysql', url: source.url } },
    targets: { t: { type: 'mysql', url: target.url } },
    // A long batch delay: only the size limits end a batch.
    pipelines: [{ name: 'bt', source: 's', target: 't', tables: ['bt.*'], snapshot: 'none', tuning: { maxBatchTables: MAX_TABLES, maxBatchDelayMs: 3000 } }],
  }), { format: 'json' });

  it(`applies single-row transactions spread over ${TABLES} tables in target transactions of at most maxBatchTables tables`, async () => {
    const cfg = config();
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log, retry: { baseDelayMs: 200, maxDelayMs: 500 } });
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 60_000, 'streaming');
      const [{ File: file, Position: from }] = await target.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
      // One statement per source transaction (autocommit), round-robin over the tables, sent at once.
      await source.query(Array.from({ length: CHANGES }, (_, i) => i % 3 === 2
        ? `UPDATE bt.t${(i - 2) % TABLES} SET v = v + 1 WHERE id = ${i - 2}`
        : `INSERT INTO bt.t${i % TABLES} VALUES (${i}, ${i})`).join(';'));
      await eventually(async () => p.stats.rowsApplied >= CHANGES, 60_000, `${CHANGES} changes applied`);

      const events = await target.query<Array<{ Event_type: string; Info: string }>>(`SHOW BINLOG EVENTS IN '${file}' FROM ${from}`);
      const txns: Array<Set<string>> = [];
      let current: Set<string> | null = null;
      for (const e of events) {
        if (e.Info.startsWith('BEGIN')) current = new Set(); // MariaDB: a Gtid event 'BEGIN GTID …'
        const m = /\((bt\.t\d+)\)/.exec(e.Info);
        if (e.Event_type === 'Table_map' && m && current) current.add(m[1]!);
        if (e.Event_type === 'Xid' && current) {
          if (current.size > 0) txns.push(current);
          current = null;
        }
      }
      assert.ok(txns.length > 0, 'target transactions in the target\'s binlog');
      const widest = Math.max(...txns.map((t) => t.size));
      assert.ok(widest <= MAX_TABLES, `a target transaction wrote ${widest} tables (most allowed: ${MAX_TABLES})`);
      assert.ok(txns.length >= TABLES / MAX_TABLES, `${txns.length} target transactions`);
      assert.equal(new Set(txns.flatMap((t) => [...t])).size, TABLES, 'every table written');
      for (let i = 0; i < TABLES; i++) {
        const q = `SELECT id, v FROM bt.t${i} ORDER BY id`;
        assert.deepEqual(await target.query(q), await source.query(q), `bt.t${i}`);
      }
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('after a restart, the target shapes of the tables are read once before streaming, not batch by batch', async () => {
    // Runs after the test above (its checkpoint carries the schema history of every table).
    const cfg = config();
    await target.query("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1");
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log, retry: { baseDelayMs: 200, maxDelayMs: 500 } });
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 60_000, 'streaming');
      await source.query(Array.from({ length: TABLES }, (_, i) => `INSERT INTO bt.t${i} VALUES (${1000 + i}, ${i})`).join(';'));
      await eventually(async () => p.stats.rowsApplied >= TABLES, 60_000, `${TABLES} changes applied`);
      await target.query('SET GLOBAL general_log = 0');
      // The shape reads (TableShapeCache): columns of the tables named in an IN list.
      const reads = await target.query<Array<{ q: string }>>("SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE CONVERT(argument USING utf8mb4) LIKE '%FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = _bt_ AND TABLE_NAME IN (%'");
      assert.equal(reads.length, 1, `${reads.length} reads of the target tables' columns (one per batch of at most ${MAX_TABLES} tables before)`);
      for (let i = 0; i < TABLES; i++) {
        const q = `SELECT id, v FROM bt.t${i} ORDER BY id`;
        assert.deepEqual(await target.query(q), await source.query(q), `bt.t${i}`);
      }
    } finally {
      await target.query('SET GLOBAL general_log = 0');
      ctl.abort();
      await run;
    }
  });
});
