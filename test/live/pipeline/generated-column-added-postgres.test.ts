// ALTER TABLE … ADD COLUMN of a generated column while streaming into PostgreSQL: the source computes the new
// column for every existing row inside the DDL (no row events), and on PostgreSQL the column is a plain column
// (MySQL expressions are not translated). The existing rows were left NULL there; the table is now copied again
// once the stream has applied the DDL, so that every row carries the source's value.
import { after, before, describe, it } from 'node:test';
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
      INSERT INTO app.film VALUES (1, 1.50, 3), (2, 2.00, 5), (3, 0.99, 7);`);
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
});
