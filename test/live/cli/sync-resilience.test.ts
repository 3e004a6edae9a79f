// Resilience of `sluice run`: the target and then the source are killed (SIGKILL) and restarted while it
// streams; it keeps running, logs the restart (structured warn lines) and catches up, the tables ending
// identical. Then the binlog is purged past its checkpoint while it is stopped: the next start fails at
// once with one POSITION_PURGED line telling how to re-snapshot (exit 2, no endless retry), and
// following that advice brings the copy back. A source that is down when sluice starts is waited for.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { eventually, tableRows } from '../sync-helpers.js';
import { logLines, plainLines, runCli, startSluice, type RunningSluice } from '../sluice-cli-helpers.js';

const TABLES = ['item', 'note'];

describe('sluice run: source and target restarts, purged binlog', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;
  let configPath: string;
  let sluice: RunningSluice | null = null;
  let nextId = 1000;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 41 }), startMariaDb({ serverId: 42 })]);
    await source.query(`CREATE DATABASE shop;
      CREATE TABLE shop.item (id INT PRIMARY KEY, v INT NOT NULL, name VARCHAR(40));
      CREATE TABLE shop.note (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, body TEXT);
      INSERT INTO shop.item SELECT seq, seq, CONCAT('item ', seq) FROM shop.seq_1_to_300;
      INSERT INTO shop.note (item_id, body) SELECT seq, REPEAT('n', seq % 20) FROM shop.seq_1_to_100;`);
    dir = mkdtempSync(join(tmpdir(), 'sluice-resilience-'));
    configPath = join(dir, 'sluice.yaml');
    writeFileSync(configPath, `
sources:
  shop:
    type: mysql
    url: ${source.url}
targets:
  copy:
    type: mysql
    url: ${target.url}
tuning:
  maxBatchDelayMs: 20
pipelines:
  - name: shop-copy
    source: shop
    target: copy
    tables: ["shop.*"]
`);
  });
  after(async () => {
    sluice?.child.kill('SIGKILL');
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A few source transactions: inserts, updates, a delete. */
  async function write(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const id = nextId++;
      await source.query(`BEGIN; INSERT INTO shop.item VALUES (${id}, ${id}, 'new ${id}');
        UPDATE shop.item SET v = v + 1 WHERE id = ${1 + (id % 300)}; INSERT INTO shop.note (item_id, body) VALUES (${id}, 'w');
        DELETE FROM shop.item WHERE id = ${id - 5}; COMMIT`);
    }
  }

  async function identical(): Promise<boolean> {
    for (const t of TABLES) {
      const [a, b] = await Promise.all([tableRows(source, 'shop', t), tableRows(target, 'shop', t).catch(() => [] as string[])]);
      if (a.length !== b.length || a.some((r, i) => r !== b[i])) return false;
    }
    return true;
  }

  function warns(s: RunningSluice): Array<Record<string, unknown>> {
    return logLines(s.stderr()).filter((l) => l.level === 40);
  }

  it('keeps running through a target kill+restart and a source kill+restart, and catches up', async () => {
    sluice = startSluice(configPath);
    await eventually(identical, 30_000, 'the initial copy');
    await write(20);
    await eventually(identical, 15_000, 'streaming before the restarts');

    // Target down while the source keeps writing.
    await target.kill();
    await write(30);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sluice.child.exitCode, null, `sluice exited while the target was down:\n${sluice.stderr().slice(-2000)}`);
    await target.restart();
    await write(10);
    await eventually(identical, 30_000, 'the copy to catch up after the target restart');
    assert.equal(sluice.child.exitCode, null, 'sluice still running after the target restart');
    const targetWarns = warns(sluice).filter((l) => /restarting from the checkpoint/.test(String(l.msg)) && /target/i.test(String(l.err)));
    assert.ok(targetWarns.length > 0, `a warn log about the target and the restart:\n${sluice.stderr().slice(-3000)}`);

    // Source down: nothing to read for a while.
    const warnsBefore = warns(sluice).length;
    await source.kill();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sluice.child.exitCode, null, `sluice exited while the source was down:\n${sluice.stderr().slice(-2000)}`);
    await source.restart();
    await write(30);
    await eventually(identical, 30_000, 'the copy to catch up after the source restart');
    assert.equal(sluice.child.exitCode, null, 'sluice still running after the source restart');
    const sourceWarns = warns(sluice).slice(warnsBefore).filter((l) => /reconnecting|restarting from the checkpoint/.test(String(l.msg)));
    assert.ok(sourceWarns.length > 0, `a warn log about reconnecting to the source:\n${sluice.stderr().slice(-3000)}`);
    assert.deepEqual(plainLines(sluice.stderr()), [], 'only structured log lines on stderr');

    sluice.child.kill('SIGTERM');
    assert.equal(await sluice.exited, 0, 'a clean stop exits 0');
    sluice = null;
  });

  it('binlog purged past the checkpoint: one POSITION_PURGED line with the repair steps, exit 2; --resync repairs it', async () => {
    await write(10);
    const [{ file: before }] = await target.query<Array<{ file: string }>>("SELECT file FROM _sluice.checkpoints WHERE pipeline = 'shop-copy'");
    await source.query('FLUSH BINARY LOGS');
    const logs = await source.query<Array<{ Log_name: string }>>('SHOW BINARY LOGS');
    const newest = logs[logs.length - 1]!.Log_name;
    assert.notEqual(before, newest);
    // The server keeps a file while a (just stopped) dump thread or crash recovery still holds it: retry.
    await eventually(async () => {
      await source.query(`PURGE BINARY LOGS TO '${newest}'`);
      const left = await source.query<Array<{ Log_name: string }>>('SHOW BINARY LOGS');
      return left.length === 1 && left[0]!.Log_name === newest;
    }, 15_000, `PURGE BINARY LOGS TO '${newest}' to remove ${before}`);
    await write(5);

    sluice = startSluice(configPath);
    const timeout = setTimeout(() => sluice?.child.kill('SIGKILL'), 20_000);
    const code = await sluice.exited;
    clearTimeout(timeout);
    const lines = plainLines(sluice.stderr());
    assert.equal(code, 2, `exit code (SIGKILL means it kept retrying); stderr:\n${sluice.stderr().slice(-3000)}`);
    assert.equal(lines.length, 1, sluice.stderr());
    assert.match(lines[0]!, new RegExp(`^sluice: error POSITION_PURGED: pipeline shop-copy: the checkpoint ${before.replace('.', '\\.')}:\\d+ is in a binlog file the source no longer has \\(oldest: ${newest.replace('.', '\\.')}\\)`));
    assert.match(lines[0]!, / — fix: re-snapshot the pipeline: stop sluice; on the target run DELETE FROM `_sluice`\.`checkpoints` WHERE pipeline = 'shop-copy' and TRUNCATE \(or DROP\) its target tables; start sluice again/);
    assert.match(lines[0]!, /sluice run --config FILE --resync shop-copy/);
    assert.ok(!(await identical()), 'the rows written after the purge did not arrive');

    // Follow the advice: --resync copies every table again (swapped in), and streaming goes on from now.
    assert.equal((await runCli(['run', '--config', configPath, '--resync', 'nope'])).code, 2, 'an unknown pipeline name is refused');
    sluice = startSluice(configPath, {}, ['--resync', 'shop-copy']);
    await eventually(identical, 30_000, 'the resync');
    await write(3);
    await eventually(identical, 30_000, 'streaming after the resync');
    const left = await target.query<unknown[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME LIKE '%\\_\\_sluice\\_%'");
    assert.equal(left.length, 0, 'no shadow table left');
    sluice.child.kill('SIGTERM');
    assert.equal(await sluice.exited, 0);
    sluice = null;
  });

  it('a source that is down at start is waited for (preflight retries with warn logs), then followed', async () => {
    await source.kill();
    sluice = startSluice(configPath);
    await eventually(async () => warns(sluice!).some((l) => l.msg === 'preflight: a source or target is unreachable; retrying'), 15_000,
      'a preflight retry log');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(sluice.child.exitCode, null, `sluice gave up on a source that is down:\n${sluice.stderr().slice(-2000)}`);
    const retry = warns(sluice).find((l) => l.msg === 'preflight: a source or target is unreachable; retrying')!;
    assert.match(JSON.stringify(retry.problems), /^\["source shop: reachable: cannot talk to the source server \(ECONNREFUSED\)/);
    await source.restart();
    await write(10);
    await eventually(identical, 30_000, 'the copy to catch up once the source is back');
    sluice.child.kill('SIGTERM');
    assert.equal(await sluice.exited, 0);
    sluice = null;
  });
});
