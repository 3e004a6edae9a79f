// A primary-key change while the stream overlaps the snapshot is applied as a move (children moved, old row removed,
// new row inserted), as the source's ON UPDATE CASCADE did inside InnoDB (not in the binlog).
//  - A table with a UNIQUE key the update leaves as it was (a warehouse renumbered, its code unchanged) must still end
//    with the new row: inserting it while the old row still holds the unique value would be ignored, and both rows
//    would be gone (seen on a real-looking schema: the next child referencing the new key failed its foreign key).
//  - InnoDB's cascades leave the children's ON UPDATE CURRENT_TIMESTAMP columns as they were; the move's UPDATE of the
//    children must too (found on a sakila-like schema: city.last_update, rental.last_update stamped with the target's
//    clock after country / inventory renumbering during the copy).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { MysqlTarget } from '../../../../src/targets/mysql/mysql-target.js';
import type { Row } from '../../../../src/core/cell.js';
import { createLogger } from '../../../../src/log.js';
import { sourceTable } from '../../../helpers/source-models.js';

const WAREHOUSE = 'CREATE TABLE warehouse (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, code VARCHAR(16) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL)';
const PRODUCT = 'CREATE TABLE product (id INT PRIMARY KEY, warehouse_id BIGINT UNSIGNED NULL, '
  + 'CONSTRAINT fk_prod_wh FOREIGN KEY (warehouse_id) REFERENCES warehouse (id) ON UPDATE CASCADE ON DELETE SET NULL)';
const COUNTRY = 'CREATE TABLE country (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL)';
const CITY = 'CREATE TABLE city (id INT PRIMARY KEY, country_id INT NULL, '
  + 'last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, '
  + 'CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (id) ON UPDATE CASCADE ON DELETE RESTRICT)';

describe('MySQL target: key moves', () => {
  let target: MariaDbServer;
  const sinks: MysqlTarget[] = [];
  before(async () => { target = await startMariaDb({ binlog: false }); });
  after(async () => {
    for (const s of sinks) await s.close().catch(() => undefined);
    await target?.stop();
  });

  /** A target of pipeline `pipeline` with `ddl` created in dst, its rows `seed`, in the overlap (key changes are moves). */
  async function overlapping(pipeline: string, ddl: string[], seed: string[]): Promise<MysqlTarget> {
    const sink = new MysqlTarget({ pipeline, connection: target.url, targetDatabase: 'dst', logger: createLogger('test', 'silent'), foreignKeyScope: () => true });
    sinks.push(sink);
    await sink.open();
    await sink.ensureTables(ddl.map((d) => sourceTable('src', d)));
    for (const q of seed) await target.query(q);
    sink.enforceForeignKeys(false); // the stream still overlaps the snapshot
    return sink;
  }

  /** Apply one key move of `table` (both keys' chunks copied before it: every part applies). */
  async function move(sink: MysqlTarget, pipeline: string, table: string, before: Row, after: Row): Promise<void> {
    await sink.apply({
      changes: [{ op: 'update', database: 'src', table, before, after, move: { deleteOld: true, insertNew: true, partial: [] } }],
      checkpoint: { pipeline, position: { file: 'bin.000001', pos: 100 }, epoch: 0 },
    });
  }

  it('keeps the moved row (unique value unchanged) and moves its children', async () => {
    const sink = await overlapping('move-unique', [WAREHOUSE, PRODUCT],
      ["INSERT INTO dst.warehouse VALUES (12, 'W12', 'north'), (13, 'W13', 'south')", 'INSERT INTO dst.product VALUES (1, 12), (2, 13)']);
    await move(sink, 'move-unique', 'warehouse', { id: 12, code: 'W12', name: 'north' }, { id: 8045, code: 'W12', name: 'north' });
    assert.deepEqual(await target.query('SELECT id, code FROM dst.warehouse ORDER BY id'),
      [{ id: 13, code: 'W13' }, { id: 8045, code: 'W12' }]);
    assert.deepEqual(await target.query('SELECT id, warehouse_id FROM dst.product ORDER BY id'),
      [{ id: 1, warehouse_id: 8045 }, { id: 2, warehouse_id: 13 }]);
  });

  it('moves the children without stamping their last_update', async () => {
    const sink = await overlapping('move-ts', [COUNTRY, CITY],
      ["INSERT INTO dst.country VALUES (1, 'north')", "INSERT INTO dst.city VALUES (10, 1, '2001-02-03 04:05:06')"]);
    await move(sink, 'move-ts', 'country', { id: 1, name: 'north' }, { id: 2, name: 'north' });
    assert.deepEqual(await target.query("SELECT id, country_id, DATE_FORMAT(last_update, '%Y-%m-%d %H:%i:%s') AS ts FROM dst.city"),
      [{ id: 10, country_id: 2, ts: '2001-02-03 04:05:06' }]);
  });
});
