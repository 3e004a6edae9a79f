/**
 * Whether an information_schema column can be the column a TABLE_MAP describes: its binlog type code
 * must belong to the column's SQL type, and where the TABLE_MAP metadata pins a size (DECIMAL
 * precision/scale, fractional seconds, BIT width, CHAR/VARCHAR byte length) that must agree too.
 */
import { ColumnType as T, type ColumnDef } from '../values/column-type.js';
import type { SchemaColumn } from './table-schema.js';

const STRINGY = [T.STRING, T.VARCHAR, T.VAR_STRING, T.BLOB, T.TINY_BLOB, T.MEDIUM_BLOB, T.LONG_BLOB];
const BLOBS = [T.BLOB, T.TINY_BLOB, T.MEDIUM_BLOB, T.LONG_BLOB];

const CODES: Record<string, readonly number[]> = {
  tinyint: [T.TINY], bool: [T.TINY], boolean: [T.TINY],
  smallint: [T.SHORT], mediumint: [T.INT24], int: [T.LONG], integer: [T.LONG], bigint: [T.LONGLONG],
  float: [T.FLOAT], double: [T.DOUBLE], real: [T.DOUBLE], 'double precision': [T.DOUBLE],
  decimal: [T.NEWDECIMAL, T.DECIMAL], numeric: [T.NEWDECIMAL, T.DECIMAL], fixed: [T.NEWDECIMAL, T.DECIMAL],
  date: [T.DATE, T.NEWDATE], time: [T.TIME, T.TIME2], datetime: [T.DATETIME, T.DATETIME2],
  timestamp: [T.TIMESTAMP, T.TIMESTAMP2], year: [T.YEAR],
  char: [T.STRING], binary: [T.STRING],
  varchar: [T.VARCHAR, T.VAR_STRING], varbinary: [T.VARCHAR, T.VAR_STRING],
  tinytext: BLOBS, text: BLOBS, mediumtext: BLOBS, longtext: BLOBS,
  tinyblob: BLOBS, blob: BLOBS, mediumblob: BLOBS, longblob: BLOBS,
  enum: [T.ENUM, T.STRING], set: [T.SET, T.STRING],
  bit: [T.BIT], json: [T.JSON, ...BLOBS],
  geometry: [T.GEOMETRY], point: [T.GEOMETRY], linestring: [T.GEOMETRY], polygon: [T.GEOMETRY],
  multipoint: [T.GEOMETRY], multilinestring: [T.GEOMETRY], multipolygon: [T.GEOMETRY],
  geometrycollection: [T.GEOMETRY], geomcollection: [T.GEOMETRY],
  // MariaDB data types stored as fixed-size binary strings.
  uuid: [T.STRING], inet6: [T.STRING], inet4: [T.STRING, T.LONG],
  vector: [T.VECTOR, T.VARCHAR, T.VAR_STRING, T.STRING, ...BLOBS],
};

export function isCompatible(col: SchemaColumn, def: ColumnDef): boolean {
  const codes = CODES[col.dataType] ?? STRINGY; // unknown plugin types: only string-like codes
  if (!codes.includes(def.type)) return false;
  switch (def.type) {
    case T.NEWDECIMAL:
      return col.numericPrecision === null || col.numericScale === null || def.meta === 0 ||
        def.meta === ((col.numericPrecision << 8) | col.numericScale);
    case T.TIME2: case T.DATETIME2: case T.TIMESTAMP2:
      return col.datetimePrecision === null || def.meta === col.datetimePrecision;
    case T.BIT:
      return col.numericPrecision === null || def.meta === 0 || def.meta === col.numericPrecision;
    case T.VARCHAR: case T.VAR_STRING:
    case T.STRING:
      if (col.dataType !== 'char' && col.dataType !== 'varchar' && col.dataType !== 'binary' && col.dataType !== 'varbinary') return true;
      return col.octetLength === null || def.meta === 0 || def.meta === col.octetLength;
    default:
      return true;
  }
}
