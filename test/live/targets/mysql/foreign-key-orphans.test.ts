// The orphan sweep (targets/mysql/foreign-key-orphans.ts) repeats a cascade the source's engine did during the
// copy. InnoDB's cascades leave a child's `ON UPDATE CURRENT_TIMESTAMP` column as it was, so the sweep's
// SET NULL must too (a plain UPDATE would stamp the target's clock into it: the copy would differ from the source).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { removeForeignKeyOrphans } from '../../../../src/targets/mysql/foreign-key-orphans.js';
import { createConnection } from 'mysql2/promise';

describe('foreign-key orphan sweep', () => {
  let server: MariaDbServer;
  before(async () => { server = await startMariaDb({ binlog: false }); });
  after(async () => { await server?.stop(); });

  it('detaches (SET NULL) and removes (CASCADE) orphans, leaving ON UPDATE CURRENT_TIMESTAMP columns as they were', async () => {
    await server.query('CREATE DATABASE sweep');
    await server.query('CREATE TABLE sweep.parent (id INT PRIMARY KEY)');
    await server.query(`CREATE TABLE sweep.child (id INT PRIMARY KEY, parent_id INT NULL, other_id INT NULL,
      changed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      changed6 DATETIME(6) NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP(6),
      FOREIGN KEY (parent_id) REFERENCES sweep.parent (id) ON DELETE SET NULL,
      FOREIGN KEY (other_id) REFERENCES sweep.parent (id) ON DELETE CASCADE)`);
    const conn = await createConnection({ host: server.host, port: server.port, user: 'root', dateStrings: true });
    try {
      await conn.query('SET SESSION foreign_key_checks = 0');
      await conn.query('INSERT INTO sweep.parent VALUES (1)');
      await conn.query(`INSERT INTO sweep.child VALUES (10, 1, NULL, '2001-02-03 04:05:06', '2001-02-03 04:05:06.123456'),
        (11, 2, NULL, '2002-02-03 04:05:06', NULL), (12, NULL, 3, '2003-02-03 04:05:06', NULL)`);
      const sweep = await removeForeignKeyOrphans(conn, [{ database: 'sweep', table: 'child' }]);
      assert.deepEqual(sweep, { deleted: 1, nulled: 1 });
      const [rows] = await conn.query('SELECT id, parent_id, other_id, changed, changed6 FROM sweep.child ORDER BY id');
      assert.deepEqual(rows, [
        { id: 10, parent_id: 1, other_id: null, changed: '2001-02-03 04:05:06', changed6: '2001-02-03 04:05:06.123456' },
        { id: 11, parent_id: null, other_id: null, changed: '2002-02-03 04:05:06', changed6: null },
      ]);
    } finally {
      await conn.end();
    }
  });
});
