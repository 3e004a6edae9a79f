// `sluice run` as an operator uses it: passwords from the environment (`${ENV}` in the URL, with characters
// that need percent-encoding), SIGTERM stops it cleanly (exit 0), rows written while it is stopped arrive
// after a restart that resumes from the checkpoint (no re-snapshot, nothing applied twice: an insert
// trigger on the target audits every row written), and the passwords never appear in its output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { eventually, tableRows } from '../sync-helpers.js';
import { logLines, plainLines, startSluice, type RunningSluice } from '../sluice-cli-helpers.js';

const SOURCE_PW = 'Src#pw@7:x/Q%z';
const TARGET_PW = 'Tgt-pw_5!kk';

describe('sluice run: ${ENV} passwords, SIGTERM and resume', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;
  let configPath: string;
  const env = { SLUICE_SOURCE_PW: SOURCE_PW, SLUICE_TARGET_PW: TARGET_PW, SLUICE_LOG_LEVEL: 'info' };
  const runs: RunningSluice[] = [];

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 51 }), startMariaDb({ serverId: 52 })]);
    const escaped = (s: string): string => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    await source.query(`CREATE USER 'cdc'@'%' IDENTIFIED BY '${escaped(SOURCE_PW)}';
      GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'cdc'@'%';
      CREATE DATABASE app;
      CREATE TABLE app.account (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, balance DECIMAL(12,2) NOT NULL);
      CREATE TABLE app.ledger (id INT AUTO_INCREMENT PRIMARY KEY, account_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL);
      INSERT INTO app.account SELECT seq, CONCAT('u', seq, '@example.com'), seq FROM app.seq_1_to_500;
      INSERT INTO app.ledger (account_id, amount) SELECT seq % 500 + 1, seq / 10 FROM app.seq_1_to_1000;`);
    // The target ledger exists up front with an audit trigger: a row written twice leaves two audit rows.
    await target.query(`CREATE USER 'sync'@'%' IDENTIFIED BY '${escaped(TARGET_PW)}'; GRANT ALL ON *.* TO 'sync'@'%';
      CREATE DATABASE app;
      CREATE TABLE app.ledger (id INT AUTO_INCREMENT PRIMARY KEY, account_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL);
      CREATE TABLE app.ledger_audit (ledger_id INT NOT NULL, KEY (ledger_id));
      CREATE TRIGGER app.ledger_ai AFTER INSERT ON app.ledger FOR EACH ROW INSERT INTO app.ledger_audit VALUES (NEW.id);`);
    dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    configPath = join(dir, 'sluice.yaml');
    writeFileSync(configPath, `
sources:
  app:
    type: mysql
    url: mysql://cdc:\${SLUICE_SOURCE_PW}@127.0.0.1:${source.port}
targets:
  copy:
    type: mysql
    url: mysql://sync:\${SLUICE_TARGET_PW}@127.0.0.1:${target.port}
tuning:
  maxBatchDelayMs: 20
  snapshotChunkSize: 200
pipelines:
  - name: app-copy
    source: app
    target: copy
    tables: ["app.account", "app.ledger"]
`);
  });
  after(async () => {
    for (const r of runs) r.child.kill('SIGKILL');
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function identical(): Promise<boolean> {
    for (const t of ['account', 'ledger']) {
      const [a, b] = await Promise.all([tableRows(source, 'app', t), tableRows(target, 'app', t).catch(() => [] as string[])]);
      if (a.length !== b.length || a.some((r, i) => r !== b[i])) return false;
    }
    return true;
  }

  let ledgerN = 0;
  async function write(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const k = ledgerN++;
      await source.query(`BEGIN; INSERT INTO app.ledger (account_id, amount) VALUES (${k % 500 + 1}, ${k}.5), (${(k * 7) % 500 + 1}, 1.25);
        UPDATE app.account SET balance = balance + ${k}.5 WHERE id = ${k % 500 + 1};
        INSERT INTO app.account VALUES (${10_000 + k}, 'new${k}@example.com', 0) ON DUPLICATE KEY UPDATE balance = 1;
        DELETE FROM app.account WHERE id = ${500 - (k % 400)}; COMMIT`);
    }
  }

  async function stop(r: RunningSluice): Promise<void> {
    const t = setTimeout(() => r.child.kill('SIGKILL'), 15_000);
    r.child.kill('SIGTERM');
    const code = await r.exited;
    clearTimeout(t);
    assert.equal(code, 0, `SIGTERM exits 0 (got ${String(code)}); stderr:\n${r.stderr().slice(-2000)}`);
  }

  function assertNoSecrets(r: RunningSluice): void {
    const out = r.stdout() + r.stderr();
    for (const secret of [SOURCE_PW, TARGET_PW, encodeURIComponent(SOURCE_PW), encodeURIComponent(TARGET_PW)]) {
      assert.ok(!out.includes(secret), `a password appears in sluice's output:\n${out.slice(0, 3000)}`);
    }
  }

  it('syncs with ${ENV} passwords, stops on SIGTERM with 0, resumes from the checkpoint with nothing lost or doubled', async () => {
    const first = startSluice(configPath, env);
    runs.push(first);
    await eventually(identical, 30_000, 'the initial copy');
    await write(30);
    await eventually(identical, 15_000, 'streaming');
    const firstLogs = logLines(first.stderr());
    assert.ok(firstLogs.some((l) => l.msg === 'snapshot done'), 'the first run took the snapshot');
    await stop(first);
    assert.ok(logLines(first.stderr()).some((l) => l.msg === 'stopping: finishing the current batch' && l.signal === 'SIGTERM'), 'the stop is logged');

    // Written while sluice is stopped.
    await write(40);
    assert.ok(!(await identical()), 'the target is behind while sluice is stopped');
    const [{ n: ledgerBefore }] = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM app.ledger');

    const second = startSluice(configPath, env);
    runs.push(second);
    await eventually(identical, 30_000, 'the rows written while stopped to arrive');
    await write(10);
    await eventually(identical, 15_000, 'streaming after the restart');
    const secondLogs = logLines(second.stderr());
    assert.ok(!secondLogs.some((l) => l.msg === 'snapshot started'), 'the restart resumed from the checkpoint (no new snapshot)');
    assert.ok(secondLogs.some((l) => l.msg === 'streaming'), 'the restart streams');
    const [{ n: ledgerAfter }] = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM app.ledger');
    assert.equal(Number(ledgerAfter) - Number(ledgerBefore), 100, '80 ledger rows from while stopped + 20 after');

    const dup = await target.query<Array<{ ledger_id: number }>>('SELECT ledger_id FROM app.ledger_audit GROUP BY ledger_id HAVING COUNT(*) > 1 LIMIT 5');
    assert.deepEqual(dup.map((r) => r.ledger_id), [], 'a ledger row was written twice');
    const [{ n: audited }] = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM app.ledger_audit');
    const [{ n: rows }] = await source.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM app.ledger');
    assert.equal(Number(audited), Number(rows));

    await stop(second);
    // The URLs are logged, with the password masked.
    assert.ok(secondLogs.some((l) => l.msg === 'opening binlog stream' && l.source === `mysql://cdc:***@127.0.0.1:${source.port}`), 'the source URL is logged masked');
    for (const r of [first, second]) {
      assertNoSecrets(r);
      assert.deepEqual(plainLines(r.stderr()), [], 'only structured log lines on stderr');
      assert.equal(r.stdout(), '', 'nothing on stdout');
    }
  });
});
