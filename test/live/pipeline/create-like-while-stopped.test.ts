// DDL while Sluice is stopped (a deploy's migrations): CREATE TABLE … LIKE, rows, an ALTER, then a RENAME of the new
// table. When the stream reaches the CREATE, the source no longer has a table of that name, so its definition cannot
// be read from the source; the PostgreSQL target, which renders every CREATE TABLE from a model, refused it
// (DDL_UNSUPPORTED "a CREATE TABLE whose resulting table is unknown"). The LIKE source's definition stands in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { appToPostgres } from './app-to-postgres.js';
import { createLogger } from '../../../src/log.js';
import { eventually } from '../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

describe('CREATE TABLE … LIKE of a table renamed while the pipeline was stopped (PostgreSQL target)', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
  before(async () => {
    [source, db] = await Promise.all([startMariaDb({}), createPgDatabase()]);
    await source.query(`SET NAMES utf8mb4; CREATE DATABASE app CHARACTER SET utf8mb4;
      CREATE TABLE app.staff (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, KEY idx_name (name));
      INSERT INTO app.staff VALUES (1, 'ana'), (2, 'bo');`);
  });
  after(async () => { await Promise.all([source?.stop(), db?.drop()]); });

  it('creates the table from the LIKE source and follows the later DDL', async () => {
    const make = appToPostgres(source, db.url, log);
    const first = make();
    const stop1 = new AbortController();
    const run1 = first.run(stop1.signal);
    await eventually(async () => first.stats.status === 'streaming', 60_000, 'streaming');
    stop1.abort();
    await run1;

    await source.query(`SET NAMES utf8mb4;
      CREATE TABLE app.staff_copy LIKE app.staff;
      INSERT INTO app.staff_copy SELECT * FROM app.staff;
      ALTER TABLE app.staff_copy ADD COLUMN extra INT NOT NULL DEFAULT 7;
      RENAME TABLE app.staff_copy TO app.\`staff_ĉopy\`;
      INSERT INTO app.\`staff_ĉopy\` VALUES (3, 'cy', 8);`);

    const second = make();
    const stop2 = new AbortController();
    const run2 = second.run(stop2.signal).then(() => null, (e: unknown) => e);
    try {
      let rows = '';
      await eventually(async () => {
        if (second.stats.status === 'failed') return true;
        rows = (await db.query('SELECT id, name, extra FROM app."staff_ĉopy" ORDER BY id')).map((r) => `${r['id']}|${r['name']}|${r['extra']}`).join(' ');
        return rows === '1|ana|7 2|bo|7 3|cy|8';
      }, 60_000, 'the renamed copy on PostgreSQL').catch((err: unknown) => { throw new Error(`${String(err)}: rows ${rows}`); });
      assert.equal(second.stats.status, 'streaming', String(second.stats.lastError ?? ''));
      const idx = await db.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'app' AND tablename = 'staff_ĉopy' ORDER BY 1");
      assert.equal(idx.length, 2, `primary key and idx_name: ${JSON.stringify(idx)}`);
    } finally {
      stop2.abort();
    }
    const err = await run2;
    if (err) throw err as Error;
  });
});
