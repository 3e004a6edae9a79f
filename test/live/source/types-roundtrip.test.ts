// Every MariaDB column type, with edge values and NULLs, through insert, update and delete, read back
// from the binlog by Sluice and compared with what the server itself prints for the same rows.
// Runs with binlog_row_metadata FULL and MINIMAL, with binlog_row_image MINIMAL, and across an ALTER TABLE.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer, type MariaDbServerOptions } from '../../../src/testkit/mariadb-server.js';
import { BinlogSource } from '../../../src/source/binlog-source.js';
import type { Cell, Row } from '../../../src/core/cell.js';
import { TYPE_COLUMNS, oracleOf } from '../type-columns.js';
import { collectChanges } from '../collect.js';

type OracleRow = Record<string, string | null>;

const COLS = TYPE_COLUMNS;
const ROWS = 4; // three rows of edge values, one row of NULLs

async function oracle(server: MariaDbServer): Promise<Map<number, OracleRow>> {
  const exprs = COLS.map((c) => `${c.name === 'c_year' ? 'CAST(c_year + 0 AS CHAR)' : oracleOf(c)} AS ${c.name}`).join(', ');
  const rows = await server.query<Array<Record<string, unknown>>>(`SELECT id, ${exprs} FROM types.t ORDER BY id`);
  const out = new Map<number, OracleRow>();
  for (const r of rows) {
    const o: OracleRow = {};
    for (const c of COLS) {
      const v = r[c.name];
      if (v === null || v === undefined) o[c.name] = null;
      else if (c.name === 'c_float') o[c.name] = String(Math.fround(Number(v)));
      else if (c.name === 'c_json') o[c.name] = JSON.stringify(JSON.parse(String(v)));
      else o[c.name] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    }
    out.set(Number(r.id), o);
  }
  return out;
}

function printCell(name: string, v: Cell): string | null {
  const col = COLS.find((c) => c.name === name)!;
  return col.print ? col.print(v) : v === null ? null : String(v);
}

/** Asserts that every column present in `row` equals the oracle; returns how many columns were present. */
function assertRow(row: Row | null, expected: OracleRow | undefined, what: string): number {
  assert.ok(row, `${what}: row image missing`);
  assert.ok(expected, `${what}: no oracle row`);
  let present = 0;
  for (const c of COLS) {
    if (!(c.name in row)) continue;
    present++;
    assert.equal(printCell(c.name, row[c.name]!), expected[c.name], `${what}: column ${c.name}`);
  }
  return present;
}

async function setupTable(server: MariaDbServer): Promise<void> {
  await server.query('CREATE DATABASE types');
  await server.query(`CREATE TABLE types.t (id INT PRIMARY KEY, ${COLS.map((c) => `${c.name} ${c.ddl}`).join(', ')}) DEFAULT CHARSET=utf8mb4`);
}

async function writeWorkload(server: MariaDbServer): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await server.query(`INSERT INTO types.t (id, ${COLS.map((c) => c.name).join(', ')}) VALUES (${i + 1}, ${COLS.map((c) => c.values[i]).join(', ')})`);
  }
  await server.query('INSERT INTO types.t (id) VALUES (4)');
}

async function updateWorkload(server: MariaDbServer): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const j = (i + 1) % 3;
    await server.query(`UPDATE types.t SET ${COLS.map((c) => `${c.name} = ${c.values[j]}`).join(', ')} WHERE id = ${i + 1}`);
  }
  await server.query(`UPDATE types.t SET ${COLS.map((c) => `${c.name} = ${c.values[0]}`).join(', ')} WHERE id = 4`);
}

function variant(name: string, opts: MariaDbServerOptions): void {
  describe(`column types round-trip (${name})`, () => {
    let server: MariaDbServer;
    let source: BinlogSource;
    before(async () => {
      server = await startMariaDb({ ...opts, extraArgs: ['--default-time-zone=+00:00', ...(opts.extraArgs ?? [])] });
      await setupTable(server);
      source = new BinlogSource({ url: server.url, serverId: 4242, start: { kind: 'now' }, filter: (db) => db === 'types' });
      // Open the stream before writing so that it is live.
      await source.next().catch(() => null);
    });
    after(async () => {
      await source?.close();
      await server?.stop();
    });

    const minimalImage = opts.binlogRowImage === 'MINIMAL';

    it('inserts, updates and deletes decode to exactly what the server stores', async () => {
      await writeWorkload(server);
      const afterInsert = await oracle(server);
      const ins = await collectChanges(source, ROWS);
      assert.equal(ins.changes.length, ROWS);
      for (const ch of ins.changes) {
        assert.equal(ch.op, 'insert');
        assert.equal(ch.before, null);
        const id = Number(ch.after!.id);
        assertRow(ch.after, afterInsert.get(id), `insert id=${id}`);
      }

      await updateWorkload(server);
      const afterUpdate = await oracle(server);
      const upd = await collectChanges(source, ROWS);
      for (const ch of upd.changes) {
        assert.equal(ch.op, 'update');
        const id = Number((ch.before ?? ch.after)!.id);
        const nBefore = assertRow(ch.before, afterInsert.get(id), `update before id=${id}`);
        const nAfter = assertRow(ch.after, afterUpdate.get(id), `update after id=${id}`);
        if (minimalImage) {
          assert.equal(nBefore, 0, 'MINIMAL before image holds only the primary key');
          assert.ok(nAfter > 0);
        } else {
          assert.equal(nBefore, COLS.length);
          assert.equal(nAfter, COLS.length);
        }
      }

      if (minimalImage) {
        // One changed column: the after image holds it (and no invented values for the others).
        await server.query('UPDATE types.t SET c_int = 5 WHERE id = 1');
        const one = await collectChanges(source, 1);
        const ch = one.changes[0]!;
        assert.deepEqual(Object.keys(ch.before!), ['id']);
        assert.deepEqual(Object.keys(ch.after!), ['c_int']);
        assert.equal(ch.after!.c_int, 5);
        await server.query('UPDATE types.t SET c_int = 2147483647 WHERE id = 1');
        await collectChanges(source, 1);
      }
      await server.query('DELETE FROM types.t');
      const del = await collectChanges(source, ROWS);
      for (const ch of del.changes) {
        assert.equal(ch.op, 'delete');
        assert.equal(ch.after, null);
        const id = Number(ch.before!.id);
        const n = assertRow(ch.before, afterUpdate.get(id), `delete id=${id}`);
        assert.equal(n, minimalImage ? 0 : COLS.length);
      }
    });

    it('keeps decoding with the right columns across an ALTER TABLE', async () => {
      await server.query("INSERT INTO types.t (id, c_int, c_varchar) VALUES (10, 1, 'before')");
      const first = await collectChanges(source, 1);
      assert.equal(first.changes[0]!.after!.c_varchar, 'before');
      await server.query('ALTER TABLE types.t ADD COLUMN c_added VARCHAR(20) AFTER id, DROP COLUMN c_tinyint');
      await server.query("INSERT INTO types.t (id, c_added, c_int, c_varchar) VALUES (11, 'new', 2, 'after')");
      const next = await collectChanges(source, 1, 30_000);
      assert.equal(next.ddl.length, 1, 'the ALTER arrives as a DDL message');
      assert.match(next.ddl[0]!.sql, /ALTER TABLE/i);
      const row = next.changes[0]!.after!;
      assert.equal(row.c_added, 'new');
      assert.equal(row.c_varchar, 'after');
      assert.equal(row.c_int, 2);
      assert.ok(!('c_tinyint' in row), 'the dropped column is gone');
    });
  });
}

variant('binlog_row_metadata=FULL', { binlogRowMetadata: 'FULL' });
variant('binlog_row_metadata=MINIMAL, names from information_schema', { binlogRowMetadata: 'MINIMAL' });
variant('binlog_row_image=MINIMAL', { binlogRowMetadata: 'FULL', binlogRowImage: 'MINIMAL' });
