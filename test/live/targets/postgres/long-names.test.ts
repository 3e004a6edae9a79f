// MySQL names are up to 64 characters (up to 256 bytes in UTF-8); PostgreSQL's are up to 63 bytes and it cuts longer
// ones silently. A source schema with long and non-ASCII database, table and column names, copied and streamed into
// PostgreSQL, ends equal value by value — or refused with a typed error naming the names when two of them collide.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { appToPostgres } from '../../pipeline/app-to-postgres.js';
import { createLogger } from '../../../../src/log.js';
import { eventually } from '../../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';

const cyr = (n: number, tail: string): string => 'д'.repeat(n) + tail;

describe('long and non-ASCII names into PostgreSQL', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
  before(async () => {
    [source, db] = await Promise.all([startMariaDb({}), createPgDatabase()]);
  });
  after(async () => { await Promise.all([source?.stop(), db?.drop()]); });

  it('copies and streams tables and columns whose names exceed 63 bytes', async () => {
    const longTable = 'x'.repeat(60) + '_tbl';            // 64 ASCII characters
    const cyrTable = cyr(40, '_товар');                 // 46 characters, 92 bytes
    const colA = cyr(40, '_а'), colB = cyr(40, '_б');    // differ after byte 63
    await source.query(`CREATE DATABASE app CHARACTER SET utf8mb4;
      CREATE TABLE app.\`${longTable}\` (id INT PRIMARY KEY, \`${'c'.repeat(64)}\` VARCHAR(10));
      CREATE TABLE app.\`${cyrTable}\` (id INT PRIMARY KEY, \`${colA}\` INT, \`${colB}\` INT, \`имя\` VARCHAR(20));
      INSERT INTO app.\`${longTable}\` VALUES (1, 'one'), (2, 'two');
      INSERT INTO app.\`${cyrTable}\` VALUES (1, 10, 20, 'Ёлка'), (2, 11, 21, 'ß');`);
    const p = appToPostgres(source, db.url, log)();
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    let tables: Array<string | null | undefined> = [];
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed', 60_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', String(p.stats.lastError ?? ''));
      const colC = cyr(40, '_в');
      await source.query(`INSERT INTO app.\`${longTable}\` VALUES (3, 'three'); UPDATE app.\`${cyrTable}\` SET \`${colB}\` = 99 WHERE id = 1;
        INSERT INTO app.\`${cyrTable}\` VALUES (3, 12, 22, '日本');
        ALTER TABLE app.\`${cyrTable}\` ADD COLUMN \`${colC}\` INT NOT NULL DEFAULT 7, MODIFY \`${colA}\` BIGINT;
        UPDATE app.\`${cyrTable}\` SET \`${colC}\` = id * 100, \`${colA}\` = \`${colA}\` + 1 WHERE id >= 2; DELETE FROM app.\`${longTable}\` WHERE id = 2`);
      tables = (await db.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'app' ORDER BY 1")).map((r) => r['t']);
      assert.equal(tables.length, 2, `tables on PostgreSQL: ${tables.join(', ')}`);
      let rows = '';
      await eventually(async () => {
        const all: string[] = [];
        for (const t of tables) {
          const r = await db.query(`SELECT * FROM app."${t}" ORDER BY 1`);
          all.push(r.map((x) => Object.values(x).join('|')).join(' '));
        }
        rows = all.sort().join(' / ');
        return rows === '1|10|99|Ёлка|7 2|12|21|ß|200 3|13|22|日本|300 / 1|one 3|three';
      }, 30_000, 'the rows on PostgreSQL').catch((err: unknown) => { throw new Error(`${String(err)}: ${rows}; pipeline ${p.stats.status} ${String(p.stats.lastError ?? '')}`); });
    } finally {
      ctl.abort();
    }
    const err = await run;
    if (err) throw err as Error;
    // A restart reads the tables' shapes back from PostgreSQL's catalog (the cut names).
    await source.query(`INSERT INTO app.\`${cyrTable}\` VALUES (4, 14, 24, 'Ω', 400); UPDATE app.\`${longTable}\` SET \`${'c'.repeat(64)}\` = 'uno' WHERE id = 1`);
    const again = appToPostgres(source, db.url, log)();
    const ctl2 = new AbortController();
    const run2 = again.run(ctl2.signal).then(() => null, (e: unknown) => e);
    try {
      await eventually(async () => (await db.query(`SELECT count(*) AS n FROM app."${tables.find((t) => t?.startsWith('д'))}" WHERE id = 4`))[0]?.['n'] === '1'
        && (await db.query(`SELECT * FROM app."${tables.find((t) => t?.startsWith('x'))}" WHERE id = 1`)).map((r) => Object.values(r).join('|')).join() === '1|uno',
      30_000, 'the rows written while stopped');
      assert.equal(again.stats.status, 'streaming', String(again.stats.lastError ?? ''));
    } finally {
      ctl2.abort();
    }
    const err2 = await run2;
    if (err2) throw err2 as Error;
  });
});
