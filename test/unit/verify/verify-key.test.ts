// Which key verify chunks a table by, and the canonical column text of its checksums.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaColumn, TableSchema } from '../../../src/mysql/schema/table-schema.js';
import { chooseKey } from '../../../src/verify/verify-key.js';
import { TableSql, checksumColumnExpr } from '../../../src/verify/table-sql.js';

function col(name: string, dataType: string, nullable = false, generated: SchemaColumn['generated'] = null): SchemaColumn {
  return { name, dataType, sqlType: dataType, unsigned: false, nullable, charset: null, collation: null, collationId: null, octetLength: null,
    numericPrecision: null, numericScale: null, datetimePrecision: null, generated, visible: true };
}
const table = (columns: SchemaColumn[], primaryKey: string[] = []): TableSchema => ({ database: 'd', table: 't', columns, primaryKey, version: 0 });

describe('verify: key choice', () => {
  it('prefers the primary key', () => {
    const k = chooseKey(table([col('a', 'int'), col('b', 'int')], ['b', 'a']), [{ index: 'u', column: 'a' }]);
    assert.equal(k.kind, 'primary');
    assert.deepEqual(k.columns.map((c) => c.name), ['b', 'a']);
  });
  it('else the narrowest unique key whose columns are all NOT NULL', () => {
    const cols = [col('a', 'int'), col('b', 'varchar'), col('c', 'int', true), col('d', 'int')];
    const k = chooseKey(table(cols), [{ index: 'u_ab', column: 'a' }, { index: 'u_ab', column: 'b' }, { index: 'u_c', column: 'c' }, { index: 'u_d', column: 'd' }]);
    assert.equal(k.kind, 'unique');
    assert.equal(k.index, 'u_d');
  });
  it('else none: the table is compared whole', () => {
    assert.equal(chooseKey(table([col('c', 'int', true)]), [{ index: 'u_c', column: 'c' }]).kind, 'none');
  });
});

describe('verify: checksum text', () => {
  it('length-prefixes strings (NULL, empty and trailing spaces stay apart) and widens FLOAT', () => {
    assert.match(checksumColumnExpr(col('s', 'varchar', true)), /IF\(`s` IS NULL, 'N', CONCAT\(LENGTH\(`s`\), ':', CAST\(`s` AS BINARY\)\)\)/);
    assert.match(checksumColumnExpr(col('f', 'float')), /CAST\(CAST\(`f` AS DOUBLE\) AS BINARY\)/);
    assert.match(checksumColumnExpr(col('b', 'bit')), /`b` \+ 0/);
  });
  it('leaves generated columns out and matches composite keys with a row constructor', () => {
    const sql = new TableSql(table([col('a', 'int'), col('b', 'int'), col('g', 'int', false, 'virtual')], ['a', 'b']), 'db', 't', [col('a', 'int'), col('b', 'int')], true);
    assert.deepEqual(sql.columnNames, ['a', 'b']);
    assert.equal(sql.keysCondition(['1,2', '3,4']), '(`a`, `b`) IN ((1,2), (3,4))');
    assert.match(sql.checksum('TRUE'), /CRC32C\(t\)/);
  });
});
