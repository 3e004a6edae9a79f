// SELECT text → cells: TIMESTAMP text (UTC) parsed without a Date, exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toCell } from '../../../src/snapshot/snapshot-values.js';
import { loadTextExpression, nativeTextCharset } from '../../../src/snapshot/snapshot-reader.js';
import { TimestampValue } from '../../../src/core/cell.js';
import type { SchemaColumn } from '../../../src/mysql/schema/table-schema.js';

const col = (fsp: number): SchemaColumn => ({ name: 'h', dataType: 'timestamp', sqlType: `timestamp(${fsp})`, unsigned: false, nullable: true, charset: null,
  collation: null, collationId: null, octetLength: null, numericPrecision: null, numericScale: null, datetimePrecision: fsp, generated: null, visible: true });

describe('snapshot values', () => {
  it('TIMESTAMP text becomes the TimestampValue of the same instant', () => {
    let seed = 11;
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
    for (let i = 0; i < 20000; i++) {
      const fsp = i % 7;
      const v = new TimestampValue(1 + (next() % 2147483647), next() % 1_000_000, fsp);
      const micros = Number(String(v.micros).padStart(6, '0').slice(0, fsp).padEnd(6, '0'));
      const cell = toCell(col(fsp), v.toSQL(), 'mariadb') as TimestampValue;
      assert.deepEqual([cell.seconds, cell.micros, cell.fsp], [v.seconds, fsp === 0 ? 0 : micros, fsp], v.toSQL());
    }
    assert.deepEqual(toCell(col(2), '0000-00-00 00:00:00.00', 'mariadb'), new TimestampValue(0, 0, 2));
    assert.deepEqual(toCell(col(0), '1970-01-01 00:00:01', 'mariadb'), new TimestampValue(1, 0, 0));
  });
});

describe('LOAD DATA text printed by the source', () => {
  const c = (name: string, dataType: string, charset: string | null, nullable = true): SchemaColumn => ({ name, dataType, sqlType: dataType, unsigned: false,
    nullable, charset, collation: null, collationId: charset === 'binary' ? 63 : null, octetLength: null, numericPrecision: null, numericScale: null,
    datetimePrecision: null, generated: null, visible: true });
  it('prints numbers, BIT, FLOAT, DOUBLE and temporal values bare, strings QUOTE()d, bytes as hex', () => {
    assert.equal(loadTextExpression(c('n', 'int', null, false)), '`n`');
    assert.equal(loadTextExpression(c('n', 'decimal', null)), "IFNULL(`n`, 'NULL')");
    assert.equal(loadTextExpression(c('b', 'bit', null)), "IFNULL(`b` + 0, 'NULL')");
    assert.equal(loadTextExpression(c('f', 'float', null)), "IFNULL(CAST(`f` AS DOUBLE), 'NULL')");
    assert.equal(loadTextExpression(c('d', 'datetime', null, false)), '`d`');
    assert.equal(loadTextExpression(c('s', 'varchar', 'latin1')), 'QUOTE(`s`)');
    assert.equal(loadTextExpression(c('e', 'enum', 'utf8mb4', false)), 'QUOTE(`e`)');
    assert.equal(loadTextExpression(c('v', 'varbinary', 'binary')), "IFNULL(HEX(`v`), 'NULL')");
  });
  it('sends text unconverted only when all text columns share one byte-parseable character set other than utf8mb4', () => {
    assert.equal(nativeTextCharset([c('a', 'varchar', 'latin1'), c('b', 'text', 'latin1'), c('n', 'int', null), c('v', 'blob', 'binary')]), 'latin1');
    assert.equal(nativeTextCharset([c('a', 'varchar', 'utf8mb3')]), 'utf8mb3');
    assert.equal(nativeTextCharset([c('a', 'varchar', 'utf8mb4')]), null, 'utf8mb4 is the connection\'s: nothing to change');
    assert.equal(nativeTextCharset([c('a', 'varchar', 'latin1'), c('b', 'varchar', 'utf8mb4')]), null, 'mixed');
    assert.equal(nativeTextCharset([c('a', 'varchar', 'sjis')]), null, 'a multi-byte set whose bytes may be ASCII');
    assert.equal(nativeTextCharset([c('n', 'int', null)]), null);
  });
});
