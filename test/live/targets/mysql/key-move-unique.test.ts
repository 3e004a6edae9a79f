// A primary-key change while the stream overlaps the snapshot is applied as a move (new row, children moved, old row
// removed). A table with a UNIQUE key the update leaves as it was (a warehouse renumbered, its code unchanged) must
// still end with the new row: inserting it while the old row still holds the unique value would be ignored, and
// both rows would be gone (seen on a real-looking schema: the next child referencing the new key failed its foreign key).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { MysqlTarget } from '../../../../src/targets/mysql/mysql-target.js';
import type { RowChange } from '../../../../src/core/types.js';
import { createLogger } from '../../../../src/log.js';
import { sourceTable } from '../../../helpers/source-models.js';

const WAREHOUSE = 'CREATE TABLE warehouse (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, code VARCHAR(16) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL)';
const PRODUCT = 'CREATE TABLE product (id INT PRIMARY KEY, warehouse_id BIGINT UNSIGNED NULL, '
  + 'CONSTRAINT fk_prod_wh FOREIGN KEY (warehouse_id) REFERENCES warehouse (id) ON UPDATE CASCADE ON DELETE SET NULL)';

describe('MySQL target: key move of a row with a UNIQUE key', () => {
  let target: MariaDbServer;
  let sink: MysqlTarget | null = null;
  before(async () => { target = await startMariaDb({ binlog: false }); });
  after(async () => {
    await sink?.close().catch(() => undefined);
    await target?.stop();
  });

  it('keeps the moved row (unique value unchanged) and moves its children', async () => {
    sink = new MysqlTarget({ pipeline: 'move-unique', connection: target.url, targetDatabase: 'dst', logger: createLogger('test', 'silent'), foreignKeyScope: () => true });
    await sink.open();
    await sink.ensureTables([sourceTable('src', WAREHOUSE), sourceTable('src', PRODUCT)]);
    await target.query("INSERT INTO dst.warehouse VALUES (12, 'W12', 'north'), (13, 'W13', 'south')");
    await target.query('INSERT INTO dst.product VALUES (1, 12), (2, 13)');
    sink.enforceForeignKeys(false);
    // The stream still overlaps the snapshot: the pipeline passes a key change as a move (both keys' chunks copied before it).
    const move: RowChange = { op: 'update', database: 'src', table: 'warehouse',
      before: { id: 12, code: 'W12', name: 'north' }, after: { id: 8045, code: 'W12', name: 'north' },
      move: { deleteOld: true, insertNew: true, partial: [] } };
    await sink.apply({ changes: [move], checkpoint: { pipeline: 'move-unique', position: { file: 'bin.000001', pos: 100 }, epoch: 0 } });
    assert.deepEqual(await target.query('SELECT id, code FROM dst.warehouse ORDER BY id'),
      [{ id: 13, code: 'W13' }, { id: 8045, code: 'W12' }]);
    assert.deepEqual(await target.query('SELECT id, warehouse_id FROM dst.product ORDER BY id'),
      [{ id: 1, warehouse_id: 8045 }, { id: 2, warehouse_id: 13 }]);
  });
});
