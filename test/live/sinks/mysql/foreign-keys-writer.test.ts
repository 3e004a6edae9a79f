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
import { seededRandom } from '../../../helpers/seeded-random.js';

const TABLES = ['account_type', 'customer', 'account', 'entry', 'entry_tag', 'account_note', 'audit'];

describe('foreign-key cascades under a concurrent writer', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({}), startMariaDb({})]);
    await source.query(`CREATE DATABASE ledger; USE ledger;
      CREATE TABLE account_type (code VARCHAR(12) PRIMARY KEY, label VARCHAR(40) NOT NULL);
      CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, since YEAR);
      CREATE TABLE account (id INT PRIMARY KEY, customer_id INT NOT NULL, type_code VARCHAR(12), status ENUM('open','frozen','closed') NOT NULL DEFAULT 'open',
        FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE CASCADE ON UPDATE CASCADE,
        FOREIGN KEY (type_code) REFERENCES account_type (code) ON DELETE SET NULL ON UPDATE CASCADE);
      CREATE TABLE entry (id BIGINT PRIMARY KEY, account_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, booked DATETIME(3) NOT NULL,
        FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE ON UPDATE CASCADE);
      CREATE TABLE entry_tag (entry_id BIGINT NOT NULL, tag VARCHAR(10) NOT NULL, PRIMARY KEY (entry_id, tag),
        FOREIGN KEY (entry_id) REFERENCES entry (id) ON DELETE CASCADE);
      CREATE TABLE account_note (id INT PRIMARY KEY, account_id INT, note TEXT, FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE SET NULL ON UPDATE CASCADE);
      CREATE TABLE audit (what VARCHAR(60) NOT NULL, ref BIGINT);
      CREATE TRIGGER entry_ai AFTER INSERT ON entry FOR EACH ROW INSERT INTO audit VALUES (CONCAT('entry ', NEW.id), NEW.id);
      INSERT INTO account_type VALUES ('CHK', 'checking'), ('SAV', 'savings'), ('LOAN', 'loan');
      INSERT INTO customer SELECT seq, CONCAT('c', seq), 1990 + seq % 30 FROM seq_1_to_300;
      INSERT INTO account SELECT seq, 1 + seq % 300, ELT(1 + seq % 3, 'CHK', 'SAV', 'LOAN'), 'open' FROM seq_1_to_900;
      INSERT INTO entry SELECT seq, 1 + seq % 900, seq / 7, '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_6000;
      INSERT INTO entry_tag SELECT seq, ELT(1 + seq % 2, 'a', 'b') FROM seq_1_to_6000;
      INSERT INTO account_note SELECT seq, 1 + seq * 7 % 900, CONCAT('note ', seq) FROM seq_1_to_400;`);
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

  /** Cascading writes until stopped: deletes of customers/accounts/entries, key updates, inserts of whole trees. */
  function startWriter(): { stop: () => Promise<number>; allowKeyUpdates: () => void } {
    const r = seededRandom(4242);
    let running = true;
    let keyUpdates = false;
    let n = 0;
    let next = 10_000;
    const loop = (async () => {
      while (running) {
        const k = Math.floor(r() * 8);
        const c = 1 + Math.floor(r() * 300);
        const a = 1 + Math.floor(r() * 900);
        try {
          if (k === 0) await source.query(`DELETE FROM ledger.customer WHERE id = ${c}`);
          else if (k === 1) await source.query(`DELETE FROM ledger.account WHERE id = ${a}`);
          else if (k === 2 && keyUpdates) await source.query(`UPDATE ledger.customer SET id = ${next++} WHERE id = ${c}`);
          else if (k === 3 && keyUpdates) await source.query(`UPDATE ledger.account SET id = ${next++} WHERE id = ${a}`);
          else if (k === 2 || k === 3) await source.query(`UPDATE ledger.customer SET name = CONCAT(name, '+') WHERE id = ${c}`);
          else if (k === 4) {
            const cid = next++, aid = next++, eid = next++;
            await source.query(`BEGIN; INSERT INTO ledger.customer VALUES (${cid}, 'new', 2020); INSERT INTO ledger.account VALUES (${aid}, ${cid}, 'SAV', 'open');
              INSERT INTO ledger.entry (id, account_id, amount, booked) VALUES (${eid}, ${aid}, 1.50, NOW(3)); INSERT INTO ledger.entry_tag VALUES (${eid}, 'new'); COMMIT`);
          } else if (k === 5) await source.query(`DELETE FROM ledger.entry WHERE account_id = ${a} LIMIT 3`);
          else if (k === 6) await source.query(`UPDATE ledger.account SET status = 'frozen' WHERE id = ${a}`);
          else await source.query(`INSERT INTO ledger.entry (id, account_id, amount, booked) VALUES (${next++}, (SELECT MIN(id) FROM ledger.account), 9.99, NOW(3))`);
          n++;
        } catch (err) {
          if (running) throw err;
        }
        await new Promise((res) => setTimeout(res, 3));
      }
    })();
    return { stop: async () => { running = false; await loop; return n; }, allowKeyUpdates: () => { keyUpdates = true; } };
  }

  it('ends with every table identical', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      tuning: { snapshotChunkSize: 200, snapshotParallelism: 2, batchSize: 200, maxBatchDelayMs: 20 },
      pipelines: [{ name: 'ledger', source: 's', target: 't', tables: ['ledger.*'], targetDatabase: 'ledger_copy' }],
    }), { format: 'json' });
    const make = (): Pipeline => new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    const writer = startWriter();
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
