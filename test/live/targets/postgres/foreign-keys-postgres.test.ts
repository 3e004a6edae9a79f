// Foreign keys and column defaults on the PostgreSQL target, on the realistic shop schema (test/live/real-schemas.ts):
// MariaDB → PostgreSQL through the pipeline. The constraints between copied tables exist on PostgreSQL with the
// source's referential actions (deferred checks), the one to a table outside the pipeline is left out, and the
// cascades the source's engine did (not in the binlog: ON DELETE CASCADE / SET NULL, ON UPDATE CASCADE, two and three
// levels deep) end with every table equal — also after re-snapshots of a parent and of a child-and-parent table, and for
// a table created and altered while streaming.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../../src/config/index.js';
import { createLogger } from '../../../../src/log.js';
import { eventually } from '../../sync-helpers.js';
import { createShopSchema, SHOP_CASCADES, SHOP_TABLES } from '../../real-schemas.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';

const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring', 'polygon',
  'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);

describe('PostgreSQL target: foreign keys and defaults on a realistic schema', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
  // `language` stays outside the pipeline: film's foreign keys to it are left out on PostgreSQL.
  const synced = SHOP_TABLES.filter((t) => t !== 'language');

  before(async () => {
    [source, db] = await Promise.all([startMariaDb({ extraArgs: ['--default-time-zone=+00:00'] }), createPgDatabase()]);
    await createShopSchema(source);
  });
  after(async () => {
    await Promise.all([source?.stop(), db?.drop()]);
  });

  /** The columns compared: every one, generated columns too (plain columns on PostgreSQL holding the source's values). */
  async function sourceColumns(table: string): Promise<Array<{ c: string; t: string }>> {
    return source.query<Array<{ c: string; t: string }>>(
      `SELECT COLUMN_NAME AS c, DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = '${table}' ORDER BY ORDINAL_POSITION`);
  }
  /** Every row of a table as one normalized text line per row (every column), sorted. */
  async function sourceRows(table: string): Promise<string[]> {
    const cols = await sourceColumns(table);
    const expr = cols.map(({ c, t }) => {
      const q = '`' + c.replace(/`/g, '``') + '`';
      const v = BINARY.has(t) ? `HEX(${q})` : t === 'datetime' || t === 'timestamp' ? `DATE_FORMAT(${q}, '%Y-%m-%d %H:%i:%s.%f')` : t === 'bit' ? `CAST(${q} + 0 AS CHAR)` : `CAST(${q} AS CHAR)`;
      return `IFNULL(${v}, '\\\\N')`;
    });
    const rows = await source.query<Array<{ l: string }>>(`SELECT CONCAT_WS('|', ${expr.join(', ')}) AS l FROM shop.\`${table}\``);
    return rows.map((r) => String(r.l)).sort();
  }
  async function targetRows(table: string): Promise<string[] | null> {
    const pgCols = await db.query(`SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'copy' AND table_name = '${table}' ORDER BY ordinal_position`);
    if (pgCols.length === 0) return null;
    const types = new Map(pgCols.map((r) => [String(r['c']), String(r['t'])]));
    const expr = (await sourceColumns(table)).map(({ c }) => {
      const t = types.get(c) ?? 'missing';
      const q = `"${String(c).replace(/"/g, '""')}"`;
      const v = t === 'bytea' ? `upper(encode(${q}, 'hex'))` : t === 'ARRAY' ? `array_to_string(${q}, ',')`
        : t === 'timestamp with time zone' ? `to_char(${q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`
          : t === 'timestamp without time zone' ? `to_char(${q}, 'YYYY-MM-DD HH24:MI:SS.US')` : `${q}::text`;
      return `coalesce(${v}, '\\N')`;
    });
    // `||`, not concat_ws: PostgreSQL functions take at most 100 arguments (the shop has a 251-column table).
    const rows = await db.query(`SELECT ${expr.join(" || '|' || ")} AS l FROM copy."${table}"`);
    return rows.map((r) => String(r['l'])).sort();
  }
  async function differences(): Promise<string[]> {
    const out: string[] = [];
    for (const t of synced) {
      const [a, b] = await Promise.all([sourceRows(t), targetRows(t)]);
      if (b === null) { out.push(`${t}: missing on the target`); continue; }
      const onlySrc = a.filter((x) => !b.includes(x));
      const onlyPg = b.filter((x) => !a.includes(x));
      if (a.length !== b.length || onlySrc.length > 0 || onlyPg.length > 0) {
        out.push(`${t}: source ${a.length} rows, PostgreSQL ${b.length} rows; only on the source ${onlySrc.slice(0, 2).join(' / ')}; only on PostgreSQL ${onlyPg.slice(0, 2).join(' / ')}`);
      }
    }
    return out;
  }
  /** The foreign keys on PostgreSQL: `table.name → referenced table, ON DELETE, ON UPDATE` (information_schema spelling). */
  async function pgForeignKeys(where = 'true'): Promise<string[]> {
    const rows = await db.query(`SELECT c.relname AS t, con.conname AS n, r.relname AS rt, con.confdeltype AS d, con.confupdtype AS u,
        con.condeferrable::text AS df, con.condeferred::text AS dd, con.convalidated::text AS v
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace s ON s.oid = c.relnamespace JOIN pg_class r ON r.oid = con.confrelid
      WHERE con.contype = 'f' AND s.nspname = 'copy' AND ${where} ORDER BY 1, 2`);
    const rule: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
    return rows.map((r) => `${r['t']}.${r['n']}→${r['rt']} ${rule[String(r['d'])]} ${rule[String(r['u'])]}${r['df'] === 'true' && r['dd'] === 'true' ? '' : ' (not deferred)'}`);
  }
  async function sourceForeignKeys(where = 'true'): Promise<string[]> {
    const rows = await source.query<Array<{ t: string; n: string; rt: string; d: string; u: string }>>(
      `SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, REFERENCED_TABLE_NAME AS rt, DELETE_RULE AS d, UPDATE_RULE AS u
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'shop' AND REFERENCED_TABLE_NAME <> 'language' AND ${where} ORDER BY 1, 2`);
    // RESTRICT is NO ACTION checked at COMMIT on PostgreSQL (deferred).
    const pg = (x: string): string => (x === 'RESTRICT' ? 'NO ACTION' : x);
    return rows.map((r) => `${r.t}.${r.n}→${r.rt} ${pg(r.d)} ${pg(r.u)}`);
  }

  it('keeps the foreign keys between copied tables, repeats the source\'s cascades and keeps the defaults', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mariadb', url: source.url } },
      targets: { t: { type: 'postgres', url: db.url } },
      tuning: { snapshotChunkSize: 16, snapshotParallelism: 3, batchSize: 500, maxBatchDelayMs: 20 },
      pipelines: [{ name: 'shop-pg-fk', source: 's', target: 't', tables: ['shop.*'], exclude: ['shop.language'], targetDatabase: 'copy' }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    const settle = async (what: string): Promise<void> => {
      let last: string[] = [];
      await eventually(async () => (last = await differences()).length === 0, 45_000, what)
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
      assert.equal(p.stats.status, 'streaming', String(p.stats.lastError ?? ''));
    };
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed' || p.stats.status === 'stopped', 90_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', `pipeline: ${String(p.stats.lastError ?? '')}`);
      await settle('initial copy');
      // The constraints are added once the stream has passed the copy (the first batch after it).
      await source.query('INSERT INTO shop.category VALUES (\'Horror\')');
      await settle('first batch');
      const srcFks = await sourceForeignKeys();
      assert.equal(srcFks.length, 18);
      assert.deepEqual(await pgForeignKeys(), srcFks, 'the foreign keys between copied tables, with their actions, deferred');
      assert.deepEqual(await db.query("SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated"), [], 'validated');

      // Column defaults: literals, CURRENT_TIMESTAMP, none for NULL.
      const defaults = await db.query(`SELECT table_name || '.' || column_name || '=' || column_default AS d FROM information_schema.columns
        WHERE table_schema = 'copy' AND column_default IS NOT NULL AND table_name IN ('country', 'staff', 'store_geo', 'address') ORDER BY 1`);
      assert.deepEqual(defaults.map((r) => r['d']), ['country.last_update=CURRENT_TIMESTAMP', "staff.active='1'::smallint", "store_geo.label='hidden'::character varying"]);

      await source.query(`USE shop;
        ${SHOP_CASCADES}
        -- parents and children inserted in one transaction, a child before its parent
        SET foreign_key_checks = 0;
        BEGIN;
          INSERT INTO city VALUES (20, 'Tórshavn', 1);
          INSERT INTO city VALUES (21, 'Klaksvík', 7);
          INSERT INTO country (country_id, country) VALUES (7, 'Faroe');
          INSERT INTO address (address_id, address, district, city_id, phone) VALUES (100, 'Harbour 1', 'K', 21, '1');
          UPDATE city SET city = 'Tórshavn Town' WHERE city_id = 20;
        COMMIT;
        SET foreign_key_checks = 1;
        INSERT INTO film (film_id, title, description, release_year, language_code) VALUES (500, 'NEW FILM', 'fresh', 2024, 'en');
        INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (900, 1, 2, 10, 3.50, '2024-05-05 10:00:00');
        -- the second level of a cascade from a key update: staff 1 → rental/payment.staff_id
        UPDATE staff SET staff_id = 50 WHERE staff_id = 1;
        DELETE FROM store WHERE store_id = 2;`);
      const cascaded = await source.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM shop.address WHERE city_id IS NULL');
      assert.ok(Number(cascaded[0]!.n) > 0, 'the source cascaded');
      await settle('every table equal after cascades');

      // Re-snapshot a parent table: the children's foreign keys point at the new copy, cascades still repeated.
      await p.requestResnapshot('shop', 'film');
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0, 60_000, 're-snapshot of shop.film');
      // Re-snapshot a table that is a child and a parent: the new copy keeps its own foreign keys.
      await p.requestResnapshot('shop', 'inventory');
      await eventually(async () => p.stats.status === 'streaming' && p.stats.resnapshotQueue.length === 0, 60_000, 're-snapshot of shop.inventory');
      await source.query(`USE shop;
        INSERT INTO inventory (inventory_id, film_id, store_id) VALUES (2000, 500, 3);
        INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, staff_id) VALUES (3000, '2024-06-01', 2000, 2, 2);
        DELETE FROM film WHERE film_id = 4;`);
      await settle('every table equal after the re-snapshots and more cascades');
      assert.deepEqual(await pgForeignKeys(), srcFks, 'the foreign keys after the re-snapshots');
      // Put back NOT VALID at the swap; validated once the stream has passed the new copies.
      await eventually(async () => (await db.query("SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")).length === 0, 30_000, 'validated after the re-snapshots');

      // A table created and altered while streaming: its foreign keys to copied tables are added, the one to
      // `language` left out; a column default of the ALTER is kept.
      await source.query(`CREATE TABLE shop.review (id INT PRIMARY KEY, film_id SMALLINT UNSIGNED, lang CHAR(5),
          CONSTRAINT fk_review_film FOREIGN KEY (film_id) REFERENCES shop.film (film_id) ON DELETE CASCADE,
          CONSTRAINT fk_review_lang FOREIGN KEY (lang) REFERENCES language (language_code)) ENGINE=InnoDB;
        INSERT INTO shop.review VALUES (1, 500, 'en'), (2, 6, 'fr'), (3, 6, NULL), (4, 7, 'en');
        DELETE FROM shop.film WHERE film_id = 6;`);
      synced.push('review');
      await settle('the new table equal after a cascade');
      await source.query(`ALTER TABLE shop.review ADD COLUMN stars TINYINT NOT NULL DEFAULT 3 AFTER id, ADD COLUMN cust SMALLINT UNSIGNED NULL,
          ADD CONSTRAINT fk_review_customer FOREIGN KEY (cust) REFERENCES shop.customer (customer_id) ON DELETE CASCADE;
        INSERT INTO shop.review (id, stars, film_id, lang, cust) VALUES (5, 5, 500, 'pt-BR', 4), (6, 1, 500, 'en', 5);
        DELETE FROM shop.customer WHERE customer_id = 4;`);
      await settle('the ALTERed table equal after a cascade');
      assert.deepEqual(await pgForeignKeys("c.relname = 'review'"), await sourceForeignKeys("TABLE_NAME = 'review'"));
      const stars = await db.query("SELECT column_default AS d FROM information_schema.columns WHERE table_schema = 'copy' AND table_name = 'review' AND column_name = 'stars'");
      assert.equal(stars[0]?.['d'], "'3'::smallint");
    } finally {
      ctl.abort();
    }
    const err = await run;
    if (err) throw err as Error;
    assert.deepEqual(await differences(), []);
  });
});
