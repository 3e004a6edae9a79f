/**
 * Values read by SELECT during a snapshot, converted to exactly the Cell the binlog decoder gives for
 * the same column (see core/cell.ts), so that a row copied by the snapshot and the same row
 * decoded from the binlog are written to the target identically.
 *
 * The connection must use `time_zone = '+00:00'` (TIMESTAMP text is UTC) and utf8mb4.
 */
import type { FieldPacket, TypeCastField, TypeCastNext } from 'mysql2';
import { JsonText, TimestampValue, type Cell } from '../core/cell.js';
import type { SchemaColumn } from '../mysql/schema/table-schema.js';

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const BYTES_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring',
  'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);

/** Whether a column's raw value is bytes (binary strings, BLOBs, BIT, geometry) rather than text. */
export function isBytesColumn(col: SchemaColumn): boolean {
  return BYTES_TYPES.has(col.dataType) || col.dataType === 'bit' || col.charset === 'binary' || col.collationId === 63;
}

/**
 * A mysql2 typeCast that keeps every value raw: bytes columns as Buffer, all others as the server's
 * text, NULL as null.
 */
export function rawTypeCast(columns: readonly SchemaColumn[]): (field: TypeCastField, next: TypeCastNext) => unknown {
  const bytes = new Set(columns.filter(isBytesColumn).map((c) => c.name));
  return (field) => (bytes.has(field.name) ? field.buffer() : field.string());
}

/** The SELECT expression for a column: FLOAT is widened so that no digits are lost in the text form. */
export function selectExpression(col: SchemaColumn): string {
  const q = quoteIdent(col.name);
  return col.dataType === 'float' ? `CAST(${q} AS DOUBLE) AS ${q}` : q;
}

export function quoteIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function intCell(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(text);
  return b > MAX_SAFE || b < -MAX_SAFE ? b : Number(b);
}

function bitCell(buf: Buffer): number | bigint {
  let v = 0n;
  for (const byte of buf) v = (v << 8n) | BigInt(byte);
  return v > MAX_SAFE ? v : Number(v);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
};

/** "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) → TimestampValue; the zero timestamp → (0, 0). */
function timestampCell(text: string, fsp: number): TimestampValue {
  if (text.startsWith('0000-00-00')) return new TimestampValue(0, 0, fsp);
  const days = daysFromCivil(digits(text, 0, 4), digits(text, 5, 7), digits(text, 8, 10));
  const secs = days * 86400 + digits(text, 11, 13) * 3600 + digits(text, 14, 16) * 60 + digits(text, 17, 19);
  const frac = text.length > 20 ? text.slice(20, 26) : '';
  const micros = frac === '' ? 0 : digits(frac, 0, frac.length) * 10 ** (6 - frac.length);
  return new TimestampValue(secs, micros, fsp);
}

/** Convert one raw value (from `rawTypeCast`) of `col` to its Cell. */
export function toCell(col: SchemaColumn, raw: unknown, flavor: 'mysql' | 'mariadb'): Cell {
  if (raw === null || raw === undefined) return null;
  const t = col.dataType;
  if (Buffer.isBuffer(raw)) {
    if (t === 'bit') return bitCell(raw);
    return raw;
  }
  const text = String(raw);
  if (INT_TYPES.has(t)) return intCell(text);
  switch (t) {
    case 'float':
      return Math.fround(Number(text));
    case 'double':
    case 'real':
      return Number(text);
    case 'timestamp':
      return timestampCell(text, col.datetimePrecision ?? 0);
    case 'set':
      return text === '' ? [] : text.split(',');
    case 'json':
      return flavor === 'mysql' ? new JsonText(text) : text;
    default:
      if (col.json) return new JsonText(text);
      if (BYTES_TYPES.has(t)) return Buffer.from(text, 'binary');
      return text;
  }
}

/** Names of the fields of a result, for matching them to schema columns. */
export function fieldNames(fields: FieldPacket[]): string[] {
  return fields.map((f) => f.name);
}
