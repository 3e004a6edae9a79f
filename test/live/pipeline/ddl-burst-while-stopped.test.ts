// A deploy with a burst of migrations while Sluice is stopped, on a schema like teams run: several foreign keys per
// table with ON UPDATE CASCADE / ON DELETE SET NULL, a trigger writing an audit table, a composite string key, a
// key-less insert-only log, non-ASCII names. Between the DDL, rows are written (some through cascades, which are
// not in the binlog). Sluice is started again and must end with every table equal to the source, value by value
// (ordered content of every column), on a MySQL and on a PostgreSQL target, stopped after the initial copy or during it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Connection } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { startChaosTarget, type ChaosTarget, type ChaosTargetKind } from '../../../src/testkit/chaos/index.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { eventually } from '../sync-helpers.js';

const SCHEMA = `CREATE DATABASE shop CHARACTER SET utf8mb4; USE shop;
CREATE TABLE category (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, parent_id INT NULL,
  CONSTRAINT fk_cat_parent FOREIGN KEY (parent_id) REFERENCES category (id) ON UPDATE CASCADE ON DELETE SET NULL);
CREATE TABLE supplier (code VARCHAR(12) PRIMARY KEY, name VARCHAR(60) NOT NULL);
CREATE TABLE product (id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, category_id INT NULL, supplier_code VARCHAR(12) NULL,
  price DECIMAL(10,2) NOT NULL, made DATETIME(3) NOT NULL,
  CONSTRAINT fk_prod_cat FOREIGN KEY (category_id) REFERENCES category (id) ON UPDATE CASCADE ON DELETE SET NULL,
  CONSTRAINT fk_prod_sup FOREIGN KEY (supplier_code) REFERENCES supplier (code) ON UPDATE CASCADE ON DELETE SET NULL);
CREATE TABLE tag (product_code VARCHAR(20) NOT NULL, tag VARCHAR(30) NOT NULL, weight INT NOT NULL DEFAULT 1, PRIMARY KEY (product_code, tag),
  CONSTRAINT fk_tag_prod FOREIGN KEY (product_code) REFERENCES product (code) ON UPDATE CASCADE ON DELETE CASCADE);
CREATE TABLE price_log (product_id INT NOT NULL, price DECIMAL(10,2) NOT NULL, at DATETIME(3) NOT NULL);
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(80) NOT NULL);
CREATE TRIGGER product_price AFTER UPDATE ON product FOR EACH ROW
  INSERT INTO audit (what) VALUES (CONCAT('price ', NEW.code, ' ', OLD.price, '→', NEW.price));
INSERT INTO category VALUES (1, 'Tools', NULL), (2, 'Garden', NULL), (3, 'Hand tools', 1), (4, 'Pumps', 2), (5, 'Électrique', 1);
INSERT INTO supplier VALUES ('ACME', 'Acme Corp'), ('BOSCH', 'Bosch'), ('ЗАВОД', 'Завод №1');
CREATE TABLE filler (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL);
INSERT INTO filler SELECT seq, CONCAT('v', seq) FROM seq_1_to_6000;
INSERT INTO price_log SELECT seq % 50, seq / 100, '2026-01-01 00:00:00.000' FROM seq_1_to_3000;`;

/** The burst: DDL and writes interleaved, some rows changed only by cascades. */
const BURST = [
  `INSERT INTO product (code, category_id, supplier_code, price, made) VALUES ('H-1', 3, 'ACME', 9.99, '2026-01-02 03:04:05.678'), ('P-7', 4, 'BOSCH', 120.00, '2025-12-31 23:59:59.999')`,
  `INSERT INTO tag VALUES ('H-1', 'steel', 2), ('H-1', 'sale', 1), ('P-7', 'sale', 3)`,
  `INSERT INTO price_log VALUES (1, 9.99, NOW(3)), (1, 9.99, NOW(3))`,
  `ALTER TABLE product ADD COLUMN weight_kg DECIMAL(8,3) NULL AFTER price, ADD COLUMN note VARCHAR(50) NOT NULL DEFAULT 'ßüñ'`,
  `UPDATE product SET weight_kg = 0.250, price = price * 1.1 WHERE code = 'H-1'`,
  `ALTER TABLE product RENAME COLUMN made TO made_at`,
  `UPDATE supplier SET code = 'BOSCH-DE' WHERE code = 'BOSCH'`,
  `UPDATE category SET id = 30 WHERE id = 3`,
  `DELETE FROM category WHERE id = 2`,
  `CREATE TABLE warehouse (id SMALLINT PRIMARY KEY, city VARCHAR(40) NOT NULL, \`größe\` INT NULL)`,
  `INSERT INTO warehouse VALUES (1, 'Köln', 1200), (2, '東京', NULL)`,
  `ALTER TABLE category MODIFY name VARCHAR(80) NOT NULL`,
  `RENAME TABLE tag TO product_tag`,
  `UPDATE product SET code = 'H-1b' WHERE code = 'H-1'`,
  `ALTER TABLE product_tag ADD COLUMN added DATE NULL`,
  `INSERT INTO product_tag VALUES ('P-7', 'pro', 5, '2026-11-30')`,
  `INSERT INTO price_log SELECT id, price, made_at FROM product`,
  `CREATE TABLE scratch (id INT PRIMARY KEY)`, `INSERT INTO scratch VALUES (1)`, `DROP TABLE scratch`,
  `ALTER TABLE product DROP COLUMN note`,
  `DELETE FROM supplier WHERE code = 'ACME'`,
  `INSERT INTO price_log VALUES (2, 132.00, '2026-11-30 12:00:00.000')`,
  `UPDATE filler SET v = CONCAT(v, '*') WHERE id % 97 = 0`, `DELETE FROM filler WHERE id % 89 = 0`,
  `RENAME TABLE filler TO filler_old`, `ALTER TABLE filler_old ADD COLUMN w INT NULL`, `UPDATE filler_old SET w = id WHERE id % 5 = 0`,
];

describe('a burst of DDL while Sluice is stopped', () => {
  const servers: Array<{ stop(): Promise<void> }> = [];
  const targets: ChaosTarget[] = [];
  after(async () => {
    await Promise.all([...servers.map((s) => s.stop()), ...targets.map((t) => t.close())]);
  });

  for (const [kind, stopped] of [['mysql', 'after the copy'], ['postgres', 'after the copy'], ['mysql', 'during the copy'], ['postgres', 'during the copy']] as Array<[ChaosTargetKind, string]>) {
    it(`ends equal to the source on a ${kind} target (stopped ${stopped})`, async () => {
      const source: MariaDbServer = await startMariaDb({});
      servers.push(source);
      const target = await startChaosTarget(kind);
      targets.push(target);
      await source.query(SCHEMA);
      const url = /url: (\S+)/.exec(target.configEntry(target.port))![1]!;
      const cfg = parseConfig(JSON.stringify({
        sources: { s: { type: 'mariadb', url: source.url } },
        targets: { t: { type: kind, url } },
        tuning: { maxBatchDelayMs: 20, ...(stopped === 'during the copy' ? { snapshotChunkSize: 100, snapshotParallelism: 1 } : {}) },
        pipelines: [{ name: 'shop', source: 's', target: 't', tables: ['shop.*'], targetDatabase: 'shop_copy' }],
      }), { format: 'json' });
      const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
      const make = (): Pipeline => new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
      const conn: Connection = await createConnection({ host: source.host, port: source.port, user: 'root', database: 'shop', multipleStatements: true });
      try {
        const first = make();
        const ctl = new AbortController();
        const run = first.run(ctl.signal).then(() => null, (e: unknown) => e);
        try {
          if (stopped === 'during the copy') {
            await eventually(async () => first.stats.snapshotRowsCopied > 500 || first.stats.status === 'streaming' || first.stats.status === 'failed', 60_000, 'part of the copy');
            assert.equal(first.stats.status, 'snapshotting', String(first.stats.lastError ?? ''));
          } else {
            await eventually(async () => first.stats.status === 'streaming' || first.stats.status === 'failed', 60_000, 'streaming');
            assert.equal(first.stats.status, 'streaming', String(first.stats.lastError ?? ''));
          }
        } finally {
          ctl.abort();
        }
        assert.equal(await run, null);

        for (const sql of BURST) await conn.query(sql);

        const second = make();
        const ctl2 = new AbortController();
        const run2 = second.run(ctl2.signal).then(() => null, (e: unknown) => e);
        const tables = ['category', 'supplier', 'product', 'product_tag', 'price_log', 'audit', 'warehouse', 'filler_old'];
        let report = '';
        try {
          await eventually(async () => {
            if (second.stats.status === 'failed') return true;
            const diffs = [];
            for (const t of tables) diffs.push(await target.diff(conn, 'shop', t, 'shop_copy').catch((err: unknown) => ({ table: t, error: String(err) })));
            report = JSON.stringify(diffs.filter((d) => 'error' in d || d.extra > 0 || d.missing > 0));
            return report === '[]' && second.stats.status === 'streaming';
          }, 60_000, 'every table equal to the source').catch((err: unknown) => {
            throw new Error(`${String(err)}: ${report}; pipeline ${second.stats.status} ${String(second.stats.lastError ?? '')}`);
          });
          assert.equal(second.stats.status, 'streaming', String(second.stats.lastError ?? ''));
          assert.equal(report, '[]');
          // Nothing of the dropped table, the old name of the renamed one, or the triggers on the copy.
          for (const gone of ['tag', 'filler', 'scratch']) assert.equal(await target.diff(conn, 'shop', gone, 'shop_copy').then(() => 'exists', () => 'gone'), 'gone', gone);
        } finally {
          ctl2.abort();
        }
        assert.equal(await run2, null);
      } finally {
        await conn.end();
      }
    });
  }
});
