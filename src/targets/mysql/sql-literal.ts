/**
 * Decoded cells (see cell.ts) → exact SQL literals for a MySQL/MariaDB target. The session must use
 * time_zone '+00:00' (TIMESTAMP text is UTC) and a sql_mode without NO_BACKSLASH_ESCAPES.
 */
import { escape } from 'mysql2/promise';
import { JsonText, TimestampValue, type Cell } from '../../core/cell.js';

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** `name` as a backquoted identifier (backquotes doubled; dots kept as part of the name). */
export function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

export function qualifiedName(database: string, table: string): string {
  return `${quoteId(database)}.${quoteId(table)}`;
}

/**
 * The literal for a value written into (or compared with) a column of `dataType` (information_schema
 * DATA_TYPE, lower case). DECIMAL text is written unquoted so comparisons stay exact decimals.
 */
export function sqlLiteral(v: Cell, dataType = ''): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`cannot write non-finite number ${v}`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return dataType === 'decimal' && DECIMAL_TEXT.test(v) ? v : escape(v);
  if (Buffer.isBuffer(v)) return v.length === 0 ? "''" : `X'${v.toString('hex')}'`;
  if (Array.isArray(v)) return escape(v.join(','));
  if (v instanceof JsonText) return escape(v.text);
  if (v instanceof TimestampValue) return `'${v.toSQL()}'`;
  // VECTOR: MariaDB stores little-endian float32s; the binary form is accepted on insert.
  // TODO: verify against a MariaDB 11.7+ target (no VECTOR server in the test environment).
  const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return bytes.length === 0 ? "''" : `X'${bytes.toString('hex')}'`;
}

/** A NULL-safe equality test of a column with a value (for full-row matching). */
export function matchTerm(column: string, v: Cell, dataType = ''): string {
  const lit = sqlLiteral(v, dataType);
  // MySQL compares a JSON column with a string as a JSON string scalar: cast the text to JSON.
  const rhs = dataType === 'json' && v !== null ? `CAST(${lit} AS JSON)` : lit;
  return `${quoteId(column)} <=> ${rhs}`;
}
