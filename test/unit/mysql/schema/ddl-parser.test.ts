import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDdl } from '../../../../src/mysql/schema/ddl-parser.js';
import type { AlterTableAst, CreateTableAst, DdlAst } from '../../../../src/mysql/schema/ddl-ast.js';
import { isSluiceError } from '../../../../src/errors.js';
import { DDL_CORPUS } from '../../../fixtures/ddl-corpus.js';

function parse(sql: string, db = 'shop'): DdlAst {
  const ast = parseDdl(sql, { defaultDatabase: db });
  assert.ok(ast !== null, `not DDL: ${sql}`);
  return ast;
}
const create = (sql: string): CreateTableAst => parse(sql) as CreateTableAst;
const alter = (sql: string): AlterTableAst => parse(sql) as AlterTableAst;

test('every statement of the DDL corpus parses', () => {
  const failed: string[] = [];
  for (const s of DDL_CORPUS) {
    try {
      if (parseDdl(s.sql, { defaultDatabase: 'shop' }) === null) failed.push(`${s.form}: not DDL: ${s.sql.slice(0, 80)}`);
    } catch (err) {
      failed.push(`${s.form}: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  assert.deepEqual(failed, []);
});

test('not table DDL is null', () => {
  for (const sql of ['INSERT INTO t VALUES (1)', 'CREATE VIEW v AS SELECT 1', 'DROP VIEW v', "GRANT SELECT ON *.* TO 'u'@'%'",
    'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @a=1', 'BEGIN', 'SET @x = 1', '', '/* only */']) {
    assert.equal(parseDdl(sql), null, sql);
  }
});

test('CREATE TABLE: columns, keys, foreign keys, checks, options, partitioning', () => {
  const c = create(DDL_CORPUS.find((s) => s.sql.startsWith('CREATE TABLE rental'))!.sql);
  assert.deepEqual(c.table, { database: 'shop', table: 'rental' });
  assert.deepEqual(c.columns.map((x) => [x.name, x.type.name, x.type.unsigned, x.nullable]),
    [['id', 'int', false, false], ['inv', 'mediumint', true, false], ['cust', 'smallint', true, null], ['staff', 'tinyint', true, null]]);
  assert.deepEqual(c.indexes.map((k) => [k.kind, k.name, k.columns]), [['primary', 'PRIMARY', ['id']], ['index', 'idx_inv', ['inv']]]);
  assert.deepEqual(c.foreignKeys, [
    { name: 'fk_r_inv', columns: ['inv'], refDatabase: null, refTable: 'inventory', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'CASCADE' },
    { name: 'fk_r_cust', columns: ['cust'], refDatabase: 'shop', refTable: 'customer', refColumns: ['id'], onDelete: 'SET NULL', onUpdate: 'CASCADE' },
    { name: null, columns: ['staff'], refDatabase: null, refTable: 'staff', refColumns: ['id'], onDelete: 'RESTRICT', onUpdate: 'NO ACTION' },
  ]);
  const e = create(DDL_CORPUS[2]!.sql);
  assert.deepEqual(e.columns[0]!.type.members, ['a', "it's", 'c\\d']);
  assert.equal(e.columns[0]!.charset, 'latin1');
  assert.equal(e.columns[5]!.defaultValue, "b'101'");
  assert.equal(e.columns[7]!.defaultValue, "X'0A0B'");
  const t4 = create(DDL_CORPUS[3]!.sql);
  assert.equal(t4.columns[0]!.defaultValue, 'CURRENT_TIMESTAMP(3)');
  assert.equal(t4.columns[5]!.defaultValue, '(uuid())');
  const g = create(DDL_CORPUS.find((s) => s.form === 'generated columns')!.sql);
  assert.deepEqual(g.columns.map((x) => x.generated?.kind ?? null), [null, 'virtual', 'stored', 'stored']);
  const inv = create(DDL_CORPUS.find((s) => s.form === 'invisible columns')!.sql);
  assert.deepEqual(inv.columns.map((x) => x.invisible), [false, true, true]);
  const p = create(DDL_CORPUS.find((s) => s.sql.startsWith('CREATE TABLE parts'))!.sql);
  assert.match(p.partition ?? '', /^PARTITION BY RANGE \(YEAR\(at\)\)/);
  const hp = create(DDL_CORPUS.find((s) => s.sql.startsWith('CREATE TABLE hparts'))!.sql);
  assert.equal(hp.partition, 'PARTITION BY HASH (id) PARTITIONS 4');
  const w = create(DDL_CORPUS.find((s) => s.form === 'reserved/non-ASCII names')!.sql);
  assert.deepEqual(w.columns.map((x) => x.name), ['select', 'from', 'ñandú', '日本', 'we`ird']);
  assert.deepEqual(create('CREATE TABLE t_copy LIKE shop.t').like, { database: 'shop', table: 't' });
  assert.equal(create('CREATE TABLE t_sel AS SELECT id FROM t').asSelect, true);
  assert.equal(create('CREATE TABLE t_sel2 (extra INT) SELECT id FROM t').asSelect, true);
  assert.equal(create(DDL_CORPUS.find((s) => s.form === 'wide table')!.sql).columns.length, 301);
});

test('SHOW CREATE TABLE output: definitions are kept as written', () => {
  const s = create(DDL_CORPUS.find((x) => x.sql.startsWith('CREATE TABLE `staff`'))!.sql);
  assert.deepEqual(s.columns.map((c) => c.definition), [
    'tinyint(3) unsigned NOT NULL AUTO_INCREMENT', 'blob DEFAULT NULL', 'tinyint(1) NOT NULL DEFAULT 1',
    'timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()',
    'longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`specs`))',
  ]);
  assert.equal(s.foreignKeys.length, 2);
  assert.deepEqual(s.options.map((o) => [o.name, o.value]), [['ENGINE', 'InnoDB'], ['AUTO_INCREMENT', '3'], ['CHARSET', 'utf8mb4'],
    ['COLLATE', 'utf8mb4_general_ci'], ['COMMENT', "'staff, it''s'"]]);
  const m = create(DDL_CORPUS.find((x) => x.sql.startsWith('CREATE TABLE `t8`'))!.sql);
  assert.equal(m.columns[2]!.invisible, true);
  assert.equal(m.checks[0]!.expression, '(`id` > 0)');
  assert.match(m.partition ?? '', /^PARTITION BY RANGE \(`id`\)/);
});

test('ALTER TABLE clauses', () => {
  assert.deepEqual(alter('ALTER TABLE t ADD COLUMN c1 INT FIRST').clauses.map((c) => c.kind === 'add_column' ? [c.column.name, c.position] : null),
    [['c1', { kind: 'first' }]]);
  const a = alter("ALTER TABLE t ADD c2 VARCHAR(10) NOT NULL DEFAULT '' AFTER id");
  assert.deepEqual(a.clauses[0]!.kind === 'add_column' && [a.clauses[0].column.definition, a.clauses[0].position],
    ["VARCHAR(10) NOT NULL DEFAULT ''", { kind: 'after', column: 'id' }]);
  const several = alter(DDL_CORPUS.find((s) => s.form === 'several clauses')!.sql);
  assert.deepEqual(several.clauses.map((c) => c.kind), ['add_column', 'drop_column', 'modify_column', 'add_index', 'algorithm_or_lock', 'algorithm_or_lock']);
  const ch = alter('ALTER TABLE t CHANGE COLUMN name full_name VARCHAR(60) CHARACTER SET utf8mb4 NOT NULL AFTER id').clauses[0]!;
  assert.ok(ch.kind === 'change_column');
  assert.deepEqual([ch.from, ch.column.name, ch.column.charset, ch.column.nullable, ch.position], ['name', 'full_name', 'utf8mb4', false, { kind: 'after', column: 'id' }]);
  assert.deepEqual(alter('ALTER TABLE t RENAME COLUMN c4 TO c4_at').clauses, [{ kind: 'rename_column', from: 'c4', to: 'c4_at' }]);
  assert.deepEqual(alter('ALTER TABLE shop.t_new RENAME AS other.t_moved').clauses, [{ kind: 'rename_table', to: { database: 'other', table: 't_moved' } }]);
  assert.deepEqual(alter('ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci').clauses,
    [{ kind: 'convert_charset', charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }]);
  const cm = alter(DDL_CORPUS.find((s) => s.form === 'comments inside')!.sql);
  assert.deepEqual(cm.clauses.map((c) => c.kind), ['add_column', 'drop_column']);
  const q = alter(DDL_CORPUS.find((s) => s.form === 'escaped backticks')!.sql);
  assert.deepEqual(q.table.table, 'we`ird tbl');
  assert.deepEqual(q.clauses.map((c) => c.kind === 'add_column' ? c.column.name : c.kind === 'rename_column' ? [c.from, c.to] : null), ['co`l', ['a`b', 'c d']]);
  const ex = alter('ALTER TABLE t ADD COLUMN ec2 INT /*M!100301 INVISIBLE */').clauses[0]!;
  assert.ok(ex.kind === 'add_column' && ex.column.invisible);
  const low = alter('alter   table\n\tt\nadd\ncolumn   lower_case   int   after   id').clauses[0]!;
  assert.ok(low.kind === 'add_column' && low.position?.kind === 'after' && low.position.column === 'id');
  assert.deepEqual(alter('ALTER TABLE parts DROP PARTITION p0').clauses.map((c) => c.kind), ['partition']);
  assert.deepEqual(alter('ALTER TABLE t ADD COLUMN (c3 INT, c4 DATE)').clauses.map((c) => c.kind === 'add_column' ? c.column.name : ''), ['c3', 'c4']);
});

test('RENAME / DROP / databases / default database', () => {
  assert.deepEqual(parse('RENAME TABLE a TO tmp, b TO a, tmp TO b', 'd'), { kind: 'rename_table', renames: [
    { from: { database: 'd', table: 'a' }, to: { database: 'd', table: 'tmp' } },
    { from: { database: 'd', table: 'b' }, to: { database: 'd', table: 'a' } },
    { from: { database: 'd', table: 'tmp' }, to: { database: 'd', table: 'b' } }] });
  assert.deepEqual(parse('DROP TABLE IF EXISTS a, shop.b, `c``d`', 'd'), { kind: 'drop_table', temporary: false, ifExists: true,
    tables: [{ database: 'd', table: 'a' }, { database: 'shop', table: 'b' }, { database: 'd', table: 'c`d' }] });
  const db = parse('CREATE DATABASE IF NOT EXISTS app2 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
  assert.deepEqual(db, { kind: 'create_database', database: 'app2', ifExists: false, ifNotExists: true, orReplace: false, charset: 'utf8mb4', collation: 'utf8mb4_bin' });
});

test('unreadable table DDL is a typed error naming the statement', () => {
  for (const sql of ['ALTER TABLE t ADD COLUMN', 'CREATE TABLE t (a INT', 'ALTER TABLE t FROBNICATE x', 'CREATE TABLE t (a INT) garbage here']) {
    assert.throws(() => parseDdl(sql), (err: unknown) => isSluiceError(err) && err.code === 'DDL_UNSUPPORTED' && err.message.includes(sql.slice(0, 10)), sql);
  }
});
