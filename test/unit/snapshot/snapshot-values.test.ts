// SELECT text → cells: TIMESTAMP text (UTC) parsed without a Date, exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toCell } from '../../../src/snapshot/snapshot-values.js';
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
