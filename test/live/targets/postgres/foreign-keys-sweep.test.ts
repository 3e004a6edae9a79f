// The PostgreSQL target's foreign keys, through the Target API: tables created without them, the copy loaded with
// orphans a cascade during the copy would leave (any chunk order), then — once the stream has passed the copy —
// the constraints added, the orphans removed or detached two levels deep, the constraints validated; afterwards a
// source transaction that inserts a child before its parent applies (deferred checks), and a parent's delete and key
// update cascade on PostgreSQL.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresTarget } from '../../../../src/targets/postgres/index.js';
import type { Row } from '../../../../src/core/cell.js';
import type { RowChange } from '../../../../src/core/types.js';
import { createLogger } from '../../../../src/log.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';
import { sourceTable } from '../../../helpers/source-models.js';

const ins = (table: string, a: Row): RowChange => ({ op: 'insert', database: 'src', table, before: null, after: a });
const upd = (table: string, b: Row, a: Row): RowChange => ({ op: 'update', database: 'src', table, before: b, after: a });
const del = (table: string, b: Row): RowChange => ({ op: 'delete', database: 'src', table, before: b, after: null });

const COUNTRY = 'CREATE TABLE country (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT \'?\')';
const CITY = 'CREATE TABLE city (id INT PRIMARY KEY, country_id INT NOT NULL, CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (id) ON DELETE CASCADE ON UPDATE CASCADE)';
const ADDRESS = 'CREATE TABLE address (id INT PRIMARY KEY, city_id INT, CONSTRAINT fk_address_city FOREIGN KEY (city_id) REFERENCES city (id) ON DELETE SET NULL ON UPDATE CASCADE)';

describe('PostgreSQL target: foreign keys added after the copy', () => {
  let db: PgTestDatabase;
  let t: PostgresTarget | null = null;
  beforeEach(async () => { db = await createPgDatabase(); });
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    await db?.drop();
  });

  it('sweeps the orphans of cascades during the copy, then repeats cascades with deferred checks', async () => {
    t = new PostgresTarget({ pipeline: 'fk', url: db.url, targetDatabase: 'dst', logger: createLogger('test', 'silent'), foreignKeyScope: () => true });
    await t.open();
    await t.ensureTables([sourceTable('src', ADDRESS), sourceTable('src', CITY), sourceTable('src', COUNTRY)]);
    assert.deepEqual(await db.query("SELECT conname FROM pg_constraint WHERE contype = 'f'"), [], 'no foreign keys during the copy');
    await t.prepareSnapshot();
    const chunk = (table: string, columns: string[], rows: unknown[][], index: number): Parameters<PostgresTarget['applySnapshotChunk']>[0] =>
      ({ database: 'src', table, schema: sourceTable('src', table === 'country' ? COUNTRY : table === 'city' ? CITY : ADDRESS).schema, columns, rows: rows as never, index, position: { file: 'f', pos: 10 + index } });
    // Children first; city 2's country and address 3's city were deleted (cascading) on the source during the copy.
    await t.applySnapshotChunk(chunk('address', ['id', 'city_id'], [[1, 1], [2, 2], [3, 9], [4, null]], 0));
    await t.applySnapshotChunk(chunk('city', ['id', 'country_id'], [[1, 1], [2, 2]], 1));
    await t.applySnapshotChunk(chunk('country', ['id', 'name'], [[1, 'one']], 2));

    // The stream has passed the copy.
    assert.deepEqual(await t.removeForeignKeyOrphans(), { deleted: 1, nulled: 1 });
    t.enforceForeignKeys(true);
    assert.deepEqual(await db.query('SELECT id, country_id FROM dst.city ORDER BY id'), [{ id: '1', country_id: '1' }]);
    assert.deepEqual(await db.query('SELECT id, city_id FROM dst.address ORDER BY id'),
      [{ id: '1', city_id: '1' }, { id: '2', city_id: null }, { id: '3', city_id: null }, { id: '4', city_id: null }], 'two levels: city 2 removed, its address detached');
    assert.deepEqual(await db.query(`SELECT conrelid::regclass::text AS t, conname AS n, confdeltype AS d, confupdtype AS u, condeferred::text AS deferred, convalidated::text AS valid
      FROM pg_constraint WHERE contype = 'f' ORDER BY 1`), [
      { t: 'dst.address', n: 'fk_address_city', d: 'n', u: 'c', deferred: 'true', valid: 'true' },
      { t: 'dst.city', n: 'fk_city_country', d: 'c', u: 'c', deferred: 'true', valid: 'true' }]);
    assert.equal((await db.query("SELECT count(*) AS n FROM _sluice.pending_foreign_keys"))[0]!.n, '0');
    assert.equal((await db.query("SELECT column_default AS d FROM information_schema.columns WHERE table_name = 'country' AND column_name = 'name'"))[0]!.d, "'?'::character varying");

    // One source transaction: a child before its parent (the source checked nothing, or deferred it too).
    await t.apply({ changes: [ins('city', { id: 5, country_id: 7 }), ins('address', { id: 5, city_id: 5 }), ins('country', { id: 7, name: 'seven' })],
      checkpoint: { pipeline: 'fk', position: { file: 'f', pos: 100 }, epoch: 0 } });
    // A parent's key update cascades into both levels' keys; a parent's delete cascades two levels.
    await t.apply({ changes: [upd('country', { id: 7, name: 'seven' }, { id: 8, name: 'seven' }), upd('city', { id: 5, country_id: 8 }, { id: 6, country_id: 8 })],
      checkpoint: { pipeline: 'fk', position: { file: 'f', pos: 101 }, epoch: 0 } });
    assert.deepEqual(await db.query('SELECT id, city_id FROM dst.address WHERE id = 5'), [{ id: '5', city_id: '6' }], 'ON UPDATE CASCADE followed');
    await t.apply({ changes: [del('country', { id: 1, name: 'one' })], checkpoint: { pipeline: 'fk', position: { file: 'f', pos: 102 }, epoch: 0 } });
    assert.deepEqual(await db.query('SELECT id, country_id FROM dst.city ORDER BY id'), [{ id: '6', country_id: '8' }]);
    assert.deepEqual(await db.query('SELECT id, city_id FROM dst.address ORDER BY id'),
      [{ id: '1', city_id: null }, { id: '2', city_id: null }, { id: '3', city_id: null }, { id: '4', city_id: null }, { id: '5', city_id: '6' }]);
  });

  // A row orphaned under two of its three SET NULL foreign keys is updated twice by the sweep; the second update
  // queues a deferred check of the third constraint (the row is this transaction's own), and PostgreSQL refuses
  // ALTER TABLE … VALIDATE CONSTRAINT on a table with pending trigger events unless they are fired first.
  it('validates every constraint of a table with three foreign keys (no pending trigger events left)', async () => {
    const parent = (n: string): string => `CREATE TABLE ${n} (id INT PRIMARY KEY)`;
    const CHILD = 'CREATE TABLE child (id INT PRIMARY KEY, a INT, b INT, c INT, '
      + 'CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES pa (id) ON DELETE SET NULL ON UPDATE CASCADE, '
      + 'CONSTRAINT fk_b FOREIGN KEY (b) REFERENCES pb (id) ON DELETE SET NULL ON UPDATE CASCADE, '
      + 'CONSTRAINT fk_c FOREIGN KEY (c) REFERENCES pc (id) ON DELETE SET NULL ON UPDATE CASCADE)';
    const ddl: Record<string, string> = { pa: parent('pa'), pb: parent('pb'), pc: parent('pc'), child: CHILD };
    t = new PostgresTarget({ pipeline: 'fk3', url: db.url, targetDatabase: 'dst', logger: createLogger('test', 'silent'), foreignKeyScope: () => true });
    await t.open();
    await t.ensureTables(Object.values(ddl).map((sql) => sourceTable('src', sql)));
    await t.prepareSnapshot();
    const chunk = (table: string, columns: string[], rows: unknown[][], index: number): Parameters<PostgresTarget['applySnapshotChunk']>[0] =>
      ({ database: 'src', table, schema: sourceTable('src', ddl[table]!).schema, columns, rows: rows as never, index, position: { file: 'f', pos: 10 + index } });
    // Parents 2 of pa and pb were deleted on the source during the copy; pc 1 is still there.
    await t.applySnapshotChunk(chunk('child', ['id', 'a', 'b', 'c'], [[1, 1, 1, 1], [2, 2, 2, 1]], 0));
    await t.applySnapshotChunk(chunk('pa', ['id'], [[1]], 1));
    await t.applySnapshotChunk(chunk('pb', ['id'], [[1]], 2));
    await t.applySnapshotChunk(chunk('pc', ['id'], [[1]], 3));

    assert.deepEqual(await t.removeForeignKeyOrphans(), { deleted: 0, nulled: 2 });
    assert.deepEqual(await db.query('SELECT id, a, b, c FROM dst.child ORDER BY id'),
      [{ id: '1', a: '1', b: '1', c: '1' }, { id: '2', a: null, b: null, c: '1' }]);
    assert.deepEqual(await db.query("SELECT conname AS n, convalidated::text AS valid FROM pg_constraint WHERE contype = 'f' ORDER BY 1"), [
      { n: 'fk_a', valid: 'true' }, { n: 'fk_b', valid: 'true' }, { n: 'fk_c', valid: 'true' }], 'every constraint validated, none left NOT VALID');
  });
});
