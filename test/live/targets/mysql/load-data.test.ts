// Snapshot chunks written with LOAD DATA LOCAL INFILE (src/targets/mysql/load-data.ts): a chunk cut off in
// the middle of its load leaves nothing behind and is written whole on the next try; a target that does
// not allow LOAD DATA LOCAL (local_infile=OFF from the start, or switched off while copying) gets the rows
// through INSERT statements with a LOAD_DATA_REFUSED warning saying how to allow it; a chunk that would
// not load exactly falls back to INSERT statements, which fail loudly instead of truncating.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { MysqlTarget } from '../../../../src/targets/mysql/mysql-target.js';
import type { SnapshotChunk } from '../../../../src/targets/target.js';
import type { TableSchema } from '../../../../src/mysql/schema/table-schema.js';
import type { Cell } from '../../../../src/core/cell.js';
import { SluiceError } from '../../../../src/errors.js';

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino<never>({ level: 'warn' }, { write: (line: string) => { lines.push(line); } }), lines };
}

/** The chunk's schema is not read by the MySQL target (it writes by the target table's shape). */
const schemaOf = (table: string): TableSchema => ({ database: 'src', table, columns: [], primaryKey: ['id'], version: 0 });

function chunk(table: string, index: number, rows: Cell[][], columns = ['id', 'v']): SnapshotChunk {
  return { database: 'src', table, schema: schemaOf(table), columns, rows, index, position: { file: 'bin.000001', pos: 4 + index } };
}

const rowsFrom = (from: number, n: number): Cell[][] => Array.from({ length: n }, (_, i) => [from + i, `row ${from + i} ${'x'.repeat(100)}\t\\\n`]);

async function count(server: MariaDbServer, table: string): Promise<number> {
  return Number((await server.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
}

async function loadsOf(server: MariaDbServer): Promise<number> {
  return Number((await server.query<Array<{ Value: string }>>("SHOW GLOBAL STATUS LIKE 'Com_load'"))[0]?.Value ?? 0);
}

async function openSink(server: MariaDbServer, pipeline: string, logger: Logger): Promise<MysqlTarget> {
  const sink = new MysqlTarget({ pipeline, connection: server.url, targetDatabase: 'dst', logger });
  await sink.open();
  await sink.prepareSnapshot();
  return sink;
}

describe('snapshot chunks through LOAD DATA LOCAL INFILE', () => {
  let target: MariaDbServer;
  let noLocal: MariaDbServer;
  before(async () => {
    [target, noLocal] = await Promise.all([
      startMariaDb({ binlog: false }),
      startMariaDb({ binlog: false, extraArgs: ['--local-infile=0'] }),
    ]);
    for (const s of [target, noLocal]) {
      await s.query(`CREATE DATABASE dst;
        CREATE TABLE dst.big (id INT PRIMARY KEY, v VARCHAR(200) NOT NULL);
        CREATE TABLE dst.small (id INT PRIMARY KEY, v VARCHAR(200) NOT NULL);
        CREATE TABLE dst.narrow (id INT PRIMARY KEY, v VARCHAR(3) NOT NULL);
        CREATE TABLE dst.dec (id INT PRIMARY KEY, v DECIMAL(5,2) NOT NULL)`);
    }
  });
  after(async () => {
    await Promise.all([target?.stop(), noLocal?.stop()]);
  });

  it('a chunk cut off in the middle of its load leaves nothing, then loads whole', async () => {
    const { logger } = capturingLogger();
    const sink = await openSink(target, 'cut', logger);
    try {
      const rows = rowsFrom(1, 300_000);
      const outcome = sink.applySnapshotChunk(chunk('big', 0, rows)).then(() => null, (err: unknown) => err);
      // Wait until the load runs in its (open) transaction, then kill its connection.
      let killed = false;
      for (let i = 0; i < 4000 && !killed; i++) {
        const trx = await target.query<Array<{ id: number }>>("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE 'LOAD DATA%'");
        if (trx[0]) {
          await new Promise((r) => setTimeout(r, 30)); // let it write some rows
          await target.query(`KILL CONNECTION ${trx[0].id}`);
          killed = true;
        } else {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      assert.ok(killed, 'caught the load in the middle');
      const err = await outcome;
      assert.ok(err instanceof SluiceError && err.code === 'CONNECTION_LOST', String(err));
      assert.equal(await count(target, 'dst.big'), 0, 'no row of the cut chunk is on the target');
      assert.deepEqual(await sink.snapshotChunksDone(), [], 'the chunk is not recorded as done');

      await sink.applySnapshotChunk(chunk('big', 0, rows));
      assert.equal(await count(target, 'dst.big'), 300_000);
      const done = await sink.snapshotChunksDone();
      assert.deepEqual(done.map((d) => [d.table, d.index, d.rows]), [['big', 0, 300_000]]);
      const sample = await target.query<Array<{ v: string }>>('SELECT v FROM dst.big WHERE id = 7');
      assert.equal(sample[0]!.v, `row 7 ${'x'.repeat(100)}\t\\\n`);
    } finally {
      await sink.close();
    }
  });

  it('local_infile=OFF on the target: the rows go through INSERT statements, with a LOAD_DATA_REFUSED warning and its fix', async () => {
    const { logger, lines } = capturingLogger();
    const sink = await openSink(noLocal, 'off', logger);
    try {
      const loads0 = await loadsOf(noLocal);
      await sink.applySnapshotChunk(chunk('small', 0, rowsFrom(1, 1000)));
      assert.equal(await sink.applySnapshotText({ database: 'src', table: 'small', columns: [{ name: 'id', as: 'text' }, { name: 'v', as: 'text' }],
        data: Buffer.from("1001,'a'\n"), rows: 1, index: 1, position: { file: 'bin.000001', pos: 9 } }), false, 'the text path declines');
      assert.equal(sink.loadsSnapshotText, false);
      await sink.applySnapshotChunk(chunk('small', 1, rowsFrom(1001, 1000)));
      assert.equal(await count(noLocal, 'dst.small'), 2000);
      assert.equal(await loadsOf(noLocal) - loads0, 0, 'no LOAD DATA was tried');
      const refused = lines.map((l) => JSON.parse(l) as { code?: string; fix?: string }).filter((l) => l.code === 'LOAD_DATA_REFUSED');
      assert.equal(refused.length, 1, 'warned once');
      assert.match(refused[0]!.fix ?? '', /SET GLOBAL local_infile = ON/);
    } finally {
      await sink.close();
    }
  });

  it('LOAD DATA switched off while copying: the refused chunk is rolled back and written with INSERT statements', async () => {
    const { logger, lines } = capturingLogger();
    const sink = await openSink(target, 'switched', logger);
    await target.query('CREATE TABLE dst.sw LIKE dst.small');
    try {
      const loads0 = await loadsOf(target);
      await sink.applySnapshotChunk(chunk('sw', 0, rowsFrom(1, 500)));
      assert.equal(await loadsOf(target) - loads0, 1, 'the first chunk went through LOAD DATA');
      await target.query('SET GLOBAL local_infile = 0');
      await sink.applySnapshotChunk(chunk('sw', 1, rowsFrom(501, 500)));
      assert.equal(await count(target, 'dst.sw'), 1000);
      assert.equal((await sink.snapshotChunksDone()).length, 2);
      assert.ok(lines.some((l) => (JSON.parse(l) as { code?: string }).code === 'LOAD_DATA_REFUSED'), lines.join('\n'));
    } finally {
      await target.query('SET GLOBAL local_infile = 1');
      await sink.close();
    }
  });

  it('a value the column cannot hold is not truncated by LOAD DATA: the chunk falls back and fails loudly', async () => {
    const { logger, lines } = capturingLogger();
    const sink = await openSink(target, 'narrow', logger);
    try {
      await assert.rejects(sink.applySnapshotChunk(chunk('narrow', 0, [[1, 'abc'], [2, 'abcdef']])),
        (err: unknown) => err instanceof SluiceError && err.code === 'TARGET_WRITE_FAILED' && /too long/i.test(err.message));
      assert.equal(await count(target, 'dst.narrow'), 0);
      assert.deepEqual(await sink.snapshotChunksDone(), []);
      assert.ok(lines.some((l) => /did not load exactly/.test(l)), lines.join('\n'));
    } finally {
      await sink.close();
    }
  });

  it('a load with a warning (a DECIMAL rounded) is rolled back and the chunk written with INSERT statements', async () => {
    const { logger, lines } = capturingLogger();
    const sink = await openSink(target, 'dec', logger);
    try {
      await sink.applySnapshotChunk(chunk('dec', 0, [[1, '1.005'], [2, '2.50']]));
      assert.ok(lines.some((l) => /did not load exactly/.test(l) && /1 warnings/.test(l)), lines.join('\n'));
      const got = await target.query<Array<{ v: string }>>('SELECT CAST(v AS CHAR) AS v FROM dst.dec ORDER BY id');
      assert.deepEqual(got.map((r) => r.v), ['1.01', '2.50']);
      assert.equal((await sink.snapshotChunksDone()).length, 1);
    } finally {
      await sink.close();
    }
  });
});
