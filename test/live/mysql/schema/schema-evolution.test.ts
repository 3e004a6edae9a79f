// Issue 9: without FULL row metadata the binlog does not name columns. A reader whose schema was read once
// at a known position, before a burst of 20 DDL statements of common forms, must name every row event with
// the columns in force when the row was written — the schema model is evolved by the parsed DDL, not by
// reading information_schema again (which already shows the state after the whole burst).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { BinlogSource } from '../../../../src/source/binlog-source.js';
import { SchemaHistory } from '../../../../src/mysql/schema/schema-history.js';
import { collectChanges } from '../../collect.js';
import type { RowChange, SourceMessage } from '../../../../src/core/types.js';

let server: MariaDbServer;

before(async () => {
  server = await startMariaDb({}); // MariaDB's default binlog_row_metadata: NO_LOG (no names in the binlog)
});
after(async () => { await server?.stop(); });

async function columnsOf(db: string, table: string): Promise<string[]> {
  const rows = await server.query<Array<{ c: string }>>(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  return rows.map((r) => r.c);
}

/** The 20 DDL forms; after each, a row is inserted into the table named second (`db.table`). */
function burst(db: string): Array<[string, string]> {
  return ([
  ['ALTER TABLE evo.t ADD COLUMN c INT FIRST', 'evo.t'],
  ['ALTER TABLE evo.t ADD COLUMN d VARCHAR(5) AFTER id', 'evo.t'],
  ['ALTER TABLE evo.t DROP COLUMN b', 'evo.t'],
  ["ALTER TABLE evo.t CHANGE a a2 VARCHAR(20) NULL DEFAULT 'x'", 'evo.t'],
  ['ALTER TABLE evo.t RENAME COLUMN d TO d2', 'evo.t'],
  ['ALTER TABLE evo.t MODIFY c BIGINT AFTER a2', 'evo.t'],
  ['RENAME TABLE evo.t TO evo.t_r', 'evo.t_r'],
  ['ALTER TABLE evo.t_r RENAME TO evo.t', 'evo.t'],
  ['ALTER TABLE evo.t CONVERT TO CHARACTER SET latin1', 'evo.t'],
  ['ALTER TABLE evo.t ADD COLUMN IF NOT EXISTS e INT, ADD COLUMN IF NOT EXISTS c INT', 'evo.t'],
  ['/*!40101 ALTER TABLE evo.t ADD COLUMN f DATE */', 'evo.t'],
  ['ALTER TABLE evo.t /* a comment */ ADD COLUMN g INT -- trailing\n', 'evo.t'],
  ['ALTER TABLE `evo`.`t` ADD COLUMN `we``ird` INT', 'evo.t'],
  ['CREATE TABLE evo.t2 LIKE evo.t', 'evo.t2'],
  ['DROP TABLE evo.t2', 'evo.t'],
  ['CREATE TABLE evo.t2 (x INT PRIMARY KEY, y VARCHAR(3))', 'evo.t2'],
  ['ALTER TABLE t2 ADD COLUMN z INT FIRST', 'evo.t2'], // unqualified, after USE evo
  ['ALTER TABLE evo.t DROP COLUMN IF EXISTS e, MODIFY COLUMN g SMALLINT FIRST', 'evo.t'],
  ['ALTER TABLE evo.t ADD COLUMN h INT AFTER id, ALGORITHM=INPLACE, LOCK=NONE', 'evo.t'],
  ['RENAME TABLE evo.t TO evo.tmp, evo.t2 TO evo.t, evo.tmp TO evo.t2', 'evo.t'],
] as Array<[string, string]>).map(([sql, target]) => [sql.split('evo.').join(`${db}.`).split('`evo`').join(`\`${db}\``), target.split('evo.').join(`${db}.`)]);
}

/** Run the burst on `db` (after `prepare`), then read it with `reader` and check every row's names. */
async function burstAndRead(t: { diagnostic(msg: string): void }, db: string, openReader: () => BinlogSource,
  beforeBurst: (reader: BinlogSource) => Promise<{ first: Promise<SourceMessage | null> } | null>): Promise<void> {
  await server.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.t (id INT PRIMARY KEY, a VARCHAR(10) CHARACTER SET utf8mb4, b INT);
    CREATE TABLE ${db}.keep (k INT PRIMARY KEY, v VARCHAR(10))`);
  const reader = openReader();
  try {
    const pending = await beforeBurst(reader);
    const expected: Array<{ table: string; columns: string[] }> = [];
    let id = 1;
    const insert = async (target: string): Promise<void> => {
      const [d, table] = target.split('.') as [string, string];
      const cols = await columnsOf(d, table);
      const k = cols.includes('x') ? 'x' : 'id';
      await server.query(`INSERT INTO \`${d}\`.\`${table}\` SET \`${k}\` = ${id++}`);
      expected.push({ table: target, columns: cols });
    };
    await insert(`${db}.t`);
    for (const [ddl, target] of burst(db)) {
      await server.query(ddl.startsWith('ALTER TABLE t2') ? `USE ${db}; ${ddl}` : ddl);
      await insert(target);
    }
    assert.equal(expected.length, 21);
    const early: RowChange[] = [];
    if (pending) {
      const m = await pending.first;
      if (m?.kind === 'transaction') early.push(...m.changes);
    }
    const got = await collectChanges(reader, 21 - early.length, 30_000);
    got.changes.unshift(...early);
    const wrong: string[] = [];
    got.changes.forEach((c, i) => {
      const names = Object.keys(c.after ?? {});
      const e = expected[i]!;
      if (`${c.database}.${c.table}` !== e.table || names.join(',') !== e.columns.join(',')) {
        wrong.push(`row ${i + 1} (${e.table}): got ${c.table} [${names.join(',')}], expected [${e.columns.join(',')}]`);
      }
    });
    t.diagnostic(`${21 - wrong.length} of 21 row events named right`);
    assert.deepEqual(wrong, []);
    // The key column carries its value (the names are not only right but on the right values).
    assert.deepEqual(got.changes.map((c) => Number(c.after!['id'] ?? c.after!['x'])), Array.from({ length: 21 }, (_, i) => i + 1));
  } finally {
    await reader.close();
  }
}

test('a reader that lags behind 20 DDL statements names every row with the columns of its time (no FULL metadata)', async (t) => {
  const [status] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  const start = { file: status!.File, pos: Number(status!.Position) };
  // The one information_schema read, at a known position (what a pipeline's snapshot does).
  const history = new SchemaHistory({ url: server.url });
  await burstAndRead(t, 'evo', () => new BinlogSource({ url: server.url, start: { kind: 'file', ...start }, filter: (db) => db === 'evo', schemaHistory: history }),
    async () => { await history.ensureLoaded('evo', 't', start); return null; });
});

test('a reader started at "now" reads the schema at its start, then follows 20 DDL statements it lags behind', async (t) => {
  await burstAndRead(t, 'evonow', () => new BinlogSource({ url: server.url, start: { kind: 'now' }, filter: (db) => db === 'evonow' }), async (reader) => {
    // Connect (the first next() opens the stream) and wait until it is open; the message itself is read later.
    const first = reader.next();
    const deadline = Date.now() + 10_000;
    while (reader.position === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(reader.position !== null, 'the reader is streaming');
    return { first };
  });
});
