// Foreign keys on a realistic schema (test/live/real-schemas.ts): the target tables are created with the
// foreign keys between copied tables (several per table, referenced tables routed to the target database),
// the snapshot copies in any order, and while streaming the target's engine repeats the cascades the source's
// engine did (ON DELETE CASCADE / SET NULL, ON UPDATE CASCADE, three levels deep) — those rows are not in the
// binlog. Triggers are not copied, so the rows they write on the source arrive once, from the binlog.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../../src/config/index.js';
import { createLogger } from '../../../../src/log.js';
import { eventually, tableRows } from '../../sync-helpers.js';
import { createShopSchema, SHOP_CASCADES, SHOP_TABLES } from '../../real-schemas.js';

describe('foreign keys and triggers on a realistic schema', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
  // `language` stays outside the pipeline: film's foreign keys to it are dropped on the target.
  const synced = SHOP_TABLES.filter((t) => t !== 'language');

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({}), startMariaDb({})]);
    await createShopSchema(source);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  async function differences(): Promise<string[]> {
    const out: string[] = [];
    for (const t of synced) {
      const [a, b] = await Promise.all([tableRows(source, 'shop', t), tableRows(target, 'copy', t).catch(() => null)]);
      if (b === null) { out.push(`${t}: missing on the target`); continue; }
      if (a.length !== b.length || a.some((r, i) => r !== b[i])) out.push(`${t}: source ${a.length} rows, target ${b.length} rows`);
    }
    return out;
  }

  it('creates the tables with their foreign keys, copies them and repeats cascades while streaming', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      tuning: { snapshotChunkSize: 16, snapshotParallelism: 3, batchSize: 500, maxBatchDelayMs: 20 },
      pipelines: [{ name: 'shop-fk', source: 's', target: 't', tables: ['shop.*'], exclude: ['shop.language'], targetDatabase: 'copy' }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed' || p.stats.status === 'stopped', 60_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', `pipeline: ${String(p.stats.lastError ?? '')}`);
      assert.deepEqual(await differences(), [], 'initial copy');

      // Foreign keys between copied tables are on the target, pointing at the target database; the two to
      // `language` (outside the pipeline) are not. No trigger was copied.
      const fks = await target.query<Array<{ n: string; t: string; rdb: string; rt: string; d: string; u: string }>>(
        `SELECT rc.CONSTRAINT_NAME AS n, rc.TABLE_NAME AS t, rc.UNIQUE_CONSTRAINT_SCHEMA AS rdb, rc.REFERENCED_TABLE_NAME AS rt,
           rc.DELETE_RULE AS d, rc.UPDATE_RULE AS u FROM information_schema.REFERENTIAL_CONSTRAINTS rc WHERE rc.CONSTRAINT_SCHEMA = 'copy' ORDER BY 1`);
      const srcFks = await source.query<Array<{ n: string; t: string; rt: string; d: string; u: string }>>(
        `SELECT CONSTRAINT_NAME AS n, TABLE_NAME AS t, REFERENCED_TABLE_NAME AS rt, DELETE_RULE AS d, UPDATE_RULE AS u
           FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'shop' AND REFERENCED_TABLE_NAME <> 'language' ORDER BY 1`);
      assert.equal(srcFks.length, 18);
      assert.deepEqual(fks.map((f) => [f.n, f.t, f.rt, f.d, f.u]), srcFks.map((f) => [f.n, f.t, f.rt, f.d, f.u]));
      assert.ok(fks.every((f) => f.rdb === 'copy'));
      assert.deepEqual(await target.query("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'copy'"), []);
      const [filmNote] = await target.query<Array<{ e: string }>>("SELECT ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'copy' AND TABLE_NAME = 'film_note'");
      assert.equal(filmNote!.e, 'InnoDB');

      await source.query(`USE shop;
        ${SHOP_CASCADES}
        -- parents and children inserted in one transaction, in an order merging would break
        BEGIN;
          INSERT INTO city VALUES (20, 'Tórshavn', 1);
          INSERT INTO country (country_id, country) VALUES (7, 'Faroe');
          INSERT INTO city VALUES (21, 'Klaksvík', 7);
          INSERT INTO address (address_id, address, district, city_id, phone) VALUES (100, 'Harbour 1', 'K', 21, '1');
          UPDATE city SET city = 'Tórshavn Town' WHERE city_id = 20;
        COMMIT;
        -- trigger-written rows (film_text, audit_log without a key) arrive once, from the binlog
        INSERT INTO film (film_id, title, description, release_year, language_code) VALUES (500, 'NEW FILM', 'fresh', 2024, 'en');
        UPDATE film SET title = 'NEW FILM 2' WHERE film_id = 500;
        INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (900, 1, 2, 10, 3.50, '2024-05-05 10:00:00');
        INSERT INTO film_note VALUES (500, 'note'), (500, 'note');
        DELETE FROM film_note WHERE film_id = 1 LIMIT 1;
        -- the second level of a cascade from a key update: staff 1 → rental/payment.staff_id
        UPDATE staff SET staff_id = 50 WHERE staff_id = 1;
        DELETE FROM store WHERE store_id = 2;
        -- the other kinds of tables real schemas carry
        INSERT INTO store VALUES (4, 'Neo', NULL);
        INSERT INTO store_geo (store_id, location, label) VALUES (4, ST_GeomFromText('POINT(9 9)'), 'four');
        UPDATE sales_by_month SET total = total + 1 WHERE store_id = 2;
        INSERT INTO sales_by_month (month, store_id, total) VALUES ('2026-05-01', 3, 1.25);
        UPDATE sku SET name = 'renamed' WHERE code = 'B-2'; DELETE FROM sku WHERE code = 'c-3'; INSERT INTO sku VALUES ('D-4', 'fourth');
        UPDATE \`order\` SET \`ñandú\` = 'ok', \`we\`\`ird\` = 7 WHERE \`select\` = 2;
        UPDATE wide SET c249 = 'changed', c5 = 'five' WHERE id = 3;`);
      const cascaded = await source.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM shop.address WHERE city_id IS NULL');
      assert.ok(cascaded[0]!.n > 0, 'the source cascaded');
      let last: string[] = [];
      await eventually(async () => (last = await differences()).length === 0, 30_000, 'every table equal after cascades')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
      assert.equal(p.stats.status, 'streaming');

      // Re-snapshot a parent table: the children's foreign keys must point at the new copy afterwards (InnoDB
      // moves them to the renamed old table in the swap), so inserts into children still work and cascades
      // from the re-copied parent are still repeated.
      await p.requestResnapshot('shop', 'film');
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0, 60_000, 're-snapshot of shop.film');
      const refs = await target.query<Array<{ t: string; rt: string }>>(
        "SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS rt FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'copy' AND TABLE_NAME IN ('inventory', 'film_category') ORDER BY 1, 2");
      assert.deepEqual(refs.map((r) => `${r.t}→${r.rt}`), ['film_category→category', 'film_category→film', 'inventory→film', 'inventory→store']);
      // Re-snapshot a table that is a child and a parent: the new copy keeps its own foreign keys (the shadow
      // copy is created without them), and its children's keys point at it.
      await p.requestResnapshot('shop', 'inventory');
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0, 60_000, 're-snapshot of shop.inventory');
      const invRefs = await target.query<Array<{ t: string; rt: string; d: string }>>(
        "SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS rt, DELETE_RULE AS d FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'copy' AND (TABLE_NAME = 'inventory' OR REFERENCED_TABLE_NAME = 'inventory') ORDER BY 1, 2");
      const srcRefs = await source.query<Array<{ t: string; rt: string; d: string }>>(
        "SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS rt, DELETE_RULE AS d FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'shop' AND (TABLE_NAME = 'inventory' OR REFERENCED_TABLE_NAME = 'inventory') ORDER BY 1, 2");
      assert.deepEqual(invRefs.map((r) => `${r.t}→${r.rt} ${r.d}`), srcRefs.map((r) => `${r.t}→${r.rt} ${r.d}`), 'the re-copied table has the source\'s foreign keys, both ways');
      await source.query(`USE shop;
        INSERT INTO inventory (inventory_id, film_id, store_id) VALUES (2000, 500, 3);
        INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, staff_id) VALUES (3000, '2024-06-01', 2000, 2, 2);
        DELETE FROM film WHERE film_id = 4;`);
      last = [];
      await eventually(async () => (last = await differences()).length === 0, 30_000, 'every table equal after the re-snapshot and more cascades')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
      assert.equal(p.stats.status, 'streaming');

      // A table created while streaming: generated from its parsed definition, its foreign key to a copied
      // table kept (qualified reference routed to the target database), the one to `language` dropped.
      await source.query(`CREATE TABLE shop.review (id INT PRIMARY KEY, film_id SMALLINT UNSIGNED, lang CHAR(5),
          CONSTRAINT fk_review_film FOREIGN KEY (film_id) REFERENCES shop.film (film_id) ON DELETE CASCADE,
          CONSTRAINT fk_review_lang FOREIGN KEY (lang) REFERENCES language (language_code)) ENGINE=InnoDB AUTO_INCREMENT=5;
        INSERT INTO shop.review VALUES (1, 500, 'en'), (2, 6, 'fr'), (3, 6, NULL), (4, 7, 'en');
        DELETE FROM shop.film WHERE film_id = 6;`);
      synced.push('review');
      await eventually(async () => (last = await differences()).length === 0, 30_000, 'the new table equal after a cascade')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
      const reviewFks = await target.query<Array<{ n: string; rdb: string; rt: string }>>(
        "SELECT CONSTRAINT_NAME AS n, UNIQUE_CONSTRAINT_SCHEMA AS rdb, REFERENCED_TABLE_NAME AS rt FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'copy' AND TABLE_NAME = 'review'");
      assert.deepEqual(reviewFks.map((f) => `${f.n}→${f.rdb}.${f.rt}`), ['fk_review_film→copy.film']);

      // ALTER TABLE forwarded clause by clause: the foreign key to `language` (outside) is left out, the one to a
      // copied table (qualified with the source database) is routed, the other clauses run as written.
      await source.query(`ALTER TABLE shop.review ADD CONSTRAINT fk_review_lang2 FOREIGN KEY (lang) REFERENCES language (language_code),
          ADD COLUMN stars TINYINT NOT NULL DEFAULT 3 AFTER id, ADD COLUMN cust SMALLINT UNSIGNED NULL,
          ADD CONSTRAINT fk_review_customer FOREIGN KEY (cust) REFERENCES shop.customer (customer_id) ON DELETE CASCADE;
        ALTER TABLE shop.review ADD CONSTRAINT fk_only_outside FOREIGN KEY (lang) REFERENCES language (language_code);
        INSERT INTO shop.review (id, stars, film_id, lang, cust) VALUES (5, 5, 500, 'pt-BR', 4), (6, 1, 500, 'en', 5);
        DELETE FROM shop.customer WHERE customer_id = 4;`);
      await eventually(async () => (last = await differences()).length === 0, 30_000, 'the ALTERed table equal')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
      const altered = await target.query<Array<{ n: string; rdb: string; rt: string }>>(
        "SELECT CONSTRAINT_NAME AS n, UNIQUE_CONSTRAINT_SCHEMA AS rdb, REFERENCED_TABLE_NAME AS rt FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'copy' AND TABLE_NAME = 'review' ORDER BY 1");
      assert.deepEqual(altered.map((f) => `${f.n}→${f.rdb}.${f.rt}`), ['fk_review_customer→copy.customer', 'fk_review_film→copy.film']);
    } finally {
      ctl.abort();
    }
    const err = await run;
    if (err) throw err as Error;
    assert.deepEqual(await differences(), []);
  });
});
