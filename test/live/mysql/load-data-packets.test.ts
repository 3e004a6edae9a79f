// LOAD DATA text moved as protocol packets (src/mysql/load-data-packets.ts): rows of every length class of the
// protocol's length prefix (1, 3 and 4 bytes: < 251, < 64 KiB, < 16 MiB), rows that straddle the 1 MiB segments
// and a row longer than a whole segment are read into packets and loaded byte for byte; a NULL row is reported;
// segments handed back are reused; a server error reaches the caller and leaves the connection usable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { LoadDataPackets, PACKET_TEXT_BYTES, loadDataFromPackets, readLinePackets, trimPacketPool } from '../../../src/mysql/load-data-packets.js';

describe('LOAD DATA packets', () => {
  let server: MariaDbServer;
  let conn: mysql.Connection;

  before(async () => {
    server = await startMariaDb({ extraArgs: ['--local-infile=1', '--max-allowed-packet=64M'] });
    conn = await mysql.createConnection({ host: server.host, port: server.port, user: 'root', charset: 'utf8mb4' });
    // Line lengths around the prefix classes and the segment size: 0..250 (1 byte), 251..65535 (3), 65536.. (4).
    const lengths = [1, 250, 251, 252, 65535, 65536, 70000, PACKET_TEXT_BYTES - 7, PACKET_TEXT_BYTES + 3, 2 * PACKET_TEXT_BYTES + 11, 5, 3 * 1048576];
    await server.query('CREATE DATABASE p; CREATE TABLE p.src (id INT PRIMARY KEY, v LONGTEXT NOT NULL); CREATE TABLE p.dst LIKE p.src');
    for (let i = 0; i < lengths.length; i++) {
      // Every byte that matters to LOAD DATA text, repeated to the length (QUOTE() escapes them).
      await server.query(`INSERT INTO p.src VALUES (${i + 1}, LEFT(REPEAT(CONCAT('ab,\\'\\\\', CHAR(10), 'é'), ${lengths[i]!}), ${Math.max(1, lengths[i]! - 20)}))`);
    }
    // Many short rows after them: many rows per segment.
    await server.query('INSERT INTO p.src SELECT 100 + seq, CONCAT(\'r\', seq) FROM p.seq_1_to_20000');
  });

  after(async () => {
    await conn?.end();
    await server?.stop();
  });

  const line = "CONCAT(CONCAT_WS(',', id, QUOTE(v)), '\\n')";
  const load = (replace = ''): string =>
    `LOAD DATA LOCAL INFILE 'x' ${replace} INTO TABLE p.dst CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '''' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (id, v)`;

  it('reads every row into packets and loads them exactly', async () => {
    const read = await readLinePackets(conn, `SELECT ${line} FROM p.src ORDER BY id`);
    assert.equal(read.nullRow, false);
    assert.equal(read.rows, 20_012);
    // The text is what the source printed, row after row.
    const [rows] = await conn.query<mysql.RowDataPacket[]>({ sql: `SELECT ${line} AS t FROM p.src ORDER BY id`, rowsAsArray: true, typeCast: (f) => f.buffer() });
    const expected = Buffer.concat(rows.map((r) => (r as unknown as [Buffer])[0]));
    assert.equal(read.text.bytes, expected.length);
    assert.ok(read.text.toBuffer().equals(expected), 'the same bytes');
    assert.ok(read.text.packets().length > 7, 'several segments');
    assert.ok(read.text.packets().every((p) => p.length <= PACKET_TEXT_BYTES + 4));
    const res = await loadDataFromPackets(conn, load(), read.text);
    assert.equal(res.affectedRows, 20_012);
    assert.equal(res.warningStatus, 0);
    read.text.release();
    const sum = async (t: string): Promise<string> => String((await server.query<Array<{ x: string }>>(
      `SELECT CONCAT(COUNT(*), '/', BIT_XOR(CRC32(CONCAT(id, v)))) AS x FROM p.${t}`))[0]!.x);
    assert.equal(await sum('dst'), await sum('src'));
    assert.throws(() => read.text.packets(), /after release/);
  });

  it('reports a NULL row, reuses released segments, and passes a server error on', async () => {
    const read = await readLinePackets(conn, 'SELECT IF(seq = 2, NULL, CONCAT(seq, \'\\n\')) FROM p.seq_1_to_3');
    assert.equal(read.nullRow, true);
    read.text.release();
    trimPacketPool();
    const a = LoadDataPackets.from(Buffer.from('1,x\n'));
    const first = a.packets()[0]!;
    a.release();
    const b = LoadDataPackets.from(Buffer.from('2,y\n'));
    assert.equal(b.packets()[0]!.buffer, first.buffer, 'the released segment is used again');
    await assert.rejects(loadDataFromPackets(conn, load().replace('p.dst', 'p.missing'), b), /doesn't exist/);
    await assert.rejects(readLinePackets(conn, 'SELECT nope FROM p.src'), /Unknown column/);
    const [ok] = await conn.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
    assert.equal(ok[0]!['one'], 1, 'the connection still works');
  });
});
