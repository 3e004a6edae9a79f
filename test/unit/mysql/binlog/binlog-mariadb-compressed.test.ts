import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startMariaDb } from '../../../../src/testkit/mariadb-server.js';
import { readBinlogFile } from '../../../../src/mysql/binlog/binlog-file.js';
import { BinlogDecoder } from '../../../../src/mysql/binlog/decoder.js';
import { EventType } from '../../../../src/mysql/binlog/event-types.js';
import type { BinlogEvent } from '../../../../src/mysql/binlog/events.js';

test('MariaDB log-bin-compress: QUERY_COMPRESSED and compressed rows events decode', { timeout: 120_000 }, async () => {
  const srv = await startMariaDb({ logBinCompress: true, binlogRowMetadata: 'FULL' });
  try {
    const long = 'z'.repeat(300);
    await srv.query('CREATE DATABASE cz');
    await srv.query(`CREATE TABLE cz.t (id INT PRIMARY KEY, s VARCHAR(400), n BIGINT UNSIGNED) /* ${long} */`);
    await srv.query('INSERT INTO cz.t VALUES (1, ?, 18446744073709551615), (2, ?, 7)', [long, 'short']);
    await srv.query("UPDATE cz.t SET s = 'changed-value-0123456789' WHERE id = 1");
    await srv.query('DELETE FROM cz.t WHERE id = 2');
    await srv.query('FLUSH BINARY LOGS');
    const decoder = new BinlogDecoder();
    const events: BinlogEvent[] = [];
    for (const f of readdirSync(srv.datadir).filter((x) => /^bin\.\d+$/.test(x)).sort()) {
      for await (const e of readBinlogFile(join(srv.datadir, f), { decoder })) events.push(e.event);
    }
    assert.equal(decoder.flavor, 'mariadb');
    const ddl = events.find((e) => e.kind === 'query' && e.sql.startsWith('CREATE TABLE'));
    assert.ok(ddl && ddl.kind === 'query');
    assert.equal(ddl.header.type, EventType.MARIADB_QUERY_COMPRESSED);
    assert.ok(ddl.sql.endsWith(`/* ${long} */`));
    assert.equal(ddl.database, '');
    const rows = events.filter((e) => e.kind === 'rows' && e.database === 'cz');
    const types = rows.map((r) => r.header.type);
    assert.ok(types.every((t) => t >= EventType.MARIADB_WRITE_ROWS_COMPRESSED_V1 && t <= EventType.MARIADB_DELETE_ROWS_COMPRESSED), `types ${types.join(',')}`);
    assert.deepEqual(rows.map((r) => r.kind === 'rows' ? r.op : ''), ['insert', 'update', 'delete']);
    const [ins, upd, del] = rows.map((r) => (r.kind === 'rows' ? r.rows : []));
    assert.equal(ins!.length, 2);
    assert.deepEqual(ins![0]!.after, { id: 1, s: long, n: 18446744073709551615n });
    assert.deepEqual(ins![1]!.after, { id: 2, s: 'short', n: 7 });
    assert.equal(upd![0]!.before!['s'], long);
    assert.equal(upd![0]!.after!['s'], 'changed-value-0123456789');
    assert.deepEqual(del![0]!.before, { id: 2, s: 'short', n: 7 });
    const gtids = events.filter((e) => e.kind === 'gtid');
    assert.ok(gtids.length >= 4 && gtids.every((g) => g.kind === 'gtid' && g.flavor === 'mariadb'));
    assert.ok(gtids.some((g) => g.kind === 'gtid' && g.flavor === 'mariadb' && g.standalone), 'DDL has a standalone GTID');
  } finally {
    await srv.stop();
  }
});
