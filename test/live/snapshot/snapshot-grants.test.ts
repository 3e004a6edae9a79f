// A source account that may not read a table in scope: the copy fails with MISSING_GRANTS whose fix is the
// GRANT for this account and this database, ready to paste; pasted as it is, the same chunk reads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { InformationSchemaLoader } from '../../../src/mysql/schema/schema-loader.js';
import { SnapshotReader } from '../../../src/snapshot/snapshot-reader.js';
import { SluiceError } from '../../../src/errors.js';

describe('snapshot: missing SELECT on a source table', () => {
  let source: MariaDbServer;
  before(async () => {
    source = await startMariaDb();
    await source.query("CREATE DATABASE `sh``op`; CREATE TABLE `sh``op`.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO `sh``op`.t VALUES (1, 'a'), (2, 'b')");
    await source.query("CREATE USER 'copier'@'%' IDENTIFIED BY 'pw'; GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'copier'@'%'");
  });
  after(async () => { await source?.stop(); });

  it('fails with the GRANT for this account, which pasted as it is lets the chunk be read', async () => {
    const loader = new InformationSchemaLoader(source.url);
    const reader = new SnapshotReader(source.url.replace('root@', 'copier:pw@'), 'mariadb', 1);
    try {
      const schema = (await loader.loadDatabase('sh`op')).get('t')!;
      let err: unknown;
      await reader.readChunk(schema, { lo: null, hi: null }).catch((e: unknown) => { err = e; });
      assert.ok(err instanceof SluiceError, `a SluiceError, got ${String(err)}`);
      assert.equal(err.code, 'MISSING_GRANTS');
      const stmt = /as an administrator run: (.*)$/.exec(err.fix)?.[1];
      assert.equal(stmt, 'GRANT SELECT ON `sh``op`.* TO `copier`@`%`');
      await source.query(stmt!);
      const chunk = await reader.readChunk(schema, { lo: null, hi: null });
      assert.deepEqual(chunk.rows.map((r) => r.map(String)), [['1', 'a'], ['2', 'b']]);
    } finally {
      await Promise.all([reader.close(), loader.close()]);
    }
  });
});
