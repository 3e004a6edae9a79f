import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnumMembers, charsetDecoderName, type SchemaColumn } from '../../../../src/mysql/schema/table-schema.js';
import { isCompatible } from '../../../../src/mysql/schema/column-compat.js';
import { comparePositions } from '../../../../src/mysql/schema/schema-history.js';
import { ColumnType as T, type ColumnDef } from '../../../../src/mysql/values/column-type.js';

test('enum/set members: quotes, escapes, commas and parentheses inside values', () => {
  assert.deepEqual(parseEnumMembers("enum('a','b')"), ['a', 'b']);
  assert.deepEqual(parseEnumMembers("enum('it''s','x,y','(p)','')"), ["it's", 'x,y', '(p)', '']);
  assert.deepEqual(parseEnumMembers("set('a\\\\b')"), ['a\\b']);
  assert.deepEqual(parseEnumMembers('int(11)'), []);
});

test('charset decoder names', () => {
  assert.equal(charsetDecoderName('utf8mb4'), 'utf8');
  assert.equal(charsetDecoderName('utf8mb3'), 'utf8');
  assert.equal(charsetDecoderName('binary'), 'binary');
  assert.equal(charsetDecoderName(null), undefined);
  assert.equal(charsetDecoderName('nonsense'), undefined);
});

const col = (dataType: string, extra: Partial<SchemaColumn> = {}): SchemaColumn => ({
  name: 'c', dataType, sqlType: dataType, unsigned: false, nullable: true, charset: null, collation: null, collationId: null,
  octetLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, generated: null, visible: true, ...extra,
});
const def = (type: number, meta = 0): ColumnDef => ({ name: '@1', type, meta, nullable: true, unsigned: false, collation: null });

test('type compatibility between information_schema and binlog type codes', () => {
  const ok: Array<[SchemaColumn, ColumnDef]> = [
    [col('int'), def(T.LONG)], [col('tinyint'), def(T.TINY)], [col('bigint'), def(T.LONGLONG)], [col('mediumint'), def(T.INT24)],
    [col('varchar', { octetLength: 60 }), def(T.VARCHAR, 60)], [col('varchar', { octetLength: 60 }), def(T.VAR_STRING, 60)],
    [col('char', { octetLength: 4 }), def(T.STRING, 4)], [col('datetime', { datetimePrecision: 6 }), def(T.DATETIME2, 6)],
    [col('datetime', { datetimePrecision: 0 }), def(T.DATETIME, 0)], [col('timestamp', { datetimePrecision: 3 }), def(T.TIMESTAMP2, 3)],
    [col('enum'), def(T.ENUM, 1)], [col('enum'), def(T.STRING, 1)], [col('set'), def(T.SET, 2)],
    [col('decimal', { numericPrecision: 10, numericScale: 2 }), def(T.NEWDECIMAL, (10 << 8) | 2)],
    [col('text'), def(T.BLOB, 2)], [col('json'), def(T.JSON, 4)], [col('json'), def(T.BLOB, 4)], [col('point'), def(T.GEOMETRY, 4)],
    [col('bit', { numericPrecision: 5 }), def(T.BIT, 5)], [col('year'), def(T.YEAR)], [col('date'), def(T.DATE)],
    [col('uuid'), def(T.STRING, 16)], [col('inet6'), def(T.STRING, 16)], [col('double'), def(T.DOUBLE, 8)],
  ];
  for (const [c, d] of ok) assert.equal(isCompatible(c, d), true, `${c.dataType} ~ ${d.type}/${d.meta}`);
  const bad: Array<[SchemaColumn, ColumnDef]> = [
    [col('int'), def(T.LONGLONG)], [col('varchar', { octetLength: 60 }), def(T.VARCHAR, 80)], [col('varchar'), def(T.BLOB, 2)],
    [col('datetime', { datetimePrecision: 6 }), def(T.DATETIME2, 3)], [col('decimal', { numericPrecision: 10, numericScale: 2 }), def(T.NEWDECIMAL, (10 << 8) | 3)],
    [col('enum'), def(T.LONG)], [col('bit', { numericPrecision: 5 }), def(T.BIT, 8)], [col('text'), def(T.VARCHAR, 10)],
    [col('somefutureplugin'), def(T.LONG)],
  ];
  for (const [c, d] of bad) assert.equal(isCompatible(c, d), false, `${c.dataType} !~ ${d.type}/${d.meta}`);
});

test('positions order by file sequence then offset', () => {
  assert.ok(comparePositions({ file: 'b.000009', pos: 900 }, { file: 'b.000010', pos: 4 }) < 0);
  assert.ok(comparePositions({ file: 'b.000010', pos: 5 }, { file: 'b.000010', pos: 4 }) > 0);
  assert.equal(comparePositions({ file: 'b.1', pos: 4 }, { file: 'b.1', pos: 4 }), 0);
});
