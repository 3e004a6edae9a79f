import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { SchemaHistory } from '../../../../src/mysql/schema/schema-history.js';
import { InformationSchemaLoader } from '../../../../src/mysql/schema/schema-loader.js';
import { ColumnType as T, type ColumnDef } from '../../../../src/mysql/values/column-type.js';

let server: MariaDbServer;
let dir: string;

before(async () => {
  server = await startMariaDb({});
  dir = mkdtempSync(join(tmpdir(), 'sluice-schema-'));
  await server.query('CREATE DATABASE shop');
  await server.query(`CREATE TABLE shop.items (
    id INT UNSIGNED NOT NULL, sku VARCHAR(20) CHARACTER SET utf8mb4 NOT NULL, price DECIMAL(10,2),
    at DATETIME(6), kind ENUM('a','it''s','c\\\\d') CHARACTER SET latin1, tags SET('x','y'), u UUID, b VARBINARY(8),
    doubled INT AS (id * 2) VIRTUAL, secret INT INVISIBLE DEFAULT 0,
    PRIMARY KEY (sku, id))`);
  await server.query('CREATE TABLE shop.other (x BIGINT PRIMARY KEY, t TEXT)');
  await server.query('CREATE TABLE shop.nopk (a INT)');
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const def = (type: number, meta = 0, extra: Partial<ColumnDef> = {}): ColumnDef =>
  ({ name: '', type, meta, nullable: true, unsigned: false, collation: null, ...extra });

/** TABLE_MAP column definitions as the decoder makes them for shop.items (names @1…). */
function itemsMap(): ColumnDef[] {
  const m = [def(T.LONG), def(T.VARCHAR, 80), def(T.NEWDECIMAL, (10 << 8) | 2), def(T.DATETIME2, 6), def(T.ENUM, 1),
    def(T.SET, 1), def(T.STRING, 16), def(T.VARCHAR, 8), def(T.LONG), def(T.LONG)];
  return m.map((d, i) => ({ ...d, name: `@${i + 1}` }));
}

test('loader: columns, types, enum members with escapes, collations, primary key, generated/invisible', async () => {
  const loader = new InformationSchemaLoader(server.url);
  try {
    const tables = await loader.loadDatabase('shop');
    assert.deepEqual([...tables.keys()].sort(), ['items', 'nopk', 'other']);
    const items = tables.get('items')!;
    assert.deepEqual(items.columns.map((c) => c.name), ['id', 'sku', 'price', 'at', 'kind', 'tags', 'u', 'b', 'doubled', 'secret']);
    assert.deepEqual(items.primaryKey, ['sku', 'id']);
    const [id, sku, price, at, kind, tags, u, b, doubled, secret] = items.columns;
    assert.equal(id!.unsigned, true);
    assert.equal(id!.nullable, false);
    assert.equal(sku!.charset, 'utf8mb4');
    assert.equal(sku!.octetLength, 80);
    assert.equal(typeof sku!.collationId, 'number');
    assert.equal(price!.sqlType, 'decimal(10,2)');
    assert.equal(at!.datetimePrecision, 6);
    assert.deepEqual(kind!.enumValues, ['a', "it's", 'c\\d']);
    assert.equal(kind!.collationId, 8); // latin1_swedish_ci
    assert.deepEqual(tags!.enumValues, ['x', 'y']);
    assert.equal(u!.dataType, 'uuid');
    assert.equal(b!.collationId, 63);
    assert.equal(b!.charset, 'binary');
    assert.equal(doubled!.generated, 'virtual');
    assert.equal(secret!.visible, false);
    assert.deepEqual(tables.get('nopk')!.primaryKey, []);
    const only = await loader.loadDatabase('shop', ['other']);
    assert.deepEqual([...only.keys()], ['other']);
  } finally {
    await loader.close();
  }
});

test('history: versions by position across ALTER TABLE ADD COLUMN; resolve checks compatibility', async () => {
  const file = join(dir, 'history.json');
  const h = new SchemaHistory({ url: server.url, file });
  try {
    const p1 = { file: 'mariadb-bin.000001', pos: 1000 };
    assert.equal(await h.ensureLoaded('shop', 'items', p1), true);
    assert.equal(await h.ensureLoaded('shop', 'other', p1), false, 'whole database loaded at once');

    const resolved = h.resolve('shop', 'items', itemsMap(), false);
    assert.ok(resolved);
    assert.deepEqual(resolved.map((c) => c.name), ['id', 'sku', 'price', 'at', 'kind', 'tags', 'u', 'b', 'doubled', 'secret']);
    assert.equal(resolved[0]!.unsigned, true);
    assert.equal(resolved[1]!.charset, 'utf8');
    assert.deepEqual(resolved[4]!.enumValues, ['a', "it's", 'c\\d']);
    assert.equal(resolved[4]!.charset, 'latin1');
    assert.equal(resolved[6]!.sqlType, 'uuid');
    assert.equal(resolved[7]!.collation, 63);
    assert.equal(resolved[9]!.visible, false);

    // Incompatible TABLE_MAPs: wrong count, wrong type, wrong fsp, wrong decimal
    assert.equal(h.resolve('shop', 'items', itemsMap().slice(1), false), null);
    const wrongType = itemsMap(); wrongType[0] = def(T.LONGLONG);
    assert.equal(h.resolve('shop', 'items', wrongType, false), null);
    const wrongFsp = itemsMap(); wrongFsp[3] = def(T.DATETIME2, 3);
    assert.equal(h.resolve('shop', 'items', wrongFsp, false), null);
    const wrongDec = itemsMap(); wrongDec[2] = def(T.NEWDECIMAL, (12 << 8) | 2);
    assert.equal(h.resolve('shop', 'items', wrongDec, false), null);
    // enum logged as STRING is fine
    const enumAsString = itemsMap(); enumAsString[4] = def(T.STRING, 1);
    assert.ok(h.resolve('shop', 'items', enumAsString, false));

    // ALTER TABLE ADD COLUMN at p2
    await server.query('ALTER TABLE shop.items ADD COLUMN note VARCHAR(5) CHARACTER SET latin1 NULL');
    const p2 = { file: 'mariadb-bin.000001', pos: 5000 };
    await h.applyDdl({ sql: 'ALTER TABLE items ADD COLUMN note VARCHAR(5) CHARACTER SET latin1 NULL', database: 'shop', position: p2 });
    const vs = h.versions('shop', 'items');
    assert.equal(vs.length, 2);
    assert.deepEqual(vs.map((v) => [v.since.pos, v.schema!.version, v.schema!.columns.length]), [[1000, 0, 10], [5000, 1, 11]]);
    assert.equal(h.schemaAt('shop', 'items', { file: 'mariadb-bin.000001', pos: 3000 })!.columns.length, 10);
    assert.equal(h.schemaAt('shop', 'items', { file: 'mariadb-bin.000002', pos: 4 })!.columns.length, 11);

    // After the ALTER the new 11-column map resolves and the old one does not.
    const newMap = [...itemsMap(), def(T.VARCHAR, 5, { name: '@11' })];
    assert.equal(h.resolve('shop', 'items', itemsMap(), false), null);
    assert.equal(h.resolve('shop', 'items', newMap, false)![10]!.name, 'note');

    // A restarted reader replaying from before the ALTER (persisted history) decodes with the old columns.
    await h.close();
    const h2 = new SchemaHistory({ url: server.url, file });
    try {
      h2.setPosition({ file: 'mariadb-bin.000001', pos: 2000 });
      assert.equal(h2.resolve('shop', 'items', itemsMap(), false)!.length, 10);
      assert.equal(h2.resolve('shop', 'items', newMap, false), null);
      // replaying the ALTER does not add a version
      await h2.applyDdl({ sql: 'ALTER TABLE items ADD COLUMN note VARCHAR(5)', database: 'shop', position: p2 });
      assert.equal(h2.versions('shop', 'items').length, 2);
      assert.equal(h2.resolve('shop', 'items', newMap, false)![10]!.name, 'note');
      // fromJSON round trip
      const h3 = SchemaHistory.fromJSON(JSON.parse(JSON.stringify(h2.toJSON())) as ReturnType<SchemaHistory['toJSON']>);
      h3.setPosition({ file: 'mariadb-bin.000001', pos: 1500 });
      assert.equal(h3.resolve('shop', 'items', itemsMap(), false)![1]!.name, 'sku');
    } finally {
      await h2.close();
    }
  } finally {
    await h.close();
  }
});

test('history: FULL metadata names are kept and only missing details filled; rename and drop', async () => {
  const h = new SchemaHistory({ url: server.url });
  try {
    const p = { file: 'b.000001', pos: 100 };
    await h.ensureLoaded('shop', 'other', p, true);
    const named = [def(T.LONGLONG, 0, { name: 'x' }), def(T.BLOB, 2, { name: 't', charset: 'utf8' })];
    const r = h.resolve('shop', 'other', named, true)!;
    assert.deepEqual(r.map((c) => c.name), ['x', 't']);
    assert.equal(r[1]!.sqlType, 'text');
    // names that disagree → the schema is not this table's version
    assert.equal(h.resolve('shop', 'other', [def(T.LONGLONG, 0, { name: 'y' }), named[1]!], true), null);

    await server.query('RENAME TABLE shop.other TO shop.renamed');
    await h.applyDdl({ sql: 'RENAME TABLE other TO renamed', database: 'shop', position: { file: 'b.000001', pos: 200 } });
    assert.equal(h.schemaAt('shop', 'other'), null);
    assert.equal(h.schemaAt('shop', 'renamed')!.columns.length, 2);
    assert.equal(h.schemaAt('shop', 'other', { file: 'b.000001', pos: 150 })!.columns.length, 2);

    await server.query('DROP TABLE shop.renamed');
    await h.applyDdl({ sql: 'DROP TABLE IF EXISTS `renamed` /* generated by server */', database: 'shop', position: { file: 'b.000001', pos: 300 } });
    assert.equal(h.schemaAt('shop', 'renamed'), null);
    assert.equal(h.resolve('shop', 'renamed', named, true), null);

    // unknown table: recorded as missing, resolve null, no throw
    assert.equal(await h.ensureLoaded('shop', 'ghost', { file: 'b.000001', pos: 400 }), false);
    assert.equal(h.resolve('shop', 'ghost', named, false), null);
  } finally {
    await h.close();
  }
});
