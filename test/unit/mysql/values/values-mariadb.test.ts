/**
 * Ground truth from a real MariaDB: rows written to a throwaway server's binlog are decoded with the values
 * code (a minimal event walker lives here; the real one is in src/mysql/binlog) and compared with SELECT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMariaDb } from '../../../../src/testkit/mariadb-server.js';
import { decodeRowImage } from '../../../../src/mysql/values/row-image.js';
import { parseColumnMeta } from '../../../../src/mysql/values/column-meta.js';
import type { ColumnDef } from '../../../../src/mysql/values/column-type.js';
import { TimestampValue, type Row } from '../../../../src/core/cell.js';

const DDL = `CREATE TABLE t.v (
  id INT PRIMARY KEY, d1 DECIMAL(10,2), d2 DECIMAL(65,30), d3 DECIMAL(5,0) UNSIGNED,
  dt DATE, t0 TIME, t1 TIME(1), t3 TIME(3), t6 TIME(6), dtm DATETIME, dtm2 DATETIME(2), dtm6 DATETIME(6),
  ts3 TIMESTAMP(3) NULL, y YEAR, bu BIGINT UNSIGNED, bs BIGINT, mi MEDIUMINT, b10 BIT(10), e ENUM('a','b','c'), s SET('x','y','z'),
  vc VARCHAR(300) CHARACTER SET utf8mb4, l1 CHAR(5) CHARACTER SET latin1, bin BINARY(6), u UUID, i4 INET4, i6 INET6, tx TEXT, bl BLOB)`;

const ROWS = [
  `(1, -12.50, -0.000000000000000000000000000001, 0, '2024-02-29', '-838:59:59', '-00:00:00.5', '-01:02:03.001', '838:59:58.999999',
    '2024-02-29 23:59:58', '1000-01-01 00:00:00.01', '9999-12-31 23:59:59.999999', '2023-11-14 22:13:20.123', 2155, 18446744073709551615,
    -9223372036854775808, -8388608, b'1010101010', 'c', 'x,z', 'héllo 😀', '€ab', 'ab', '01234567-89ab-1def-8123-456789abcd00', '0.0.0.0',
    '::ffff:1.2.3.4', 'text', x'00ff00')`,
  `(2, 99999999.99, 99999999999999999999999999999999999.999999999999999999999999999999, 99999, '0000-00-00', '00:00:00', '00:00:00.0',
    '-00:00:00.001', '-00:00:00.000001', '0000-00-00 00:00:00', '0000-00-00 00:00:00.00', '2000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000', 0, 0,
    9223372036854775807, 8388607, b'0', '', '', '', '', x'000000000000', '00000000-0000-0000-0000-000000000000', '255.255.255.255', '::', '', '')`,
  `(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

/** Walk a binlog file: TABLE_MAP (19) and WRITE_ROWS v1 (23); returns the decoded rows of `table`. */
function decodeFile(bytes: Buffer, table: string, columnsFor: (types: number[], metas: number[]) => ColumnDef[]): Row[] {
  const rows: Row[] = [];
  let columns: ColumnDef[] | null = null;
  let tableId = -1;
  let checksum = 0;
  for (let p = 4; p + 19 <= bytes.length;) {
    const type = bytes[p + 4]!;
    const size = bytes.readUInt32LE(p + 9);
    const body = p + 19;
    const end = p + size - checksum;
    if (type === 15) checksum = bytes[end - 5 - 0] === 1 ? 4 : 0; // FORMAT_DESCRIPTION: algorithm byte before the CRC
    if (type === 19) {
      let q = body + 8;
      const db = bytes[q]!; q += 1 + db + 1;
      const tl = bytes[q]!;
      const name = bytes.toString('utf8', q + 1, q + 1 + tl); q += 1 + tl + 1;
      const n = bytes[q]!; q += 1;
      const types = bytes.subarray(q, q + n); q += n;
      const ml = bytes[q]!; q += 1;
      if (name === table) {
        const m = parseColumnMeta(types, bytes.subarray(q, q + ml));
        columns = columnsFor(m.types, m.metas);
        tableId = bytes.readUIntLE(body, 6);
      }
    } else if (type === 23 && columns !== null && bytes.readUIntLE(body, 6) === tableId) {
      let q = body + 8;
      const n = bytes[q]!; q += 1;
      const present = bytes.subarray(q, q + ((n + 7) >> 3)); q += present.length;
      while (q < end) {
        const r = decodeRowImage(bytes, q, end, columns, present);
        rows.push(r.row);
        q = r.next;
      }
    }
    p += size;
  }
  return rows;
}

test('values: MariaDB 10.11 binlog bytes decode to what SELECT returns', { timeout: 120_000 }, async () => {
  const srv = await startMariaDb({ binlogRowMetadata: 'FULL' });
  try {
    await srv.query("SET time_zone = '+00:00', sql_mode = ''");
    await srv.query('CREATE DATABASE t');
    await srv.query(DDL);
    await srv.query('FLUSH BINARY LOGS');
    await srv.query(`INSERT INTO t.v VALUES ${ROWS.join(',')}`);
    const status = await srv.query<Array<{ File: string }>>('SHOW MASTER STATUS');
    const info = await srv.query<Array<{ COLUMN_NAME: string; COLUMN_TYPE: string; COLLATION_NAME: string | null; ID: number | null }>>(
      `SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.COLLATION_NAME, co.ID FROM information_schema.COLUMNS c
       LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME
       WHERE c.TABLE_SCHEMA = 't' AND c.TABLE_NAME = 'v' ORDER BY c.ORDINAL_POSITION`);
    const bytes = readFileSync(join(srv.datadir, status[0]!.File));
    const rows = decodeFile(bytes, 'v', (types, metas) => types.map((type, i) => {
      const ci = info[i]!;
      const ct = ci.COLUMN_TYPE.toLowerCase();
      const enumMatch = /^(?:enum|set)\((.*)\)$/.exec(ct);
      const def: ColumnDef = {
        name: ci.COLUMN_NAME, type, meta: metas[i]!, nullable: true, unsigned: ct.includes('unsigned'),
        collation: ci.ID ?? (/(char|text)/.test(ct) ? null : 63), sqlType: ct,
      };
      if (enumMatch) def.enumValues = enumMatch[1]!.split(',').map((s) => s.slice(1, -1));
      return def;
    }));
    assert.equal(rows.length, 3);
    const [r1, r2, r3] = rows as [Row, Row, Row];
    assert.deepEqual(r1, {
      id: 1, d1: '-12.50', d2: '-0.000000000000000000000000000001', d3: '0', dt: '2024-02-29', t0: '-838:59:59', t1: '-00:00:00.5',
      t3: '-01:02:03.001', t6: '838:59:58.999999', dtm: '2024-02-29 23:59:58', dtm2: '1000-01-01 00:00:00.01', dtm6: '9999-12-31 23:59:59.999999',
      ts3: new TimestampValue(1700000000, 123000, 3), y: 2155, bu: 18446744073709551615n, bs: -9223372036854775808n, mi: -8388608, b10: 0b1010101010,
      e: 'c', s: ['x', 'z'], vc: 'héllo 😀', l1: '€ab', bin: Buffer.from([0x61, 0x62, 0, 0, 0, 0]), u: '01234567-89ab-1def-8123-456789abcd00',
      i4: '0.0.0.0', i6: '::ffff:1.2.3.4', tx: 'text', bl: Buffer.from([0, 0xff, 0]),
    });
    assert.deepEqual(r2, {
      id: 2, d1: '99999999.99', d2: '99999999999999999999999999999999999.999999999999999999999999999999', d3: '99999', dt: '0000-00-00',
      t0: '00:00:00', t1: '00:00:00.0', t3: '-00:00:00.001', t6: '-00:00:00.000001', dtm: '0000-00-00 00:00:00', dtm2: '0000-00-00 00:00:00.00',
      dtm6: '2000-01-01 00:00:00.000001', ts3: new TimestampValue(1, 0, 3), y: 0, bu: 0, bs: 9223372036854775807n, mi: 8388607, b10: 0, e: '',
      s: [], vc: '', l1: '', bin: Buffer.alloc(6), u: '00000000-0000-0000-0000-000000000000', i4: '255.255.255.255', i6: '::', tx: '', bl: Buffer.alloc(0),
    });
    for (const [k, v] of Object.entries(r3)) assert.equal(v, k === 'id' ? 3 : null, k);
    // Cross-check the text forms with the server's own rendering.
    const sel = await srv.query<Array<Record<string, string | null>>>(
      `SELECT CAST(d2 AS CHAR) d2, CAST(t1 AS CHAR) t1, CAST(t3 AS CHAR) t3, CAST(t6 AS CHAR) t6, CAST(dtm2 AS CHAR) dtm2, CAST(dtm6 AS CHAR) dtm6,
        CAST(u AS CHAR) u, CAST(i6 AS CHAR) i6, CAST(i4 AS CHAR) i4, CAST(dt AS CHAR) dt FROM t.v ORDER BY id`);
    for (let i = 0; i < 2; i++) {
      for (const [k, v] of Object.entries(sel[i]!)) assert.equal(rows[i]![k], v, `row ${i + 1} ${k}`);
    }
  } finally {
    await srv.stop();
  }
});
