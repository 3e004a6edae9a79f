// A key move (primary-key change while the stream overlaps the snapshot) moves the children itself, as the source's
// ON UPDATE CASCADE did inside InnoDB. InnoDB's cascades leave the children's ON UPDATE CURRENT_TIMESTAMP columns as
// they were; the move's UPDATE of the children must too (found on a sakila-like schema: city.last_update,
// rental.last_update stamped with the target's clock after country / inventory renumbering during the copy).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { MysqlTarget } from '../../../../src/targets/mysql/mysql-target.js';
import type { RowChange } from '../../../../src/core/types.js';
import { createLogger } from '../../../../src/log.js';
import { sourceTable } from '../../../helpers/source-models.js';

const COUNTRY = 'CREATE TABLE country (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL)';
const CITY = 'CREATE TABLE city (id INT PRIMARY KEY, country_id INT NULL, '
  + 'last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, '
  + 'CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (id) ON UPDATE CASCADE ON DELETE RESTRICT)';

describe('MySQL target: key move and the children\'s ON UPDATE CURRENT_TIMESTAMP', () => {
  let target: MariaDbServer;
  let sink: MysqlTarget | null = null;
  before(async () => { target = await startMariaDb({ binlog: false }); });
  after(async () => {
    await sink?.close().catch(() => undefined);
    await target?.stop();
  });

  it('moves the children without stamping their last_update', async () => {
    sink = new MysqlTarget({ pipeline: 'move-ts', connection: target.url, targetDatabase: 'dst', logger: createLogger('test', 'silent'), foreignKeyScope: () => true });
    await sink.open();
    await sink.ensureTables([sourceTable('src', COUNTRY), sourceTable('src', CITY)]);
    await target.query("INSERT INTO dst.country VALUES (1, 'north')");
    await target.query("INSERT INTO dst.city VALUES (10, 1, '2001-02-03 04:05:06')");
    sink.enforceForeignKeys(false); // the stream still overlaps the snapshot: key changes are moves
    const move: RowChange = { op: 'update', database: 'src', table: 'country', before: { id: 1, name: 'north' }, after: { id: 2, name: 'north' },
      move: { deleteOld: true, insertNew: true, partial: [] } };
    await sink.apply({ changes: [move], checkpoint: { pipeline: 'move-ts', position: { file: 'bin.000001', pos: 100 }, epoch: 0 } });
    assert.deepEqual(await target.query("SELECT id, country_id, DATE_FORMAT(last_update, '%Y-%m-%d %H:%i:%s') AS ts FROM dst.city"),
      [{ id: 10, country_id: 2, ts: '2001-02-03 04:05:06' }]);
  });
});
