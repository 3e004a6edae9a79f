// The SQL that makes the source print COPY text (the PostgreSQL snapshot fast path): the cheaper forms it chooses
// from the column model. The values themselves are checked against PostgreSQL in
// test/live/targets/postgres/postgres-types.test.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { SchemaColumn } from '../../../../src/mysql/schema/table-schema.js';
import { pgCopyExpression, pgCopyLineExpression } from '../../../../src/targets/postgres/copy-select.js';

const col = (name: string, dataType: string, extra: Partial<SchemaColumn> = {}): SchemaColumn => ({
  name, dataType, sqlType: dataType, unsigned: false, nullable: true, charset: null, collation: null, collationId: null,
  octetLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, generated: null, visible: true, ...extra,
});

describe('pgCopyExpression', () => {
  it('prints numbers by CONCAT itself, with a NULL test only for nullable columns', () => {
    assert.equal(pgCopyExpression(col('id', 'int', { nullable: false })), '`id`');
    assert.equal(pgCopyExpression(col('n', 'bigint')), String.raw`IF(` + '`n`' + String.raw` IS NULL, '\\N', ` + '`n`)');
    assert.equal(pgCopyExpression(col('c', 'decimal', { numericPrecision: 12, numericScale: 4, nullable: false })), '`c`');
  });

  it('escapes UTF-8 text as bytes, converting other character sets to utf8mb4 first', () => {
    const utf8 = pgCopyExpression(col('b', 'varchar', { charset: 'utf8mb4', octetLength: 40, nullable: false }))!;
    // The column is printed once; a NUL becomes the escape \000 (PostgreSQL rejects it: the typed path then refuses it).
    assert.match(utf8, /^REPLACE\(REPLACE\(REPLACE\(REPLACE\(REPLACE\(CAST\(`b` AS BINARY\), /);
    assert.ok(utf8.endsWith(String.raw`, CHAR(0), '\\000')`), utf8);
    assert.equal(utf8.split('`b`').length, 2, 'the column appears once');
    assert.doesNotMatch(utf8, /CONVERT/);
    const latin1 = pgCopyExpression(col('l', 'varchar', { charset: 'latin1', octetLength: 10, nullable: false }))!;
    assert.match(latin1, /CAST\(CONVERT\(`l` USING utf8mb4\) AS BINARY\)/);
  });

  it('prints an ENUM as it is unless a member needs an escape or the character set is not UTF-8', () => {
    assert.equal(pgCopyExpression(col('e', 'enum', { charset: 'utf8mb4', enumValues: ['a', "b'q", 'ñü'], nullable: false })), '`e`');
    assert.match(pgCopyExpression(col('e', 'enum', { charset: 'utf8mb4', enumValues: ['a', 'tab\there'], nullable: false }))!, /REPLACE/);
    assert.match(pgCopyExpression(col('e', 'enum', { charset: 'utf8mb4', enumValues: ['back\\slash'], nullable: false }))!, /REPLACE/);
    assert.match(pgCopyExpression(col('e', 'enum', { charset: 'latin1', enumValues: ['café'], nullable: false }))!, /CONVERT\(`e` USING utf8mb4\)/);
  });

  it('tests dates for a zero month or day before printing them', () => {
    assert.equal(pgCopyExpression(col('d', 'date', { nullable: false })),
      "IF(MONTH(`d`) = 0 OR DAYOFMONTH(`d`) = 0, IF(CAST(`d` AS CHAR) = '0000-00-00', '-infinity', NULL), `d`)");
    assert.match(pgCopyExpression(col('t', 'datetime', { datetimePrecision: 3, nullable: false }))!, /'0000-00-00 00:00:00\.000'/);
    assert.equal(pgCopyExpression(col('ts', 'timestamp', { nullable: false })), "IF(`ts` = 0, '-infinity', CONCAT(`ts`, '+00'))");
  });

  it('gives no line for a type it does not print', () => {
    assert.equal(pgCopyLineExpression([col('id', 'int'), col('v', 'vector', { octetLength: 12 })]), null);
  });
});
