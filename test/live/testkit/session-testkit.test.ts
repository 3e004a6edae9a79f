import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startMariaDb } from '../../../src/testkit/mariadb-server.js';

test('testkit: start, query, kill, restart, stop', async () => {
  const srv = await startMariaDb({ serverId: 77, binlogRowMetadata: 'FULL', gtidStrictMode: true, logBinCompress: true });
  try {
    const rows = await srv.query<Array<Record<string, unknown>>>('SELECT @@server_id AS id, @@log_bin AS lb, @@binlog_format AS f, @@binlog_row_metadata AS m, @@gtid_strict_mode AS g, @@log_bin_compress AS c');
    assert.deepEqual(rows[0], { id: 77, lb: 1, f: 'ROW', m: 'FULL', g: 1, c: 1 });
    assert.match(srv.url, /^mysql:\/\/root@127\.0\.0\.1:\d+$/);
    await srv.query('CREATE DATABASE t1; CREATE TABLE t1.a (id INT PRIMARY KEY); INSERT INTO t1.a VALUES (1)');
    await srv.kill();
    await srv.restart();
    const after = await srv.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM t1.a');
    assert.equal(Number(after[0]!.n), 1);
  } finally {
    await srv.stop();
  }
  assert.equal(existsSync(srv.datadir), false);
});

test('testkit: binlog off', async () => {
  const srv = await startMariaDb({ binlog: false });
  try {
    const rows = await srv.query<Array<{ lb: number }>>('SELECT @@log_bin AS lb');
    assert.equal(rows[0]!.lb, 0);
  } finally {
    await srv.stop();
  }
});
