// Repairing a running sync: re-snapshot one table while streaming (a shadow copy swapped in atomically, also
// across a crash in the middle), and skipping the one source transaction the target refuses (the failing
// transaction is found inside its batch; the ones before it are applied, the ones after it follow the skip).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline, type SkipTarget } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { isSluiceError } from '../../../src/errors.js';
import { eventually, tableRows } from '../sync-helpers.js';

describe('repair: re-snapshot a table, skip a transaction', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 41 }), startMariaDb({ serverId: 42 })]);
    await source.query(`CREATE DATABASE app;
      CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL);
      INSERT INTO app.items SELECT seq, CONCAT('item ', seq), seq % 97 FROM app.seq_1_to_20000;
      CREATE TABLE app.tags (id INT PRIMARY KEY, tag VARCHAR(20));
      INSERT INTO app.tags SELECT seq, CONCAT('t', seq) FROM app.seq_1_to_200;
      CREATE TABLE app.orders (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL);`);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  function pipeline(name: string, tables: string[], targetDatabase: string, skip?: SkipTarget, resync = false): Pipeline {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      tuning: { snapshotChunkSize: 1000, snapshotParallelism: 2, batchSize: 500, maxBatchDelayMs: 200 },
      pipelines: [{ name, source: 's', target: 't', tables, targetDatabase }],
    }), { format: 'json' });
    return new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log, retry: { baseDelayMs: 100, maxDelayMs: 500 }, ...(skip ? { skip } : {}), resync });
  }

  async function same(db: string, table: string, targetDb: string): Promise<boolean> {
    const [a, b] = await Promise.all([tableRows(source, db, table), tableRows(target, targetDb, table).catch(() => null)]);
    return b !== null && a.length === b.length && a.every((r, i) => r === b[i]);
  }

  /** Polls an in-memory condition every 5 ms (a copy may last only a fraction of a second). */
  async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async function leftovers(db: string): Promise<string[]> {
    const rows = await target.query<Array<{ t: string }>>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '%\\_\\_sluice\\_%'", [db]);
    return rows.map((r) => r.t);
  }

  /** Small transactions on app.items until stopped: inserts, updates, deletes. */
  function writer(firstId: number): { stop: () => Promise<number> } {
    let running = true;
    let n = 0;
    const loop = (async () => {
      while (running) {
        const id = firstId + n;
        const k = n % 3;
        if (k === 0) await source.query(`INSERT INTO app.items VALUES (${id}, 'new ${id}', 1)`);
        else if (k === 1) await source.query(`UPDATE app.items SET qty = qty + 1000, name = CONCAT(name, '+') WHERE id = ${1 + (n * 7919) % 20000}`);
        else await source.query(`DELETE FROM app.items WHERE id = ${1 + (n * 104729) % 20000}`);
        n++;
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    return { stop: async () => { running = false; await loop; return n; } };
  }

  it('re-copies one table while streaming and writing: drift on the target is repaired, readers never see it missing', async () => {
    const ctl = new AbortController();
    const p = pipeline('resnap', ['app.items', 'app.tags'], 'copy_a');
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming' && await same('app', 'items', 'copy_a'), 60_000, 'initial copy');
      // Drift that only a new copy repairs: rows changed, deleted and added behind the pipeline's back.
      await target.query(`UPDATE copy_a.items SET name = 'drift' WHERE id % 10 = 0; DELETE FROM copy_a.items WHERE id % 7 = 0;
        INSERT INTO copy_a.items VALUES (999999, 'stray', 0); UPDATE copy_a.tags SET tag = 'drift' WHERE id = 1`);
      assert.equal(await same('app', 'items', 'copy_a'), false);
      const floor = (await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy_a.items'))[0]!.n;

      // A reader on the target counts rows all along: the table must never be missing or half-filled.
      let reading = true;
      let minCount = Number.MAX_SAFE_INTEGER;
      let readErrors = 0;
      const reader = (async () => {
        while (reading) {
          try {
            const n = Number((await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy_a.items'))[0]!.n);
            minCount = Math.min(minCount, n);
          } catch {
            readErrors++;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const w = writer(100_000);
      await p.requestResnapshot('app', 'items');
      assert.deepEqual(p.stats.resnapshotQueue, ['app.items']);
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0, 60_000, 're-snapshot to finish');
      const writes = await w.stop();
      reading = false;
      await reader;
      await eventually(() => same('app', 'items', 'copy_a'), 30_000, 'items equal after the re-snapshot');
      assert.ok(writes > 20, `writer made ${writes} changes`);
      assert.equal(readErrors, 0, 'the target table was never missing');
      // The writer deletes at most one row per three changes; a missing or half-filled table would show far fewer.
      assert.ok(minCount >= floor - writes, `readers saw at least ${floor - writes} rows (min ${minCount})`);
      // Only the table asked for was copied: the drift in tags is still there.
      assert.equal((await target.query<Array<{ tag: string }>>('SELECT tag FROM copy_a.tags WHERE id = 1'))[0]!.tag, 'drift');
      assert.deepEqual(await leftovers('copy_a'), []);
      assert.equal(p.stats.snapshotTables.length, 1);
      assert.equal(p.stats.snapshotTables[0]!.done, true);
      await assert.rejects(p.requestResnapshot('app', 'orders'), (e: unknown) => isSluiceError(e) && e.code === 'UNKNOWN_TABLE');
      await assert.rejects(p.requestResnapshot('app', 'nope'), (e: unknown) => isSluiceError(e) && e.code === 'UNKNOWN_TABLE');
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('a re-snapshot interrupted by a crash is finished by the next run', async () => {
    let ctl = new AbortController();
    let p = pipeline('resnap-crash', ['app.items'], 'copy_b');
    let run = p.run(ctl.signal);
    await eventually(async () => p.stats.status === 'streaming' && await same('app', 'items', 'copy_b'), 60_000, 'initial copy');
    await target.query("UPDATE copy_b.items SET name = 'drift' WHERE id % 5 = 0");
    await p.requestResnapshot('app', 'items');
    await until(() => p.stats.status === 'snapshotting' && p.stats.snapshotRowsCopied > 0, 30_000, 'the copy to be under way');
    ctl.abort(); // the process dies mid-copy
    await run;
    assert.equal(await same('app', 'items', 'copy_b'), false, 'the live table still has its old rows');
    await source.query("UPDATE app.items SET qty = 4242 WHERE id = 3; INSERT INTO app.items VALUES (300000, 'after crash', 5)");

    ctl = new AbortController();
    p = pipeline('resnap-crash', ['app.items'], 'copy_b');
    run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0 && await same('app', 'items', 'copy_b'), 60_000, 'the re-snapshot to finish after the restart');
      assert.equal(p.stats.snapshotTables.length, 1, 'the restarted run copied the table');
      assert.deepEqual(await leftovers('copy_b'), []);
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('names the transaction the target refuses inside a batch, and skips exactly that one', async () => {
    await target.query(`CREATE DATABASE copy_c; CREATE TABLE copy_c.orders (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL, CONSTRAINT no_bad CHECK (note <> 'bad'))`);
    let ctl = new AbortController();
    let p = pipeline('skipper', ['app.orders'], 'copy_c');
    let run = p.run(ctl.signal);
    let failure: unknown = null;
    run = run.catch((err: unknown) => { failure = err; });
    await eventually(async () => p.stats.status === 'streaming', 30_000, 'streaming');
    // One batch of many small transactions; the 6th is refused by the target's CHECK constraint.
    const statements: string[] = [];
    for (let i = 1; i <= 12; i++) statements.push(`INSERT INTO app.orders VALUES (${i}, '${i === 6 ? 'bad' : `ok ${i}`}')`);
    await source.query(statements.join('; '));
    await run;
    assert.ok(isSluiceError(failure), `the pipeline failed: ${String(failure)}`);
    assert.equal(failure.code, 'TARGET_WRITE_FAILED');
    const skip = failure.details['skip'] as SkipTarget;
    assert.equal(skip.kind, 'transaction');
    assert.match(failure.message, new RegExp(`${skip.file}:${skip.pos}`));
    assert.match(failure.fix, /skip/);
    // The transactions before the refused one are on the target (each with its checkpoint).
    const before = await target.query<Array<{ id: number }>>('SELECT id FROM copy_c.orders ORDER BY id');
    assert.deepEqual(before.map((r) => r.id), [1, 2, 3, 4, 5]);

    // A restart without the skip fails again on the same transaction.
    ctl = new AbortController();
    p = pipeline('skipper', ['app.orders'], 'copy_c');
    failure = null;
    await p.run(ctl.signal).catch((err: unknown) => { failure = err; });
    assert.ok(isSluiceError(failure));
    assert.deepEqual(failure.details['skip'], skip);

    // With the skip: that transaction is passed over, everything after it arrives.
    ctl = new AbortController();
    p = pipeline('skipper', ['app.orders'], 'copy_c', skip);
    run = p.run(ctl.signal);
    try {
      await source.query("INSERT INTO app.orders VALUES (13, 'later')");
      await eventually(async () => (await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy_c.orders'))[0]!.n === 12, 30_000, 'rows after the skipped one');
      const ids = (await target.query<Array<{ id: number }>>('SELECT id FROM copy_c.orders ORDER BY id')).map((r) => r.id);
      assert.deepEqual(ids, [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13]);
      assert.equal(p.stats.skipped.length, 1);
      assert.deepEqual(p.stats.skipped[0]!.position, skip);
      assert.equal(p.stats.skipped[0]!.changes, 1);
      assert.equal(p.stats.status, 'streaming');
      const counts = p.stats.changesByTable.get('app.orders');
      assert.ok(counts && counts.inserts >= 7, `per-table counts: ${JSON.stringify(counts)}`);
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('resync: when the binlog the checkpoint needs is purged, streams from now and copies every table again', async () => {
    let ctl = new AbortController();
    let p = pipeline('resync', ['app.items', 'app.tags'], 'copy_d');
    let run = p.run(ctl.signal);
    await eventually(async () => p.stats.status === 'streaming' && await same('app', 'items', 'copy_d') && await same('app', 'tags', 'copy_d'), 60_000, 'initial copy');
    ctl.abort();
    await run;
    // While the pipeline is down: changes, then the binlog that holds them is purged.
    await source.query("UPDATE app.tags SET tag = 'while down' WHERE id <= 50; DELETE FROM app.items WHERE id BETWEEN 500 AND 599; FLUSH BINARY LOGS");
    // The server keeps a file a replica connection still reads: purge until the old files are really gone.
    await eventually(async () => {
      const logs = await source.query<Array<{ Log_name: string }>>('SHOW BINARY LOGS');
      await source.query(`PURGE BINARY LOGS TO '${logs[logs.length - 1]!.Log_name}'`);
      return (await source.query<unknown[]>('SHOW BINARY LOGS')).length === 1;
    }, 20_000, 'the purge');

    let failure: unknown = null;
    await pipeline('resync', ['app.items', 'app.tags'], 'copy_d').run(AbortSignal.timeout(20_000)).catch((err: unknown) => { failure = err; });
    assert.ok(isSluiceError(failure) && failure.code === 'POSITION_PURGED', `fails without a resync: ${String(failure)}`);
    assert.equal(await same('app', 'tags', 'copy_d'), false);

    ctl = new AbortController();
    p = pipeline('resync', ['app.items', 'app.tags'], 'copy_d', undefined, true);
    run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0
        && await same('app', 'items', 'copy_d') && await same('app', 'tags', 'copy_d'), 60_000, 'the resync');
      assert.equal(p.stats.snapshotTables.length, 2, 'both tables were copied in one snapshot');
      assert.deepEqual(await leftovers('copy_d'), []);
      await source.query("INSERT INTO app.tags VALUES (9001, 'after resync')");
      await eventually(async () => (await target.query<unknown[]>('SELECT 1 FROM copy_d.tags WHERE id = 9001')).length === 1, 20_000, 'streaming after the resync');
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('columns added and renamed during the initial snapshot: the table is copied again once the stream has applied the ALTERs', async () => {
    await source.query(`CREATE TABLE app.wide (id INT PRIMARY KEY, v VARCHAR(30) NOT NULL);
      INSERT INTO app.wide SELECT seq, CONCAT('w', seq) FROM app.seq_1_to_60000;`);
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      tuning: { snapshotChunkSize: 300, snapshotParallelism: 1, maxBatchDelayMs: 100 },
      pipelines: [{ name: 'ddl-mid-snapshot', source: 's', target: 't', tables: ['app.wide'], targetDatabase: 'copy_e' }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log, retry: { baseDelayMs: 100, maxDelayMs: 500 } });
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await until(() => p.stats.status === 'snapshotting' && p.stats.snapshotRowsCopied >= 1500, 30_000, 'the snapshot under way');
      assert.ok(p.stats.snapshotRowsCopied < 30_000, `the ALTER lands mid-snapshot (${p.stats.snapshotRowsCopied} rows copied)`);
      // Two DDLs, the second of which cannot be applied twice: the new copy must come after both are streamed.
      await source.query(`ALTER TABLE app.wide ADD COLUMN extra INT NOT NULL DEFAULT 7; ALTER TABLE app.wide RENAME COLUMN v TO label;
        UPDATE app.wide SET extra = id WHERE id % 997 = 0; INSERT INTO app.wide VALUES (70000, 'late', 70000); DELETE FROM app.wide WHERE id = 5`);
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0 && await same('app', 'wide', 'copy_e'), 60_000, 'the table equal, with the new column');
      const cols = await target.query<Array<{ c: string }>>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'copy_e' AND TABLE_NAME = 'wide' ORDER BY ORDINAL_POSITION");
      assert.deepEqual(cols.map((c) => c.c), ['id', 'label', 'extra']);
      assert.deepEqual(await leftovers('copy_e'), []);
      await source.query("UPDATE app.wide SET extra = -1 WHERE id = 1");
      await eventually(async () => (await target.query<Array<{ extra: number }>>('SELECT extra FROM copy_e.wide WHERE id = 1'))[0]?.extra === -1, 20_000, 'streaming after the re-copy');
    } finally {
      ctl.abort();
      await run;
    }
  });

  it('a table queued while another is copied gets a copy that already has a DDL the stream has not applied yet: the DDL is not applied twice', async () => {
    // app.bulk takes seconds to copy: the window in which the stream waits.
    await source.query(`CREATE TABLE app.small (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL);
      INSERT INTO app.small SELECT seq, CONCAT('s', seq) FROM app.seq_1_to_500;
      CREATE TABLE app.bulk (id INT PRIMARY KEY, a VARCHAR(60) NOT NULL, b BIGINT NOT NULL);
      INSERT INTO app.bulk SELECT seq, REPEAT('x', 50), seq * 3 FROM app.seq_1_to_200000;`);
    const ctl = new AbortController();
    const p = pipeline('ddl-behind', ['app.bulk', 'app.small'], 'copy_f');
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming' && await same('app', 'small', 'copy_f'), 60_000, 'initial copy');
      await p.requestResnapshot('app', 'bulk');
      await until(() => p.stats.status === 'snapshotting', 10_000, 'the first copy under way');
      // While the stream waits for the first copy: a DDL it has not read yet, then a copy of that table.
      await source.query("ALTER TABLE app.small RENAME COLUMN v TO label; UPDATE app.small SET label = 'renamed' WHERE id <= 3");
      await p.requestResnapshot('app', 'small');
      assert.deepEqual(p.stats.resnapshotQueue, ['app.bulk', 'app.small'], 'queued behind the copy in progress');
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0 && await same('app', 'small', 'copy_f'), 60_000, 'both copies');
      const cols = await target.query<Array<{ c: string }>>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'copy_f' AND TABLE_NAME = 'small' ORDER BY ORDINAL_POSITION");
      assert.deepEqual(cols.map((c) => c.c), ['id', 'label']);
      await source.query("UPDATE app.small SET label = 'later' WHERE id = 10");
      await eventually(async () => (await target.query<Array<{ label: string }>>('SELECT label FROM copy_f.small WHERE id = 10'))[0]?.label === 'later', 20_000, 'streaming after');
      assert.equal(p.stats.errors, 0, String(p.stats.lastError));
    } finally {
      ctl.abort();
      await run;
    }
  });
});
