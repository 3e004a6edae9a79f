// Crash test: `sluice run` is killed with SIGKILL at random moments (during the snapshot and while
// streaming) under a mixed workload, and restarted each time. At the end every table matches the source
// row for row, and an insert-only ledger proves no change was applied twice: a trigger on the target
// records every row written into it, so a replayed change would leave a duplicate in the audit table.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import { killHard, startSluice, type RunningSluice } from '../sluice-cli-helpers.js';
import { PRODUCT_TABLES, createSupplyChain, eventually, startWriter, tableRows } from '../sync-helpers.js';


describe('sync survives kill -9 at random moments', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;
  let child: RunningSluice | null = null;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 11 }), startMariaDb({ serverId: 12 })]);
    await createSupplyChain(source, target, 20_000);
    await source.query('CREATE TABLE product_service.ledger (id INT AUTO_INCREMENT PRIMARY KEY, product_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL)');
    await source.query('INSERT INTO product_service.ledger (product_id, amount) SELECT seq, seq / 100 FROM product_service.seq_1_to_5000');
    // The target ledger exists up front with an audit trigger (Sluice finds it compatible and keeps it).
    await target.query(`CREATE DATABASE product_service DEFAULT CHARSET utf8mb4;
      CREATE TABLE product_service.ledger (id INT AUTO_INCREMENT PRIMARY KEY, product_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL);
      CREATE TABLE product_service.ledger_audit (ledger_id INT NOT NULL, KEY (ledger_id));
      CREATE TRIGGER product_service.ledger_ai AFTER INSERT ON product_service.ledger FOR EACH ROW INSERT INTO product_service.ledger_audit VALUES (NEW.id);`);
    dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
    writeFileSync(join(dir, 'sluice.yaml'), `
sources:
  products:
    type: mysql
    url: ${source.url}
targets:
  copy:
    type: mysql
    url: ${target.url}
tuning:
  snapshotChunkSize: 500
  snapshotParallelism: 2
  batchSize: 300
pipelines:
  - name: crash
    source: products
    target: copy
    tables: ["product_service.*"]
    exclude: ["product_service.tmp_*"]
`);
  });
  after(async () => {
    if (child) await killHard(child);
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sluice = (extra: string[]): RunningSluice => startSluice(join(dir, 'sluice.yaml'), { SLUICE_LOG_LEVEL: 'warn' }, extra);

  it('leaves the target identical to the source, with no change applied twice', async () => {
    const random = seededRandom(Number(process.env.SLUICE_CRASH_SEED ?? 20261127));
    const writer = startWriter(source, 200_000);
    let ledgerRunning = true;
    const ledger = (async () => {
      let i = 0;
      while (ledgerRunning) {
        await source.query(`INSERT INTO product_service.ledger (product_id, amount) VALUES (${i % 1000}, ${i}.25)${i % 3 === 0 ? `, (${i % 7}, 1.5)` : ''}`);
        i++;
        await new Promise((r) => setTimeout(r, 3));
      }
    })();

    const kills = 8;
    for (let k = 0; k < kills; k++) {
      child = sluice([]);
      // The first kills land early (inside the snapshot), later ones while streaming.
      const wait = k < 3 ? 150 + random() * 700 : 300 + random() * 1500;
      await new Promise((r) => setTimeout(r, wait));
      assert.equal(child.child.exitCode, null, `sluice exited on its own (code ${child.child.exitCode})`);
      await killHard(child);
    }
    const committed = await writer.stop();
    ledgerRunning = false;
    await ledger;
    assert.ok(committed > 200, `writer committed ${committed} transactions`);

    child = sluice([]);
    const tables = [...PRODUCT_TABLES, 'ledger'];
    await eventually(async () => {
      for (const t of tables) {
        const [a, b] = await Promise.all([tableRows(source, 'product_service', t), tableRows(target, 'product_service', t)]);
        if (a.length !== b.length || a.some((r, i) => r !== b[i])) return false;
      }
      return true;
    }, 90_000, 'the target to match the source after the crashes');

    const dup = await target.query<Array<{ ledger_id: number; n: number }>>(
      'SELECT ledger_id, COUNT(*) AS n FROM product_service.ledger_audit GROUP BY ledger_id HAVING COUNT(*) > 1 LIMIT 5');
    assert.deepEqual(dup, [], 'a ledger row was written twice');
    const [{ n: audited }] = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM product_service.ledger_audit');
    const [{ n: rows }] = await source.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM product_service.ledger');
    assert.equal(Number(audited), Number(rows));

    child.child.kill('SIGTERM');
    assert.equal(await child.exited, 0, 'a clean stop exits with 0');
    child = null;
  });
});
