// ALTER TABLE … ADD COLUMN of a generated column while streaming into PostgreSQL: the source computes the new
// column for every existing row inside the DDL (no row events), and on PostgreSQL the column is a plain column
// (MySQL expressions are not translated). The existing rows were left NULL there; the table is now copied again
// once the stream has applied the DDL, so that every row carries the source's value.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { appToPostgres } from './app-to-postgres.js';
import { createLogger } from '../../../src/log.js';
import { eventually } from '../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

describe('generated column added while streaming (PostgreSQL target)', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
  before(async () => {
    [source, db] = await Promise.all([startMariaDb({}), createPgDatabase()]);
    await source.query(`CREATE DATABASE app; CREATE TABLE app.film (id INT PRIMARY KEY, rate DECIMAL(4,2) NOT NULL, days INT NOT NULL);
      INSERT INTO app.film VALUES (1, 1.50, 3), (2, 2.00, 5), (3, 0.99, 7);
      CREATE TABLE app.rental (id INT PRIMARY KEY, fee DECIMAL(5,2) NOT NULL, days INT NOT NULL, label VARCHAR(20) NOT NULL,
        total DECIMAL(8,2) AS (fee * days) STORED, tag VARCHAR(30) AS (CONCAT(label, ':', days)) VIRTUAL);
      INSERT INTO app.rental (id, fee, days, label) VALUES (1, 0.99, 7, 'abcdef'), (2, 1.25, 3, 'xyz'), (3, 2.00, 1, 'long label');`);
  });
  after(async () => { await Promise.all([source?.stop(), db?.drop()]); });

  it('ends with the source\'s values in the existing rows', async () => {
    const p = appToPostgres(source, db.url, log)();
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    try {
      await eventually(async () => p.stats.status === 'streaming', 60_000, 'streaming');
      await source.query(`ALTER TABLE app.film ADD COLUMN total DECIMAL(7,2) AS (rate * days) STORED, ADD COLUMN twice INT AS (days * 2) VIRTUAL;
        INSERT INTO app.film (id, rate, days) VALUES (4, 1.00, 1);`);
      const want = '1|4.50|6 2|10.00|10 3|6.93|14 4|1.00|2';
      let rows = '';
      await eventually(async () => {
        rows = (await db.query('SELECT id, total, twice FROM app.film ORDER BY id')).map((r) => `${r['id']}|${r['total']}|${r['twice']}`).join(' ');
        return rows === want && p.stats.status === 'streaming';
      }, 60_000, 'the computed values on PostgreSQL').catch((err: unknown) => { throw new Error(`${String(err)}: rows ${rows}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
    } finally {
      ctl.abort();
    }
    const err = await run;
    if (err) throw err as Error;
  });

  // MODIFY of a column a generated column reads: the source converts the stored values (rounding, truncation)
  // and recomputes the generated columns inside the DDL, with no row events; PostgreSQL converts the column but
  // holds the generated ones as plain columns, so they keep the values computed from the old ones.
  it('ends with the source\'s values after a MODIFY of a column that generated columns read', async () => {
    const p = appToPostgres(source, db.url, log)();
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    const text = async (sql: string, query: (q: string) => Promise<Array<Record<string, unknown>>>): Promise<string> =>
      (await query(sql)).map((r) => Object.values(r).map(String).join('|')).join(' ');
    try {
      await eventually(async () => p.stats.status === 'streaming', 60_000, 'streaming');
      await source.query(`SET SESSION sql_mode = ''; ALTER TABLE app.rental MODIFY fee DECIMAL(4,1) NOT NULL, MODIFY label VARCHAR(4) NOT NULL;
        INSERT INTO app.rental (id, fee, days, label) VALUES (4, 1.0, 2, 'q');`);
      const sql = 'SELECT id, fee, days, label, total, tag FROM app.rental ORDER BY id';
      const want = await text(sql, (q) => source.query(q));
      assert.equal(want, '1|1.0|7|abcd|7.00|abcd:7 2|1.3|3|xyz|3.90|xyz:3 3|2.0|1|long|2.00|long:1 4|1.0|2|q|2.00|q:2');
      let rows = '';
      await eventually(async () => {
        rows = await text(sql, (q) => db.query(q));
        return rows === want && p.stats.status === 'streaming';
      }, 60_000, 'the recomputed values on PostgreSQL').catch((err: unknown) => { throw new Error(`${String(err)}: rows ${rows}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
    } finally {
      ctl.abort();
    }
    const err = await run;
    if (err) throw err as Error;
  });
});
